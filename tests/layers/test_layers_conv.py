"""Convolution layers (Conv1D/2D/3D, transposes, DepthwiseConv, SeparableConv) on both
engines, against numpy references written here.

The references are direct loops over output positions on numpy arrays and the layer's
``get_weights()`` (Keras layout). Keras's padding is restated here from its definition:
'same' pads ``max((ceil(n / s) - 1) * s + extent - n, 0)``, the odd one after; a
transposed convolution is the scatter of ``x[i] * kernel`` to ``i * s + j * d``, cropped
at the start by what a forward 'same' convolution of the output would pad (TF's rule).
"""

import math

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, config, initializers, regularizers, constraints
from keras_bridge import testing
from keras_bridge.layers import Flatten, Dense
from keras_bridge.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
    Convolution1D, Convolution2D, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
    SeparableConv2D)
from keras_bridge.layers.pooling import MaxPooling2D
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run, config_roundtrip as _roundtrip
from support.layer_checks import assert_close as _assert_close
from support.references import _back, _last, np_conv, np_conv_transpose, np_depthwise

RTOL, ATOL = 1e-5, 1e-5


def _close(got, want, rtol=RTOL, atol=ATOL):
    _assert_close(got, want, rtol, atol)


# ---- shapes --------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape, want", [
    (lambda: Conv1D(32, 3), (10, 128), (None, 8, 32)),
    (lambda: Conv1D(4, 5, padding="causal", dilation_rate=2), (9, 3), (None, 9, 4)),
    (lambda: Conv1D(4, 3, strides=2, padding="same"), (9, 3), (None, 5, 4)),
    (lambda: Conv2D(32, (3, 3)), (100, 100, 3), (None, 98, 98, 32)),
    (lambda: Conv2D(32, 5, padding="same", data_format="channels_first"), (1, 28, 28),
     (None, 32, 28, 28)),
    (lambda: Conv2D(8, 3, strides=2), (7, 8, 3), (None, 3, 3, 8)),
    (lambda: Conv2D(8, 3, dilation_rate=(2, 1)), (7, 7, 3), (None, 3, 5, 8)),
    (lambda: Conv2D(8, 3, padding="same"), (None, None, 3), (None, None, None, 8)),
    (lambda: Conv3D(4, (2, 3, 1), strides=(2, 1, 1), padding="same"), (5, 5, 5, 2),
     (None, 3, 5, 5, 4)),
    (lambda: Conv2DTranspose(32, 2, 2), (10, 8, 128), (None, 20, 16, 32)),
    (lambda: Conv2DTranspose(4, 3, strides=2), (5, 5, 2), (None, 11, 11, 4)),
    (lambda: Conv2DTranspose(4, 2, strides=3), (5, 5, 2), (None, 15, 15, 4)),
    (lambda: Conv2DTranspose(4, 3, strides=2, padding="same"), (5, 5, 2), (None, 10, 10, 4)),
    (lambda: Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=0), (5, 5, 2),
     (None, 9, 9, 4)),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=1), (5, 5, 2),
     (None, 12, 12, 4)),
    (lambda: Conv1DTranspose(4, 3, dilation_rate=2), (5, 2), (None, 9, 4)),
    (lambda: Conv3DTranspose(4, 2, strides=2, data_format="channels_first"), (2, 3, 3, 3),
     (None, 4, 6, 6, 6)),
    (lambda: DepthwiseConv2D(3, depth_multiplier=3), (10, 10, 12), (None, 8, 8, 36)),
    (lambda: DepthwiseConv1D(3, strides=2, padding="same"), (9, 4), (None, 5, 4)),
    (lambda: SeparableConv2D(4, 3, strides=2), (10, 10, 12), (None, 4, 4, 4)),
    (lambda: SeparableConv1D(4, 3, data_format="channels_first"), (5, 9), (None, 4, 7)),
])
def test_symbolic_output_shapes(make, shape, want):
    assert make()(Input(shape=shape)).shape == want


