"""Keras 3's top-level names, keras.tree, keras.config switches, dtype policies,
name_scope, keras.Variable / StatelessScope and the keras.utils data helpers."""

import collections
import re

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import config, ops
from keras_bridge.layers import Dense, Lambda
from keras_bridge.models import Sequential
from keras_bridge.serialization import safe_mode as _safe_mode


# ---- top level ------------------------------------------------------------------------------
def test_top_level_names_are_the_classes_keras3_code_reaches_for():
    assert keras.Loss is keras.losses.Loss
    assert keras.Metric is keras.metrics.Metric
    assert keras.Optimizer is keras.optimizers.Optimizer
    assert keras.Layer is keras.layers.Layer
    assert keras.Model is keras.models.Model and keras.Sequential is keras.models.Sequential
    assert keras.Input is keras.layers.Input
    assert isinstance(keras.Input((3,)), keras.KerasTensor)
    assert keras.FloatDTypePolicy is keras.DTypePolicy is keras.dtype_policies.DTypePolicy
    assert issubclass(keras.Variable, keras.variables.Weight)
    for name in ("Variable", "tree", "name_scope", "version", "dtype_policies",
                 "StatelessScope", "KerasTensor", "Loss", "Metric", "Optimizer"):
        assert name in keras.__all__


def test_version():
    assert keras.version() == keras.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([.\-+].*)?", keras.__version__)


# ---- tree -----------------------------------------------------------------------------------
Point = collections.namedtuple("Point", ["x", "y"])


def test_tree_flatten_and_pack_use_sorted_dict_keys():
    nested = {"b": [1, (2, 3)], "a": 4, "c": None}
    assert keras.tree.flatten(nested) == [4, 1, 2, 3, None]  # a, b..., c
    assert keras.tree.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert keras.tree.flatten(7) == [7] and keras.tree.flatten(None) == [None]
    packed = keras.tree.pack_sequence_as(nested, ["A", "B1", "B2", "B3", "C"])
    assert packed == {"b": ["B1", ("B2", "B3")], "a": "A", "c": "C"}
    assert list(packed) == ["b", "a", "c"]  # the structure's own key order is kept
    assert keras.tree.pack_sequence_as(Point(0, [0]), [5, 6]) == Point(5, [6])
    with pytest.raises(ValueError, match="5 leaves.*Received: 2"):
        keras.tree.pack_sequence_as(nested, [1, 2])


def test_tree_is_nested_and_lists_to_tuples():
    assert keras.tree.is_nested([1]) and keras.tree.is_nested({"a": 1})
    assert keras.tree.is_nested(Point(1, 2))
    assert not keras.tree.is_nested(1) and not keras.tree.is_nested("ab")
    assert not keras.tree.is_nested(np.zeros(3))
    assert keras.tree.lists_to_tuples([1, [2, {"k": [3]}]]) == (1, (2, {"k": (3,)}))


def test_tree_map_structure():
    assert keras.tree.map_structure(lambda v: v * 10, [1, (2, {"k": 3})]) == \
        [10, (20, {"k": 30})]
    assert keras.tree.map_structure(lambda a, b: a + b, Point(1, 2), Point(10, 20)) == \
        Point(11, 22)
    assert keras.tree.map_structure(lambda v: 0, [None, 1], none_is_leaf=False) == [None, 0]
    with pytest.raises(ValueError, match="same nested structure"):
        keras.tree.map_structure(lambda a, b: a, [1, 2], (1, 2))
    with pytest.raises(TypeError, match="callable"):
        keras.tree.map_structure(3, [1])


def test_tree_assert_same_structure():
    keras.tree.assert_same_structure([(0, 1)], [(2, 3)])
    keras.tree.assert_same_structure({"a": 1, "b": 2},
                                     collections.OrderedDict([("b", 0), ("a", 0)]))
    for a, b in (([0, 1], (0, 1)), ([0, [1]], [0, 1]), ({"a": 1}, {"b": 1}), ([1], [1, 2])):
        with pytest.raises(ValueError, match="don't have the same nested structure"):
            keras.tree.assert_same_structure(a, b)


