"""StackedRNNCells: several cells run as one, each step feeding the next.

``RNN([cell_1, cell_2])`` wraps its list in one, as Keras. The states are one flat list
in Keras 2's order: the last cell's states first (``[h2, c2, h1, c1]`` for two LSTM
cells), so that ``states[0]`` is the stack's output, which the masked step repeats.
"""

from keras_bridge.layers.base import Layer
from keras_bridge.layers.rnn_cells import _Cell
from keras_bridge.serialization.core import deserialize_keras_object, serialize_keras_object


def _sizes(cell):
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


class StackedRNNCells(Layer):
    """A stack of RNN cells acting as one cell.

    Args:
        cells: a list of cells (layers with ``call(inputs, states)`` and ``state_size``).

    Example:
        cells = [LSTMCell(16), LSTMCell(8)]
        y = RNN(cells)(Input(shape=(None, 4)))  # (None, 8)
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells needs a non-empty list of cells. Received: "
                             f"cells={cells!r}")
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or \
                    getattr(cell, "state_size", None) is None:
                raise ValueError(f"Every cell of StackedRNNCells needs a `call` method and a "
                                 f"`state_size` attribute. Received: {cell!r}")
        super().__init__(**kwargs)
        self.cells = list(cells)
        self._sequence_masks = None

    @property
    def state_size(self):
        return [s for cell in self.cells[::-1] for s in _sizes(cell)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return int(getattr(last, "output_size", None) or _sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(shape)
            size = getattr(cell, "output_size", None) or _sizes(cell)[0]
            shape = shape[:-1] + (int(size),)
        self.built = True

    # ---- dropout masks: drawn once per sequence, outside the time loop ---------------------
    def dropout_masks(self, inputs, state, training):
        """One (input, recurrent) mask pair per ``_Cell`` of the stack, for ``RNN``."""
        from keras_bridge import ops
        masks, x = [], inputs
        for cell in self.cells:
            size = int(getattr(cell, "output_size", None) or _sizes(cell)[0])
            if isinstance(cell, _Cell):
                h = ops.zeros((int(inputs.shape[0]), _sizes(cell)[0]), dtype=self.compute_dtype)
                masks.append(cell.dropout_masks(x, h, training))
            else:
                masks.append(None)
            x = ops.zeros((int(inputs.shape[0]), size), dtype=self.compute_dtype)
        return masks

    @property
    def sequence_masks(self):
        return self._sequence_masks

    @sequence_masks.setter
    def sequence_masks(self, masks):
        self._sequence_masks = masks
        for cell, m in zip(self.cells, masks or [None] * len(self.cells)):
            if isinstance(cell, _Cell):
                cell.sequence_masks = m

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        per_cell, at = [], len(states)  # states are in reverse cell order
        for cell in self.cells:
            n = len(_sizes(cell))
            per_cell.append(states[at - n:at])
            at -= n
        new_states = []
        for cell, cell_states in zip(self.cells, per_cell):
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) \
                else {}
            inputs, new = cell.call(inputs, cell_states, **kwargs)
            new_states.append(list(new) if isinstance(new, (list, tuple)) else [new])
        return inputs, [s for group in new_states[::-1] for s in group]

    def get_config(self):
        return {**super().get_config(),
                "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cells"] = [deserialize_keras_object(c, custom_objects)
                           for c in config["cells"]]
        return cls(**config)
