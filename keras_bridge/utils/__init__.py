"""Utilities with Keras's names."""

from keras_bridge.random import set_seed as set_random_seed
from keras_bridge.utils import np_utils
from keras_bridge.utils.data_utils import DownloadError, get_file
from keras_bridge.utils.numerical_utils import normalize, to_categorical
from keras_bridge.utils.py_dataset import PyDataset, Sequence
from keras_bridge.utils.sequence_utils import pad_sequences
from keras_bridge.utils.sequence_utils import timeseries_dataset_from_array

__all__ = ["set_random_seed", "get_file", "DownloadError", "to_categorical", "normalize",
           "np_utils", "pad_sequences", "timeseries_dataset_from_array", "Sequence",
           "PyDataset"]
