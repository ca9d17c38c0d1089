"""Keras 3's convolution and pooling primitives in ``keras_bridge.ops`` (conv,
depthwise_conv, separable_conv, conv_transpose, max_pool, average_pool) on both engines,
against the numpy loop references of the layer tests (direct loops over output
positions, Keras's padding restated from its definition), torch-vs-JAX gradient parity,
and the layers' reference calls and ``K.conv2d`` agreeing with the lowering rules.
"""

import numpy as np
import pytest

from keras_bridge import backends
from conftest import both_backends
from keras_bridge import Input, Model, ops
from keras_bridge import backend as K
from keras_bridge.layers import Conv2D, MaxPooling2D, AveragePooling2D
from support.layer_checks import assert_close, rand
from support.references import np_conv, np_conv_transpose, np_depthwise
from support.references import np_pool

RTOL, ATOL = 1e-5, 1e-5


def _check(out, backend, want):
    assert backends.backend_of_type(type(out)) == backend
    assert_close(ops.convert_to_numpy(out), want, RTOL, ATOL)


def _t(a):
    return ops.convert_to_tensor(a)


def _fmt_shape(shape, data_format):
    """``shape`` (batch, *spatial, channels) in ``data_format`` order."""
    return shape if data_format == "channels_last" else (shape[0], shape[-1]) + shape[1:-1]


CONV_CASES = [  # (input shape channels-last, kernel shape, kwargs)
    ((2, 7, 3), (3, 3, 4), dict()),
    ((2, 8, 4), (3, 2, 6), dict(padding="same", strides=2)),  # groups=2
    ((2, 6, 7, 2), (3, 2, 2, 3), dict(padding="same")),
    ((2, 7, 6, 3), (3, 3, 3, 4), dict(strides=(2, 1), padding="same")),
    ((2, 8, 8, 4), (3, 3, 1, 4), dict(dilation_rate=2, padding="same")),  # depthwise groups
    ((1, 4, 5, 4, 2), (2, 3, 2, 2, 3), dict(padding="same", strides=(1, 2, 2))),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_matches_numpy(backend, case, data_format):
    shape, kshape, kw = CONV_CASES[case]
    rank = len(shape) - 2
    x, k = rand(*_fmt_shape(shape, data_format), seed=1), rand(*kshape, seed=2)
    norm = {n: (v,) * rank if isinstance(v, int) else v for n, v in kw.items()}
    want = np_conv(x, k, norm.get("strides", (1,) * rank), kw.get("padding", "valid"),
                   norm.get("dilation_rate", (1,) * rank), shape[-1] // kshape[-2], data_format)
    _check(ops.conv(_t(x), _t(k), data_format=data_format, **kw), backend, want)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape, kshape, kw", [
    ((2, 7, 3), (3, 3, 2), dict(padding="same")),
    ((2, 6, 7, 2), (3, 2, 2, 2), dict(strides=2, padding="same")),
    ((2, 7, 7, 2), (2, 2, 2, 1), dict(dilation_rate=2)),
])
def test_depthwise_and_separable_match_numpy(backend, shape, kshape, kw, data_format):
    rank = len(shape) - 2
    x, k = rand(*_fmt_shape(shape, data_format), seed=3), rand(*kshape, seed=4)
    pointwise = rand(*(1,) * rank, kshape[-2] * kshape[-1], 3, seed=5)
    norm = {n: (v,) * rank if isinstance(v, int) else v for n, v in kw.items()}
    args = (norm.get("strides", (1,) * rank), kw.get("padding", "valid"),
            norm.get("dilation_rate", (1,) * rank))
    depthwise = np_depthwise(x, k, *args, data_format)
    _check(ops.depthwise_conv(_t(x), _t(k), data_format=data_format, **kw), backend, depthwise)
    ones = (1,) * rank
    want = np_conv(depthwise, pointwise, ones, "valid", ones, 1, data_format)
    _check(ops.separable_conv(_t(x), _t(k), _t(pointwise), data_format=data_format, **kw),
           backend, want)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape, kshape, kw", [
    ((2, 5, 3), (3, 4, 3), dict(strides=2)),
    ((2, 4, 2), (2, 3, 2), dict(strides=3)),  # valid with stride > kernel
    ((2, 5, 3), (3, 4, 3), dict(output_padding=1)),  # output_padding >= stride
    ((2, 4, 5, 2), (3, 3, 3, 2), dict(strides=2, padding="same")),
    ((2, 4, 4, 2), (3, 3, 2, 2), dict(strides=2, padding="same", output_padding=1)),
    ((2, 4, 4, 2), (3, 2, 2, 2), dict(strides=(2, 1), output_padding=(1, 0))),
    ((2, 4, 3, 2), (2, 2, 3, 2), dict(dilation_rate=2, padding="same")),
    ((1, 3, 3, 2, 2), (2, 2, 2, 2, 2), dict(strides=2, padding="same")),
])
def test_conv_transpose_matches_numpy(backend, shape, kshape, kw, data_format):
    rank = len(shape) - 2
    x, k = rand(*_fmt_shape(shape, data_format), seed=6), rand(*kshape, seed=7)
    norm = {n: (v,) * rank if isinstance(v, int) else v for n, v in kw.items()}
    want = np_conv_transpose(x, k, norm.get("strides", (1,) * rank),
                             kw.get("padding", "valid"), norm.get("dilation_rate", (1,) * rank),
                             norm.get("output_padding"), data_format)
    _check(ops.conv_transpose(_t(x), _t(k), data_format=data_format, **kw), backend, want)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape, kw", [
    ((2, 7, 3), dict(pool_size=3)),
    ((2, 5, 2), dict(pool_size=2, strides=1, padding="same")),
    ((2, 5, 7, 3), dict(pool_size=2, padding="same")),  # asymmetric 'same'
    ((2, 5, 6, 2), dict(pool_size=3, strides=2, padding="same")),  # symmetric 'same'
    ((2, 6, 7, 2), dict(pool_size=(3, 2), strides=(1, 2))),
    ((1, 3, 4, 5, 2), dict(pool_size=2, padding="same")),
])
def test_pools_match_numpy(backend, shape, kw, data_format):
    rank = len(shape) - 2
    x = rand(*_fmt_shape(shape, data_format), seed=8) - 2.0  # negative: padding never wins
    pool = kw["pool_size"]
    pool = (pool,) * rank if isinstance(pool, int) else pool
    strides = kw.get("strides")
    strides = pool if strides is None else (strides,) * rank if isinstance(strides, int) \
        else strides
    padding = kw.get("padding", "valid")
    for op, mode in ((ops.max_pool, "max"), (ops.average_pool, "avg")):
        want = np_pool(x, pool, strides, padding, mode, data_format)
        _check(op(_t(x), data_format=data_format, **kw), backend, want)


