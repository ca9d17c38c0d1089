"""Normalization layers (BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization) on both engines, against numpy references written here.

The references are Keras 3's formulas (keras/src/layers/normalization/*.py): biased
variances, epsilon inside the square root, and for BatchNormalization
``moving = moving * momentum + batch_statistic * (1 - momentum)`` in training only.
Each is numpy math on the input and the layer's weights; nothing is computed by the
code under test.
"""


import numpy as np
import pytest

from keras_bridge import backends
from conftest import both_backends
from keras_bridge import Input, Model, config, ops, optimizers, regularizers, testing
from keras_bridge.layers import Dense
from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run, config_roundtrip as _roundtrip

RTOL, ATOL = 1e-5, 1e-5




# ---- helpers and numpy references ------------------------------------------------------
def _tensor(x):
    """``x`` as a tensor of the configured engine (so layers run in eager mode)."""
    return backends.get(config.backend()).ops.convert_to_tensor(x)


def _close(got, want, rtol=RTOL, atol=ATOL):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _along(v, axis, rank):
    shape = [1] * rank
    shape[axis % rank] = -1
    return np.reshape(v, shape)


def np_batch_norm(x, axis, mean, var, gamma=None, beta=None, eps=1e-3):
    rank = x.ndim
    out = (x - _along(mean, axis, rank)) / np.sqrt(_along(var, axis, rank) + eps)
    if gamma is not None:
        out = out * _along(gamma, axis, rank)
    if beta is not None:
        out = out + _along(beta, axis, rank)
    return out


def np_moments(x, axis):
    axes = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
    return x.astype(np.float64).mean(axes), x.astype(np.float64).var(axes)  # biased


def np_layer_norm(x, axes, gamma=None, beta=None, eps=1e-3):
    axes = tuple(sorted(a % x.ndim for a in axes))
    broadcast = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    if gamma is not None:
        out = out * gamma.reshape(broadcast)
    if beta is not None:
        out = out + beta.reshape(broadcast)
    return out


def np_group_norm(x, groups, axis, gamma=None, beta=None, eps=1e-3):
    """Direct loops: each sample, each group of channels, over every other axis."""
    xc = np.moveaxis(x, axis, 1)
    out = np.empty_like(xc)
    size = xc.shape[1] // groups
    for n in range(xc.shape[0]):
        for g in range(groups):
            part = xc[n, g * size:(g + 1) * size]
            out[n, g * size:(g + 1) * size] = (part - part.mean()) / np.sqrt(part.var() + eps)
    if gamma is not None:
        out = out * _along(gamma, 1, x.ndim)
    if beta is not None:
        out = out + _along(beta, 1, x.ndim)
    return np.moveaxis(out, 1, axis)


def _weights(layer):
    return {w.name: w.numpy() for w in layer.weights}


# ---- BatchNormalization: weights ------------------------------------------------------------
def test_batch_norm_weights_and_shapes():
    layer = BatchNormalization()
    assert layer(Input(shape=(4, 5, 3))).shape == (None, 4, 5, 3)
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean",
                                               "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert all(w.shape == (3,) for w in layer.weights)
    assert [w.kind for w in layer.weights] == ["param", "param", "state", "state"]
    got = _weights(layer)
    np.testing.assert_array_equal(got["gamma"], 1.0)
    np.testing.assert_array_equal(got["beta"], 0.0)
    np.testing.assert_array_equal(got["moving_mean"], 0.0)
    np.testing.assert_array_equal(got["moving_variance"], 1.0)
    assert layer.count_params() == 12
    first = BatchNormalization(axis=1)
    first(Input(shape=(3, 5, 5)))
    assert first.moving_mean.shape == (3,)
    bare = BatchNormalization(center=False, scale=False)
    bare(Input(shape=(6,)))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]
    assert bare.trainable_weights == []


