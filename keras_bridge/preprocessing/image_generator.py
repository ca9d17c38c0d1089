"""Keras 2's ``ImageDataGenerator``: random augmentation and normalization of image
batches, in numpy.

Each image an iterator yields goes through, in order: ``get_random_transform`` (the
random parameters, drawn from numpy's global generator in Keras 2's order, so a seed
gives Keras 2's draws), ``apply_transform`` (affine map, channel shift, flips,
brightness) and ``standardize`` (``preprocessing_function``, ``rescale``, sample-wise
then feature-wise normalization, ZCA whitening). ``fit`` computes the feature-wise
statistics from sample data.
"""

import warnings

import numpy as np

from keras_bridge import config
from keras_bridge.preprocessing import image_affine as affine
from keras_bridge.preprocessing.image_io import check_data_format

__all__ = ["ImageDataGenerator"]


def _overrides(what, setting):
    warnings.warn(f"This ImageDataGenerator specifies `{what}`, which overrides the "
                  f"setting of `{setting}`.", UserWarning, stacklevel=3)


def _active(value_range):
    """Whether a range argument asks for a random draw (Keras 2's truthiness; any
    non-empty list counts)."""
    if isinstance(value_range, (list, tuple, np.ndarray)):
        return len(value_range) > 0
    return bool(value_range)


def _draw_shift(shift_range, size):
    """A shift in pixels: an int or a list draws a whole value (``int n``: from
    ``0 .. n-1``) with a random sign; a float is a fraction of ``size`` when below 1,
    else pixels, drawn uniformly."""
    if isinstance(shift_range, (int, np.integer, list, tuple, np.ndarray)):
        shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
    else:
        shift = np.random.uniform(-shift_range, shift_range)
    return shift * size if np.max(shift_range) < 1 else shift


