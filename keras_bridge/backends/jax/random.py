"""JAX's random stream for keras_bridge: a seeded module-level key, and key scopes.

JAX has no global RNG, so eager ops (dropout, random_uniform) split a key kept here.
Inside ``jax.jit`` that key cannot be used (splitting it would store a tracer in a
global); a jitted step instead passes its key in and wraps the body in
``key_scope(key)``, so every ``next_key()`` inside splits the traced key and nothing
escapes the trace. The scope lives in a context variable holding a one-element list,
which lets the key be replaced by its successor on each draw.
"""

import contextlib
import contextvars

import jax

_state = {"key": None}
_scope = contextvars.ContextVar("keras_bridge_jax_key_scope", default=None)


def seed(value):
    """Restart the module-level stream from ``value``."""
    _state["key"] = jax.random.PRNGKey(int(value))


def next_key():
    """A fresh key: from the innermost ``key_scope``, else from the seeded stream."""
    box = _scope.get()
    if box is not None:
        box[0], sub = jax.random.split(box[0])
        return sub
    if _state["key"] is None:
        seed(0)
    new, sub = jax.random.split(_state["key"])
    if isinstance(new, jax.core.Tracer):
        raise RuntimeError(
            "A random op (dropout, random_uniform, ...) ran inside a JAX transformation "
            "without a key. Pass a PRNG key into the jitted function and run its body "
            "inside `keras_bridge.backends.jax.random.key_scope(key)`."
        )
    _state["key"] = new
    return sub


@contextlib.contextmanager
def key_scope(key):
    """Make ``next_key()`` draw from ``key`` (which may be traced) inside this block."""
    token = _scope.set([key])
    try:
        yield
    finally:
        _scope.reset(token)
