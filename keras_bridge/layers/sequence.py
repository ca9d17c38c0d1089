"""Layers over the time axis of ``(batch, time, ...)`` inputs: Masking, and the wrappers
TimeDistributed and Bidirectional.

As Keras (keras/src/layers/core/masking.py, keras/src/layers/rnn/time_distributed.py,
bidirectional.py), with one difference of method: TimeDistributed folds time into the
batch axis (``(batch * time, ...)``) and calls the wrapped layer once, where Keras 3
loops over the steps. For every layer whose samples are independent of each other the
two are the same; BatchNormalization in training mode then takes its statistics over
all ``batch * time`` rows at once (as Keras 2 did for an unknown batch size).

The wrappers call their inner layers through ``Layer.__call__``, so each inner layer
runs its engine's implementation (torch's fused LSTM, a JAX rule, ...). The torch
lowering (``keras_bridge/backends/torch/seq_rules.py``) calls the inner modules directly.
"""

import inspect

from keras_bridge import ops
from keras_bridge.autocast import dtype_name
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.serialization.core import deserialize_keras_object, serialize_keras_object
from keras_bridge.utils import tree

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def call_parameters(layer):
    """Names of the parameters of ``layer.call`` (what it may be passed)."""
    return frozenset(inspect.signature(layer.call).parameters)


def _check_layer(wrapper, layer, arg="layer"):
    if not isinstance(layer, Layer):
        raise ValueError(f"Please initialize `{wrapper}` with a `keras_bridge.layers.Layer` "
                         f"instance. Received: {arg}={layer!r}")


