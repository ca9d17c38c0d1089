"""``Sequential``: a linear stack of layers, built as a functional graph as soon as the
input shape is known (from the first layer's ``input_shape``, an ``Input``, or data)."""

import warnings

import numpy as np

from keras_bridge.layers.base import Layer
from keras_bridge.layers.core import Input, InputLayer
from keras_bridge.graph import KerasTensor
from keras_bridge.models.model import Model


class Sequential(Model):
    """A stack of layers where each layer has one input and one output.

    Example:
        model = Sequential([Dense(32, input_shape=(784,)), Activation("relu"), Dense(10)])
        model.add(Activation("softmax"))
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._input = None  # the Input tensor, once the input shape is known
        self._chain = []  # output tensor after each layer of _stack
        for layer in layers or ():
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append ``layer``; with a known input shape it is called right away, so an
        incompatible layer raises here and the model stays as it was."""
        if isinstance(layer, KerasTensor) and getattr(layer.node.layer, "_is_input_layer",
                                                      False):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. "
                            f"Received: layer={layer!r} of type {type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._stack or self._input is not None:
                raise ValueError("An InputLayer can only be added to an empty Sequential "
                                 "model.")
            self._input = layer._inbound_nodes[0].outputs
            return
        if any(l is layer for l in self._stack):
            raise ValueError(f"Layer {layer.name!r} is already in model {self.name!r}.")
        if self._input is None and not self._stack and layer._batch_input_shape is not None:
            self._input = Input(batch_shape=layer._batch_input_shape)
        if self._input is not None:
            with self._open_name_scope():  # its layers build in its scope, as Keras 3's
                out = layer(self._chain[-1] if self._chain else self._input)
            if isinstance(out, list):
                raise ValueError(f"All layers in a Sequential model should have a single "
                                 f"output tensor; layer {layer.name!r} has {len(out)}.")
            self._chain.append(out)
        self._stack.append(layer)
        self._refresh()

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        if self._chain:
            self._chain.pop()
        self._refresh()

    def _refresh(self):
        # The graph changed: the engine program is remade on next use (bound layers keep
        # their weights; new layers bind then).
        self._program = None
        self._backend_name = self._binding = None
        if self._input is not None and self._stack:
            self._init_graph(self._input, self._chain[-1])
        else:
            self._functional = False
            self.built = False

    def build(self, input_shape=None):
        """Make the graph for inputs of ``input_shape`` (batch axis included)."""
        if self._input is not None:
            return
        if input_shape is None:
            raise ValueError("Sequential.build needs input_shape when the first layer has "
                             "no input_shape.")
        self._input = Input(batch_shape=tuple(input_shape))
        with self._open_name_scope():
            for layer in self._stack:
                self._chain.append(layer(self._chain[-1] if self._chain else self._input))
        self._refresh()

    def get_build_config(self):
        """Keras 3's build config: the input shape (batch axis included) once built."""
        if self._input is None:
            return None
        return {"input_shape": list(self._input.shape)}

    def build_from_data(self, inputs):
        if len(inputs) != 1:
            raise ValueError(f"A Sequential model takes one input; received {len(inputs)}.")
        self.build((None,) + tuple(inputs[0].shape[1:]))

    def __call__(self, inputs, *args, **kwargs):
        if self._input is None and not isinstance(inputs, KerasTensor):
            self.build((None,) + tuple(np.shape(inputs))[1:])
        elif self._input is None:
            self.build(inputs.shape)
        return Layer.__call__(self, inputs, *args, **kwargs)

    # ---- Keras 2's class and probability helpers (removed in TF 2.6 / Keras 3) ---------
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Deprecated Keras 2 method: class indices for ``x``, the arg-max of
        ``predict`` for several output units, else ``(p > 0.5)`` as int32 of shape
        ``(n, 1)`` for one (sigmoid) unit."""
        warnings.warn("Sequential.predict_classes() is deprecated (removed in Keras 3). "
                      "Use np.argmax(model.predict(x), axis=-1) for several classes, or "
                      "(model.predict(x) > 0.5).astype('int32') for one sigmoid unit.",
                      DeprecationWarning, stacklevel=2)
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Deprecated Keras 2 method: ``predict``, warning when the values are not
        probabilities (outside [0, 1])."""
        warnings.warn("Sequential.predict_proba() is deprecated (removed in Keras 3). Use "
                      "model.predict(x).", DeprecationWarning, stacklevel=2)
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if np.min(preds) < 0.0 or np.max(preds) > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer "
                          "might not normalize predictions into probabilities (like softmax "
                          "or sigmoid would).", UserWarning, stacklevel=2)
        return preds