# ---- BatchNormalization: outputs and moving statistics --------------------------------------
BN_CASES = [  # (input shape, axis): channels_last, channels_first, 2D, middle axis, 3D
    ((6, 4, 5, 3), -1),
    ((6, 3, 4, 5), 1),
    ((8, 5), -1),
    ((4, 3, 5, 2), 2),
    # Above the size up to which torch composes the normalization on the CPU
    # (backends/torch/small_tensors.py): its fused kernel.
    ((40, 24, 24, 3), -1),
    ((40, 1000), -1),
]


@pytest.mark.parametrize("shape,axis", BN_CASES)
def test_batch_norm_training_and_inference(backend, shape, axis):
    x = _rand(*shape, loc=1.5, scale=2.0)
    channels = shape[axis]
    layer = BatchNormalization(axis=axis, momentum=0.8, gamma_initializer="random_normal",
                               beta_initializer="random_uniform")
    layer(Input(shape=shape[1:]))
    w = _weights(layer)
    mean, var = np_moments(x, axis)

    got = _run(layer, x, backend, training=True)
    _close(got, np_batch_norm(x, axis, mean, var, w["gamma"], w["beta"]))
    moving_mean = 0.8 * w["moving_mean"] + 0.2 * mean
    moving_var = 0.8 * w["moving_variance"] + 0.2 * var  # biased variance, as Keras 3
    _close(layer.moving_mean.numpy(), moving_mean.astype("float32"))
    _close(layer.moving_variance.numpy(), moving_var.astype("float32"))
    assert layer.moving_mean.shape == (channels,)

    # Inference uses (and leaves) the moving statistics.
    for kwargs in ({}, {"training": False}):
        got = _run(layer, x, backend, **kwargs)
        _close(got, np_batch_norm(x, axis, moving_mean, moving_var, w["gamma"], w["beta"]))
        _close(layer.moving_mean.numpy(), moving_mean.astype("float32"))
        _close(layer.moving_variance.numpy(), moving_var.astype("float32"))


def test_batch_norm_several_eager_training_calls(backend):
    layer = BatchNormalization(axis=1)
    batches = [_rand(4, 3, 2, 2, seed=s, loc=s, scale=1 + s) for s in range(3)]
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for x in batches:
        got = _run(layer, x, backend, training=True)
        mean, var = np_moments(x, 1)
        _close(got, np_batch_norm(x, 1, mean, var))
        moving_mean = 0.99 * moving_mean + 0.01 * mean
        moving_var = 0.99 * moving_var + 0.01 * var
    _close(layer.moving_mean.numpy(), moving_mean.astype("float32"), atol=1e-6)
    _close(layer.moving_variance.numpy(), moving_var.astype("float32"), atol=1e-6)


def test_batch_norm_center_scale_off(backend):
    x = _rand(6, 4, loc=-1.0)
    layer = BatchNormalization(center=False, scale=False, epsilon=0.1)
    mean, var = np_moments(x, -1)
    _close(_run(layer, x, backend, training=True), np_batch_norm(x, -1, mean, var, eps=0.1))
    only_scale = BatchNormalization(center=False, gamma_initializer="random_normal")
    only_scale(Input(shape=(4,)))
    gamma = only_scale.gamma.numpy()
    _close(_run(only_scale, x, backend, training=True),
           np_batch_norm(x, -1, mean, var, gamma=gamma))
    _close(_run(only_scale, x, backend),
           np_batch_norm(x, -1, 0.01 * mean, 0.99 + 0.01 * var, gamma=gamma))


def test_batch_norm_one_value_per_channel(backend):
    """Batch of one sample on a (batch, features) input: Keras's formula gives beta and
    averages a zero variance in (torch's kernel refuses this case; the rule does not)."""
    x = _rand(1, 5, loc=3.0)
    layer = BatchNormalization(beta_initializer="random_normal", momentum=0.5)
    layer(Input(shape=(5,)))
    beta = layer.beta.numpy()
    _close(_run(layer, x, backend, training=True), beta[None, :])
    _close(layer.moving_mean.numpy(), 0.5 * x[0])
    _close(layer.moving_variance.numpy(), np.full(5, 0.5, "float32"))


