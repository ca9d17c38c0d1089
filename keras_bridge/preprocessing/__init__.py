"""Keras 2's ``keras.preprocessing`` names for sequence data (``sequence``), and
``timeseries_dataset_from_array`` as Keras 3 also exports it here."""

from keras_bridge.preprocessing import sequence
from keras_bridge.utils.sequence_utils import timeseries_dataset_from_array

__all__ = ["sequence", "timeseries_dataset_from_array"]
