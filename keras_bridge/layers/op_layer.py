"""``OpLayer``: one ``keras_bridge.ops`` call recorded in a symbolic graph.

When an op (or a K helper written with ops, a loss function, an operator on a
``KerasTensor``) receives a symbolic tensor, nothing is computed: ``record`` makes an
``OpLayer`` that holds the op's name and its non-tensor arguments, calls it on the
symbolic arguments (recording a node, as any layer call does) and returns its symbolic
output. When the graph runs, the layer's ``call`` puts the engine tensors back in place
and calls the op, so the node runs on whichever engine the model is bound to. This is
Keras 3's functional ops / tf.keras 2's ``TFOpLambda``, with one class for every op.

``K.learning_phase()`` among the arguments is not an input: it stands for the mode the
graph runs in, filled in as a boolean scalar when the node runs.

The output's shape and dtype are found when the node is recorded, on the default engine:
by the engine's abstract evaluation where it has one (``compute_output_spec``; JAX's
``jax.eval_shape`` traces the op without compiling or running it), else, or when the op
needs values (data-dependent sizes, the random stream), by running the op on zeros of
the inputs' shapes. Unknown sizes are tried as 1 and 2; a size that follows them is
unknown.
"""

import numpy as np

from keras_bridge import context
from keras_bridge.autocast import dtype_name
from keras_bridge.backends.contract import OPS
from keras_bridge.graph import KerasTensor, Node, is_learning_phase
from keras_bridge.layers.base import Layer
from keras_bridge.serialization.core import from_json_value, to_json_value
from keras_bridge.utils import naming
from keras_bridge.variables import substitute

_INPUT = "__symbolic_input__"  # class_name of a template entry standing for an input
_PHASE = "__learning_phase__"  # ... and of one standing for the learning phase


def _getitem(x, key):
    return x[key]


def _in_train_phase(x, alt, training=None):
    return x if training else alt


def _moments_part(index):
    def part(*args, **kwargs):
        from keras_bridge import ops
        return ops.moments(*args, **kwargs)[index]
    return part


# Symbolic-only functions (not in the op table): name -> (function, takes training=).
# ``moments`` has two outputs, recorded as two nodes (``ops._symbolic``).
_EXTRA = {"getitem": (_getitem, False), "in_train_phase": (_in_train_phase, True),
          "moments_mean": (_moments_part(0), False),
          "moments_variance": (_moments_part(1), False)}


def _function(name):
    if name in _EXTRA:
        return _EXTRA[name][0]
    from keras_bridge import ops
    fn = ops
    for part in name.split("."):  # 'image.resize' is ops.image.resize
        fn = getattr(fn, part)
    return fn


class _Input:
    """Where the ``index``-th symbolic argument goes in the op's arguments."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Phase:
    """Where the learning phase goes in the op's arguments."""


def _template(value, inputs, positions):
    """``value`` with symbolic tensors replaced by ``_Input`` markers (collected into
    ``inputs``) and engine tensors by numpy constants, so either engine can run it."""
    if is_learning_phase(value):
        return _Phase()
    if isinstance(value, KerasTensor):
        if id(value) not in positions:
            positions[id(value)] = len(inputs)
            inputs.append(value)
        return _Input(positions[id(value)])
    if isinstance(value, (list, tuple)):
        return type(value)(_template(v, inputs, positions) for v in value)
    if isinstance(value, dict):
        return {k: _template(v, inputs, positions) for k, v in value.items()}
    if hasattr(value, "shape") and not isinstance(value, np.ndarray) and \
            not getattr(type(value), "_kb_is_weight", False) and \
            not isinstance(value, np.generic):
        from keras_bridge import ops
        return ops.convert_to_numpy(value)
    return value


def _fill(value, values, phase):
    if isinstance(value, _Input):
        return values[value.index]
    if isinstance(value, _Phase):
        return phase()
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(v, values, phase) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, values, phase) for k, v in value.items()}
    return value