class ImageDataGenerator:
    """Generates batches of augmented, normalized images (Keras 2's arguments and
    defaults; ``data_format=None`` means ``image_data_format()``, ``dtype=None``
    ``floatx()``).

    Example:
        >>> datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.2,
        ...                              horizontal_flip=True, rescale=1 / 255.)
        >>> model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=5)
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0., height_shift_range=0., brightness_range=None,
                 shear_range=0., zoom_range=0., channel_shift_range=0.,
                 fill_mode="nearest", cval=0., horizontal_flip=False, vertical_flip=False,
                 rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, dtype=None):
        self.data_format = check_data_format(data_format)
        self.fill_mode = affine.check_fill_mode(fill_mode)
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("Expected validation_split strictly between 0 and 1. "
                             f"Received: validation_split={validation_split!r}")
        if np.isscalar(zoom_range):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("Expected zoom_range to be a float or a tuple or list of two "
                             f"floats. Received: zoom_range={zoom_range!r}")
        if brightness_range is not None and len(brightness_range) != 2:
            raise ValueError("Expected brightness_range to be a tuple or list of two "
                             f"floats. Received: brightness_range={brightness_range!r}")
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self._validation_split = validation_split
        self.dtype = dtype or config.floatx()
        self.mean = self.std = self.principal_components = None
        # Keras 2's implied settings, with its warnings.
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                _overrides("zca_whitening", "featurewise_center")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                _overrides("zca_whitening", "featurewise_std_normalization")
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            _overrides("featurewise_std_normalization", "featurewise_center")
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            _overrides("samplewise_std_normalization", "samplewise_center")

    # ---- iterators --------------------------------------------------------------------
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", subset=None):
        """A ``NumpyArrayIterator`` over ``x`` (rank 4, or ``(images, extra arrays)``)
        and ``y``: batches ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        from keras_bridge.preprocessing.image_iterators import NumpyArrayIterator
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", follow_links=False, subset=None,
                            interpolation="nearest"):
        """A ``DirectoryIterator`` over ``directory/<class>/**/<image>`` files."""
        from keras_bridge.preprocessing.image_files import DirectoryIterator
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation,
                                 dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory, x_col="filename", y_col="class",
                            has_ext=True, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest"):
        """A ``DataFrameIterator`` over the files named in ``dataframe[x_col]`` (under
        ``directory``) with labels ``dataframe[y_col]``; needs pandas."""
        try:
            import pandas  # noqa: F401  (the frame's own library)
        except ImportError as e:
            raise ImportError("flow_from_dataframe() needs pandas, which is not "
                              "installed. Install it with: pip install pandas") from e
        from keras_bridge.preprocessing.image_files import DataFrameIterator
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col,
                                 has_ext=has_ext, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset,
                                 interpolation=interpolation, dtype=self.dtype)

    # ---- per-image steps --------------------------------------------------------------
    def standardize(self, x):
        """The normalization steps on ``x`` (one image, as the iterators call it):
        ``preprocessing_function``, ``rescale``, sample-wise centring and scaling (over
        all of ``x``), feature-wise centring and scaling, ZCA. Returns a new array."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.array(x, dtype=self.dtype)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        for flag, value, name in ((self.featurewise_center, self.mean, "featurewise_center"),
                                  (self.featurewise_std_normalization, self.std,
                                   "featurewise_std_normalization"),
                                  (self.zca_whitening, self.principal_components,
                                   "zca_whitening")):
            if flag and value is None:
                warnings.warn(f"This ImageDataGenerator specifies `{name}`, but it has not "
                              "been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", UserWarning, stacklevel=2)
        if self.featurewise_center and self.mean is not None:
            x -= self.mean
        if self.featurewise_std_normalization and self.std is not None:
            x /= self.std + 1e-6
        if self.zca_whitening and self.principal_components is not None:
            flat = x.reshape(-1, int(np.prod(x.shape[-3:])))
            x = (flat @ self.principal_components).reshape(x.shape).astype(self.dtype)
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image of shape ``img_shape``: a dict with
        ``theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical,
        channel_shift_intensity, brightness``."""
        if seed is not None:
            np.random.seed(seed)
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = (np.random.uniform(-self.rotation_range, self.rotation_range)
                 if self.rotation_range else 0)
        tx = _draw_shift(self.height_shift_range, rows) if _active(self.height_shift_range) \
            else 0
        ty = _draw_shift(self.width_shift_range, cols) if _active(self.width_shift_range) \
            else 0
        shear = (np.random.uniform(-self.shear_range, self.shear_range)
                 if self.shear_range else 0)
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(np.random.random() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = bool(np.random.random() < 0.5) and bool(self.vertical_flip)
        channel_shift = (np.random.uniform(-self.channel_shift_range,
                                           self.channel_shift_range)
                         if self.channel_shift_range != 0 else None)
        brightness = (np.random.uniform(self.brightness_range[0], self.brightness_range[1])
                      if self.brightness_range is not None else None)
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """One image (rank 3) moved by ``transform_parameters`` (the keys of
        ``get_random_transform``; missing ones mean no change)."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError("apply_transform() expects one image of rank 3. Received: an "
                             f"array of shape {x.shape}")
        p = transform_parameters
        rows, cols, channels = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = affine.apply_affine_transform(
            x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
            p.get("zx", 1), p.get("zy", 1), row_axis=rows, col_axis=cols,
            channel_axis=channels, fill_mode=self.fill_mode, cval=self.cval)
        if p.get("channel_shift_intensity") is not None:
            x = affine.apply_channel_shift(x, p["channel_shift_intensity"], channels)
        if p.get("flip_horizontal", False):
            x = affine.flip_axis(x, cols)
        if p.get("flip_vertical", False):
            x = affine.flip_axis(x, rows)
        if p.get("brightness") is not None:
            x = affine.apply_brightness_shift(x, p["brightness"], self.data_format)
        return x

    def random_transform(self, x, seed=None):
        """One image with a random transform applied (``seed``: reseed numpy first)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    # ---- statistics -------------------------------------------------------------------
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the feature-wise statistics (``mean``, ``std``,
        ``principal_components``) from sample images ``x`` (rank 4), optionally over
        ``rounds`` randomly augmented copies."""
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError("Input to `.fit()` should have rank 4. Received: an array "
                             f"of shape {x.shape}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"Expected images in {self.data_format} layout with 1, 3 or 4 "
                          f"channels on axis {self.channel_axis}. Received: an array of "
                          f"shape {x.shape} ({x.shape[self.channel_axis]} channels).",
                          UserWarning, stacklevel=2)
        if seed is not None:
            np.random.seed(seed)
        if augment:
            x = np.stack([self.random_transform(image) for _ in range(rounds)
                          for image in x]).astype(self.dtype)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(x.shape[0], -1)
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = np.linalg.svd(sigma)
            self.principal_components = (u * (1. / np.sqrt(s[None] + self.zca_epsilon))) @ u.T