class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``.

    For an input ``(batch, time, features)``, a step is masked (skipped by the layers
    after it that support masks, such as LSTM) when every feature equals
    ``mask_value``; the output is the input with masked steps set to 0, and the mask is
    ``any(inputs != mask_value, axis=-1)`` (True for real steps).

    Example:
        x[:, 3, :] = 0.0
        model = Sequential([Masking(mask_value=0.0, input_shape=(10, 8)), LSTM(32)])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.multiply(inputs, ops.cast(keep, dtype_name(inputs)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_dtype(self, input_dtype):
        return input_dtype

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Wrapper(Layer):
    """Base of the layers that wrap one layer (Keras's ``Wrapper``): holds ``layer``,
    builds it with the wrapper's input shape unless a subclass says otherwise, and
    saves it in its config. Subclasses write ``call``.

    Args:
        layer: the wrapped layer.
    """

    def __init__(self, layer, **kwargs):
        _check_layer(type(self).__name__, layer)
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = _deserialize_layer(config["layer"], custom_objects)
        return super().from_config(config)


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of a ``(batch, time, ...)`` input, with the
    same weights at every step: ``(batch, time, *rest)`` becomes
    ``(batch, time, *layer_output_rest)``.

    The steps are folded into the batch axis and ``layer`` is called once on
    ``(batch * time, *rest)``. A mask on the input is passed to ``layer`` (folded the
    same way) when its call takes one, and passes through to the output.

    Args:
        layer: the layer to apply (any layer, a model included).

    Example:
        x = Input(shape=(10, 128, 128, 3))
        y = TimeDistributed(Conv2D(64, (3, 3)))(x)  # (None, 10, 126, 126, 64)
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self._inner_params = call_parameters(layer)
        self.input_spec = InputSpec(min_ndim=3)

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3 or \
                not all(d is None or isinstance(d, int) for d in input_shape):
            raise ValueError(f"`TimeDistributed` layer {self.name!r} should be passed an "
                             f"input_shape with at least 3 dimensions (batch, time, ...). "
                             f"Received: input_shape={input_shape}")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        child = self._child_input_shape(input_shape)
        self.layer._check_inputs(child)
        self.layer._maybe_build(child)
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        if isinstance(child, list):
            return [(input_shape[0], input_shape[1]) + tuple(s[1:]) for s in child]
        return (input_shape[0], input_shape[1]) + tuple(child[1:])

    def compute_output_dtype(self, input_dtype):
        return self.layer.compute_output_dtype(input_dtype)

    def call(self, inputs, training=None, mask=None):
        shape = tuple(ops.shape(inputs))
        batch, steps = shape[0], shape[1]
        kwargs = {}
        if "training" in self._inner_params:
            kwargs["training"] = training
        if mask is not None and "mask" in self._inner_params:
            mask_shape = tuple(ops.shape(mask))
            if mask_shape[:2] != (batch, steps):
                raise ValueError(f"`TimeDistributed` layer {self.name!r} should be passed a "
                                 f"mask of shape ({batch}, {steps}, ...). Received: "
                                 f"mask.shape={mask_shape}")
            kwargs["mask"] = ops.reshape(mask, (batch * steps,) + mask_shape[2:])
        outputs = self.layer(ops.reshape(inputs, (batch * steps,) + shape[2:]), **kwargs)
        return tree.map_structure(
            lambda y: ops.reshape(y, (batch, steps) + tuple(ops.shape(y))[1:]), outputs)


def _deserialize_layer(config, custom_objects=None):
    if isinstance(config, Layer):
        return config
    return deserialize_keras_object(config, custom_objects=custom_objects)


def _copy_layer(layer, name, go_backwards=None):
    """A new layer from ``layer``'s config (fresh weights), renamed; with the
    direction ``go_backwards`` when given."""
    config = layer.get_config()
    config["name"] = name
    config.pop("batch_input_shape", None)
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


def _strip(prefix, name):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges the two
    outputs.

    ``layer`` is copied twice from its config (the copies have fresh weights, as in
    Keras): ``forward_layer``, and ``backward_layer`` with ``go_backwards`` flipped,
    unless ``backward_layer`` is given. With ``return_sequences`` the backward output
    is reversed in time before merging, so step ``t`` of both halves refers to input
    step ``t``. Any layer with ``go_backwards``, ``return_sequences`` and
    ``return_state`` attributes and a config works (SimpleRNN, LSTM, GRU, your own).

    Args:
        layer: the recurrent layer.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list of the
            two outputs).
        backward_layer: an explicit layer for the backward direction; it must have a
            different ``go_backwards`` and the same ``return_sequences``,
            ``return_state`` and ``stateful`` as ``layer``.
        weights: initial weights (forward layer's, then backward layer's).

    Call arguments:
        inputs, mask, training: passed to both layers (where their call takes them).
        initial_state: a list of states; the first half goes to the forward layer.

    Output: the merged output (or ``[forward, backward]`` with merge_mode None),
    followed with ``return_state`` by the forward layer's states, then the backward
    layer's.

    Example:
        model = Sequential([Input(shape=(5, 10)),
                            Bidirectional(LSTM(10, return_sequences=True)),
                            Bidirectional(LSTM(10)), Dense(5, activation="softmax")])
    """

    supports_masking = True
    _mask_source = False  # it only transforms the mask it is given

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        _check_layer("Bidirectional", layer)
        if backward_layer is not None:
            _check_layer("Bidirectional", backward_layer, "backward_layer")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: merge_mode={merge_mode!r}. "
                             f"Merge mode should be one of {MERGE_MODES}.")
        for attr in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attr):
                raise ValueError(f"Bidirectional needs a recurrent layer with a `{attr}` "
                                 f"attribute (SimpleRNN, LSTM, GRU, ...). Received: "
                                 f"layer={layer!r}")
        if weights is not None:
            kwargs["weights"] = weights
        inner_shape = layer._batch_input_shape  # Bidirectional(LSTM(..., input_shape=))
        if inner_shape is not None and not any(
                k in kwargs for k in ("input_shape", "batch_input_shape", "input_dim")):
            kwargs["input_shape"] = inner_shape[1:]
            kwargs.setdefault("batch_size", inner_shape[0])
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, "forward_" + _strip("forward_", layer.name))
        if backward_layer is None:
            backward_layer = _copy_layer(layer, "backward_" + _strip("backward_", layer.name),
                                         go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        self._verify_layers()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:  # as Keras
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)
        self.stateful = bool(getattr(layer, "stateful", False))
        self.input_spec = layer.input_spec
        self._state_count = 0
        self._forward_params = call_parameters(self.forward_layer)
        self._backward_params = call_parameters(self.backward_layer)

    def _verify_layers(self):
        forward, backward = self.forward_layer, self.backward_layer
        if bool(forward.go_backwards) == bool(backward.go_backwards):
            raise ValueError(f"Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards="
                             f"{forward.go_backwards}, backward_layer.go_backwards="
                             f"{backward.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            f, b = getattr(forward, attr, False), getattr(backward, attr, False)
            if f != b:
                raise ValueError(f"Forward layer and backward layer are expected to have "
                                 f"the same value for attribute {attr!r}, got {f!r} for the "
                                 f"forward layer and {b!r} for the backward layer.")

    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        """``initial_state`` travels as extra inputs (``[sequences, *states]``), as in
        Keras, so that a symbolic initial state is part of the graph."""
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            inputs = [inputs, *states]
        return super().__call__(inputs, *args, **kwargs)

    @staticmethod
    def _sequence_shape(input_shape):
        if isinstance(input_shape, list) and input_shape and \
                isinstance(input_shape[0], (tuple, list)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def build(self, input_shape):
        shape = self._sequence_shape(input_shape)
        for sub in (self.forward_layer, self.backward_layer):
            sub._check_inputs(shape)
            sub._maybe_build(shape)
        if self.return_state:  # how many state tensors each direction returns
            self._state_count = len(self.forward_layer.compute_output_shape(shape)) - 1
        self.built = True

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(self._sequence_shape(input_shape))
        states = []
        if self.return_state:
            shape, states = tuple(shape[0]), [tuple(s) for s in shape[1:]]
        shape = tuple(shape)
        if self.merge_mode == "concat":
            shape = shape[:-1] + (None if shape[-1] is None else 2 * shape[-1],)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else shape

    def compute_output_dtype(self, input_dtype):
        return self.forward_layer.compute_output_dtype(input_dtype)

    def split_inputs(self, inputs, mask, initial_state):
        """``(sequences, mask, forward states, backward states)`` from the call's
        arguments; states given as extra inputs or as ``initial_state`` are split in
        halves, the first for the forward layer."""
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if initial_state is None:
            return inputs, mask, None, None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        half = len(states) // 2
        return inputs, mask, states[:half], states[half:]

    def sublayer_kwargs(self, params, training, mask, state):
        """Keyword arguments for a direction's call: only those its call takes."""
        kwargs = {}
        if "training" in params:
            kwargs["training"] = training
        if mask is not None and "mask" in params:
            kwargs["mask"] = mask
        if state is not None:
            kwargs["initial_state"] = state
        return kwargs

    def merge(self, y, y_rev):
        """The outputs list from both directions' outputs (``y_rev`` in time order)."""
        if self.merge_mode == "concat":
            return [ops.concatenate([y, y_rev], axis=-1)]
        if self.merge_mode == "sum":
            return [ops.add(y, y_rev)]
        if self.merge_mode == "ave":
            return [ops.divide(ops.add(y, y_rev), 2)]
        if self.merge_mode == "mul":
            return [ops.multiply(y, y_rev)]
        return [y, y_rev]

    def call(self, inputs, mask=None, training=None, initial_state=None):
        inputs, mask, forward_state, backward_state = self.split_inputs(
            inputs, mask, initial_state)
        y = self.forward_layer(inputs, **self.sublayer_kwargs(
            self._forward_params, training, mask, forward_state))
        y_rev = self.backward_layer(inputs, **self.sublayer_kwargs(
            self._backward_params, training, mask, backward_state))
        return self.arrange(y, y_rev, self.merge)

    def arrange(self, y, y_rev, merge, flip=None):
        """Keras's output list: merged outputs, then forward and backward states."""
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = flip(y_rev) if flip is not None else ops.flip(y_rev, axis=1)
        outputs = merge(y, y_rev)
        if self.return_state or self.merge_mode is None:
            return outputs + states
        return outputs[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else [mask]
        else:
            output_mask = [None, None] if self.merge_mode is None else [None]
        if self.return_state:
            return output_mask + [None] * (2 * self._state_count)
        return output_mask if self.merge_mode is None else output_mask[0]

    def reset_states(self, states=None):
        """Reset both directions' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to reset its states.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self):
        forward = getattr(self.forward_layer, "states", None)
        backward = getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_keras_object(self.forward_layer),
                "backward_layer": serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = _deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize_layer(config["backward_layer"],
                                                          custom_objects)
        return super().from_config(config)