def test_tree_traverse_both_directions():
    seen = []
    structure = [(1, 2), [3], {"a": 4}]
    assert keras.tree.traverse(seen.append, structure) == structure
    assert seen == [structure, (1, 2), 1, 2, [3], 3, {"a": 4}, 4]
    seen = []
    keras.tree.traverse(seen.append, structure, top_down=False)
    assert seen == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, structure]
    # top down: a result replaces the sub-tree and stops there; MAP_TO_NONE gives None
    cut = keras.tree.traverse(
        lambda s: "T" if isinstance(s, tuple) else (keras.tree.MAP_TO_NONE if s == 3 else None),
        structure)
    assert cut == ["T", [None], {"a": 4}]
    doubled = keras.tree.traverse(lambda s: s * 2 if isinstance(s, int) else None, structure,
                                  top_down=False)
    assert doubled == [(2, 4), [6], {"a": 8}]


def test_tree_map_shape_structure_and_paths():
    shapes = {"x": (None, 3), "y": [(2,), ()]}
    assert keras.tree.map_shape_structure(lambda s: len(s), shapes) == {"x": 2, "y": [1, 0]}
    assert keras.tree.flatten_with_path([{"foo": 42}]) == [((0, "foo"), 42)]
    assert keras.tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == \
        ["[1, 1]", ["2", "2"]]
    keras.tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="same paths"):
        keras.tree.assert_same_paths([0, 1], [0])


# ---- name_scope and Variable ----------------------------------------------------------------
def test_name_scope_prefixes_weight_paths(backend):
    """Keras 3's rule (checked against Keras 3.15): a weight's path is the scopes open
    when its layer first builds or is called, not those it was constructed in."""
    plain = Dense(2, name="plain")
    with keras.name_scope("block"):
        with keras.name_scope("inner"):
            inner = Dense(2, name="d")
            v = keras.Variable(np.zeros(2), name="v")
        outer = Dense(2, name="e")
        built = Dense(2, name="f")
        built.build((None, 3))
        called = Dense(2, name="g")
        called(np.zeros((1, 3), "float32"))
    for layer in (plain, inner, outer):
        layer.build((None, 3))  # built outside the scopes
    assert plain.kernel.path == "plain/kernel"
    assert inner.kernel.path == "d/kernel"
    assert outer.bias.path == "e/bias"
    assert built.kernel.path == "block/f/kernel"
    assert called.kernel.path == "block/g/kernel"
    with keras.name_scope("elsewhere"):
        called(np.zeros((1, 3), "float32"))  # a later call keeps where it first opened
    assert called.kernel.path == "block/g/kernel"
    assert v.path == "block/inner/v" and v.name == "v"
    assert keras.Variable(np.zeros(1), name="w").path == "w"
    for bad in ("a/b", "", 3):
        with pytest.raises(ValueError, match="without '/'"):
            keras.name_scope(bad)


def test_variable_keras3_constructor(backend):
    v = keras.Variable(np.arange(4).reshape(2, 2))
    assert v.shape == (2, 2) and v.ndim == 2 and v.dtype == "float32" and v.trainable
    assert v.name == "variable" and keras.Variable(1.0).name == "variable_1"
    np.testing.assert_array_equal(v.numpy(), [[0, 1], [2, 3]])
    v.assign(v * 2.0)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.sum(v)), 12.0)
    z = keras.Variable("ones", shape=(3,), dtype="float64", trainable=False, name="z")
    assert z.dtype == "float64" and not z.trainable
    np.testing.assert_array_equal(np.asarray(z), np.ones(3))
    k = keras.Variable(keras.initializers.Constant(2.5), shape=[2])
    np.testing.assert_array_equal(k.numpy(), [2.5, 2.5])
    assert ops.engine_name_of(v) == backend
    with pytest.raises(ValueError, match="`shape` argument should be specified"):
        keras.Variable("zeros")
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        keras.Variable(np.zeros(2), shape=(3,))
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.Variable(0.0, name="a/b")
    with pytest.raises(ValueError, match="aggregation"):
        keras.Variable(0.0, aggregation="max")
    with pytest.raises(ValueError, match="fully defined shape"):
        keras.Variable("zeros", shape=(None, 2))