def test_weights_in_keras_layout(backend):
    """Kernels keep Keras's layout before and after the engine takes them."""
    cases = [(Conv2D(6, (3, 2), groups=2), (4, 5, 4), [(3, 2, 2, 6), (6,)]),
             (Conv2DTranspose(6, (3, 2)), (4, 5, 4), [(3, 2, 6, 4), (6,)]),
             (Conv1D(3, 2, use_bias=False), (5, 4), [(2, 4, 3)]),
             (DepthwiseConv2D((3, 2), depth_multiplier=2), (4, 5, 4), [(3, 2, 4, 2), (8,)]),
             (SeparableConv2D(5, 3, depth_multiplier=2), (4, 5, 4),
              [(3, 3, 4, 2), (1, 1, 8, 5), (5,)]),
             (Conv3D(2, (1, 2, 3)), (3, 3, 3, 4), [(1, 2, 3, 4, 2), (2,)])]
    for layer, shape, want in cases:
        layer(Input(shape=shape))
        before = layer.get_weights()
        assert [w.shape for w in before] == want
        layer(_rand(2, *shape))  # binds to the engine
        for got, ref in zip(layer.get_weights(), before):
            np.testing.assert_array_equal(got, ref)
        new = [_rand(*w, seed=3) for w in want]
        layer.set_weights(new)  # writes through the engine's layout
        for got, ref in zip(layer.get_weights(), new):
            np.testing.assert_array_equal(got, ref)
    assert [w.name for w in cases[3][0].weights] == ["kernel", "bias"]
    assert cases[3][0].depthwise_kernel is cases[3][0].kernel
    assert [w.name for w in cases[4][0].weights] == ["depthwise_kernel", "pointwise_kernel",
                                                     "bias"]


# ---- numerics ------------------------------------------------------------------------
CONV_CASES = [  # (rank, kwargs, input shape without batch)
    (2, dict(filters=4, kernel_size=3), (5, 6, 3)),
    (2, dict(filters=4, kernel_size=3, strides=2, padding="same"), (7, 6, 3)),
    (2, dict(filters=4, kernel_size=(2, 3), strides=2, padding="same"), (5, 5, 3)),
    (2, dict(filters=4, kernel_size=3, padding="same", dilation_rate=2), (6, 7, 3)),
    (2, dict(filters=4, kernel_size=(3, 2), strides=(2, 1)), (7, 4, 3)),
    (2, dict(filters=6, kernel_size=2, groups=3, padding="same"), (4, 5, 6)),
    (2, dict(filters=4, kernel_size=3, strides=2, padding="same",
             data_format="channels_first"), (3, 7, 5)),
    (2, dict(filters=4, kernel_size=3, groups=2, data_format="channels_first",
             dilation_rate=(1, 2)), (4, 5, 7)),
    (1, dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), (9, 2)),
    (1, dict(filters=3, kernel_size=4, strides=3, padding="same"), (10, 2)),
    (1, dict(filters=3, kernel_size=2, padding="causal", data_format="channels_first"),
     (2, 7)),
    (3, dict(filters=2, kernel_size=(2, 3, 2), strides=2, padding="same"), (3, 5, 4, 2)),
    (3, dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 3, 4, 3)),
]
_CONV_CLS = {1: Conv1D, 2: Conv2D, 3: Conv3D}


def _conv_expected(layer, x, kw):
    kernel, bias = layer.get_weights()
    rank = layer.rank
    dilation = layer.dilation_rate
    y = np_conv(x, kernel, layer.strides, layer.padding, dilation, layer.groups,
                layer.data_format)
    shape = (-1,) + (1,) * rank if layer.data_format == "channels_first" else (-1,)
    return y + bias.reshape(shape)


@pytest.mark.parametrize("rank, kw, shape", CONV_CASES)
def test_conv_forward(backend, rank, kw, shape):
    layer = _CONV_CLS[rank](bias_initializer="random_normal", **kw)
    x = _rand(2, *shape)
    got = _run(layer, x, backend)
    want = _conv_expected(layer, x, kw)
    assert got.shape == layer.compute_output_shape((2,) + shape)
    _close(got, want)


TRANSPOSE_CASES = [
    (2, dict(filters=3, kernel_size=3, strides=2), (3, 4, 2)),
    (2, dict(filters=3, kernel_size=3, strides=2, padding="same"), (3, 4, 2)),
    (2, dict(filters=3, kernel_size=4, strides=2, padding="same"), (3, 3, 2)),
    (2, dict(filters=3, kernel_size=2, strides=3), (3, 2, 2)),
    (2, dict(filters=3, kernel_size=(3, 4), strides=2, padding="same", output_padding=1),
     (3, 3, 2)),
    (2, dict(filters=3, kernel_size=3, strides=(2, 3), output_padding=(1, 2),
             data_format="channels_first"), (2, 3, 3)),
    (2, dict(filters=3, kernel_size=1, strides=2, padding="same", output_padding=1),
     (3, 3, 2)),
    (1, dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (5, 3)),
    (1, dict(filters=2, kernel_size=5, strides=3, padding="same", output_padding=2), (4, 3)),
    (3, dict(filters=2, kernel_size=2, strides=2, padding="same"), (2, 3, 2, 2)),
]
_TRANSPOSE_CLS = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}