def test_data_format_default_and_numpy_inputs(backend):
    from keras_bridge import config
    x, k = rand(1, 2, 5, 5, seed=9), rand(3, 3, 2, 2, seed=10)
    config.set_image_data_format("channels_first")
    want = np_conv(x, k, (1, 1), "same", (1, 1), 1, "channels_first")
    _check(ops.conv(x, k, padding="SAME"), backend, want)  # numpy in: the default engine
    _check(ops.max_pool(x, 2), backend, np_pool(x, (2, 2), (2, 2), "valid", "max",
                                                "channels_first"))


@pytest.mark.parametrize("call, match", [
    (lambda x: ops.conv(x, np.ones((3, 3, 4, 2), "float32")), "divisible by"),
    (lambda x: ops.conv(x, np.ones((3, 3, 2), "float32")), "kernel of rank 4"),
    (lambda x: ops.conv(x, np.ones((3, 3, 3, 2), "float32"), padding="causal"),
     "padding 'valid' or 'same'"),
    (lambda x: ops.depthwise_conv(x, np.ones((3, 3, 2, 1), "float32")), "equal to"),
    (lambda x: ops.conv_transpose(x, np.ones((3, 3, 2, 4), "float32")), "equal to"),
    (lambda x: ops.max_pool(x, (2, 2, 2)), "pool_size"),
    (lambda x: ops.average_pool(x, 2, data_format="nhwc"), "data_format"),
    (lambda x: ops.conv(x, np.ones((3, 3, 3, 2), "float32"), strides=0), "strides"),
])
def test_bad_arguments_name_what_was_wrong(backend, call, match):
    x = _t(rand(1, 6, 6, 3))
    with pytest.raises(ValueError, match=match):
        call(x)


