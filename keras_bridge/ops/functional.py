"""Keras 3's ops of Python functions: ``custom_gradient`` (each engine's own custom-vjp
mechanism, ``ops.custom_gradient_call``) and ``associative_scan`` (jax.lax's on JAX,
``contract.NATIVE``; elsewhere the same odd/even recursion written with the engine ops).
``jvp`` is an engine op (``contract.OPS``)."""

import functools

import numpy as np

from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _axis, _maker
from keras_bridge.utils import tree


def custom_gradient(f):
    """``f(*args) -> (y, grad_fn)`` as a function whose value is y and whose gradient is
    grad_fn's. grad_fn is called as Keras 3 calls it on the engine: ``grad_fn(upstream)``
    on JAX, ``grad_fn(*args, upstream=upstream)`` on torch (``def grad(*args,
    upstream=None)`` serves both). Keyword arguments are passed through, undifferentiated."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        fn = functools.partial(f, **kwargs) if kwargs else f
        return _o.custom_gradient_call(fn, tuple(args))
    return wrapper


def _take(leaves, index, axis):
    return [_o.take(v, _maker(v).convert_to_tensor(np.asarray(index, "int32")), axis=axis)
            for v in leaves]


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative ``f(a, b)`` along ``axis`` of ``elems`` (a tensor
    or a nested list / tuple / dict of tensors of one length there)."""
    leaves = tree.flatten(elems)
    if not leaves:
        raise ValueError("associative_scan needs at least one tensor in elems.")
    axis = _axis(axis, _o.ndim(leaves[0]))
    if len({_o.shape(v)[axis] for v in leaves}) != 1:
        raise ValueError(f"Expected the tensors of elems to have one length along axis "
                         f"{axis}. Received shapes {[_o.shape(v) for v in leaves]}")
    kernel = _o.native("associative_scan", *leaves)
    if kernel is not None:
        return kernel(f, elems, reverse, axis)

    def combine(a, b):
        out = tree.flatten(f(tree.pack_like(elems, a), tree.pack_like(elems, b)))
        if len(out) != len(leaves):
            raise ValueError("associative_scan's f must return the structure of elems.")
        return out

    def scan(xs):
        n = _o.shape(xs[0])[axis]
        if n < 2:
            return xs
        odd = scan(combine(_take(xs, range(0, n - 1, 2), axis), _take(xs, range(1, n, 2), axis)))
        rest = combine(_take(odd, range((n - 1) // 2), axis), _take(xs, range(2, n, 2), axis))
        even = [_o.concatenate([first, r], axis=axis)
                for first, r in zip(_take(xs, [0], axis), rest)]
        half = (n + 1) // 2  # even positions come first in the concatenation
        order = [i // 2 if i % 2 == 0 else half + i // 2 for i in range(n)]
        return _take([_o.concatenate([e, o], axis=axis) for e, o in zip(even, odd)], order, axis)

    if reverse:
        leaves = [_o.flip(v, axis=axis) for v in leaves]
    out = scan(leaves)
    if reverse:
        out = [_o.flip(v, axis=axis) for v in out]
    return tree.pack_like(elems, out)


COMPOSED = ["associative_scan", "custom_gradient"]
