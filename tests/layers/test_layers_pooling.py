"""Pooling layers (MaxPooling, AveragePooling, GlobalMax/AveragePooling; 1D/2D/3D) on
both engines, against numpy references written here.

The references loop over output positions and take the max or mean of the input
entries inside each window, the window starting at ``o * s - before`` with Keras's
'same' padding ``before = total // 2``, ``total = max((ceil(n / s) - 1) * s + k - n, 0)``:
padded entries never take part (Keras: -inf for max, excluded from the mean).
"""

import json

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, config, testing
from keras_bridge.layers.convolutional import Conv1D, Conv2D
from keras_bridge.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool2D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool2D, GlobalMaxPool1D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool2D, MaxPooling1D,
    MaxPooling2D, MaxPooling3D)
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run
from support.layer_checks import assert_close as _assert_close
from support.references import np_pool

RTOL, ATOL = 1e-5, 1e-6


def _close(got, want, rtol=RTOL, atol=ATOL):
    _assert_close(got, want, rtol, atol)




_CLASSES = {("max", 1): MaxPooling1D, ("max", 2): MaxPooling2D, ("max", 3): MaxPooling3D,
            ("avg", 1): AveragePooling1D, ("avg", 2): AveragePooling2D,
            ("avg", 3): AveragePooling3D}