def test_batch_norm_initializers_and_set_weights(backend):
    layer = BatchNormalization(moving_mean_initializer="ones",
                               moving_variance_initializer="zeros", epsilon=0.5)
    x = _rand(3, 4)
    _close(_run(layer, x, backend), np_batch_norm(x, -1, np.ones(4), np.zeros(4), eps=0.5))
    values = [np.full(4, 2.0), np.full(4, -1.0), np.arange(4.0), np.arange(1.0, 5.0)]
    layer.set_weights(values)
    for w, v in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(w, v.astype("float32"))
    _close(_run(layer, x, backend),
           np_batch_norm(x, -1, values[2], values[3], values[0], values[1], eps=0.5))


def test_batch_norm_half_input_computes_in_float32(backend):
    x = _rand(8, 3, loc=100.0, scale=30.0)
    # A float32 layer casts float16 input to float32 at its call, as Keras 3.15 does
    # (checked with the installed Keras).
    out = BatchNormalization()(ops.cast(_tensor(x), "float16"), training=True)
    assert "float32" in str(out.dtype)
    mean, var = np_moments(x.astype("float16").astype("float32"), -1)
    _close(ops.convert_to_numpy(ops.cast(out, "float32")),
           np_batch_norm(x.astype("float16").astype("float32"), -1, mean, var),
           rtol=1e-2, atol=1e-2)


# ---- BatchNormalization in fit --------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [((3, 2, 2), 1), ((2, 2, 3), -1)])
def test_batch_norm_moving_statistics_in_fit(backend, shape, axis):
    """fit (learning rate 0, no shuffle) over 10 samples in batches of 4 (4, 4, 2) for two
    epochs: the moving statistics follow Keras's formula batch by batch; evaluate and
    predict run in inference mode and change nothing."""
    x = _rand(10, *shape, loc=2.0, scale=3.0)
    inputs = Input(shape=shape)
    bn = BatchNormalization(axis=axis, momentum=0.9)
    model = Model(inputs, bn(inputs))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    model.fit(x, np.zeros_like(x), batch_size=4, epochs=2, shuffle=False, verbose=0)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(2):
        for start in (0, 4, 8):
            m, v = np_moments(x[start:start + 4], axis)
            mean, var = 0.9 * mean + 0.1 * m, 0.9 * var + 0.1 * v
    _close(bn.moving_mean.numpy(), mean.astype("float32"), atol=1e-6)
    _close(bn.moving_variance.numpy(), var.astype("float32"), atol=1e-6)
    np.testing.assert_array_equal(bn.gamma.numpy(), 1.0)  # learning rate 0
    want = np_batch_norm(x, axis, mean, var)
    _close(model.predict(x, verbose=0), want)
    loss = model.evaluate(x, np.zeros_like(x), verbose=0)
    assert loss == pytest.approx(float(np.mean(want ** 2)), rel=1e-4)
    _close(bn.moving_mean.numpy(), mean.astype("float32"), atol=1e-6)


def test_batch_norm_training_gradients_in_one_step(backend):
    """One SGD step through a training-mode BatchNormalization: gamma and beta move by
    the gradients of the batch-statistics formula (numpy, by hand)."""
    set_random_seed(3)
    x = _rand(6, 4, loc=1.0, scale=2.0)
    y = _rand(6, 4, seed=1)
    inputs = Input(shape=(4,))
    bn = BatchNormalization(gamma_initializer="random_normal", beta_initializer="random_normal")
    model = Model(inputs, bn(inputs))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="mse")
    gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
    mean, var = np_moments(x, -1)
    x_hat = (x - mean) / np.sqrt(var + 1e-3)
    out = x_hat * gamma + beta
    loss = model.train_on_batch(x, y)
    assert loss == pytest.approx(float(np.mean((out - y) ** 2)), rel=1e-5)
    d_out = 2.0 * (out - y) / out.size
    _close(bn.gamma.numpy(), (gamma - 0.5 * (d_out * x_hat).sum(0)).astype("float32"))
    _close(bn.beta.numpy(), (beta - 0.5 * d_out.sum(0)).astype("float32"))