@pytest.mark.parametrize("rank, kw, shape", TRANSPOSE_CASES)
def test_conv_transpose_forward(backend, rank, kw, shape):
    layer = _TRANSPOSE_CLS[rank](bias_initializer="random_normal", **kw)
    x = _rand(2, *shape)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    want = np_conv_transpose(x, kernel, layer.strides, layer.padding, layer.dilation_rate,
                             layer.output_padding, layer.data_format)
    want = want + bias.reshape((-1,) + (1,) * rank if layer.data_format == "channels_first"
                               else (-1,))
    assert got.shape == layer.compute_output_shape((2,) + shape)
    _close(got, want)


DEPTHWISE_CASES = [
    (2, dict(kernel_size=3, depth_multiplier=2), (5, 6, 3)),
    (2, dict(kernel_size=(2, 3), strides=2, padding="same", depth_multiplier=1), (5, 6, 3)),
    (2, dict(kernel_size=3, padding="same", dilation_rate=2, depth_multiplier=2,
             data_format="channels_first"), (3, 5, 6)),
    (1, dict(kernel_size=3, strides=2, padding="same", depth_multiplier=3), (7, 2)),
]


@pytest.mark.parametrize("rank, kw, shape", DEPTHWISE_CASES)
def test_depthwise_forward(backend, rank, kw, shape):
    layer = {1: DepthwiseConv1D, 2: DepthwiseConv2D}[rank](
        bias_initializer="random_normal", activation="tanh", **kw)
    x = _rand(2, *shape)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    want = _last(np_depthwise(x, kernel, layer.strides, layer.padding, layer.dilation_rate,
                              layer.data_format), layer.data_format) + bias
    _close(got, _back(np.tanh(want), layer.data_format))


@pytest.mark.parametrize("rank, kw, shape", DEPTHWISE_CASES)
def test_separable_forward(backend, rank, kw, shape):
    layer = {1: SeparableConv1D, 2: SeparableConv2D}[rank](
        4, bias_initializer="random_normal", **kw)
    x = _rand(2, *shape)
    got = _run(layer, x, backend)
    depthwise, pointwise, bias = layer.get_weights()
    mid = _last(np_depthwise(x, depthwise, layer.strides, layer.padding, layer.dilation_rate,
                             layer.data_format), layer.data_format)
    want = mid @ pointwise.reshape(pointwise.shape[-2:]) + bias
    _close(got, _back(want, layer.data_format))


def test_reference_call_matches_numpy(backend):
    """Subclasses have no engine rule: the ops reference call runs, on either engine
    (fewer cases on JAX, where each eager op on a new shape is compiled)."""
    cases = [(Conv2D, CONV_CASES[7]), (Conv2DTranspose, TRANSPOSE_CASES[5])]
    if backend == "torch":
        cases += [(SeparableConv1D, DEPTHWISE_CASES[3]), (Conv2D, CONV_CASES[2]),
                  (Conv1D, CONV_CASES[8]), (Conv3D, CONV_CASES[11]),
                  (Conv2DTranspose, TRANSPOSE_CASES[4]), (DepthwiseConv2D, DEPTHWISE_CASES[2])]
    for base, (rank, kw, shape) in cases:
        sub = type(f"My{base.__name__}", (base,), {})
        kw = dict(kw, filters=3) if base is SeparableConv1D else kw
        layer = sub(bias_initializer="random_normal", **kw)
        x = _rand(2, *shape)
        got = _run(layer, x, backend)
        plain = base(weights=layer.get_weights(), **kw)
        _close(got, _run(plain, x, backend))


def test_unknown_spatial_sizes(backend):
    """'same' padding with strides depends on the size: each input size gets its own."""
    inputs = Input(shape=(None, None, 2))
    layer = Conv2D(3, 3, strides=2, padding="same", bias_initializer="random_normal")
    model = Model(inputs, layer(inputs))
    kernel, bias = layer.get_weights()
    for shape in ((7, 9), (8, 8), (7, 9)):
        x = _rand(2, *shape, 2)
        _close(model.predict(x, verbose=0),
               np_conv(x, kernel, (2, 2), "same", (1, 1)) + bias)