# ---- gradients: torch vs JAX on identical values ------------------------------------------
def _grads_torch(op, x, k, cot, kwargs):
    import torch
    tx = torch.tensor(x, requires_grad=True)
    tk = torch.tensor(k, requires_grad=True) if k is not None else None
    args = (tx,) if tk is None else (tx, tk)
    y = op(*args, **kwargs)
    (y * torch.tensor(cot)).sum().backward()
    return [a.grad.numpy() for a in args]


def _grads_jax(op, x, k, cot, kwargs):
    import jax
    import jax.numpy as jnp
    args = (jnp.asarray(x),) if k is None else (jnp.asarray(x), jnp.asarray(k))
    grads = jax.grad(lambda *a: jnp.sum(op(*a, **kwargs) * cot),
                     argnums=tuple(range(len(args))))(*args)
    return [np.asarray(g) for g in grads]


@both_backends()
@pytest.mark.parametrize("name, kshape, kwargs", [
    ("conv", (3, 3, 2, 4), dict(strides=2, padding="same")),
    ("conv", (3, 3, 2, 4), dict(padding="same", dilation_rate=2, data_format="channels_first")),
    ("conv", (2, 3, 1, 4), dict(strides=(1, 2))),  # groups 2
    ("depthwise_conv", (3, 3, 2, 2), dict(padding="same")),
    ("conv_transpose", (3, 3, 4, 2), dict(strides=2, padding="same")),
    ("max_pool", None, dict(pool_size=3, strides=2, padding="same")),
    ("average_pool", None, dict(pool_size=2, padding="same", data_format="channels_first")),
    ("average_pool", None, dict(pool_size=(2, 3), strides=1)),
])
def test_gradient_parity_torch_jax(name, kshape, kwargs):
    x = rand(2, 2, 5, 5, seed=11) if kwargs.get("data_format") == "channels_first" \
        else rand(2, 5, 5, 2, seed=11)
    k = None if kshape is None else rand(*kshape, seed=12)
    torch_op, jax_op = (getattr(backends.get(e).ops, name) for e in ("torch", "jax"))
    y = np.asarray(jax_op(x, **kwargs) if k is None else jax_op(x, k, **kwargs))
    cot = rand(*y.shape, seed=13)
    got = _grads_torch(torch_op, x, k, cot, kwargs)
    want = _grads_jax(jax_op, x, k, cot, kwargs)
    for g, w in zip(got, want):
        assert_close(g, w, 1e-5, 1e-6)


# ---- the layers' reference calls and K use the primitives -----------------------------
def test_subclass_and_k_conv2d_match_the_rule_path(backend):
    class MyConv(Conv2D):  # no lowering rule: its reference call (ops.conv) runs
        pass

    x = rand(2, 7, 6, 3, seed=14)
    inputs = Input(shape=(7, 6, 3))
    rule = Model(inputs, Conv2D(4, 3, strides=2, padding="same",
                                bias_initializer="random_normal")(inputs))
    weights = rule.get_weights()
    inputs2 = Input(shape=(7, 6, 3))
    mine = Model(inputs2, MyConv(4, 3, strides=2, padding="same", weights=weights)(inputs2))
    want = rule.predict(x, verbose=0)
    assert_close(mine.predict(x, verbose=0), want, RTOL, ATOL)
    k_out = K.bias_add(K.conv2d(K.constant(x), K.constant(weights[0]), strides=(2, 2),
                                padding="same"), K.constant(weights[1]))
    assert_close(K.eval(k_out), want, RTOL, ATOL)


