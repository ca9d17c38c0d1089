"""Activation functions, with Keras 3's names and defaults.

Each is written with ``keras_bridge.ops`` only, so the same function runs on torch
tensors and JAX arrays (and on numpy input, giving the default engine's tensor).
Where Keras 2 and Keras 3 differ, Keras 3 is followed: ``hard_sigmoid`` is
``relu6(x + 3) / 6``, ``gelu`` is the exact erf form by default, ``softmax`` accepts
1-D input. Keras 2's ``alpha=`` keyword of ``relu`` is accepted with a warning.
"""

import warnings

from keras_bridge import logits, ops


def _slope(negative_slope, default, kwargs, fn_name):
    """Take Keras 2's ``alpha=`` keyword as ``negative_slope``, with a warning."""
    if "alpha" in kwargs:
        alpha = kwargs.pop("alpha")
        if negative_slope != default:
            raise TypeError(f"{fn_name}() got both negative_slope= and its old name alpha=.")
        warnings.warn(
            f"{fn_name}(alpha=...) is the Keras 2 spelling; use negative_slope=... instead.",
            DeprecationWarning,
            stacklevel=3,
        )
        negative_slope = alpha
    if kwargs:
        raise TypeError(f"{fn_name}() got unexpected keyword arguments: {sorted(kwargs)}")
    return negative_slope


def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, **kwargs):
    """Rectified linear unit, with Keras's optional slope, cap and threshold.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold (Keras 2 called it ``alpha``).
        max_value: Upper bound of the output, or None for no bound.
        threshold: Values at or below it are zeroed (before the slope applies).

    Returns:
        ``x`` where ``threshold < x``, capped at ``max_value``;
        ``negative_slope * (x - threshold)`` elsewhere.
    """
    negative_slope = _slope(negative_slope, 0.0, kwargs, "relu")
    if max_value is None and threshold == 0.0:  # the common cases, one engine op
        if negative_slope == 0.0:
            return ops.relu(x)
        return ops.leaky_relu(x, negative_slope=negative_slope)
    x = ops.convert_to_tensor(x)
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(ops.subtract(threshold, x))
    if threshold != 0.0:
        y = ops.where(ops.greater(x, threshold), x, ops.zeros_like(x))
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_part is not None:
        y = ops.subtract(y, ops.multiply(negative_slope, negative_part))
    return y


def relu6(x):
    """ReLU capped at 6."""
    return ops.clip(x, 0.0, 6.0)


def leaky_relu(x, negative_slope=0.2, **kwargs):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (``alpha=`` accepted, deprecated)."""
    negative_slope = _slope(negative_slope, 0.2, kwargs, "leaky_relu")
    return ops.leaky_relu(x, negative_slope=negative_slope)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return logits.note(ops.sigmoid(x), x, "sigmoid")


def hard_sigmoid(x):
    """Keras 3's piecewise linear sigmoid ``relu6(x + 3) / 6`` (Keras 2 used ``0.2 x + 0.5``)."""
    return ops.hard_sigmoid(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    output = ops.softmax(x, axis=axis)
    return logits.note(output, x, "softmax", axis) if isinstance(axis, int) else output


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    return ops.log_softmax(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants (pair with LecunNormal)."""
    return ops.selu(x)


def softplus(x):
    """``log(1 + exp(x))``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(x)


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit; exact (erf) by default as Keras's activation, tanh form
    when ``approximate``."""
    return ops.gelu(x, approximate=approximate)


def silu(x):
    """``x * sigmoid(x)``, also called swish."""
    return ops.silu(x)


swish = silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


_BY_NAME = {fn.__name__: fn for fn in (
    linear, relu, relu6, leaky_relu, sigmoid, hard_sigmoid, softmax, log_softmax, tanh,
    elu, selu, softplus, softsign, exponential, gelu, silu, mish)}
_BY_NAME["swish"] = silu


def _unknown(identifier):
    return ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. "
        f"Expected one of {sorted(_BY_NAME)}, None (linear), or a callable."
    )


def serialize(activation):
    """The name of an activation function, as saved in a layer config."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return fn.__name__
    name = getattr(activation, "__name__", None)
    if not callable(activation) or not name or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize activation {activation!r}: it has no name. Use a built-in "
            f"name ({sorted(_BY_NAME)}) or a function defined with `def`."
        )
    return name


def deserialize(name):
    """The activation function saved as ``name`` (or as Keras 3's dict around it)."""
    if isinstance(name, dict):
        name = name.get("config")
    if not isinstance(name, str) or name not in _BY_NAME:
        raise _unknown(name)
    return _BY_NAME[name]


def get(identifier):
    """Resolve an activation from a name, None or a callable.

    Args:
        identifier: None (linear), a name such as 'relu', a saved dict, or a callable.

    Returns:
        A callable activation.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise _unknown(identifier)


__all__ = sorted(_BY_NAME) + ["get", "serialize", "deserialize"]
