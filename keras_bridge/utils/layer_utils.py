"""Keras 2's ``keras.utils.layer_utils``: parameter counts, the summary table and the
inputs a tensor depends on."""

import numpy as np

from keras_bridge.graph import get_source_inputs
from keras_bridge.models.summary import print_summary


def count_params(weights):
    """The number of scalars in ``weights`` (a list of weights or arrays), each distinct
    weight counted once."""
    unique = {id(w): w for w in weights}
    return int(sum(int(np.prod(w.shape)) for w in unique.values()))


__all__ = ["count_params", "print_summary", "get_source_inputs"]