def _walk(value, leaf):
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _walk(v, leaf)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v, leaf)]
    return [value] if leaf(value) else []


def record(name, args, kwargs):
    """The symbolic result of op ``name`` on ``args``/``kwargs`` (some symbolic)."""
    inputs, positions = [], {}
    template = (_template(list(args), inputs, positions),
                _template(dict(kwargs), inputs, positions))
    if not inputs:
        raise ValueError(f"Op {name!r} has K.learning_phase() as its only symbolic "
                         "argument; combine it with a tensor of the graph (e.g. "
                         "K.in_train_phase(x, alt)).")
    return OpLayer(name, template)(inputs)


class OpLayer(Layer):
    """A weightless layer running one op of ``keras_bridge.ops`` (or ``getitem`` /
    ``in_train_phase``) on its inputs, with the op's other arguments held as constants.

    Args:
        function: the op's name, e.g. 'square'.
        arguments: ``(args, kwargs)`` of the op, where ``_Input(i)`` stands for the
            layer's ``i``-th input.
    """

    def __init__(self, function, arguments, **kwargs):
        if function not in _EXTRA:
            from keras_bridge import ops
            if function not in OPS and function not in ops.WHOLE_NODE:
                raise ValueError(f"Expected the name of an op of keras_bridge.ops. "
                                 f"Received: function={function!r}")
        kwargs.setdefault("name", naming.uniquify(function))
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments
        self.built = True

    def call(self, inputs, training=None):
        values = inputs if isinstance(inputs, list) else [inputs]

        def phase():
            from keras_bridge import ops
            return ops.backend_for(*values).ops.convert_to_tensor(np.asarray(bool(training)))

        args, kwargs = _fill(self.arguments, values, phase)
        if self.function in _EXTRA and _EXTRA[self.function][1]:
            kwargs["training"] = training
        return _function(self.function)(*args, **kwargs)

    # ---- symbolic calls: shape and dtype from an abstract or a trial run ------------------
    def _symbolic_call(self, inputs, args, kwargs):
        inputs = inputs if isinstance(inputs, list) else [inputs]
        specs = self._infer_output(inputs)
        node = Node(self, inputs, args, kwargs)
        if isinstance(specs, tuple):
            output = KerasTensor(*specs, node, 0)
        else:  # an op with several outputs (svd, qr, fft, ...): a tuple of them
            output = tuple(KerasTensor(*spec, node, i) for i, spec in enumerate(specs))
        node.set_outputs(output)
        self._inbound_nodes.append(node)
        return output

    def _trial_backend(self):
        from keras_bridge import backends
        weights = _walk(self.arguments, lambda v: getattr(type(v), "_kb_is_weight", False))
        bound = [w.backend_name for w in weights if w.backend_name is not None]
        return (backends.get(bound[0]) if bound else context.active_backend()), weights

    @staticmethod
    def _outputs(backend, out):
        """The op's result as the engine's tensor, or a tuple of them (several outputs)."""
        if isinstance(out, tuple) and out and all(backend.is_tensor(v) for v in out):
            return out
        if isinstance(out, (list, tuple)) or not backend.is_tensor(out):
            return backend.ops.convert_to_tensor(out)
        return out

    def _abstract(self, inputs, fill):
        """The specs the engine finds without running the op (``compute_output_spec``)."""
        backend, weights = self._trial_backend()
        held = [w.numpy() for w in weights]
        specs = [(tuple(fill if d is None else d for d in t.shape), t.dtype) for t in inputs]
        specs += [(tuple(v.shape), str(v.dtype)) for v in held]

        def fn(*values):
            mapping = {id(w): v for w, v in zip(weights, values[len(inputs):])}
            with context.running(backend.NAME), substitute(mapping, trial=True):
                out = self.call(list(values[:len(inputs)]), training=False)
            return self._outputs(backend, out)
        return backend.compute_output_spec(fn, specs)

    def _trial(self, inputs, fill):
        """The specs of the op's result on zeros (unknown sizes set to ``fill``)."""
        backend, weights = self._trial_backend()
        # Zeros made on the engine in the input's dtype: numpy has no bfloat16 of its own
        # (a mixed-precision graph's tensors).
        values = [backend.ops.zeros(tuple(fill if d is None else d for d in t.shape),
                                    dtype=t.dtype) for t in inputs]
        mapping = {id(w): backend.ops.convert_to_tensor(w.numpy()) for w in weights}
        with context.running(backend.NAME), substitute(mapping, trial=True):
            out = self._outputs(backend, self.call(values, training=False))

        def spec(v):
            return tuple(int(d) for d in backend.ops.shape(v)), dtype_name(v)
        return [spec(v) for v in out] if isinstance(out, tuple) else spec(out)

    def _infer_output(self, inputs):
        try:  # the engine's abstract evaluation; sizes set to 1 and 2 only where unknown
            small = self._abstract(inputs, 1)
            unknown = any(d is None for t in inputs for d in t.shape)
            large = self._abstract(inputs, 2) if unknown else small
        except Exception:  # noqa: BLE001 (an engine without it, or an op needing values:
            small = None   # data-dependent sizes, a host copy, the random stream)
        if small is None:
            try:
                small = self._trial(inputs, 1)
                large = self._trial(inputs, 2)
            except Exception as e:
                raise ValueError(
                    f"Could not apply op {self.function!r} to symbolic inputs of shapes "
                    f"{[t.shape for t in inputs]} ({type(e).__name__}: {e}).") from e
        if isinstance(small, tuple):
            return self._merge(small, large)
        return [self._merge(a, b) for a, b in zip(small, large)]

    def _merge(self, small, large):
        """One output's spec from the trials at sizes 1 and 2: a size that differs is unknown."""
        (small, dtype), (large, _) = small, large
        if len(small) != len(large):
            raise ValueError(f"Op {self.function!r} gives outputs of different ranks for "
                             f"different batch sizes, which a symbolic tensor cannot hold.")
        return tuple(a if a == b else None for a, b in zip(small, large)), dtype

    def compute_output_shape(self, input_shape):
        raise NotImplementedError("An OpLayer's output shape depends on its inputs' dtypes "
                                  "too; it is found when the layer is called.")

    # ---- config --------------------------------------------------------------------------
    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
               "function": self.function,
               "arguments": _encode(self.arguments, f"An argument of op {self.name!r}")}
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["arguments"] = _decode(config.get("arguments"))
        return cls(**config)


