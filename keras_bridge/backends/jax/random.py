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
import jax.numpy as jnp
import numpy as np

_state = {"key": None}
_scope = contextvars.ContextVar("keras_bridge_jax_key_scope", default=None)
_NO_DRAWS = object()  # the scope of ``no_draws``


def seed(value):
    """Restart the module-level stream from ``value``."""
    _state["key"] = jax.random.PRNGKey(int(value))


def next_key():
    """A fresh key: from the innermost ``key_scope``, else from the seeded stream."""
    box = _scope.get()
    if box is _NO_DRAWS:
        raise RuntimeError("A random op drew from the stream inside no_draws().")
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
    """Make ``next_key()`` draw from ``key`` (which may be traced) inside this block;
    yields the one-element list holding the current key (its successor after draws)."""
    box = [key]
    token = _scope.set(box)
    try:
        yield box
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def no_draws():
    """Make ``next_key()`` raise inside this block: a trace for shapes only
    (``compute_output_spec``) leaves the stream as it was, and stores no tracer in it."""
    token = _scope.set(_NO_DRAWS)
    try:
        yield
    finally:
        _scope.reset(token)


def key_for(seed):
    """The key an op draws from: the stream's next key for None, a fixed key for an int
    (same samples every call, also under jit), and for a seed state (an int32 pair
    [seed, counter], numpy or a possibly traced array, as a ``SeedGenerator`` holds)
    the seed's key folded with the counter, so each counter value gets its own key."""
    if seed is None:
        return next_key()
    if isinstance(seed, (int, np.integer)):
        return jax.random.PRNGKey(int(seed))
    state = jnp.asarray(seed)
    if state.shape != (2,):
        raise ValueError("Expected a seed state of shape (2,) ([seed, counter]). "
                         f"Received: shape={tuple(state.shape)}")
    state = state.astype("uint32")
    return jax.random.fold_in(jax.random.PRNGKey(state[0]), state[1])
