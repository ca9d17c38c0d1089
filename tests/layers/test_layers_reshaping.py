"""Spatial shape layers (ZeroPadding, Cropping, UpSampling, SpatialDropout; 1D/2D/3D)
on both engines, against numpy references written here (``np.pad``, slicing,
``np.repeat``, and bilinear interpolation with half-pixel centres spelled out)."""

import json

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, config, testing
from keras_bridge.layers.convolutional import Conv2D
from keras_bridge.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
    UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run




def _exact(got, want):
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


def _spatial_axes(rank, data_format):
    first = 1 if data_format == "channels_last" else 2
    return list(range(first, first + rank))


def np_bilinear(x, sizes, axes):
    """Half-pixel centres, clamped at the edges: src = max((dst + 0.5) / s - 0.5, 0)."""
    x = x.astype(np.float64)
    for axis, s in zip(axes, sizes):
        n = x.shape[axis]
        out = []
        for dst in range(n * s):
            src = max((dst + 0.5) / s - 0.5, 0.0)
            low = int(np.floor(src))
            high = min(low + 1, n - 1)
            w = src - low
            out.append((1 - w) * np.take(x, low, axis) + w * np.take(x, high, axis))
        x = np.stack(out, axis=axis)
    return x


# ---- ZeroPadding -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, padding, pairs, data_format", [
    (ZeroPadding1D, 2, [(2, 2)], "channels_last"),
    (ZeroPadding1D, (0, 3), [(0, 3)], "channels_first"),
    (ZeroPadding2D, 1, [(1, 1), (1, 1)], "channels_last"),
    (ZeroPadding2D, (2, 0), [(2, 2), (0, 0)], "channels_last"),
    (ZeroPadding2D, ((1, 0), (2, 3)), [(1, 0), (2, 3)], "channels_first"),
    (ZeroPadding3D, ((0, 1), 2, (1, 0)), [(0, 1), (2, 2), (1, 0)], "channels_last"),
    (ZeroPadding3D, 1, [(1, 1)] * 3, "channels_first"),
])
def test_zero_padding(backend, cls, padding, pairs, data_format):
    rank = len(pairs)
    x = _rand(2, *(3, 4, 2)[:rank], 3)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = cls(padding, data_format=data_format)
    width = [(0, 0)] * x.ndim
    for axis, pair in zip(_spatial_axes(rank, data_format), pairs):
        width[axis] = pair
    want = np.pad(x, width)
    _exact(_run(layer, x, backend), want)
    assert layer(Input(shape=x.shape[1:])).shape == (None,) + want.shape[1:]


# ---- Cropping ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls, cropping, pairs, data_format", [
    (Cropping1D, 1, [(1, 1)], "channels_last"),
    (Cropping1D, (0, 2), [(0, 2)], "channels_last"),
    (Cropping2D, ((1, 0), (2, 1)), [(1, 0), (2, 1)], "channels_last"),
    (Cropping2D, (1, 0), [(1, 1), (0, 0)], "channels_first"),
    (Cropping3D, ((0, 1), 1, (2, 0)), [(0, 1), (1, 1), (2, 0)], "channels_last"),
    (Cropping3D, 1, [(1, 1)] * 3, "channels_first"),
])
def test_cropping(backend, cls, cropping, pairs, data_format):
    rank = len(pairs)
    x = _rand(2, *(5, 6, 4)[:rank], 3)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    kwargs = {} if cls is Cropping1D else {"data_format": data_format}
    layer = cls(cropping, **kwargs)
    index = [slice(None)] * x.ndim
    for axis, (start, end) in zip(_spatial_axes(rank, data_format), pairs):
        index[axis] = slice(start, x.shape[axis] - end)
    want = x[tuple(index)]
    _exact(_run(layer, x, backend), want)
    assert layer(Input(shape=x.shape[1:])).shape == (None,) + want.shape[1:]


def test_cropping_too_much_names_layer(backend):
    with pytest.raises(ValueError, match=r"'crop_a'.*\(None, 4, 5, 3\).*smaller"):
        Cropping2D(((2, 2), (0, 0)), name="crop_a")(Input(shape=(4, 5, 3)))
    layer = Cropping1D((1, 1), name="crop_b")
    _run(layer, _rand(1, 5, 2), backend)
    with pytest.raises(ValueError, match=r"'crop_b'.*\(1, 2, 2\)"):
        layer(_rand(1, 2, 2))


# ---- UpSampling --------------------------------------------------------------------------
@pytest.mark.parametrize("cls, size, sizes, data_format", [
    (UpSampling1D, 3, (3,), "channels_last"),
    (UpSampling2D, 2, (2, 2), "channels_last"),
    (UpSampling2D, (1, 3), (1, 3), "channels_first"),
    (UpSampling3D, (2, 1, 3), (2, 1, 3), "channels_last"),
    (UpSampling3D, 2, (2, 2, 2), "channels_first"),
])
def test_upsampling_nearest(backend, cls, size, sizes, data_format):
    rank = len(sizes)
    x = _rand(2, *(3, 4, 2)[:rank], 3)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    kwargs = {} if cls is UpSampling1D else {"data_format": data_format}
    layer = cls(size, **kwargs)
    want = x
    for axis, s in zip(_spatial_axes(rank, data_format), sizes):
        want = np.repeat(want, s, axis=axis)
    _exact(_run(layer, x, backend), want)
    assert layer(Input(shape=x.shape[1:])).shape == (None,) + want.shape[1:]


@pytest.mark.parametrize("size, data_format", [(2, "channels_last"), ((3, 2), "channels_first"),
                                               ((1, 4), "channels_last")])