def _encode(value, where):
    """Template values in a JSON-ready form; tuples, slices and inputs as markers."""
    if isinstance(value, _Input):
        return {"class_name": _INPUT, "config": {"index": value.index}}
    if isinstance(value, _Phase):
        return {"class_name": _PHASE, "config": {}}
    if isinstance(value, tuple):
        return {"class_name": "__tuple__", "config": {"value": [_encode(v, where)
                                                                 for v in value]}}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v, where) for k, v in value.items()}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {
            "value": [_encode(v, where) for v in (value.start, value.stop, value.step)]}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if getattr(type(value), "_kb_is_weight", False):
        raise ValueError(f"{where} is the weight {value.path!r}, which a saved model "
                         "config cannot refer to. Compute with the weight inside a Layer "
                         "subclass to save the model.")
    return to_json_value(value, where)


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        marker = value.get("class_name")
        inner = value.get("config") or {}
        if marker == _INPUT:
            return _Input(int(inner["index"]))
        if marker == _PHASE:
            return _Phase()
        if marker == "__tuple__":
            return tuple(_decode(v) for v in inner.get("value", []))
        if marker == "__slice__":
            return slice(*[_decode(v) for v in inner.get("value", [])])
        if marker == "__ellipsis__":
            return Ellipsis
        if marker == "__numpy__":
            return from_json_value(value)
        return {k: _decode(v) for k, v in value.items()}
    return value