def test_activation_and_no_bias(backend):
    layer = Conv2D(3, 2, activation="relu", use_bias=False)
    x = _rand(2, 4, 4, 2)
    got = _run(layer, x, backend)
    (kernel,) = layer.get_weights()
    _close(got, np.maximum(np_conv(x, kernel, (1, 1), "valid", (1, 1)), 0.0))
    softmax = Conv1D(3, 2, activation="softmax", data_format="channels_first")
    x = _rand(2, 2, 5)
    got = _run(softmax, x, backend)  # over the last axis (steps here), as Keras
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-5)


# ---- data format ---------------------------------------------------------------------
def test_data_format_default_from_config_and_explicit_wins():
    assert Conv2D(2, 3).data_format == "channels_last"
    config.set_image_data_format("channels_first")
    assert Conv2D(2, 3).data_format == "channels_first"
    assert Conv1D(2, 3).data_format == "channels_first"  # Keras 3: 1D too
    assert Conv2D(2, 3)(Input(shape=(3, 8, 8))).shape == (None, 2, 6, 6)
    assert Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"


# ---- errors --------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: Conv2D(0, 3), "filters"),
    (lambda: Conv2D(4), "kernel_size"),
    (lambda: Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(4, 0), "kernel_size"),
    (lambda: Conv2D(4, 3, strides=(1, 0)), "strides"),
    (lambda: Conv2D(4, 3, padding="causal"), "padding"),
    (lambda: Conv2D(4, 3, padding="full"), "padding"),
    (lambda: Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: Conv2D(5, 3, groups=2), "groups"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: Conv2D(4, 3, filters_out=2), None),
])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_wrong_rank_names_layer_and_shape(backend):
    with pytest.raises(ValueError, match=r"'conv_a'.*ndim=4.*ndim=3.*\(None, 8, 3\)"):
        Conv2D(2, 3, name="conv_a")(Input(shape=(8, 3)))
    with pytest.raises(ValueError, match=r"'conv_b'.*ndim=3.*ndim=4"):
        Conv1D(2, 3, name="conv_b")(_rand(2, 4, 4, 3))


def test_too_small_input_names_layer_and_shapes(backend):
    with pytest.raises(ValueError, match=r"\(None, 2, 5, 1\).*too small.*'conv_c'.*"
                                         r"kernel_size \(3, 3\)"):
        Conv2D(2, 3, name="conv_c")(Input(shape=(2, 5, 1)))
    with pytest.raises(ValueError, match=r"too small.*'conv_d'.*extent \(5,\)"):
        Conv1D(2, 3, dilation_rate=2, name="conv_d")(Input(shape=(4, 1)))
    layer = Conv2D(2, 3, name="conv_e")
    _run(layer, _rand(1, 4, 4, 1), backend)
    with pytest.raises(ValueError, match=r"\(1, 2, 4, 1\).*too small.*'conv_e'"):
        layer(_rand(1, 2, 4, 1))  # an eager call checks sizes too
    assert Conv2D(2, 3, padding="same")(Input(shape=(1, 1, 1))).shape == (None, 1, 1, 2)


def test_channel_errors():
    with pytest.raises(ValueError, match=r"'conv_f'.*divisible by groups=2"):
        Conv2D(4, 3, groups=2, name="conv_f")(Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match=r"channel dimension.*'conv_g'"):
        Conv2D(4, 3, name="conv_g")(Input(shape=(5, 5, None)))
    layer = Conv2D(4, 3, name="conv_h")
    layer(Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match=r"'conv_h'.*axis -1.*value 3"):
        layer(Input(shape=(5, 5, 2)))


# ---- config, initializers, legacy spellings ---------------------------------------------
def test_config_roundtrip():
    layers = [
        Conv2D(4, (3, 2), strides=2, padding="same", data_format="channels_first",
               activation="relu", groups=2, kernel_regularizer=regularizers.L2(0.1),
               kernel_constraint=constraints.MaxNorm(2.0), name="c2"),
        Conv1D(3, 5, padding="causal", dilation_rate=2, use_bias=False),
        Conv3D(2, 1),
        Conv2DTranspose(3, 3, strides=2, output_padding=1, bias_initializer="ones"),
        Conv1DTranspose(3, 3),
        DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="he_normal"),
        SeparableConv2D(4, 3, pointwise_regularizer=regularizers.L1(0.01)),
    ]
    for layer in layers:
        clone = _roundtrip(layer)
        assert clone.kernel_size == layer.kernel_size
    cfg = layers[0].get_config()
    assert cfg["kernel_size"] == (3, 2) and cfg["strides"] == (2, 2) and cfg["groups"] == 2
    assert cfg["kernel_regularizer"]["class_name"] == "L2"
    assert layers[3].get_config()["output_padding"] == (1, 1)
    assert "groups" not in layers[3].get_config()
    assert layers[5].get_config()["depthwise_initializer"]["class_name"] == "HeNormal"


