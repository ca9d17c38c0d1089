"""Utilities with Keras's names.

Keras 2's submodules (``generic_utils``, ``layer_utils``, ``conv_utils``, ``io_utils``,
``vis_utils``, ``multi_gpu_utils``) and the names Keras 2 exported here from them are
loaded on first access: they import models and layers, which import this package.
Keras 3's names (``bounding_boxes``, ``PyDataset``, ``split_dataset``,
``pack_x_y_sample_weight``, ``register_keras_serializable``, ...) are here too.
"""

from keras_bridge.random import set_seed as set_random_seed
from keras_bridge.utils import data_utils, np_utils
from keras_bridge.utils.data_utils import DownloadError, get_file
from keras_bridge.utils.dataset_utils import split_dataset
from keras_bridge.utils.dataset_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from keras_bridge.utils.enqueuers import GeneratorEnqueuer, OrderedEnqueuer
from keras_bridge.utils.lazy import reexports
from keras_bridge.utils.numerical_utils import normalize, to_categorical
from keras_bridge.utils.py_dataset import PyDataset, Sequence
from keras_bridge.utils.sequence_utils import pad_sequences
from keras_bridge.utils.sequence_utils import timeseries_dataset_from_array

_KERAS2 = {name: f"keras_bridge.utils.{name}" for name in (
    "generic_utils", "layer_utils", "conv_utils", "io_utils", "vis_utils", "multi_gpu_utils",
    "model_visualization", "bounding_boxes")}
_KERAS2.update({name: "keras_bridge.utils.generic_utils" for name in (
    "CustomObjectScope", "custom_object_scope", "get_custom_objects",
    "serialize_keras_object", "deserialize_keras_object", "Progbar")})
_KERAS2.update({name: "keras_bridge.serialization" for name in (
    "register_keras_serializable", "get_registered_name", "get_registered_object")})
_KERAS2.update({"get_source_inputs": "keras_bridge.utils.layer_utils",
                "print_summary": "keras_bridge.utils.layer_utils",
                "plot_model": "keras_bridge.utils.model_visualization",
                "model_to_dot": "keras_bridge.utils.model_visualization",
                "HDF5Matrix": "keras_bridge.utils.io_utils",
                "multi_gpu_model": "keras_bridge.utils.multi_gpu_utils",
                # Keras 3's helper for custom train_step / test_step overrides.
                "unpack_x_y_sample_weight": "keras_bridge.training.step_methods"})
__getattr__, __dir__ = reexports(__name__, _KERAS2)

__all__ = ["set_random_seed", "get_file", "DownloadError", "to_categorical", "normalize",
           "np_utils", "data_utils", "pad_sequences", "timeseries_dataset_from_array",
           "Sequence", "PyDataset", "OrderedEnqueuer", "GeneratorEnqueuer", "split_dataset",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight"] + sorted(_KERAS2)