def test_layer_weights_are_keras_variables(backend):
    """Keras 3's add_weight returns a keras.Variable; code checks isinstance on it."""
    layer = Dense(2)
    layer.build((None, 3))
    counter = layer.add_weight(shape=(), initializer="zeros", trainable=False, name="n")
    for w in (layer.kernel, layer.bias, counter):
        assert isinstance(w, keras.Variable)
        assert (w.aggregation, w.synchronization, w.autocast) == ("none", "auto", True)
    assert not isinstance(np.zeros(2), keras.Variable)

    class Tagged(keras.Variable):
        pass

    assert not isinstance(layer.kernel, Tagged) and isinstance(Tagged(1.0), Tagged)
    layer(np.ones((1, 3), "float32"))
    layer.kernel.assign(np.full((3, 2), 0.5))
    np.testing.assert_allclose(ops.convert_to_numpy(ops.sum(layer.kernel)), 3.0)


def test_stateless_scope_reads_mapping_and_keeps_assignments(backend):
    v = keras.Variable(np.zeros(2), name="v")
    other = keras.Variable(np.full(2, 3.0), name="other")
    with keras.StatelessScope(state_mapping=[(v, np.ones(2))]) as scope:
        np.testing.assert_array_equal(ops.convert_to_numpy(v.value), [1, 1])
        v.assign(v + 1.0)
        other.assign(other * 2.0)
        np.testing.assert_array_equal(ops.convert_to_numpy(scope.get_current_value(v)), [2, 2])
        np.testing.assert_array_equal(ops.convert_to_numpy(scope.get_current_value(other)),
                                      [6, 6])
    np.testing.assert_array_equal(v.numpy(), [0, 0])
    np.testing.assert_array_equal(other.numpy(), [3, 3])
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        keras.StatelessScope(state_mapping=[(v, np.ones(3))])
    with pytest.raises(ValueError, match="pairs"):
        keras.StatelessScope(state_mapping=[v])


# ---- dtype policies -------------------------------------------------------------------------
def test_dtype_policy_objects():
    p = keras.DTypePolicy("float64")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("float64", "float64", "float64")
    m = keras.dtype_policies.DTypePolicy("mixed_bfloat16")
    assert (m.compute_dtype, m.variable_dtype) == ("bfloat16", "float32")
    assert keras.DTypePolicy().name == "float32"  # the global policy's
    assert repr(p) == '<DTypePolicy "float64">'
    assert keras.dtype_policies.deserialize(keras.dtype_policies.serialize(p)) == p
    assert keras.dtype_policies.get("float16").compute_dtype == "float16"
    with pytest.raises(ValueError, match="Cannot convert 'floaty'"):
        keras.DTypePolicy("floaty")
    with pytest.raises(TypeError, match="string"):
        keras.DTypePolicy(32)


def test_set_dtype_policy_drives_layer_dtypes(backend):
    assert config.dtype_policy() == keras.DTypePolicy("float32")
    layer = Dense(2)
    assert (layer.dtype_policy.name, layer.compute_dtype, layer.variable_dtype) == \
        ("float32", "float32", "float32")
    config.set_dtype_policy("float16")  # float16: JAX keeps it without jax_enable_x64
    assert config.dtype_policy().name == "float16"
    model = Sequential([Dense(2, input_shape=(3,))])
    assert model.layers[0].variable_dtype == "float16"
    assert model.predict(np.ones((1, 3), np.float32), verbose=0).dtype == np.float16
    assert all(w.dtype == np.float16 for w in model.get_weights())
    saved = keras.dtype_policies.serialize(keras.DTypePolicy("float64"))  # Keras 3 configs
    assert Dense(2, dtype=saved).dtype == "float64"
    explicit = Dense(2, dtype=keras.DTypePolicy("float32"))
    assert explicit.dtype == "float32" and explicit.compute_dtype == "float32"
    config.set_dtype_policy(keras.DTypePolicy("float32"))
    assert Dense(1).dtype == "float32"


