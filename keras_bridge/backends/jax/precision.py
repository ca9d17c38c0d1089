"""64-bit floats on JAX.

JAX narrows float64 to float32 unless ``jax_enable_x64`` is on, silently (Keras 3's JAX
backend leaves the flag to the user, so ``set_floatx("float64")`` there trains in float32).
Here the flag is turned on when float64 is first needed: the backend loads with
``floatx()`` float64 (``set_floatx``, keras.json), a float64 weight is handed to JAX, or
an op asks for floatx while it is float64. The flag is process-wide (JAX has no other
switch that jitted code, device arrays and optimizer states all honour), and stays on:
with it, ints JAX makes without a dtype are int64, which the op table pins back to
Keras's int32 where it makes them.
"""

import jax

_WIDE = ("float64", "complex128")
_on = [bool(jax.config.jax_enable_x64)]


def enable_x64_for(dtype_name):
    """Turn on ``jax_enable_x64`` if ``dtype_name`` needs it and it is off."""
    if not _on[0] and str(dtype_name) in _WIDE:
        jax.config.update("jax_enable_x64", True)
        _on[0] = True


def x64_enabled():
    return _on[0]


def forget():
    """Read the flag again (after a test restored it)."""
    _on[0] = bool(jax.config.jax_enable_x64)
