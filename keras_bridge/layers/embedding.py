"""Embedding: integer indices to dense vectors, a row lookup in an ``(input_dim,
output_dim)`` matrix, as Keras (keras/src/layers/core/embedding.py).

Out-of-range indices. An index outside ``[0, input_dim)`` is a user error, and it is
reported as a ``ValueError`` naming the layer, the index, where it is in the input and
the valid range, wherever that costs no synchronisation with an accelerator:

- at data entry: ``check_index_inputs`` reads the numpy arrays a model is given
  (``fit``, ``evaluate``, ``predict``, ``*_on_batch``; the model calls it once its
  graph is built) that feed an Embedding directly, once per call, on the host, before
  any engine work;
- in every eager call (``layer(x)``) on host-visible values: numpy, torch CPU
  tensors, JAX arrays that are not being traced;
- in torch programs whose indices are on the CPU (a min/max, no device sync).

Where indices only exist on a device inside a compiled step (JAX under ``jax.jit``,
torch tensors on CUDA), checking would mean a host sync per step (or ``checkify``), so
instead the rows of out-of-range indices, negative ones included, are NaN on both
engines: the loss becomes NaN, visible in the progress bar and History, rather than
reading another row or crashing the device. Their gradient is zero.
"""

import warnings

import numpy as np

from keras_bridge import constraints, initializers, ops, regularizers
from keras_bridge.layers.base import Layer
from keras_bridge.layers.quantized import Quantizable
from keras_bridge.utils import tree


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


def _positive_int(arg, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Expected a positive integer for the argument `{arg}` of "
                         f"Embedding. Received: {arg}={value!r}")
    return int(value)


class Embedding(Quantizable, Layer):
    """Turns non-negative integers (indices) into dense vectors of fixed size.

    The input holds integers in ``[0, input_dim)`` (floats are truncated to integers,
    as Keras casts them); the output has one more axis, of size ``output_dim``.

    Args:
        input_dim: size of the vocabulary (largest index + 1).
        output_dim: size of each embedding vector.
        embeddings_initializer: initializer of the ``(input_dim, output_dim)`` matrix;
            Keras's default 'uniform' draws from [-0.05, 0.05].
        embeddings_regularizer, embeddings_constraint, activity_regularizer: as in Keras.
        mask_zero: whether index 0 is padding: the layer then makes the mask
            ``inputs != 0`` for the layers after it (so index 0 cannot be a word, and
            ``input_dim`` should be the vocabulary size + 1).
        weights: initial embedding matrix (one array, or a list holding it).
        input_length: Keras 2's fixed sequence length; accepted with a
            DeprecationWarning and used as the input shape ``(input_length,)`` when no
            ``input_shape`` is given, as Keras 2 did.

    An out-of-range index raises a ValueError in eager calls and at data entry; see
    the module docstring for what happens inside compiled device steps.

    ``quantize("int8")`` keeps an int8 matrix and one scale per row
    (``embeddings_scale``, Keras 3's layout; layers/quantized.py).

    Example:
        model = Sequential([Embedding(1000, 64)])
        model.predict(np.random.randint(1000, size=(32, 10))).shape  # (32, 10, 64)
    """

    _float_weight_name = "embeddings"
    _keras3_quantized_order = ("embeddings", "embeddings_scale")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 activity_regularizer=None, quantization_config=None, **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Embedding(input_length=...) is deprecated; pass "
                          "input_shape=(input_length,) or start the model with "
                          "Input(shape=(input_length,)).", DeprecationWarning, stacklevel=2)
            if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
                kwargs["input_shape"] = (int(input_length),)
        weights = kwargs.pop("weights", None)
        super().__init__(**kwargs)
        self.input_dim = _positive_int("input_dim", input_dim)
        self.output_dim = _positive_int("output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._mask_source = self.mask_zero  # only a mask_zero Embedding starts masks
        self.embeddings = None
        self._init_quantization(quantization_config)
        if weights is not None:  # the matrix does not depend on the input: build now
            if not (isinstance(weights, (list, tuple)) and len(weights) == 1):
                weights = [weights]
            self._maybe_build(None)
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self._quantization_mode is not None:
            self._build_quantized()
            self.built = True
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def call(self, inputs):
        if isinstance(inputs, (np.ndarray, list)):
            inputs = np.asarray(inputs)
            check_indices(self, inputs)
        if "int" not in str(inputs.dtype):
            inputs = ops.cast(inputs, "int32")
        if self._quantization_mode == "int8":  # int8 rows over their scales
            rows = ops.cast(ops.take(self.embeddings, inputs, axis=0), self.compute_dtype)
            scale = ops.take(self.embeddings_scale, inputs, axis=0)
            return ops.divide(rows, ops.expand_dims(scale, -1))
        return ops.take(self.embeddings, inputs, axis=0)

    def _quantized_shapes(self):
        return [("embeddings", (self.input_dim, self.output_dim), "int8"),
                ("embeddings_scale", (self.input_dim,), self.dtype)]

    def _quantized_weights(self, embeddings):
        from keras_bridge.quantizers import abs_max_quantize
        q, scale = abs_max_quantize(embeddings, axis=-1, to_numpy=True)  # per row
        return [("embeddings", q), ("embeddings_scale", scale[:, 0])]

    def get_config(self):
        return self._quantized_config({**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": _serialize(initializers,
                                                     self.embeddings_initializer),
                "embeddings_regularizer": _serialize(regularizers,
                                                     self.embeddings_regularizer),
                "activity_regularizer": _serialize(regularizers, self.activity_regularizer),
                "embeddings_constraint": _serialize(constraints, self.embeddings_constraint),
                "mask_zero": self.mask_zero})


