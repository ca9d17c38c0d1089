"""Casting at the layer-call boundary: how a layer computes in its policy's compute dtype.

Keras 3 does two things when a layer is called, and so does every engine here:

- floating inputs whose dtype is not the layer's compute dtype are cast to it (integer
  and boolean inputs pass as they are); that is what lets a float64 model take float32
  data, and a ``mixed_bfloat16`` layer take a float32 layer's output;
- while a mixed layer (compute dtype != variable dtype) runs, reading one of its
  floating weights (``Weight.value``) gives it cast to the compute dtype, so the layer's
  math runs in 16 bits while the stored weights (and their gradients, which flow back
  through the cast) stay float32. A layer with ``autocast = False`` (the
  normalizations, which compute in float32 themselves) reads its weights as stored.

The scope is a ``StepScope`` (per thread); outside a mixed layer's call there is none, and a
weight read costs one lookup.
"""

import contextlib

from keras_bridge.scopes import StepScope
from keras_bridge.utils import tree

FLOATS = ("float16", "bfloat16", "float32", "float64")

_scope = StepScope("keras_bridge_autocast_scope", default=None)


def scope_dtype():
    """The compute dtype weights are read in right now, or None."""
    return _scope.get()


@contextlib.contextmanager
def _entered(dtype):
    token = _scope.set(dtype)
    try:
        yield
    finally:
        _scope.reset(token)


def _no_scope():
    return contextlib.nullcontext()


def compute_dtype(layer):
    """``layer``'s compute dtype, or None for a layer whose dtype is no numeric policy
    (a string lookup's 'string')."""
    try:
        return layer.dtype_policy.compute_dtype
    except ValueError:
        return None


def scope_for(layer):
    """The autocast scope a call of ``layer`` runs in: a mixed layer opens one in its
    compute dtype, a layer that does not autocast (or whose compute dtype is not a
    float) clears one an outer layer opened, any other keeps the current one."""
    compute, current = compute_dtype(layer), _scope.get()
    if not getattr(layer, "autocast", True) or compute not in FLOATS:
        return _entered(None) if current is not None else _no_scope()
    if layer.dtype_policy.is_mixed or (current is not None and current != compute):
        return _entered(compute)
    return _no_scope()


def dtype_name(x):
    """The dtype name of an engine tensor (torch's or JAX's) without importing either."""
    name = str(x.dtype)
    return name[6:] if name.startswith("torch.") else name


def needs_cast(dtype, compute_dtype):
    return dtype != compute_dtype and dtype in FLOATS and compute_dtype in FLOATS


def cast_inputs(layer, inputs, cast):
    """``inputs`` (any structure) with floating tensors cast to ``layer``'s compute dtype
    by ``cast(x, dtype)``; the same object when nothing needs casting."""
    if not getattr(layer, "autocast", True):
        return inputs
    compute = compute_dtype(layer)
    if compute not in FLOATS:
        return inputs
    flat = tree.flatten(inputs)
    if not any(hasattr(x, "dtype") and needs_cast(dtype_name(x), compute) for x in flat):
        return inputs
    return tree.map_structure(
        lambda x: cast(x, compute) if hasattr(x, "dtype") and
        needs_cast(dtype_name(x), compute) else x, inputs)


def read_weight(weight, value):
    """``value`` of ``weight`` as a mixed layer's call reads it (see the module doc)."""
    dtype = _scope.get()
    if dtype is None or not weight.autocast or str(weight.dtype) == dtype or \
            str(weight.dtype) not in FLOATS:
        return value
    from keras_bridge import ops
    return ops.cast(value, dtype)
