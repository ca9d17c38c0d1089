"""keras_bridge.distribution's front end (Keras 3's meanings) and its error paths, in
one process with one device."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import distribution


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    distribution.set_distribution(None)


def _mesh(shape=(1,), names=("batch",)):
    return distribution.DeviceMesh(shape, names, devices=["cpu:0"] * int(np.prod(shape)))


def test_layout_map_matches_paths_as_regexes():
    mesh = _mesh((1, 1), ("batch", "model"))
    layouts = distribution.LayoutMap(mesh)
    layouts[".*dense.*/kernel"] = (None, "model")
    layouts["dense_1/bias"] = ("model",)
    assert layouts["my_model/dense_3/kernel"].axes == (None, "model")
    assert layouts["my_model/dense_3/kernel"].device_mesh is mesh  # filled in
    assert layouts["dense_1/bias"].axes == ("model",)
    assert layouts["conv2d/kernel"] is None
    assert layouts.get("conv2d/kernel") is None
    layouts[".*dense.*"] = ("model",)
    with pytest.raises(ValueError, match="matches several LayoutMap keys"):
        layouts["dense_2/kernel"]
    with pytest.raises(ValueError, match="already has the key"):
        layouts["dense_1/bias"] = ("model",)
    with pytest.raises(ValueError, match="TensorLayout or a tuple"):
        layouts["x"] = "model"
    with pytest.raises(ValueError, match=r"not axes of the mesh"):
        layouts["y"] = ("data",)
    assert len(layouts) == 3 and list(layouts)[0] == ".*dense.*/kernel"
    del layouts[".*dense.*"]
    assert layouts["dense_2/kernel"].axes == (None, "model")


def test_mesh_and_layout_errors():
    with pytest.raises(ValueError, match="same length"):
        distribution.DeviceMesh((2,), ("batch", "model"), devices=["cpu:0", "cpu:0"])
    with pytest.raises(ValueError, match="needs 4 devices; received 2"):
        distribution.DeviceMesh((2, 2), ("a", "b"), devices=["cpu:0", "cpu:0"])
    with pytest.raises(ValueError, match="non-empty"):
        distribution.DeviceMesh((), ())
    layout = distribution.TensorLayout(("batch", None))
    layout.device_mesh = _mesh()
    with pytest.raises(ValueError, match="cannot be replaced"):
        layout.device_mesh = _mesh()


def test_distributions_follow_keras_meanings(backend):
    devices = distribution.list_devices()
    assert devices == ["cpu:0"]  # one CPU device in this process, Keras's spelling
    assert distribution.get_device_count() == 1
    dp = distribution.DataParallel(devices=devices)
    assert dp.batch_dim_name == "batch" and dp.device_mesh.shape == (1,)
    assert dp.num_model_replicas == 1 and dp.num_processes == 1 and dp.data_shard_id == 0
    assert dp.get_data_layout((8, 3)).axes == ("batch", None)
    kernel = keras.layers.Dense(2)
    kernel.build((None, 3))
    assert dp.get_variable_layout(kernel.kernel).axes == (None, None)
    mesh = distribution.DeviceMesh((1, 1), ("data", "model"), devices=["cpu:0"])
    layouts = distribution.LayoutMap(mesh)
    layouts[".*kernel"] = (None, "model")
    mp = distribution.ModelParallel(layout_map=layouts)
    assert mp.batch_dim_name == "data"  # the mesh's first axis
    assert mp.get_variable_layout(kernel.kernel).axes == (None, "model")
    assert mp.get_variable_layout(kernel.bias).axes == (None,)
    layouts[".*bias"] = (None, "model")
    with pytest.raises(ValueError, match="one axis name"):
        mp.get_variable_layout(kernel.bias)
    with pytest.raises(ValueError, match="needs a layout_map"):
        distribution.ModelParallel()
    with pytest.raises(ValueError, match="must be a LayoutMap"):
        distribution.ModelParallel(layout_map={".*": (None,)})
    with pytest.raises(ValueError, match="'batch' is not an axis"):
        distribution.ModelParallel(layout_map=layouts, batch_dim_name="batch")


def test_scope_and_set_distribution(backend):
    dp = distribution.DataParallel()
    assert distribution.distribution() is None
    with dp.scope():
        assert distribution.distribution() is dp
    assert distribution.distribution() is None
    with pytest.raises(ValueError, match="expects a Distribution or None"):
        distribution.set_distribution("data_parallel")


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def test_one_device_distribution_trains_as_without(backend):
    x = np.random.RandomState(0).randn(8, 3).astype("float32")
    y = np.ones((8, 2), "float32")
    plain = _model()
    expected = plain.fit(x, y, batch_size=4, epochs=1, verbose=0).history
    with distribution.DataParallel().scope():
        model = _model()
        history = model.fit(x, y, batch_size=4, epochs=1, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    model.predict(x, verbose=0)  # the scope is over: the model keeps its distribution


def test_set_distribution_after_the_model_is_bound_is_an_error(backend):
    model = _model()
    x = np.zeros((4, 3), "float32")
    model.predict(x, verbose=0)
    weights = model.get_weights()
    distribution.set_distribution(distribution.DataParallel())
    with pytest.raises(RuntimeError, match="bound to its engine under distribution None; "
                                           "set_distribution"):
        model.fit(x, np.zeros((4, 2)), verbose=0)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)  # nothing changed


def test_initialize_needs_a_complete_job_description(backend, monkeypatch):
    distribution.initialize()  # one process, no launcher: nothing to do
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    with pytest.raises(ValueError, match=r"\['job_addresses', 'process_id'\] missing"):
        distribution.initialize()
    with pytest.raises(ValueError, match=r"process_id must be in \[0, 2\)"):
        distribution.initialize(job_addresses="localhost:1234", process_id=2)
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "two")
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_NUM_PROCESSES='two'"):
        distribution.initialize()


def test_torch_refuses_an_incomplete_torchrun_environment(monkeypatch):
    pytest.importorskip("torch")
    keras.config.set_backend("torch")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    with pytest.raises(ValueError, match=r"\['MASTER_ADDR', 'MASTER_PORT'\] missing.*"
                                         r"torchrun --nproc_per_node"):
        distribution.initialize()


def test_torch_needs_one_process_per_device_and_no_split_weights():
    pytest.importorskip("torch")
    keras.config.set_backend("torch")
    mesh = distribution.DeviceMesh((2,), ("batch",), devices=["cpu:0", "cpu:1"])
    with distribution.DataParallel(device_mesh=mesh).scope():
        with pytest.raises(ValueError, match="2 devices, but this torch job has 1 process"):
            _model().predict(np.zeros((2, 3)), verbose=0)
    layouts = distribution.LayoutMap(_mesh((1, 1), ("batch", "model")))
    layouts[".*kernel"] = (None, "model")
    with distribution.ModelParallel(layout_map=layouts).scope():
        with pytest.raises(NotImplementedError, match="ModelParallel with split weights"):
            _model().predict(np.zeros((2, 3)), verbose=0)