def test_bad_dtype_policies_are_refused():
    with pytest.raises(ValueError, match="Expected the string name of a policy.*3"):
        config.set_dtype_policy(3)
    with pytest.raises(ValueError, match="Cannot convert"):
        config.set_dtype_policy("nope")


# ---- config switches ------------------------------------------------------------------------
def test_config_has_keras3_functions():
    for name in ("backend", "set_backend", "floatx", "set_floatx", "epsilon", "set_epsilon",
                 "image_data_format", "set_image_data_format", "dtype_policy",
                 "set_dtype_policy", "enable_unsafe_deserialization"):
        assert callable(getattr(config, name))
    assert keras.config is config


@pytest.mark.parametrize("flag", ["traceback_filtering", "interactive_logging"])
def test_config_flags(flag):
    is_enabled = getattr(config, f"is_{flag}_enabled")
    assert is_enabled() is True
    getattr(config, f"disable_{flag}")()
    assert is_enabled() is False
    getattr(config, f"enable_{flag}")()
    assert is_enabled() is True
    getattr(config, f"disable_{flag}")()
    config.reset()
    assert is_enabled() is True


def test_enable_unsafe_deserialization(monkeypatch, backend):
    monkeypatch.setattr(_safe_mode, "_unsafe_everywhere", [])
    model = Sequential([Dense(2, input_shape=(2,)), Lambda(lambda t: t * 2.0, name="twice")])
    with pytest.raises(ValueError, match="safe_mode"):
        keras.saving.model_from_json(model.to_json())
    config.enable_unsafe_deserialization()
    loaded = keras.saving.model_from_json(model.to_json())
    assert loaded.layers[1].name == "twice"
    assert _safe_mode.in_safe_mode() is False


# ---- utils ------------------------------------------------------------------------------------
def test_utils_names():
    u = keras.utils
    for name in ("Progbar", "serialize_keras_object", "deserialize_keras_object",
                 "register_keras_serializable", "get_registered_name", "get_registered_object",
                 "custom_object_scope", "normalize", "to_categorical", "pad_sequences",
                 "set_random_seed", "plot_model", "PyDataset", "split_dataset",
                 "pack_x_y_sample_weight", "unpack_x_y_sample_weight"):
        assert callable(getattr(u, name)), name
    assert u.register_keras_serializable is keras.saving.register_keras_serializable
    np.testing.assert_array_equal(u.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(u.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]])
    np.testing.assert_array_equal(u.pad_sequences([[1, 2], [3]], maxlen=3),
                                  [[0, 1, 2], [0, 0, 3]])


def test_progbar_keras3_arguments(capsys):
    bar = keras.utils.Progbar(4, verbose=2, unit_name="sample", stateful_metrics=["acc"])
    bar.update(2, values=[("loss", 1.0), ("acc", 0.5)], finalize=True)
    out = capsys.readouterr().out
    assert out.startswith("2/4") and "loss: 1.0000" in out and "acc: 0.5000" in out


def test_pack_unpack_round_trip():
    x, y, w = np.ones(3), np.zeros(3), np.full(3, 0.5)
    assert keras.utils.pack_x_y_sample_weight(x) is x
    assert keras.utils.pack_x_y_sample_weight([x, x]) == ([x, x],)
    for args in ((x,), (x, y), (x, y, w)):
        data = keras.utils.pack_x_y_sample_weight(*args)
        unpacked = keras.utils.unpack_x_y_sample_weight(data)
        assert unpacked == tuple(args) + (None,) * (3 - len(args))
    assert keras.utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert keras.utils.unpack_x_y_sample_weight(([x, x],))[0] == [x, x]
    with pytest.raises(ValueError, match="4 items"):
        keras.utils.unpack_x_y_sample_weight((x, y, w, w))


