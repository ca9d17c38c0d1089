"""Keras 3's preprocessing layers, by family: numerical (normalization), categorical,
image sizing, and image augmentation (geometry, colour). Hashing, HashedCrossing and
the string lookups are not here yet (Keras 3's Hashing needs TensorFlow on every
backend)."""

from keras_bridge.layers.preprocessing.categorical import CategoryEncoding, Discretization
from keras_bridge.layers.preprocessing.image_color import RandomBrightness, RandomContrast
from keras_bridge.layers.preprocessing.image_geometry import RandomFlip, RandomRotation
from keras_bridge.layers.preprocessing.image_geometry import RandomTranslation, RandomZoom
from keras_bridge.layers.preprocessing.image_sizing import CenterCrop, RandomCrop, Resizing
from keras_bridge.layers.preprocessing.normalization import Normalization, Rescaling

PREPROCESSING_LAYERS = (Normalization, Rescaling, Resizing, CenterCrop, RandomCrop,
                        RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
                        RandomContrast, RandomBrightness, Discretization, CategoryEncoding)

__all__ = [cls.__name__ for cls in PREPROCESSING_LAYERS]