def test_pooling_subclass_matches_the_rule_path(backend):
    x = rand(2, 5, 7, 2, seed=15)
    for base in (MaxPooling2D, AveragePooling2D):
        sub = type(f"My{base.__name__}", (base,), {})
        inputs = Input(shape=(5, 7, 2))
        rule = Model(inputs, base(2, padding="same")(inputs)).predict(x, verbose=0)
        inputs2 = Input(shape=(5, 7, 2))
        mine = Model(inputs2, sub(2, padding="same")(inputs2)).predict(x, verbose=0)
        assert_close(mine, rule, RTOL, ATOL)


# ---- moments, batch_normalization, scan, take (Keras 3's keras.ops) ------------------------
@pytest.mark.parametrize("shape, axes, keepdims", [
    ((2, 3, 4), [0, 2], False), ((2, 3, 4), -1, True), ((5,), [0], False),
    ((2, 3, 4, 2), (0, 1, 2), True), ((2, 3), [], False),
])
def test_moments_match_numpy(backend, shape, axes, keepdims):
    x = rand(*shape, seed=20) * 3.0 - 1.0
    axis = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    mean, variance = ops.moments(_t(x), axes, keepdims=keepdims)
    _check(mean, backend, x.mean(axis=axis, keepdims=keepdims))
    _check(variance, backend, x.var(axis=axis, keepdims=keepdims))  # population variance


def test_moments_of_half_floats_run_in_float32(backend):
    # Keras reduces float16 in float32, then clips to float16's range and casts back.
    x = np.array([[-300.0, 300.0], [1.0, 3.0]], "float16")
    mean, variance = ops.moments(_t(x), axes=[1])
    assert ops.convert_to_numpy(mean).dtype == np.float16
    want = np.clip(x.astype("float32").var(axis=1), -65504, 65504).astype("float16")
    np.testing.assert_array_equal(ops.convert_to_numpy(variance), want)  # [65504, 1]
    np.testing.assert_array_equal(ops.convert_to_numpy(mean), np.array([0.0, 2.0], "float16"))


def _np_batch_norm(x, mean, variance, axis, offset, scale, epsilon):
    shape = [1] * x.ndim
    shape[axis] = -1
    out = (x - mean.reshape(shape)) / np.sqrt(variance.reshape(shape) + epsilon)
    if scale is not None:
        out = out * scale.reshape(shape)
    return out if offset is None else out + offset.reshape(shape)


@pytest.mark.parametrize("shape, axis, affine", [
    ((2, 3, 4, 5), -1, (True, True)), ((2, 3, 4, 5), 1, (True, True)),  # torch: F.batch_norm
    ((4, 3), 0, (False, True)), ((2, 5, 3), 1, (True, False)), ((3, 2), 1, (False, False)),
])
def test_batch_normalization_matches_numpy(backend, shape, axis, affine):
    x = rand(*shape, seed=21)
    n = shape[axis]
    mean, variance = rand(n, seed=22), np.abs(rand(n, seed=23)) + 0.5
    offset = rand(n, seed=24) if affine[0] else None
    scale = rand(n, seed=25) if affine[1] else None
    got = ops.batch_normalization(_t(x), _t(mean), _t(variance), axis,
                                  offset=None if offset is None else _t(offset),
                                  scale=None if scale is None else _t(scale), epsilon=1e-2)
    _check(got, backend, _np_batch_norm(x, mean, variance, axis % len(shape), offset, scale,
                                        1e-2))


