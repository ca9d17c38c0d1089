"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)
and their functional forms, on both engines, against numpy references written here.

Broadcasting follows Keras: inputs of equal rank broadcast where a size is 1; an input of
lower rank gets new axes right after the batch axis (Keras's ``expand_dims(x, axis=1)``),
so its feature axes line up with the trailing axes of the others.
"""


import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, layers, ops, testing
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run, config_roundtrip as _roundtrip
from support.layer_checks import assert_close as _assert_close

RTOL, ATOL = 1e-5, 1e-6


def _close(got, want, rtol=RTOL, atol=ATOL):
    _assert_close(got, want, rtol, atol)

# Elementwise merge layers: class, functional form, numpy reference over a list.
ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: sum(xs[1:], xs[0])),
    "Subtract": (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    "Multiply": (layers.Multiply, layers.multiply,
                 lambda xs: np.prod(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    "Average": (layers.Average, layers.average,
                lambda xs: sum(xs[1:], xs[0]) / len(xs)),
    "Maximum": (layers.Maximum, layers.maximum,
                lambda xs: np.max(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    "Minimum": (layers.Minimum, layers.minimum,
                lambda xs: np.min(np.stack(np.broadcast_arrays(*xs)), axis=0)),
}
MULTI_INPUT = [name for name in ELEMENTWISE if name != "Subtract"]


def _inputs(*shapes, batch=3):
    return [_rand(batch, *s, seed=i) for i, s in enumerate(shapes)]


# ---- elementwise merges: shapes ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_symbolic_shape(name):
    cls, fn, _ = ELEMENTWISE[name]
    a, b = Input(shape=(4, 3)), Input(shape=(4, 3))
    assert cls()([a, b]).shape == (None, 4, 3)
    assert fn([a, b]).shape == (None, 4, 3)
    assert cls()((a, b)).shape == (None, 4, 3)  # a tuple works as a list


@pytest.mark.parametrize("name", MULTI_INPUT)
def test_elementwise_symbolic_shape_three_inputs(name):
    cls, fn, _ = ELEMENTWISE[name]
    ins = [Input(shape=(5,)) for _ in range(3)]
    assert cls()(ins).shape == (None, 5)
    assert fn(ins).shape == (None, 5)


@pytest.mark.parametrize("shapes, expected", [
    (((4, 3), (1, 3)), (None, 4, 3)),
    (((4, 1), (1, 3)), (None, 4, 3)),
    (((1,), (5,)), (None, 5)),
    (((None, 3), (1, 3)), (None, None, 3)),
    (((None, 3), (4, 3)), (None, 4, 3)),
])
def test_broadcast_symbolic_shape_same_rank(shapes, expected):
    assert layers.Add()([Input(shape=s) for s in shapes]).shape == expected


def test_broadcast_symbolic_shape_lower_rank_input():
    """Keras aligns the feature axes on the right, after the batch axis: (3,) with (1, 3)
    gives (1, 3) per sample, (3,) with (4, 3) gives (4, 3)."""
    a = Input(shape=(3,))
    assert layers.Add()([a, Input(shape=(4, 3))]).shape == (None, 4, 3)
    assert layers.Add()([a, Input(shape=(1, 3))]).shape == (None, 1, 3)
    assert layers.Multiply()([Input(shape=(2, 1, 3)), a]).shape == (None, 2, 1, 3)


def test_batch_size_kept_in_shape():
    a = Input(shape=(3,), batch_size=8)
    assert layers.Add()([a, Input(shape=(3,))]).shape == (8, 3)


# ---- elementwise merges: values ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_values_eager(backend, name):
    cls, fn, ref = ELEMENTWISE[name]
    xs = _inputs((4, 3), (4, 3))
    _close(_run(cls(), xs, backend), ref(xs))
    _close(ops.convert_to_numpy(fn([ops.convert_to_tensor(x) for x in xs])), ref(xs))


@pytest.mark.parametrize("name", MULTI_INPUT)
def test_elementwise_values_three_inputs(backend, name):
    cls, _, ref = ELEMENTWISE[name]
    xs = _inputs((5,), (5,), (5,))
    _close(_run(cls(), xs, backend), ref(xs))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_values_in_model(backend, name):
    cls, fn, ref = ELEMENTWISE[name]
    a, b = Input(shape=(4, 3)), Input(shape=(4, 3))
    model = Model([a, b], fn([a, b]))
    xs = _inputs((4, 3), (4, 3), batch=5)
    _close(model.predict(xs, batch_size=2), ref(xs))


def test_subtract_order(backend):
    a, b = _inputs((3,), (3,))
    _close(_run(layers.Subtract(), [a, b], backend), a - b)
    _close(_run(layers.Subtract(), [b, a], backend), b - a)


def test_average_of_four(backend):
    xs = _inputs((2,), (2,), (2,), (2,))
    _close(_run(layers.Average(), xs, backend), (xs[0] + xs[1] + xs[2] + xs[3]) / 4.0)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shapes", [((4, 3), (1, 3)), ((4, 1), (1, 3))],
                         ids=["row", "outer"])
def test_broadcast_values_same_rank(backend, name, shapes):
    cls, _, ref = ELEMENTWISE[name]
    xs = _inputs(*shapes)
    _close(_run(cls(), xs, backend), ref(xs))


def test_broadcast_values_lower_rank_eager(backend):
    """A (batch, 3) input against (batch, 4, 3): Keras expands it to (batch, 1, 3).
    Checked for every elementwise merge (in both orders); all failures are listed."""
    low, high = _inputs((3,), (4, 3))
    problems = []
    for name, (cls, _, ref) in sorted(ELEMENTWISE.items()):
        for xs, want in (([low, high], ref([low[:, None, :], high])),
                         ([high, low], ref([high, low[:, None, :]]))):
            try:
                got = _run(cls(), xs, backend)
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
            except Exception as e:  # collect, so one report names every class
                problems.append(f"{name}{[x.shape for x in xs]}: {type(e).__name__}: "
                                f"{str(e).splitlines()[0] if str(e) else ''}")
    assert not problems, "\n".join(problems)


def test_broadcast_values_lower_rank_in_model(backend):
    a, b = Input(shape=(3,)), Input(shape=(1, 3))
    out = layers.Add()([a, b])
    model = Model([a, b], out)
    low, high = _inputs((3,), (1, 3), batch=4)
    got = model.predict([low, high])
    assert got.shape == (4, 1, 3)
    _close(got, low[:, None, :] + high)


# ---- elementwise merges: errors ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_incompatible_shapes_name_the_layer(name):
    cls, _, _ = ELEMENTWISE[name]
    with pytest.raises(ValueError, match=r"'bad_merge'.*\(None, 3\).*\(None, 4\)"):
        cls(name="bad_merge")([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match="'bad_merge_2'"):
        cls(name="bad_merge_2")([Input(shape=(2, 3)), Input(shape=(3, 3))])


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_merge_needs_a_list(name):
    cls, _, _ = ELEMENTWISE[name]
    with pytest.raises(ValueError, match="list of inputs"):
        cls(name="single")(Input(shape=(3,)))


def test_subtract_needs_exactly_two_inputs():
    ins = [Input(shape=(3,)) for _ in range(3)]
    with pytest.raises(ValueError, match=r"'sub'.*exactly 2 inputs.*received 3"):
        layers.Subtract(name="sub")(ins)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.subtract(ins)
    with pytest.raises(ValueError, match="exactly 2 inputs.*received 1"):
        layers.Subtract()(ins[:1])


def test_subtract_eager_three_inputs_is_an_error(backend):
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()(_inputs((3,), (3,), (3,)))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_unknown_keyword(name):
    cls, _, _ = ELEMENTWISE[name]
    with pytest.raises(TypeError, match="foo"):
        cls(foo=1)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_config_roundtrip_and_no_weights(name):
    cls, _, _ = ELEMENTWISE[name]
    layer = cls(name=f"m_{name.lower()}")
    layer([Input(shape=(3,)), Input(shape=(3,))])
    assert layer.weights == [] and layer.count_params() == 0
    clone = _roundtrip(layer)
    assert clone.name == f"m_{name.lower()}"
    with pytest.raises(ValueError, match="expects 0 weights"):
        layer.set_weights([np.zeros(3)])


# ---- Concatenate ---------------------------------------------------------------------
@pytest.mark.parametrize("axis, expected", [(-1, (None, 4, 5)), (2, (None, 4, 5))])
def test_concatenate_symbolic_last_axis(axis, expected):
    a, b = Input(shape=(4, 2)), Input(shape=(4, 3))
    assert layers.Concatenate(axis=axis)([a, b]).shape == expected
    assert layers.concatenate([a, b], axis=axis).shape == expected


@pytest.mark.parametrize("axis", [1, -2])
def test_concatenate_symbolic_middle_axis(axis):
    a, b, c = Input(shape=(2, 3)), Input(shape=(4, 3)), Input(shape=(1, 3))
    assert layers.Concatenate(axis=axis)([a, b, c]).shape == (None, 7, 3)


def test_concatenate_symbolic_unknown_sizes():
    a, b = Input(shape=(None, 3)), Input(shape=(None, 3))
    assert layers.Concatenate(axis=1)([a, b]).shape == (None, None, 3)
    assert layers.Concatenate()([a, b]).shape == (None, None, 6)
    assert layers.Concatenate(axis=1)([Input(shape=(2, 3)), a]).shape == (None, None, 3)


def test_concatenate_default_axis_is_last():
    assert layers.Concatenate().axis == -1
    assert layers.Concatenate()([Input(shape=(2,)), Input(shape=(3,))]).shape == (None, 5)


@pytest.mark.parametrize("axis", [-1, 1, 2, -2])
def test_concatenate_values(backend, axis):
    shapes = [(4, 2), (4, 3)] if axis in (-1, 2) else [(2, 3), (4, 3)]
    xs = _inputs(*shapes)
    _close(_run(layers.Concatenate(axis=axis), xs, backend),
           np.concatenate(xs, axis=axis), rtol=0, atol=0)


def test_concatenate_three_inputs_in_model(backend):
    ins = [Input(shape=(2,)), Input(shape=(3,)), Input(shape=(1,))]
    model = Model(ins, layers.concatenate(ins))
    xs = _inputs((2,), (3,), (1,), batch=4)
    _close(model.predict(xs), np.concatenate(xs, axis=-1), rtol=0, atol=0)


def test_concatenate_mismatched_shapes_name_the_layer():
    pattern = r"'cat'.*matching shapes.*\(None, 4, 2\).*\(None, 5, 3\)"
    with pytest.raises(ValueError, match=pattern):
        layers.Concatenate(name="cat")([Input(shape=(4, 2)), Input(shape=(5, 3))])
    with pytest.raises(ValueError, match="'cat1'"):
        layers.Concatenate(axis=1, name="cat1")([Input(shape=(4, 2)), Input(shape=(4, 3))])


def test_concatenate_different_ranks_is_an_error():
    with pytest.raises(ValueError, match=r"'cat2'.*one rank"):
        layers.Concatenate(name="cat2")([Input(shape=(4, 2)), Input(shape=(4,))])


def test_concatenate_axis_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="axis 3"):
        layers.Concatenate(axis=3)([Input(shape=(4, 2)), Input(shape=(4, 2))])


def test_concatenate_needs_a_list():
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Concatenate()(Input(shape=(3,)))


def test_concatenate_config_roundtrip():
    clone = _roundtrip(layers.Concatenate(axis=1, name="joined"))
    assert clone.axis == 1 and clone.name == "joined"


def test_concatenate_unknown_keyword():
    with pytest.raises(TypeError, match="foo"):
        layers.Concatenate(axis=1, foo=1)


# ---- Dot -----------------------------------------------------------------------------
def _l2n(x, axis):
    """Keras 2's l2_normalize: x / sqrt(max(sum(x ** 2), 1e-12)), in float64."""
    x = x.astype(np.float64)
    return x / np.sqrt(np.maximum((x ** 2).sum(axis=axis, keepdims=True), 1e-12))


@pytest.mark.parametrize("axes, shapes, expected", [
    (1, ((5,), (5,)), (None, 1)),
    (-1, ((5,), (5,)), (None, 1)),
    ((2, 1), ((3, 4), (4, 5)), (None, 3, 5)),
    (2, ((3, 4), (5, 4)), (None, 3, 5)),
    (1, ((4, 3), (4, 5)), (None, 3, 5)),
    ((1, 2), ((4, 3), (5, 4)), (None, 3, 5)),
    ((-1, 1), ((3, 4), (4,)), (None, 3)),
])
def test_dot_symbolic_shapes(axes, shapes, expected):
    a, b = (Input(shape=s) for s in shapes)
    assert layers.Dot(axes=axes)([a, b]).shape == expected
    assert layers.dot([a, b], axes=axes).shape == expected


# (axes, shapes, einsum of the Keras batch_dot result, written by hand)
DOT_CASES = [
    (1, ((5,), (5,)), "bi,bi->b"),
    (-1, ((5,), (5,)), "bi,bi->b"),
    ((2, 1), ((3, 4), (4, 5)), "bij,bjk->bik"),
    (2, ((3, 4), (5, 4)), "bij,bkj->bik"),
    (-1, ((3, 4), (5, 4)), "bij,bkj->bik"),
    (1, ((4, 3), (4, 5)), "bji,bjk->bik"),
    ((1, 2), ((4, 3), (5, 4)), "bji,bkj->bik"),
    ((-1, 1), ((3, 4), (4,)), "bij,bj->bi"),
]


@pytest.mark.parametrize("axes, shapes, spec", DOT_CASES,
                         ids=[f"{a}-{s[0]}x{s[1]}" for a, s, _ in DOT_CASES])
def test_dot_values(backend, axes, shapes, spec):
    x, y = _inputs(*shapes)
    want = np.einsum(spec, x.astype(np.float64), y.astype(np.float64))
    if want.ndim == 1:
        want = want[:, None]
    _close(_run(layers.Dot(axes=axes), [x, y], backend), want)


@pytest.mark.parametrize("axes, shapes, spec", [DOT_CASES[0], DOT_CASES[2], DOT_CASES[5]],
                         ids=["vectors", "matmul", "axis1"])
def test_dot_normalize_is_cosine(backend, axes, shapes, spec):
    x, y = _inputs(*shapes)
    ax = (axes, axes) if isinstance(axes, int) else axes
    want = np.einsum(spec, _l2n(x, ax[0]), _l2n(y, ax[1]))
    if want.ndim == 1:
        want = want[:, None]
    got = _run(layers.Dot(axes=axes, normalize=True), [x, y], backend)
    _close(got, want)
    assert np.abs(got).max() <= 1.0 + 1e-6


def test_dot_normalize_cosine_of_vectors(backend):
    x = np.array([[1.0, 0.0], [3.0, 4.0], [1.0, 1.0]], np.float32)
    y = np.array([[0.0, 2.0], [6.0, 8.0], [-2.0, -2.0]], np.float32)
    got = _run(layers.Dot(axes=1, normalize=True), [x, y], backend)
    _close(got, np.array([[0.0], [1.0], [-1.0]]))


def test_dot_normalize_zero_vector_is_finite(backend):
    x = np.zeros((2, 3), np.float32)
    y = _rand(2, 3)
    got = _run(layers.Dot(axes=1, normalize=True), [x, y], backend)
    _close(got, np.zeros((2, 1)))


def test_dot_in_model(backend):
    a, b = Input(shape=(3, 4)), Input(shape=(5, 4))
    model = Model([a, b], layers.dot([a, b], axes=2, normalize=True))
    x, y = _inputs((3, 4), (5, 4), batch=4)
    want = np.einsum("bij,bkj->bik", _l2n(x, 2), _l2n(y, 2))
    _close(model.predict([x, y]), want)


def test_dot_mismatched_sizes_name_the_layer():
    with pytest.raises(ValueError, match=r"'dotty'.*4 != 5"):
        layers.Dot(axes=1, name="dotty")([Input(shape=(4,)), Input(shape=(5,))])


def test_dot_over_batch_axis_is_an_error():
    with pytest.raises(ValueError, match="batch axis"):
        layers.Dot(axes=0)([Input(shape=(4,)), Input(shape=(4,))])


@pytest.mark.parametrize("axes", [(1, 2, 3), (1,)])
def test_dot_bad_axes(axes):
    with pytest.raises(ValueError, match="axes"):
        layers.Dot(axes=axes)


def test_dot_needs_exactly_two_inputs():
    with pytest.raises(ValueError, match=r"'d3'.*exactly 2 inputs"):
        layers.Dot(axes=1, name="d3")([Input(shape=(4,)) for _ in range(3)])


def test_dot_config_roundtrip():
    clone = _roundtrip(layers.Dot(axes=(2, 1), normalize=True, name="sim"))
    assert clone.axes == (2, 1) and clone.normalize is True
    assert _roundtrip(layers.Dot(axes=1)).axes == (1, 1)


def test_dot_unknown_keyword():
    with pytest.raises(TypeError, match="foo"):
        layers.Dot(axes=1, foo=1)


# ---- merges of layer outputs (weights from get_weights) ------------------------------
def test_merge_of_dense_branches(backend):
    set_random_seed(3)
    inputs = Input(shape=(4,))
    left, right = layers.Dense(3), layers.Dense(3, bias_initializer="ones")
    merged = layers.concatenate([layers.add([left(inputs), right(inputs)]),
                                 layers.multiply([left(inputs), right(inputs)])])
    assert merged.shape == (None, 6)
    model = Model(inputs, merged)
    x = _rand(5, 4)
    kl, bl = left.get_weights()
    kr, br = right.get_weights()
    hl, hr = x @ kl + bl, x @ kr + br
    _close(model.predict(x), np.concatenate([hl + hr, hl * hr], axis=-1))


# ---- cross-engine parity -------------------------------------------------------------
# Default tolerances throughout (outputs rtol 1e-5 / atol 1e-6, gradients the same).
@both_backends()
def test_parity_elementwise_merges():
    """Every elementwise merge of two Dense branches (one output each), plus the
    three-input forms and same-rank broadcasting."""
    set_random_seed(0)
    inputs = Input(shape=(4,))
    left = layers.Dense(3, bias_initializer="random_normal")(inputs)
    right = layers.Dense(3, bias_initializer="random_normal")(inputs)
    third = layers.Dense(3)(inputs)
    column = layers.Dense(1)(inputs)
    outputs = [cls()([left, right]) for cls, _, _ in ELEMENTWISE.values()]
    outputs += [ELEMENTWISE[n][0]()([left, right, third]) for n in MULTI_INPUT]
    outputs += [layers.Multiply()([left, column]), layers.Add()([column, right])]
    testing.assert_backends_agree(Model(inputs, outputs), _rand(6, 4))


@both_backends()
def test_parity_concatenate_and_dot():
    set_random_seed(0)
    inputs = Input(shape=(3, 4))
    a = layers.Dense(4)(inputs)
    b = layers.Dense(4)(inputs)
    outputs = [
        layers.Concatenate()([a, b]),
        layers.Concatenate(axis=1)([a, b]),
        layers.Dot(axes=1)([a, b]),
        layers.Dot(axes=(2, 2), normalize=True)([a, b]),
    ]
    testing.assert_backends_agree(Model(inputs, outputs), _rand(5, 3, 4))


@both_backends()
def test_parity_broadcast_lower_rank():
    set_random_seed(0)
    low, high = Input(shape=(3,)), Input(shape=(4, 3))
    out = layers.Add()([layers.Dense(3)(low), high])
    testing.assert_backends_agree(Model([low, high], out), _inputs((3,), (4, 3), batch=5))
