"""Keras 3's preprocessing layers, by family: numerical (normalization), categorical,
image sizing, image augmentation (geometry, colour), vocabulary lookups and text
(strings are encoded on the host: host_stage.py), hashing (on the host too), audio
spectrograms, and Pipeline."""

from keras_bridge.layers.preprocessing.audio import MelSpectrogram, STFTSpectrogram
from keras_bridge.layers.preprocessing.categorical import CategoryEncoding, Discretization
from keras_bridge.layers.preprocessing.hashing import HashedCrossing, Hashing
from keras_bridge.layers.preprocessing.image_boxes import MaxNumBoundingBoxes
from keras_bridge.layers.preprocessing.image_clahe import \
    ContrastLimitedAdaptiveHistogramEqualization
from keras_bridge.layers.preprocessing.image_color import RandomBrightness, RandomContrast
from keras_bridge.layers.preprocessing.image_color import RandomColorDegeneration
from keras_bridge.layers.preprocessing.image_color import RandomColorJitter, RandomGrayscale
from keras_bridge.layers.preprocessing.image_color import RandomHue, RandomSaturation
from keras_bridge.layers.preprocessing.image_elastic import RandomElasticTransform
from keras_bridge.layers.preprocessing.image_filtering import RandomGaussianBlur
from keras_bridge.layers.preprocessing.image_filtering import RandomSharpness
from keras_bridge.layers.preprocessing.image_geometry import RandomFlip, RandomRotation
from keras_bridge.layers.preprocessing.image_geometry import RandomPerspective, RandomShear
from keras_bridge.layers.preprocessing.image_geometry import RandomTranslation, RandomZoom
from keras_bridge.layers.preprocessing.image_mixing import CutMix, MixUp, RandomErasing
from keras_bridge.layers.preprocessing.image_policies import AugMix, RandAugment
from keras_bridge.layers.preprocessing.image_sizing import CenterCrop, RandomCrop, Resizing
from keras_bridge.layers.preprocessing.image_tone import AutoContrast, Equalization
from keras_bridge.layers.preprocessing.image_tone import RandomInvert, RandomPosterization
from keras_bridge.layers.preprocessing.image_tone import Solarization
from keras_bridge.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from keras_bridge.layers.preprocessing.normalization import Normalization, Rescaling
from keras_bridge.layers.preprocessing.pipeline import Pipeline
from keras_bridge.layers.preprocessing.text_vectorization import TextVectorization

PREPROCESSING_LAYERS = (Normalization, Rescaling, Resizing, CenterCrop, RandomCrop,
                        RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
                        RandomContrast, RandomBrightness, Discretization, CategoryEncoding,
                        IntegerLookup, StringLookup, TextVectorization, Pipeline, Hashing,
                        HashedCrossing, MelSpectrogram, STFTSpectrogram,
                        RandomGrayscale, RandomColorDegeneration, RandomSaturation, RandomHue,
                        RandomColorJitter, RandomInvert, Solarization, RandomPosterization,
                        AutoContrast, Equalization, RandomSharpness, RandomGaussianBlur,
                        RandomErasing, MixUp, CutMix, RandomShear, RandomPerspective,
                        MaxNumBoundingBoxes, ContrastLimitedAdaptiveHistogramEqualization,
                        RandomElasticTransform, RandAugment, AugMix)

__all__ = [cls.__name__ for cls in PREPROCESSING_LAYERS]