def test_batch_norm_frozen_runs_in_inference_mode(backend):
    """trainable = False: training calls use the moving statistics and change nothing,
    as in Keras (the layer is frozen and in inference mode)."""
    x = _rand(8, 3, loc=4.0)
    inputs = Input(shape=(3,))
    bn = BatchNormalization(moving_mean_initializer="random_normal")
    model = Model(inputs, Dense(2)(bn(inputs)))
    bn.trainable = False
    before = bn.get_weights()
    assert [w.name for w in bn.trainable_weights] == []
    assert len(model.trainable_weights) == 2
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, _rand(8, 2), batch_size=4, epochs=2, verbose=0)
    for got, want in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    inference = np_batch_norm(x, -1, before[2], before[3], before[0], before[1])
    _close(_run(bn, x, backend, training=True), inference)
    bn.trainable = True
    mean, var = np_moments(x, -1)
    _close(_run(bn, x, backend, training=True), np_batch_norm(x, -1, mean, var))


def test_batch_norm_regularizer_and_constraint(backend):
    x = _rand(8, 3, loc=1.0)
    inputs = Input(shape=(3,))
    bn = BatchNormalization(gamma_regularizer=regularizers.l2(0.1), gamma_constraint="non_neg")
    model = Model(inputs, bn(inputs))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    got = model.evaluate(x, np.zeros_like(x), verbose=0)
    pred = np_batch_norm(x, -1, np.zeros(3), np.ones(3))
    assert got == pytest.approx(float(np.mean(pred ** 2)) + 0.1 * 3, rel=1e-5)  # l2 of gamma=1
    bn.set_weights([np.array([1.0, -2.0, 0.5], "float32")] + bn.get_weights()[1:])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, np.zeros_like(x))
    np.testing.assert_array_equal(bn.gamma.numpy(), [1.0, 0.0, 0.5])  # non_neg applied


# ---- BatchNormalization: torch specifics ---------------------------------------------------
def test_batch_norm_torch_uses_fused_kernel_buffers():
    torch = pytest.importorskip("torch")
    config.set_backend("torch")
    layer = BatchNormalization(axis=1)
    layer(torch.ones(2, 3, 4, 4))
    module = layer._binding
    assert dict(module.named_buffers()).keys() == {"moving_mean", "moving_variance"}
    assert dict(module.named_parameters()).keys() == {"gamma", "beta"}
    assert layer.moving_mean.slot.tensor is module.moving_mean
    assert layer.gamma.slot.tensor is module.gamma
    # Autograd still works after the moving statistics were updated in the forward pass.
    x = torch.randn(4, 3, 2, 2, requires_grad=True)
    out = layer(x, training=True)
    (out * torch.randn_like(out)).sum().backward()
    assert x.grad is not None and module.gamma.grad is not None


# ---- BatchNormalization: config and errors -------------------------------------------------
def test_batch_norm_config_roundtrip():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                               gamma_initializer="random_normal",
                               moving_variance_initializer="zeros",
                               gamma_regularizer="l2", beta_constraint="max_norm",
                               name="bn")
    clone = _roundtrip(layer)
    cfg = clone.get_config()
    assert (cfg["axis"], cfg["momentum"], cfg["epsilon"]) == (1, 0.9, 1e-5)
    assert (cfg["center"], cfg["scale"], cfg["synchronized"]) == (False, True, False)
    assert cfg["gamma_initializer"]["class_name"] == "RandomNormal"
    assert cfg["moving_variance_initializer"]["class_name"] == "Zeros"
    defaults = BatchNormalization().get_config()
    assert (defaults["axis"], defaults["momentum"], defaults["epsilon"]) == (-1, 0.99, 1e-3)
    assert defaults["beta_regularizer"] is None and defaults["gamma_constraint"] is None


