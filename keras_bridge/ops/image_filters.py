"""Keras 3's convolution-based ``ops.image`` functions: ``gaussian_blur``,
``sobel_edges`` and ``ssim``, written once from the engine's depthwise convolution."""

from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _floating, _maker
from keras_bridge.ops.image_base import layout


def _gaussian_1d(like, size, sigma):
    """A normalised Gaussian window of ``size`` taps, in ``like``'s dtype."""
    dtype = _o.dtype(like)
    x = _o.subtract(_maker(like).arange(0, size, 1, dtype), (size - 1) / 2)
    g = _o.exp(_o.multiply(-0.5, _o.square(_o.divide(x, _o.cast(sigma, dtype)))))
    return _o.divide(g, _o.sum(g))


def _per_channel(kernel2d, channels):
    """A (kh, kw) kernel as the depthwise kernel (kh, kw, channels, 1)."""
    return _o.tile(_o.reshape(kernel2d, tuple(_o.shape(kernel2d)) + (1, 1)),
                   (1, 1, channels, 1))


@_o.whole_node
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Each channel convolved ('same' zero padding) with a separable Gaussian. As in
    Keras 3.15's backends, ``kernel_size[0]`` and ``sigma[0]`` shape the window along
    the width and ``kernel_size[1]``, ``sigma[1]`` along the height."""
    images = _floating(images)
    data_format, h = layout(images, data_format)
    if len(kernel_size) != 2 or len(sigma) != 2:
        raise ValueError("Expected kernel_size and sigma of two entries each. Received: "
                         f"kernel_size={kernel_size}, sigma={sigma}")
    single = _o.ndim(images) == 3
    x = _o.expand_dims(images, 0) if single else images
    channels = _o.shape(x)[-1 if data_format == "channels_last" else 1]
    along_w = _gaussian_1d(x, int(kernel_size[0]), sigma[0])
    along_h = _gaussian_1d(x, int(kernel_size[1]), sigma[1])
    kernel = _per_channel(_o.multiply(_o.expand_dims(along_h, 1), _o.expand_dims(along_w, 0)),
                          channels)
    out = _o.depthwise_conv(x, kernel, padding="same", data_format=data_format)
    return _o.squeeze(out, 0) if single else out


_SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]


@_o.whole_node
def sobel_edges(images, data_format=None):
    """The vertical and horizontal Sobel responses ('same' zero padding) of each
    channel of a batch of images, stacked last as [dy, dx]: shape images.shape + (2,)."""
    images = _floating(images)
    data_format, _ = layout(images, data_format, ranks=(4,))
    channels = _o.shape(images)[-1 if data_format == "channels_last" else 1]
    kx = _maker(images).convert_to_tensor(_SOBEL_X, _o.dtype(images))
    edges = [_o.depthwise_conv(images, _per_channel(k, channels), padding="same",
                               data_format=data_format) for k in (_o.transpose(kx), kx)]
    return _o.stack(edges, axis=-1)


@_o.whole_node
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Wang et al.'s structural similarity: local means, variances and covariance under
    a ``filter_size`` Gaussian window (valid positions only), averaged over positions
    and channels; one value per image pair (a scalar for single images), in the
    images' dtype as Keras 3 returns it."""
    image1, image2 = _o.convert_to_tensor(image1), _o.convert_to_tensor(image2)
    original = _o.dtype(image1)
    for name, im in (("image1", image1), ("image2", image2)):
        if _o.ndim(im) not in (3, 4):
            raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 "
                             f"(batch of images). Received: {name}.shape={_o.shape(im)}")
    if tuple(_o.shape(image1)) != tuple(_o.shape(image2)):
        raise ValueError("Expected image1 and image2 of one shape. Received: "
                         f"{_o.shape(image1)} and {_o.shape(image2)}")
    data_format, _ = layout(image1, data_format)
    single = _o.ndim(image1) == 3
    x, y = (_floating(_o.expand_dims(im, 0) if single else im) for im in (image1, image2))
    if data_format == "channels_last":  # channels to the front: one grey image each
        x, y = (_o.transpose(im, (0, 3, 1, 2)) for im in (x, y))
    batch, channels, height, width = _o.shape(x)
    x, y = (_o.reshape(im, (batch * channels, height, width, 1)) for im in (x, y))
    g = _gaussian_1d(x, int(filter_size), filter_sigma)
    window = _o.reshape(_o.multiply(_o.expand_dims(g, 1), _o.expand_dims(g, 0)),
                        (filter_size, filter_size, 1, 1))

    def local_mean(v):
        return _o.conv(v, window, padding="valid", data_format="channels_last")

    mu_x, mu_y = local_mean(x), local_mean(y)
    mu_xx, mu_yy, mu_xy = (_o.multiply(mu_x, mu_x), _o.multiply(mu_y, mu_y),
                           _o.multiply(mu_x, mu_y))
    var_x = _o.subtract(local_mean(_o.multiply(x, x)), mu_xx)
    var_y = _o.subtract(local_mean(_o.multiply(y, y)), mu_yy)
    cov = _o.subtract(local_mean(_o.multiply(x, y)), mu_xy)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = _o.multiply(_o.add(_o.multiply(2.0, mu_xy), c1), _o.add(_o.multiply(2.0, cov), c2))
    den = _o.multiply(_o.add(_o.add(mu_xx, mu_yy), c1), _o.add(_o.add(var_x, var_y), c2))
    per_channel = _o.reshape(_o.mean(_o.divide(num, den), axis=(1, 2, 3)), (batch, channels))
    out = _o.mean(per_channel, axis=-1)
    return _o.cast(_o.squeeze(out, 0) if single else out, original)