def test_split_dataset_sizes_and_structure():
    data = np.arange(10)
    left, right = keras.utils.split_dataset(data, left_size=0.8)
    np.testing.assert_array_equal(left, np.arange(8))
    np.testing.assert_array_equal(right, [8, 9])
    left, right = keras.utils.split_dataset(data, right_size=3)
    assert (len(left), len(right)) == (7, 3)
    left, right = keras.utils.split_dataset(data, left_size=2, right_size=0.5)
    np.testing.assert_array_equal(left, [0, 1])  # the first 2 and the last 5
    np.testing.assert_array_equal(right, [5, 6, 7, 8, 9])
    x, y = np.arange(20).reshape(10, 2), np.arange(10) * 10
    (lx, ly), (rx, ry) = keras.utils.split_dataset((x, y), left_size=0.6, shuffle=True,
                                                   seed=4)
    assert (lx.shape, rx.shape, ly.shape, ry.shape) == ((6, 2), (4, 2), (6,), (4,))
    np.testing.assert_array_equal(lx[:, 0] * 5, ly)  # rows stay paired with their labels
    assert sorted(np.concatenate([ly, ry])) == list(y)  # a permutation, nothing lost
    again = keras.utils.split_dataset((x, y), left_size=0.6, shuffle=True, seed=4)
    np.testing.assert_array_equal(again[0][1], ly)
    d_left, d_right = keras.utils.split_dataset({"a": x, "b": y}, left_size=5)
    assert set(d_left) == {"a", "b"} and len(d_right["b"]) == 5


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "At least one"),
    ({"left_size": 1.5}, ValueError, r"float in \(0, 1\)"),
    ({"left_size": 10}, ValueError, "smaller than 10"),
    ({"left_size": "half"}, TypeError, "int, a float or None"),
    ({"left_size": 0.7, "right_size": 0.6}, ValueError, "at most 10"),
    ({"left_size": 0.01}, ValueError, "empty"),
])
def test_split_dataset_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        keras.utils.split_dataset(np.arange(10), **kwargs)


def test_split_dataset_unequal_lengths():
    with pytest.raises(ValueError, match="same number of samples"):
        keras.utils.split_dataset((np.arange(10), np.arange(9)), left_size=0.5)


class _Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _model():
    keras.utils.set_random_seed(1)
    model = Sequential([Dense(3, input_shape=(4,), activation="tanh"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_pydataset_trains_like_the_same_arrays(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = rng.normal(size=(12, 1)).astype(np.float32)
    data = _Batches(x, y, 4, workers=2, use_multiprocessing=False, max_queue_size=5)
    assert (data.workers, data.max_queue_size, data.num_batches) == (2, 5, 3)
    on_data, on_arrays = _model(), _model()
    history = on_data.fit(data, epochs=2, shuffle=False, verbose=0)
    on_arrays.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert data.epochs_ended == 2 and len(history.history["loss"]) == 2
    for a, b in zip(on_data.get_weights(), on_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_data.evaluate(data, verbose=0),
                               on_arrays.evaluate(x, y, batch_size=4, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(on_data.predict(data, verbose=0),
                               on_arrays.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_pydataset_defaults_and_errors():
    class NoInit(keras.utils.PyDataset):
        def __len__(self):
            return 2

    assert (NoInit().workers, NoInit().use_multiprocessing, NoInit().num_batches) == \
        (1, False, 2)
    assert keras.utils.PyDataset().num_batches is None
    with pytest.raises(ValueError, match="workers.*Received: workers=-1"):
        keras.utils.PyDataset(workers=-1)
    assert issubclass(keras.utils.PyDataset, keras.utils.Sequence)