@pytest.mark.parametrize("kwargs,match", [
    ({"axis": 1.5}, "axis"),
    ({"axis": [1, 2]}, "axis"),
    ({"momentum": 1.5}, "momentum"),
    ({"epsilon": -1.0}, "epsilon"),
    ({"synchronized": True}, "synchronized"),
    ({"renorm": True}, "renorm"),
    ({"mode": 2}, "mode"),
])
def test_batch_norm_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BatchNormalization(**kwargs)


def test_batch_norm_keras1_spellings_warn():
    with pytest.warns(DeprecationWarning, match="deprecated"):
        layer = BatchNormalization(gamma_init="zero", beta_init="one")
    with pytest.warns(DeprecationWarning, match="mode"):
        BatchNormalization(mode=0)
    layer(Input(shape=(2,)))
    np.testing.assert_array_equal(layer.gamma.numpy(), 0.0)
    np.testing.assert_array_equal(layer.beta.numpy(), 1.0)


def test_batch_norm_shape_errors(backend):
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds.*'bn'.*\(None, 4, 5\)"):
        BatchNormalization(axis=3, name="bn")(Input(shape=(4, 5)))
    with pytest.raises(ValueError, match="known size"):
        BatchNormalization()(Input(shape=(4, None)))
    layer = BatchNormalization(name="bn2")
    layer(Input(shape=(4, 5)))
    with pytest.raises(ValueError, match=r"'bn2'.*expected ndim=3, found ndim=2"):
        layer(_tensor(_rand(2, 5)))
    with pytest.raises(ValueError, match=r"'bn2'.*axis -1.*value 5"):
        layer(_tensor(_rand(2, 4, 6)))


# ---- LayerNormalization ---------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [
    ((3, 4, 5), -1),
    ((3, 4, 5), [1, 2]),  # trailing axes: torch's fused layer_norm
    ((2, 3, 4, 5), [1, 3]),  # not trailing
    ((2, 3, 4, 5), [-1, -2, -3]),
    ((8, 64, 32), -1),  # above torch's small-tensor size: its fused kernel
    ((4, 50, 64), [1, 2]),
])
def test_layer_norm_outputs(backend, shape, axis):
    x = _rand(*shape, loc=0.5, scale=3.0)
    layer = LayerNormalization(axis=axis, gamma_initializer="random_normal",
                               beta_initializer="random_normal")
    layer(Input(shape=shape[1:]))
    axes = axis if isinstance(axis, list) else [axis]
    assert layer.gamma.shape == tuple(shape[a] for a in axes)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    want = np_layer_norm(x, axes, gamma, beta)
    _close(_run(layer, x, backend), want)
    _close(_run(layer, x, backend, training=True), want)


def test_layer_norm_axes_in_given_order_keep_keras_weight_shape(backend):
    """axis=[2, 1]: gamma has shape (d2, d1) and is reshaped (not transposed) onto the
    input's axes, as Keras does."""
    x = _rand(2, 3, 4)
    layer = LayerNormalization(axis=[2, 1], gamma_initializer="random_normal", center=False)
    layer(Input(shape=(3, 4)))
    gamma = layer.gamma.numpy()
    assert gamma.shape == (4, 3)
    _close(_run(layer, x, backend), np_layer_norm(x, [1, 2], gamma.reshape(3, 4)))


def test_layer_norm_center_scale_off_and_epsilon(backend):
    x = _rand(3, 5, scale=0.1)
    layer = LayerNormalization(center=False, scale=False, epsilon=0.05)
    _close(_run(layer, x, backend), np_layer_norm(x, [-1], eps=0.05))
    assert layer.weights == []
    assert [w.name for w in LayerNormalization(center=False).weights] == []


