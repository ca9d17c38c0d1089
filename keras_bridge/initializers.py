"""Keras initializers, computed in numpy.

Weights are drawn here, in Keras layout, before any engine sees them: that is what
lets one seed give the same initial weights on every backend. Unseeded initializers
draw from the project's generator (``keras_bridge.seeding.generator()``, reset by
``set_seed``); an initializer given ``seed=`` makes a fresh generator from that seed
on every call, so it returns the same values each time, as a seeded Keras 2
initializer did.
"""

import math
import numbers

import numpy as np

from keras_bridge import config
from keras_bridge import seeding as kb_random
from keras_bridge.utils.naming import to_snake_case
from keras_bridge.utils.catalog import Catalog

# The standard deviation of a unit normal truncated to [-2, 2]; dividing by it makes
# the truncated draw have the requested variance (Keras's correction).
_TRUNCATED_STDDEV = 0.87962566103423978


def _numpy_dtype(dtype):
    dtype = config.floatx() if dtype is None else dtype
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes  # numpy has no bfloat16 of its own; jax and torch both bring this

        return np.dtype(ml_dtypes.bfloat16)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ValueError(f"Expected a dtype name such as 'float32'. Received: dtype={dtype!r}")


def _float_dtype(dtype, initializer):
    out = _numpy_dtype(dtype)
    if out.kind != "f" and out.name != "bfloat16":
        raise ValueError(
            f"{type(initializer).__name__} draws floating-point values; expected a float "
            f"dtype such as 'float32'. Received: dtype={out.name!r}"
        )
    return out


def _check_shape(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"Expected a shape of non-negative integers. Received: shape={shape!r}"
        ) from None
    if any(d < 0 for d in dims):
        raise ValueError(f"Expected a shape of non-negative integers. Received: shape={shape!r}")
    return dims


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Expected seed to be None or a non-negative integer. Received: seed={seed!r}")
    return int(seed)


def compute_fans(shape):
    """Keras's (fan_in, fan_out) for a weight of ``shape`` in Keras layout.

    Kernels of rank > 2 (``(kh, kw, in, out)`` ...) multiply the channel counts by
    the receptive field size, the product of all but the last two dims.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: a callable making a numpy array of a given shape and dtype.

    Subclasses implement ``__call__`` and, when they take arguments, ``get_config``.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    """An initializer drawing random numbers, from its own seed or the project's generator."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed)

    def _rng(self):
        if self.seed is None:
            return kb_random.generator()
        return np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_standard_normal(rng, shape):
    """Unit normal samples, redrawing any beyond two standard deviations."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return z


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_check_shape(shape), dtype=_numpy_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(_check_shape(shape), dtype=_numpy_dtype(dtype))


class Constant(Initializer):
    """Every entry set to ``value``.

    Args:
        value: A Python number, or an array broadcastable to the requested shape.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _check_shape(shape)
        value = np.asarray(self.value, dtype=_numpy_dtype(dtype))
        try:
            return np.array(np.broadcast_to(value, shape))
        except ValueError:
            raise ValueError(
                f"Constant value of shape {value.shape} cannot fill a weight of shape {shape}."
            ) from None

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()
        return {"value": value}


class RandomNormal(_Seeded):
    """Samples from a normal distribution.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        seed: Optional int; a seeded initializer returns the same values on every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_shape(shape), _float_dtype(dtype, self)
        values = self.mean + self.stddev * self._rng().standard_normal(shape)
        return values.astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """Samples from a uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound.
        seed: Optional int; a seeded initializer returns the same values on every call.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_shape(shape), _float_dtype(dtype, self)
        return self._rng().uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Seeded):
    """Normal samples, redrawn when more than two standard deviations from the mean.

    Args:
        mean: Mean of the distribution before truncation.
        stddev: Standard deviation of the distribution before truncation.
        seed: Optional int; a seeded initializer returns the same values on every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_shape(shape), _float_dtype(dtype, self)
        values = self.mean + self.stddev * _truncated_standard_normal(self._rng(), shape)
        return values.astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_Seeded):
    """Samples whose variance is ``scale / n``, n being the fan picked by ``mode``.

    Args:
        scale: Positive scaling factor.
        mode: 'fan_in', 'fan_out' or 'fan_avg' (see ``compute_fans``).
        distribution: 'truncated_normal' (Keras 2's 'normal' is accepted as this),
            'untruncated_normal' or 'uniform' (on ``[-sqrt(3 * scale / n), +...]``).
        seed: Optional int; a seeded initializer returns the same values on every call.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"Expected scale to be a positive number. Received: scale={scale!r}")
        if mode not in _MODES:
            raise ValueError(f"Expected mode to be one of {_MODES}. Received: mode={mode!r}")
        key = distribution.lower() if isinstance(distribution, str) else distribution
        if key == "normal":  # Keras 2 spelling, the same truncated distribution
            key = "truncated_normal"
        if key not in _DISTRIBUTIONS:
            raise ValueError(
                f"Expected distribution to be one of {_DISTRIBUTIONS}. "
                f"Received: distribution={distribution!r}"
            )
        self.scale = float(scale)
        self.mode = mode
        self.distribution = key

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_shape(shape), _float_dtype(dtype, self)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            values = stddev * _truncated_standard_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(variance) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings; its config is only the seed, as in Keras."""

    _settings = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self._settings)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Uniform with variance ``1 / fan_avg`` (Xavier uniform). Args: seed."""

    _settings = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_Preset):
    """Truncated normal with variance ``1 / fan_avg`` (Xavier normal). Args: seed."""

    _settings = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_Preset):
    """Uniform with variance ``2 / fan_in``, suited to ReLU layers. Args: seed."""

    _settings = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_Preset):
    """Truncated normal with variance ``2 / fan_in``, suited to ReLU layers. Args: seed."""

    _settings = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_Preset):
    """Uniform with variance ``1 / fan_in`` (pairs with SELU). Args: seed."""

    _settings = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_Preset):
    """Truncated normal with variance ``1 / fan_in`` (pairs with SELU). Args: seed."""

    _settings = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class Orthogonal(_Seeded):
    """An orthogonal matrix (flattened to all-but-last by last dims), times ``gain``.

    Args:
        gain: Multiplier applied to the orthogonal matrix.
        seed: Optional int; a seeded initializer returns the same values on every call.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_shape(shape), _float_dtype(dtype, self)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a weight of rank 2 or more. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR of a tall matrix gives orthonormal columns; a wide weight takes the transpose.
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # makes the result uniformly distributed (Haar)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular allowed); 2-D weights only.

    Args:
        gain: Multiplier applied to the identity matrix.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _check_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer works on 2-D weights only. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(_numpy_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}



def get_window(window, length, periodic=False):
    """``window`` (a name, or values) as a float64 array of ``length``: 'hann' and
    'hamming' here, other names through SciPy's ``get_window`` (as Keras 3 does)."""
    if not isinstance(window, (str, tuple)):
        return np.asarray(window, "float64")
    if window in ("hann", "hamming"):
        if length == 1:
            return np.ones(1)
        a = 0.5 if window == "hann" else 0.54
        period = length if periodic else length - 1
        return a - (1 - a) * np.cos(2 * np.pi * np.arange(length) / period)
    try:
        from scipy import signal
    except ImportError:
        raise ImportError(f"The window {window!r} needs SciPy ('hann' and 'hamming' do "
                          f"not): pip install 'keras-bridge[audio]'.") from None
    return signal.get_window(window, length, fftbins=periodic)


