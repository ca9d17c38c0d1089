"""``keras.preprocessing.image`` (Keras 2 / keras-preprocessing 1.0.x): real-time image
augmentation (``ImageDataGenerator`` and its iterators), affine helpers and image file
IO, in numpy. Needs the ``image`` extra (Pillow, SciPy), imported on first use:
``pip install 'keras-bridge[image]'``."""

from keras_bridge.preprocessing.image_affine import (apply_affine_transform,
                                                     apply_brightness_shift,
                                                     apply_channel_shift, flip_axis,
                                                     random_brightness,
                                                     random_channel_shift, random_rotation,
                                                     random_shear, random_shift,
                                                     random_zoom,
                                                     transform_matrix_offset_center)
from keras_bridge.preprocessing.image_files import DataFrameIterator, DirectoryIterator
from keras_bridge.preprocessing.image_generator import ImageDataGenerator
from keras_bridge.preprocessing.image_io import (array_to_img, img_to_array, list_pictures,
                                                 load_img, save_img)
from keras_bridge.preprocessing.image_iterators import Iterator, NumpyArrayIterator

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
           "DataFrameIterator", "load_img", "img_to_array", "array_to_img", "save_img",
           "list_pictures", "apply_affine_transform", "transform_matrix_offset_center",
           "flip_axis", "apply_channel_shift", "random_channel_shift",
           "apply_brightness_shift", "random_brightness", "random_rotation", "random_shift",
           "random_shear", "random_zoom"]