def test_layer_norm_rms_scaling(backend):
    """Keras's (deprecated) rms_scaling: inputs * gamma / sqrt(var + epsilon)."""
    x = _rand(3, 6, loc=2.0)
    with pytest.warns(DeprecationWarning, match="rms_scaling"):
        layer = LayerNormalization(rms_scaling=True, gamma_initializer="random_normal")
    layer(Input(shape=(6,)))
    assert [w.name for w in layer.weights] == ["gamma"]
    gamma = layer.gamma.numpy()
    want = x * gamma / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    _close(_run(layer, x, backend), want)


def test_layer_norm_other_rank_with_negative_axis(backend):
    layer = LayerNormalization()
    layer(Input(shape=(4,)))
    x = _rand(2, 3, 4)
    _close(_run(layer, x, backend), np_layer_norm(x, [-1]))


def test_layer_norm_config_and_errors():
    layer = LayerNormalization(axis=[1, 2], epsilon=1e-5, scale=False,
                               beta_regularizer="l1", name="ln")
    cfg = _roundtrip(layer).get_config()
    assert cfg["axis"] == [1, 2] and cfg["epsilon"] == 1e-5 and cfg["rms_scaling"] is False
    assert LayerNormalization().get_config()["axis"] == -1
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="at least one axis"):
        LayerNormalization(axis=[])
    with pytest.raises(ValueError, match=r"same axis twice.*\[1, -1\]"):
        LayerNormalization(axis=[1, -1])(Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds.*'ln2'"):
        LayerNormalization(axis=3, name="ln2")(Input(shape=(4, 5)))


# ---- GroupNormalization ---------------------------------------------------------------------
@pytest.mark.parametrize("shape,groups,axis", [
    ((2, 3, 3, 6), 3, -1),  # channels_last
    ((2, 6, 3, 3), 2, 1),  # channels_first
    ((3, 8), 4, -1),
    ((2, 5, 4), -1, -1),  # one group per channel
])
def test_group_norm_outputs(backend, shape, groups, axis):
    x = _rand(*shape, loc=1.0, scale=2.0)
    layer = GroupNormalization(groups=groups, axis=axis, gamma_initializer="random_normal",
                               beta_initializer="random_normal")
    layer(Input(shape=shape[1:]))
    channels = shape[axis]
    assert layer.gamma.shape == (channels,) and layer.beta.shape == (channels,)
    want = np_group_norm(x, channels if groups == -1 else groups, axis,
                         layer.gamma.numpy(), layer.beta.numpy())
    _close(_run(layer, x, backend), want)


def test_group_norm_center_scale_off(backend):
    x = _rand(2, 4, 6)
    layer = GroupNormalization(groups=2, center=False, scale=False, epsilon=0.01)
    _close(_run(layer, x, backend), np_group_norm(x, 2, -1, eps=0.01))
    assert layer.weights == []


def test_group_norm_default_groups_is_32():
    layer = GroupNormalization()
    assert layer.groups == 32
    layer(Input(shape=(5, 64)))
    with pytest.raises(ValueError, match=r"channels \(16.*multiple of groups=32"):
        GroupNormalization()(Input(shape=(5, 16)))


@pytest.mark.parametrize("channels,groups", [(6, 4), (3, 4)])
def test_group_norm_groups_must_divide_channels(channels, groups):
    layer = GroupNormalization(groups=groups, name="gn")
    with pytest.raises(ValueError, match=rf"'gn'.*number of channels \({channels}.*"
                                         rf"multiple of groups={groups}"):
        layer(Input(shape=(5, channels)))
    assert not layer.built and layer.weights == []


def test_group_norm_config_and_errors():
    cfg = _roundtrip(GroupNormalization(groups=-1, axis=1, epsilon=1e-4,
                                        gamma_constraint="unit_norm")).get_config()
    assert (cfg["groups"], cfg["axis"], cfg["epsilon"]) == (-1, 1, 1e-4)
    for groups in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="groups"):
            GroupNormalization(groups=groups)
    with pytest.raises(TypeError, match="axis"):
        GroupNormalization(axis=[1])
    with pytest.raises(ValueError, match="batch axis"):
        GroupNormalization(groups=1, axis=0)(Input(shape=(4,)))


