"""Keras 2's ``keras.preprocessing`` modules: ``image`` (augmentation and image files;
Pillow and SciPy imported on first use), ``text`` (Tokenizer) and ``sequence``
(padding, timeseries windows, skipgrams), and ``timeseries_dataset_from_array`` as
Keras 3 also exports it here."""

from keras_bridge.preprocessing import image, sequence, text
from keras_bridge.utils.sequence_utils import timeseries_dataset_from_array

__all__ = ["image", "sequence", "text", "timeseries_dataset_from_array"]