# ---- the out-of-range check -------------------------------------------------------------
def out_of_range_error(layer, values):
    """The ValueError for ``values`` (numpy) holding an index outside the vocabulary of
    ``layer``, naming the first bad index and its position; None when all are valid."""
    values = np.asarray(values)
    if values.size == 0:
        return None
    if np.issubdtype(values.dtype, np.floating):
        bad = ~np.isfinite(values) | (values < 0) | (values >= layer.input_dim)
    elif np.issubdtype(values.dtype, np.integer) or values.dtype == np.bool_:
        lo, hi = values.min(), values.max()
        if lo >= 0 and hi < layer.input_dim:
            return None
        bad = (values < 0) | (values >= layer.input_dim)
    else:
        return TypeError(f"Embedding layer {layer.name!r} expects integer indices. "
                         f"Received an input of dtype {values.dtype}.")
    if not bad.any():
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    count = int(bad.sum())
    return ValueError(
        f"Embedding layer {layer.name!r} received index {values[where].item()!r} at position "
        f"{where} of its input ({count} of {values.size} indices are out of range). "
        f"Indices must be integers in [0, {layer.input_dim}) (input_dim="
        f"{layer.input_dim}). Raise input_dim to the vocabulary size (+1 with "
        f"mask_zero=True) or map the data into that range.")


def check_indices(layer, values):
    """Raise a ValueError if ``values`` (numpy) holds an index outside the vocabulary."""
    error = out_of_range_error(layer, values)
    if error is not None:
        raise error


def check_index_inputs(model, arrays):
    """Check the numpy ``arrays`` given to ``model`` (flat, in input order) against
    every Embedding fed directly by a model input (also inside a wrapper such as
    ``TimeDistributed``, or a nested functional model). One host pass over the data,
    no engine work, so it costs nothing per training step on any device."""
    if not getattr(model, "_functional", False):
        return
    checks = index_checks(model)
    for check, feeds in checks:
        check([arrays[i] for i in feeds])


def index_checks(model):
    """(check, input positions) pairs for ``model``'s Embeddings fed by its inputs, found
    once per graph (``predict`` runs this on every call)."""
    key = (id(model._nodes), len(model._nodes))
    cached = getattr(model, "_index_checks_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    checks = []
    position = {id(t): i for i, t in enumerate(model.inputs)}
    for node in model._nodes:
        layer = node.layer
        if node.kwargs.get("reverse"):  # ReversibleEmbedding's projection reads floats
            continue
        feeds = [position.get(id(t)) for t in tree.flatten(node.inputs)]
        if not feeds or any(i is None for i in feeds):
            continue
        if getattr(layer, "_functional", False):  # a nested functional model
            checks.append((lambda xs, inner=layer: check_index_inputs(inner, xs), feeds))
            continue
        inner = layer if isinstance(layer, Embedding) else getattr(layer, "layer", None)
        if isinstance(inner, Embedding) and len(feeds) == 1:
            checks.append((lambda xs, inner=inner: check_indices(inner, xs[0]), feeds))
    model._index_checks_cache = (key, checks)
    return checks