@pytest.mark.parametrize("call, error, match", [
    (lambda x: ops.moments(x, [3]), ValueError, r"axis 3 is out of bounds.*rank 3"),
    (lambda x: ops.moments(x, [0, -3]), ValueError, "distinct axes"),
    (lambda x: ops.moments(x, "last"), TypeError, "int or a list of ints"),
    (lambda x: ops.moments(x, [0], synchronized=True), NotImplementedError, "TensorFlow"),
    (lambda x: ops.batch_normalization(x, np.zeros(3, "float32"), np.ones(4, "float32"), -1),
     ValueError, r"`mean` to be a vector of length x.shape\[axis\]. Expected: \(4,\)"),
    (lambda x: ops.batch_normalization(x, np.zeros(4, "float32"), np.ones(4, "float32"), -1,
                                       scale=np.ones(2, "float32")), ValueError, "`scale`"),
    (lambda x: ops.batch_normalization(x, np.zeros(4, "float32"), np.ones(4, "float32"), 3),
     ValueError, "axis 3 is out of bounds"),
    (lambda x: ops.scan(None, 0.0, x), TypeError, "callable"),
    (lambda x: ops.scan(lambda c, v: (c, v), 0.0, x, unroll=0), ValueError, "unroll"),
    (lambda x: ops.scan(lambda c, v: (c, v), 0.0), ValueError, "no `xs`.*no `length`"),
    (lambda x: ops.scan(lambda c, v: (c, v), 0.0, [x, x[:1]]), ValueError, "same leading"),
    (lambda x: ops.scan(lambda c, v: (c, v), 0.0, x, length=5), ValueError, "length=5"),
    (lambda x: ops.take(x, [0], axis=3), ValueError, "out of bounds"),
])
def test_nn_bad_arguments_name_what_was_wrong(backend, call, error, match):
    x = _t(rand(2, 3, 4))
    with pytest.raises(error, match=match):
        call(x)


def test_scan_matches_a_python_loop(backend):
    a, b = rand(5, 2, seed=26), rand(5, seed=27)

    def f(carry, x):
        total, count = carry
        total = ops.add(ops.multiply(total, 0.5), ops.multiply(x["a"], x["b"][..., None]))
        return [total, ops.add(count, 1.0)], (total, None)

    total, count, want = np.zeros(2, "float32"), 0.0, []
    for t in reversed(range(5)):
        total = total * 0.5 + a[t] * b[t]
        count += 1.0
        want.append(total)
    carry, (ys, none) = ops.scan(f, [_t(np.zeros(2, "float32")), _t(np.float32(0.0))],
                                 {"a": _t(a), "b": _t(b)}, reverse=True)
    _check(carry[0], backend, total)
    _check(carry[1], backend, np.float32(count))
    _check(ys, backend, np.stack(want[::-1]))  # ys in the order of xs, as JAX
    assert none is None
    carry, ys = ops.scan(lambda c, _: (ops.multiply(c, 2.0), c), _t(np.ones(3, "float32")),
                         length=3, unroll=True)
    _check(carry, backend, np.full(3, 8.0, "float32"))
    _check(ys, backend, np.array([[1.0] * 3, [2.0] * 3, [4.0] * 3], "float32"))


def test_torch_scan_splits_its_sequence_once():
    """torch's scan (and a recurrent layer's Python loop) split the sequence into its
    steps once: one UnbindBackward / SplitBackward node, where indexing each step would
    give the backward pass a zero tensor of the whole sequence per step (O(steps^2):
    a mixed_bfloat16 LSTM on torch spent 80% of its time filling them). The gradient
    is the numpy one."""
    if not backends.is_available("torch"):
        pytest.skip("torch is not installed")
    import torch
    from keras_bridge.backends.torch.nn_ops import scan
    from keras_bridge.layers.rnn_base import python_loop

    def nodes(t):
        seen, todo, names = set(), [t.grad_fn], []
        while todo:
            fn = todo.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            names.append(type(fn).__name__)
            todo.extend(f for f, _ in fn.next_functions)
        return names

    xs = torch.tensor(rand(6, 3, seed=30), requires_grad=True)
    carry, _ = scan(lambda c, x: (c * 0.5 + x, None), torch.zeros(3), xs)
    names = nodes(carry)
    assert names.count("UnbindBackward0") == 1 and "SelectBackward0" not in names
    carry.sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), np.repeat(0.5 ** np.arange(5, -1, -1.0),
                                                          3).reshape(6, 3), rtol=1e-6)
    seq = torch.tensor(rand(2, 6, 3, seed=31), requires_grad=True)
    states, _ = python_loop(lambda x, s: (x, [s[0] * 0.5 + x]), seq, [torch.zeros(2, 3)],
                            None, False, False)
    names = nodes(states[0])
    assert "SelectBackward0" not in names and "SliceBackward0" not in names