def test_initializers_and_regularizers_are_used():
    layer = Conv2D(3, 2, kernel_initializer="ones", bias_initializer=initializers.Constant(2),
                   kernel_regularizer="l2", activity_regularizer="l1")
    layer(Input(shape=(4, 4, 2)))
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, 1.0)
    np.testing.assert_array_equal(bias, 2.0)
    assert layer.kernel.regularizer is not None and layer.bias.regularizer is None
    assert layer.activity_regularizer is not None
    # Glorot uniform over Keras fans: receptive field * channels.
    big = Conv2D(8, 3)
    big(Input(shape=(5, 5, 4)))
    limit = math.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8))
    assert np.abs(big.get_weights()[0]).max() <= limit


def test_aliases_and_legacy_spellings():
    assert Convolution2D is Conv2D and Convolution1D is Conv1D
    with pytest.warns(DeprecationWarning) as record:
        layer = Conv2D(4, nb_row=3, nb_col=2, border_mode="same", subsample=(2, 2),
                       dim_ordering="th")
    messages = " ".join(str(w.message) for w in record)
    for modern in ("kernel_size=(rows, cols)", "padding=", "strides=", "data_format="):
        assert modern in messages
    assert layer.kernel_size == (3, 2) and layer.padding == "same"
    assert layer.strides == (2, 2) and layer.data_format == "channels_first"
    with pytest.warns(DeprecationWarning):
        text = Convolution1D(nb_filter=8, filter_length=5, subsample_length=1, init="ones",
                             W_regularizer="l2", bias=False)
    assert (text.filters, text.kernel_size, text.use_bias) == (8, (5,), False)
    assert text.kernel_initializer.get_config() == initializers.get("ones").get_config()


# ---- cross-engine parity and training --------------------------------------------------
# Default-ish tolerances (outputs rtol 1e-5, gradients 1e-4 relative: sums over windows).
@both_backends()
def test_parity_channels_last_2d():
    set_random_seed(0)
    inputs = Input(shape=(7, 9, 3))
    x = Conv2D(6, 3, strides=2, padding="same", activation="relu",
               bias_initializer="random_normal")(inputs)
    x = DepthwiseConv2D((2, 3), depth_multiplier=2, padding="same")(x)
    x = SeparableConv2D(4, 3, padding="same", dilation_rate=2)(x)
    x = Conv2D(4, 2, groups=2)(x)
    y = Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1)(x)
    testing.assert_backends_agree(Model(inputs, y), _rand(2, 7, 9, 3), atol=1e-5,
                                  grad_rtol=1e-4, grad_atol=1e-4)


@both_backends()
def test_parity_channels_first_1d_3d():
    set_random_seed(0)
    image = Input(shape=(2, 7, 5))
    a = Conv2D(4, 3, strides=2, padding="same", data_format="channels_first")(image)
    a = Conv2DTranspose(3, 4, strides=2, padding="same", data_format="channels_first")(a)
    seq = Input(shape=(3, 9))
    b = SeparableConv1D(3, 2, strides=2, data_format="channels_first")(seq)
    vol = Input(shape=(3, 4, 5, 2))
    c = Conv3D(3, 2, strides=2, padding="same")(vol)
    c = Conv3DTranspose(2, 2, strides=2, data_format="channels_first")(c)
    model = Model([image, seq, vol], [a, b, c])
    testing.assert_backends_agree(model, [_rand(2, 2, 7, 5), _rand(2, 3, 9, seed=1),
                                          _rand(2, 3, 4, 5, 2, seed=2)],
                                  atol=1e-5, grad_rtol=1e-4, grad_atol=1e-4)


def test_small_cnn_trains(backend):
    """The tutorial shape: Conv2D -> MaxPooling2D -> Flatten -> Dense, a few SGD steps;
    weights stay in Keras layout and change."""
    set_random_seed(0)
    inputs = Input(shape=(8, 8, 1))
    conv = Conv2D(4, 3, activation="relu")
    x = MaxPooling2D((2, 2))(conv(inputs))
    model = Model(inputs, Dense(3, activation="softmax")(Flatten()(x)))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = _rand(16, 8, 8, 1)
    y = np.arange(16) % 3
    before = conv.get_weights()[0]
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    after = conv.get_weights()[0]
    assert after.shape == (3, 3, 1, 4) and not np.allclose(after, before)
    assert np.isfinite(history.history["loss"]).all()