POOL_CASES = [  # (rank, kwargs, input shape without batch)
    (2, dict(pool_size=2), (6, 7, 3)),
    (2, dict(pool_size=2, strides=2, padding="same"), (5, 7, 3)),
    (2, dict(pool_size=3, strides=2, padding="same"), (5, 6, 2)),
    (2, dict(pool_size=(3, 2), strides=1, padding="same"), (4, 5, 2)),
    (2, dict(pool_size=(2, 3), strides=(1, 2)), (4, 7, 2)),
    (2, dict(pool_size=3, strides=2, padding="same", data_format="channels_first"),
     (2, 7, 4)),
    (1, dict(pool_size=3), (10, 2)),
    (1, dict(pool_size=2, strides=1, padding="same"), (5, 2)),
    (1, dict(pool_size=4, strides=3, padding="same", data_format="channels_first"),
     (2, 10)),
    (3, dict(pool_size=2, padding="same"), (3, 4, 5, 2)),
    (3, dict(pool_size=(1, 3, 2), strides=(1, 2, 2), data_format="channels_first"),
     (2, 2, 5, 4)),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("rank, kw, shape", POOL_CASES)
def test_pool_forward(backend, mode, rank, kw, shape):
    layer = _CLASSES[(mode, rank)](**kw)
    x = _rand(2, *shape)
    got = _run(layer, x, backend)
    assert got.shape == layer.compute_output_shape((2,) + shape)
    want = np_pool(x, layer.pool_size, layer.strides, layer.padding,
                   "max" if mode == "max" else "avg", layer.data_format)
    _close(got, want)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_reference_call_matches_engine(backend, mode):
    """A subclass has no engine rule: its ops reference call runs, the same numbers
    (one case on JAX, where each eager op on a new shape is compiled)."""
    cases = (POOL_CASES[5],) if backend == "jax" else (POOL_CASES[2], POOL_CASES[5],
                                                       POOL_CASES[8])
    for rank, kw, shape in cases:
        base = _CLASSES[(mode, rank)]
        sub = type(f"My{base.__name__}", (base,), {})
        x = _rand(2, *shape)
        _close(_run(sub(**kw), x, backend), _run(base(**kw), x, backend))


def test_all_negative_inputs_never_see_padding(backend):
    """Max pooling pads with -inf and average pooling does not count the padding."""
    x = -np.abs(_rand(1, 3, 3, 1)) - 1.0
    got = _run(MaxPooling2D(2, padding="same"), x, backend)
    _close(got, np_pool(x, (2, 2), (2, 2), "same", "max"))
    assert (got < -1.0).all()
    ones = np.ones((1, 3, 3, 1), np.float32)
    _close(_run(AveragePooling2D(3, 1, "same"), ones, backend), ones)


@pytest.mark.parametrize("cls, rank", [(GlobalMaxPooling1D, 1), (GlobalMaxPooling2D, 2),
                                       (GlobalMaxPooling3D, 3), (GlobalAveragePooling1D, 1),
                                       (GlobalAveragePooling2D, 2),
                                       (GlobalAveragePooling3D, 3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_pooling(backend, cls, rank, data_format):
    shape = (2,) + (3, 4, 5)[:rank] + (3,)
    x = _rand(*shape)
    axes = tuple(range(1, rank + 1))
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
        axes = tuple(range(2, rank + 2))
    reduce = np.max if "Max" in cls.__name__ else np.mean
    _close(_run(cls(data_format=data_format), x, backend), reduce(x, axis=axes))
    kept = _run(cls(data_format=data_format, keepdims=True), x, backend)
    _close(kept, reduce(x, axis=axes, keepdims=True))
    sym = cls(data_format=data_format, keepdims=True)(Input(shape=x.shape[1:]))
    assert sym.shape == (None,) + kept.shape[1:]
    assert cls(data_format=data_format)(Input(shape=x.shape[1:])).shape == (None, 3)


# ---- shapes, arguments, errors ---------------------------------------------------------
@pytest.mark.parametrize("make, shape, want", [
    (lambda: MaxPooling2D((2, 2)), (98, 98, 32), (None, 49, 49, 32)),
    (lambda: MaxPooling2D(2, 2, "same", data_format="channels_first"), (32, 27, 27),
     (None, 32, 14, 14)),
    (lambda: MaxPooling1D(5), (96, 128), (None, 19, 128)),
    (lambda: AveragePooling1D(3, strides=2, padding="same"), (None, 4), (None, None, 4)),
    (lambda: AveragePooling3D(2), (4, 5, 6, 1), (None, 2, 2, 3, 1)),
    (lambda: MaxPooling3D((1, 2, 3), padding="same"), (4, 5, 7, 1), (None, 4, 3, 3, 1)),
])
def test_symbolic_output_shapes(make, shape, want):
    assert make()(Input(shape=shape)).shape == want


def test_defaults_and_aliases():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2)
    assert layer.padding == "valid" and layer.data_format == "channels_last"
    assert MaxPooling1D(3, strides=1).strides == (1,)
    assert AveragePooling2D(3, padding="SAME").padding == "same"
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    assert GlobalMaxPool1D is GlobalMaxPooling1D and GlobalAvgPool2D is GlobalAveragePooling2D
    config.set_image_data_format("channels_first")
    assert MaxPooling1D().data_format == "channels_first"  # Keras 3: 1D too
    assert GlobalAveragePooling2D().data_format == "channels_first"
    assert MaxPooling2D(data_format="channels_last").data_format == "channels_last"


def test_legacy_spellings():
    with pytest.warns(DeprecationWarning) as record:
        layer = MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (layer.pool_size, layer.strides, layer.padding) == ((3,), (1,), "same")
    assert "pool_size=" in " ".join(str(w.message) for w in record)
    with pytest.warns(DeprecationWarning, match="data_format"):
        assert MaxPooling2D(dim_ordering="th").data_format == "channels_first"


def test_config_roundtrip():
    for layer in (MaxPooling2D((3, 2), 1, "same", "channels_first", name="mp"),
                  AveragePooling1D(4), AveragePooling3D(2, padding="same"),
                  GlobalMaxPooling3D(keepdims=True), GlobalAveragePooling1D("channels_first")):
        cfg = layer.get_config()
        json.dumps(cfg)
        clone = type(layer).from_config(cfg)
        assert clone.get_config() == cfg
    assert MaxPooling2D((3, 2), 1).get_config()["strides"] == (1, 1)


@pytest.mark.parametrize("make, match", [
    (lambda: MaxPooling2D(0), "pool_size"),
    (lambda: MaxPooling2D((2, 2, 2)), "pool_size"),
    (lambda: MaxPooling2D(2, strides=-1), "strides"),
    (lambda: MaxPooling2D(2, padding="causal"), "padding"),
    (lambda: AveragePooling1D(data_format="NCW"), "data_format"),
    (lambda: GlobalMaxPooling2D(data_format="NHWC"), "data_format"),
    (lambda: MaxPooling2D(2, pool_mode="max"), "pool_mode"),
])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_wrong_rank_and_too_small_name_layer(backend):
    with pytest.raises(ValueError, match=r"'pool_a'.*ndim=4.*ndim=3.*\(None, 8, 3\)"):
        MaxPooling2D(name="pool_a")(Input(shape=(8, 3)))
    with pytest.raises(ValueError, match=r"'pool_b'.*ndim=3.*ndim=4"):
        GlobalMaxPooling1D(name="pool_b")(Input(shape=(4, 4, 3)))
    with pytest.raises(ValueError, match=r"\(None, 1, 5, 3\).*too small.*'pool_c'.*"
                                         r"pool_size \(2, 2\)"):
        MaxPooling2D(name="pool_c")(Input(shape=(1, 5, 3)))
    layer = AveragePooling1D(3, name="pool_d")
    _run(layer, _rand(1, 4, 2), backend)
    with pytest.raises(ValueError, match=r"\(1, 2, 2\).*too small.*'pool_d'"):
        layer(_rand(1, 2, 2))
    assert MaxPooling2D(padding="same")(Input(shape=(1, 1, 3))).shape == (None, 1, 1, 3)


# ---- cross-engine parity ---------------------------------------------------------------
@both_backends()
def test_parity_pooling_after_convolutions():
    """Gradients flow through every pooling into the convolutions' kernels."""
    set_random_seed(0)
    image = Input(shape=(7, 9, 2))
    x = Conv2D(3, 2, bias_initializer="random_normal")(image)
    a = MaxPooling2D(3, 2, "same")(x)
    b = AveragePooling2D(3, 2, "same", data_format="channels_first")(x)
    c = GlobalAveragePooling2D()(x)
    seq = Input(shape=(10, 2))
    y = Conv1D(3, 2)(seq)
    d = AveragePooling1D(4, 3, "same")(y)
    e = GlobalMaxPooling1D(keepdims=True)(MaxPooling1D(2)(y))
    model = Model([image, seq], [a, b, c, d, e])
    testing.assert_backends_agree(model, [_rand(2, 7, 9, 2), _rand(2, 10, 2, seed=1)],
                                  grad_rtol=1e-4, grad_atol=1e-5)