@pytest.mark.parametrize("indices, axis", [([-1, 0, 2], 0), ([[-2], [1]], 1), ([-1, 5], None)])
def test_take_wraps_negative_indices(backend, indices, axis):
    x = rand(3, 4, seed=28)
    _check(ops.take(_t(x), _t(np.array(indices)), axis=axis), backend,
           np.take(x, np.array(indices), axis=axis))


def test_moments_of_a_symbolic_tensor_build_a_model(backend):
    x = rand(2, 3, 4, seed=29)
    inputs = Input(shape=(3, 4))
    mean, variance = ops.moments(inputs, axes=[1, 2], keepdims=True)
    model = Model(inputs, [mean, variance])
    got_mean, got_var = model.predict(x, verbose=0)
    assert_close(got_mean, x.mean(axis=(1, 2), keepdims=True), RTOL, ATOL)
    assert_close(got_var, x.var(axis=(1, 2), keepdims=True), RTOL, ATOL)


def _parity(fn, arrays, seed):
    """Gradients of sum(outputs * cotangents) w.r.t. each array, torch vs JAX."""
    import jax
    import jax.numpy as jnp
    import torch
    t_ops, j_ops = backends.get("torch").ops, backends.get("jax").ops
    outs = jax.eval_shape(lambda *a: fn(j_ops, *a), *[jnp.asarray(a) for a in arrays])
    outs = jax.tree_util.tree_leaves(outs)
    cots = [rand(*np.shape(o), seed=seed + i) for i, o in enumerate(outs)]

    def loss(*a):
        return sum(jnp.sum(o * c) for o, c in zip(jax.tree_util.tree_leaves(fn(j_ops, *a)), cots))

    argnums = tuple(range(len(arrays)))
    want = jax.jit(jax.grad(loss, argnums=argnums))(*[jnp.asarray(a) for a in arrays])
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_outs = jax.tree_util.tree_leaves(fn(t_ops, *leaves))
    sum((o * torch.tensor(c)).sum() for o, c in zip(torch_outs, cots)).backward()
    for leaf, w in zip(leaves, want):
        assert_close(leaf.grad.numpy(), np.asarray(w), 1e-5, 1e-6)


@both_backends()
def test_nn_gradient_parity_torch_jax():
    x = rand(2, 3, 4, 2, seed=30)
    _parity(lambda o, x: o.moments(x, [0, 2, 3]), [x], 31)

    def batch_norm(o, x, gamma, beta):  # statistics with gradients, both axes
        mean, variance = o.moments(x, [0, 2, 3])
        first = o.batch_normalization(x, mean, variance, 1, offset=beta, scale=gamma)
        m2, v2 = o.moments(x, [0, 1, 2])
        return first, o.batch_normalization(x, m2, v2, -1, scale=gamma[:2], epsilon=0.1)

    _parity(batch_norm, [x, rand(3, seed=32), rand(3, seed=33)], 34)

    def recurrence(o, h0, xs, w):
        def step(h, x_t):
            h = o.tanh(o.add(o.matmul(h, w), x_t))
            return h, o.multiply(h, 2.0)
        return o.scan(step, h0, xs)

    _parity(recurrence, [rand(2, 3, seed=35), rand(4, 2, 3, seed=36), rand(3, 3, seed=37)], 38)


def test_batch_normalization_subclass_matches_the_rule_path(backend):
    from keras_bridge.layers import BatchNormalization

    class MyBatchNorm(BatchNormalization):  # no rule: ops.moments / ops.batch_normalization
        pass

    x = rand(4, 3, 2, 2, seed=40)
    outputs = []
    for cls in (BatchNormalization, MyBatchNorm):
        inputs = Input(shape=(3, 2, 2))
        layer = cls(axis=1, momentum=0.5, gamma_initializer="random_normal",
                    beta_initializer="random_normal", moving_variance_initializer="uniform")
        model = Model(inputs, layer(inputs))
        if outputs:
            model.set_weights(weights)
        weights = model.get_weights()
        trained = ops.convert_to_numpy(model(x, training=True))
        outputs.append((model.predict(x, verbose=0), trained))
    for got, want in zip(outputs[1], outputs[0]):
        assert_close(got, want, RTOL, ATOL)
