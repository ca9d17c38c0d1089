"""ContrastLimitedAdaptiveHistogramEqualization (Keras 3.15's CLAHE): histogram
equalization per tile of a grid, with each tile's histogram clipped, and the tiles'
mappings blended bilinearly between tile centres."""

import numbers

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import rescale
from keras_bridge.layers.preprocessing.image_tone import _BYTE, _FixedImageLayer


class ContrastLimitedAdaptiveHistogramEqualization(_FixedImageLayer):
    """CLAHE, applied in training and inference (as Keras 3). On the [0, 255] scale,
    per image and channel: the image (padded symmetrically to whole tiles) is cut into
    ``tile_grid_size`` tiles; each tile's 256-bin histogram of the integer pixel values
    is clipped at ``clip_limit`` times the tile's mean bin count and the excess spread
    evenly over the bins; its normalised cumulative distribution maps pixel values, and
    each pixel takes the bilinear blend of the mappings of the four nearest tile
    centres (edge tiles repeat outwards).

    Args:
        value_range: the images' [low, high] range.
        clip_limit: the clipping level (0 or less: no clipping).
        tile_grid_size: (rows, columns) of tiles.
        data_format: as the other image layers.
    """

    always = True

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(value_range, data_format, **kwargs)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, numbers.Real):
            raise ValueError(f"`clip_limit` should be a number. Received: "
                             f"clip_limit={clip_limit!r}")
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0
                                     for g in grid):
            raise ValueError("`tile_grid_size` should be a pair of positive integers "
                             f"(rows, columns). Received: tile_grid_size={tile_grid_size!r}")
        self.clip_limit = clip_limit
        self.tile_grid_size = grid

    def transform(self, images):
        x = rescale(ops.cast(images, "float32"), self.value_range, _BYTE)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        out = self._clahe(x)
        if self.data_format == "channels_first":
            out = ops.transpose(out, (0, 3, 1, 2))
        return ops.cast(rescale(out, _BYTE, self.value_range), self.compute_dtype)

    def _clahe(self, x):
        batch, height, width, channels = ops.shape(x)
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        full_h, full_w = tile_h * grid_h, tile_w * grid_w
        if (full_h, full_w) != (height, width):
            x = ops.pad(x, [[0, 0], [0, full_h - height], [0, full_w - width], [0, 0]],
                        mode="symmetric")
        table = self._tile_tables(x, batch, channels, tile_h, tile_w)
        # each tile's mapping, its edge row and column repeated: (B, gh + 2, gw + 2, C, 256)
        table = ops.concatenate([table[:, :1], table, table[:, -1:]], axis=1)
        table = ops.concatenate([table[:, :, :1], table, table[:, :, -1:]], axis=2)
        flat = ops.reshape(table, (-1,))

        def centres(size, tile, grid):  # the two tile rows (columns) around each pixel
            pos = ops.add(ops.divide(ops.subtract(ops.arange(size, dtype="float32"),
                                                  tile / 2.0), float(tile)), 1.0)
            low = ops.floor(pos)
            weight = ops.subtract(pos, low)
            low_i = ops.cast(ops.clip(low, 0, grid + 1), "int32")
            high_i = ops.cast(ops.clip(ops.add(low, 1.0), 0, grid + 1), "int32")
            return low_i, high_i, weight

        y0, y1, wy = centres(full_h, tile_h, grid_h)
        x0, x1, wx = centres(full_w, tile_w, grid_w)
        stride_x = 256 * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        pixels = ops.cast(ops.clip(x, 0, 255), "int32")
        image_start = ops.multiply(ops.arange(batch, dtype="int32"), stride_b)
        channel_start = ops.multiply(ops.arange(channels, dtype="int32"), 256)
        base = ops.add(ops.add(ops.reshape(image_start, (-1, 1, 1, 1)),
                               ops.reshape(channel_start, (1, 1, 1, -1))), pixels)
        rows = [ops.reshape(ops.multiply(r, stride_y), (1, -1, 1, 1)) for r in (y0, y1)]
        cols = [ops.reshape(ops.multiply(c, stride_x), (1, 1, -1, 1)) for c in (x0, x1)]
        (nw, ne), (sw, se) = ([ops.take(flat, ops.add(ops.add(base, r), c)) for c in cols]
                              for r in rows)
        wx = ops.reshape(wx, (1, 1, -1, 1))
        wy = ops.reshape(wy, (1, -1, 1, 1))
        top = ops.add(ops.multiply(nw, ops.subtract(1.0, wx)), ops.multiply(ne, wx))
        bottom = ops.add(ops.multiply(sw, ops.subtract(1.0, wx)), ops.multiply(se, wx))
        out = ops.add(ops.multiply(top, ops.subtract(1.0, wy)), ops.multiply(bottom, wy))
        return out[:, :height, :width, :]

    def _tile_tables(self, x, batch, channels, tile_h, tile_w):
        """Each tile's clipped, normalised cumulative histogram: (B, gh, gw, C, 256)."""
        grid_h, grid_w = self.tile_grid_size
        tiles = ops.reshape(x, (batch, grid_h, tile_h, grid_w, tile_w, channels))
        tiles = ops.transpose(tiles, (0, 1, 3, 5, 2, 4))
        values = ops.clip(ops.cast(tiles, "int32"), 0, 255)
        groups = batch * grid_h * grid_w * channels
        group = ops.reshape(ops.multiply(ops.arange(groups, dtype="int32"), 256),
                            (batch, grid_h, grid_w, channels, 1, 1))
        ids = ops.reshape(ops.add(values, group), (-1,))
        hist = ops.segment_sum(ops.ones_like(ids, dtype="float32"), ids,
                               num_segments=groups * 256)
        hist = ops.reshape(hist, (batch, grid_h, grid_w, channels, 256))
        count = float(tile_h * tile_w)
        if self.clip_limit > 0:
            clipped = ops.clip(hist, 0.0, self.clip_limit * count / 256.0)
            excess = ops.sum(ops.subtract(hist, clipped), axis=-1, keepdims=True)
            hist = ops.add(clipped, ops.divide(excess, 256.0))
        cdf = ops.cumsum(hist, axis=-1)
        low = ops.min(cdf, axis=-1, keepdims=True)
        span = ops.subtract(count, low)
        span = ops.where(ops.equal(span, 0.0), 1.0, span)
        return ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, low), 255.0), span), 0, 255)

    def get_config(self):
        return {**super().get_config(), "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size}