def test_upsampling_bilinear(backend, size, data_format):
    x = _rand(2, 3, 4, 2) if data_format == "channels_last" else _rand(2, 2, 3, 4)
    layer = UpSampling2D(size, data_format=data_format, interpolation="bilinear")
    sizes = (size, size) if isinstance(size, int) else size
    want = np_bilinear(x, sizes, _spatial_axes(2, data_format))
    got = _run(layer, x, backend)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)
    sub = type("MyUpSampling2D", (UpSampling2D,), {})  # the ops reference call
    np.testing.assert_allclose(
        _run(sub(size, data_format=data_format, interpolation="bilinear"), x, backend), want,
        rtol=1e-5, atol=2e-6)


# ---- SpatialDropout ----------------------------------------------------------------------
@pytest.mark.parametrize("cls, rank, data_format", [
    (SpatialDropout1D, 1, "channels_last"), (SpatialDropout2D, 2, "channels_last"),
    (SpatialDropout2D, 2, "channels_first"), (SpatialDropout3D, 3, "channels_last")])
def test_spatial_dropout_drops_whole_channels(backend, cls, rank, data_format):
    x = np.abs(_rand(8, *(4, 3, 2)[:rank], 16)) + 0.5
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    kwargs = {} if cls is SpatialDropout1D else {"data_format": data_format}
    layer = cls(0.5, **kwargs)
    _exact(_run(layer, x, backend), x)  # inference: identity
    _exact(_run(layer, x, backend, training=False), x)
    got = _run(layer, x, backend, training=True)
    channel_axis = -1 if data_format == "channels_last" else 1
    per_channel = np.moveaxis(got, channel_axis, 1).reshape(8, 16, -1)
    ref = np.moveaxis(x, channel_axis, 1).reshape(8, 16, -1)
    dropped = (per_channel == 0).all(axis=-1)
    kept = np.isclose(per_channel, 2.0 * ref).all(axis=-1)
    assert (dropped | kept).all()  # each channel is all dropped or all scaled
    assert 0 < dropped.sum() < dropped.size
    _exact(_run(cls(1.0, **kwargs), x, backend, training=True), np.zeros_like(x))


# ---- arguments, config, errors -------------------------------------------------------------
def test_defaults_and_data_format_from_config():
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert ZeroPadding3D().padding == ((1, 1),) * 3
    assert Cropping1D().cropping == ((1, 1),)
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    assert Cropping3D().cropping == ((1, 1),) * 3
    assert UpSampling1D().size == (2,) and UpSampling2D().size == (2, 2)
    assert UpSampling2D().interpolation == "nearest"
    config.set_image_data_format("channels_first")
    assert ZeroPadding2D().data_format == "channels_first"
    assert ZeroPadding1D().data_format == "channels_first"  # Keras 3.5+
    assert UpSampling2D(data_format="channels_last").data_format == "channels_last"
    assert UpSampling1D()(Input(shape=(3, 4))).shape == (None, 6, 4)  # always steps axis
    assert SpatialDropout1D(0.1)(Input(shape=(3, 4))).shape == (None, 3, 4)


@pytest.mark.parametrize("make, match", [
    (lambda: ZeroPadding2D(-1), "padding"),
    (lambda: ZeroPadding2D((1, 2, 3)), "padding"),
    (lambda: ZeroPadding1D(((1, 1),)), "padding"),
    (lambda: Cropping2D(((1, 2, 3), (0, 0))), "cropping"),
    (lambda: Cropping1D(1, data_format="channels_first"), "data_format"),
    (lambda: UpSampling2D(0), "size"),
    (lambda: UpSampling2D(interpolation="bicubic"), "interpolation"),
    (lambda: UpSampling3D(data_format="NDHWC"), "data_format"),
    (lambda: SpatialDropout2D(1.5), "rate"),
    (lambda: SpatialDropout1D(0.5, data_format="channels_first"), None),
])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match=r"'pad_a'.*ndim=4.*ndim=3"):
        ZeroPadding2D(name="pad_a")(Input(shape=(4, 3)))
    with pytest.raises(ValueError, match=r"'up_a'.*ndim=3.*ndim=4"):
        UpSampling1D(name="up_a")(Input(shape=(4, 4, 3)))


def test_config_roundtrip():
    layers = [ZeroPadding1D((1, 2)), ZeroPadding2D(((1, 0), (2, 3)), "channels_first"),
              ZeroPadding3D(2), Cropping1D((0, 2)), Cropping2D(1), Cropping3D(((0, 1), 1, 2)),
              UpSampling1D(3), UpSampling2D((2, 3), interpolation="bilinear"),
              UpSampling3D(2, "channels_first"), SpatialDropout1D(0.2, seed=3),
              SpatialDropout2D(0.3, "channels_first"), SpatialDropout3D(0.1)]
    for layer in layers:
        cfg = layer.get_config()
        json.dumps(cfg)
        clone = type(layer).from_config(cfg)
        assert clone.get_config() == cfg
    assert layers[0].get_config()["padding"] == (1, 2)
    assert layers[7].get_config()["interpolation"] == "bilinear"


# ---- cross-engine parity -----------------------------------------------------------------
@both_backends()
def test_parity_shape_layers_around_a_convolution():
    set_random_seed(0)
    inputs = Input(shape=(5, 6, 2))
    x = ZeroPadding2D(((1, 0), (2, 1)))(inputs)
    x = Conv2D(3, 3, bias_initializer="random_normal")(x)
    x = SpatialDropout2D(0.5)(x)  # inference: identity
    a = Cropping2D(((1, 0), (0, 2)))(UpSampling2D((2, 3), interpolation="bilinear")(x))
    b = UpSampling2D(2, data_format="channels_first")(x)
    testing.assert_backends_agree(Model(inputs, [a, b]), _rand(2, 5, 6, 2),
                                  grad_rtol=1e-4, grad_atol=1e-5)