class STFT(Initializer):
    """Kernels of a convolution that computes a short-time Fourier transform
    (STFTSpectrogram's): shape ``(frame_length, 1, bins)``, entry ``[t, 0, f]`` the cos
    (``side='real'``) or sin (``'imag'``) of ``-2 pi t f / (2 (bins - 1))``, times the
    window and divided by its L2 norm (``scaling='density'``) or sum (``'spectrum'``).

    Args:
        side: 'real' or 'imag'.
        window: a window name ('hann', 'hamming', or SciPy's), its values, or None.
        scaling: 'density', 'spectrum' or None.
        periodic: a periodic window (else symmetric).
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or "
                             f"'spectrum'. Received scaling={scaling}")
        if isinstance(window, str):
            get_window(window, 1)  # an unknown name fails here, as in Keras
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, bins = _check_shape(shape)
        dtype = _numpy_dtype(dtype)
        # Keras's arithmetic, in the weight's dtype, so the kernels match it to the ulp.
        freq = np.arange(bins, dtype=dtype) / dtype.type((bins - 1) * 2)
        time = np.arange(frame_length, dtype=dtype).reshape(-1, 1, 1)
        args = (dtype.type(-2) * time) * freq.reshape(1, 1, -1) * dtype.type(np.pi)
        kernel = (np.cos(args) if self.side == "real" else np.sin(args)).astype(dtype)
        if self.window is None:
            return kernel
        win = get_window(self.window, frame_length, self.periodic).astype(dtype)
        if win.shape != (frame_length,):
            raise ValueError(f"The shape of `window` must be equal to [frame_length]."
                             f"Received: window shape={win.shape}")
        win = win.reshape(-1, 1, 1)
        scale = {"density": lambda: np.sqrt(np.sum(np.square(win))),
                 "spectrum": lambda: np.sum(np.abs(win)), None: lambda: dtype.type(1)}
        return (kernel * win / scale[self.scaling]()).astype(dtype)

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


# snake_case spellings, usable as classes (``initializers.he_normal(seed=1)``) as in Keras.
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity
stft = STFT
zero, one, uniform, normal = Zeros, Ones, RandomUniform, RandomNormal  # Keras 2

_CLASSES = (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Orthogonal, Identity, STFT)

_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({
    # Keras 2 short names and Keras 3's class names for the last two
    "zero": Zeros, "one": Ones, "uniform": RandomUniform, "normal": RandomNormal,
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
    "STFTInitializer": STFT,
})


_CATALOG = Catalog("initializer", Initializer, _BY_NAME, "(shape, dtype=None)")
_unknown = _CATALOG.unknown


def serialize(initializer):
    """``{'class_name': ..., 'config': ...}`` for an Initializer."""
    return _CATALOG.serialize(initializer)


def deserialize(config):
    """An Initializer from ``serialize``'s dict (or a Keras 3 saved dict with extra keys)."""
    return _CATALOG.deserialize(config)


def get(identifier):
    """Resolve an initializer from a name, a config dict, an instance or a callable.

    Args:
        identifier: None, a name ('glorot_uniform', 'HeNormal', 'zero', ...), a dict
            from ``serialize``, an Initializer class or instance, or a callable
            ``(shape, dtype=None)``.

    Returns:
        An initializer (or None for None).
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise _unknown(identifier)


__all__ = [cls.__name__ for cls in _CLASSES] + [
    "Initializer", "compute_fans", "get", "serialize", "deserialize",
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal", "orthogonal", "identity", "stft",
    "zero", "one", "uniform", "normal",
]