# ---- UnitNormalization ----------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((2, 3, 4), [1, 2])])
def test_unit_norm_outputs(backend, shape, axis):
    x = _rand(*shape)
    x[0] = 0.0  # a zero sample stays zero (the norm is floored), no NaN
    axes = tuple(axis) if isinstance(axis, list) else axis
    norm = np.sqrt(np.maximum((x.astype(np.float64) ** 2).sum(axes, keepdims=True), 1e-12))
    got = _run(UnitNormalization(axis=axis), x, backend)
    _close(got, (x / norm).astype("float32"))
    np.testing.assert_array_equal(got[0], 0.0)
    _close((got[1:].astype(np.float64) ** 2).sum(axes), np.ones_like(
        (x[1:] ** 2).sum(axes), dtype=np.float64))


def test_unit_norm_config_and_errors():
    layer = UnitNormalization(axis=[1, 2])
    assert layer(Input(shape=(None, 3))).shape == (None, None, 3)
    assert _roundtrip(layer).get_config()["axis"] == [1, 2]
    assert layer.weights == []
    with pytest.raises(TypeError, match="axis"):
        UnitNormalization(axis=None)
    with pytest.raises(ValueError, match="out of bounds"):
        UnitNormalization(axis=2)(Input(shape=(3,)))


# ---- torch and JAX agree --------------------------------------------------------------------
@both_backends()
def test_parity_inference_all_layers():
    """Outputs and gradients of every layer in inference mode, one model so JAX's
    eager gradient compiles stay few (training-mode BatchNormalization is compared in
    the next test; both data formats are checked against numpy above)."""
    set_random_seed(0)
    inputs = Input(shape=(4, 3, 6))
    x = Dense(6, bias_initializer="random_normal")(inputs)
    outs = [
        BatchNormalization(axis=1, moving_mean_initializer="random_normal",
                           gamma_initializer="random_normal")(x),
        LayerNormalization(gamma_initializer="random_normal")(x),
        LayerNormalization(axis=[1, 3], beta_initializer="random_normal")(x),
        GroupNormalization(groups=3, gamma_initializer="random_normal",
                           beta_initializer="random_normal")(x),
        UnitNormalization(axis=[2, 3])(x),
    ]
    testing.assert_backends_agree(Model(inputs, outs), _rand(5, 4, 3, 6), atol=1e-5,
                                  grad_rtol=1e-4, grad_atol=1e-5)


@both_backends()
def test_parity_batch_norm_training_step():
    """Training-mode gradients agree: one SGD step through Dense -> BatchNormalization
    (channels_last and channels_first) leaves the same weights and moving statistics."""
    x = _rand(6, 3, 4, loc=1.0, scale=2.0)
    y = _rand(6, 3, 4, seed=1)
    results = {}
    for name in backends.available():
        set_random_seed(5)
        config.set_backend(name)
        inputs = Input(shape=(3, 4))
        h = Dense(4)(inputs)
        out = BatchNormalization(axis=1, momentum=0.5)(BatchNormalization(momentum=0.7)(h))
        model = Model(inputs, out)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        model.train_on_batch(x, y)
        results[name] = [(i, w.name, w.numpy()) for i, layer in enumerate(model.layers)
                         for w in layer.weights]
    first, second = results.values()
    assert [r[:2] for r in first] == [r[:2] for r in second]
    for (_, weight, a), (_, _, b) in zip(first, second):
        if weight in ("moving_mean", "moving_variance"):  # the step did update them
            assert not np.array_equal(a, np.full_like(a, weight == "moving_variance"))
        _close(a, b, rtol=1e-4, atol=1e-5)
