"""Keras 2.2.4's module paths: each re-exports the project's canonical objects (``is``
identity, no copies), plus the behaviour of the few Keras 2 helpers that are new code
(InputSpec fields, get_source_inputs, clone_model, Progbar, conv_utils, the errors of
what is not supported)."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import keras_bridge
from keras_bridge import layers as L
from keras_bridge import models as M

# module path -> the names Keras 2.2.4 had there that exist in this project, and where
# the canonical object lives.
LAYER_MODULES = {
    "core": ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute",
             "RepeatVector", "Lambda", "Masking", "SpatialDropout1D", "SpatialDropout2D",
             "SpatialDropout3D", "ActivityRegularization"],
    "convolutional": ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose",
                      "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D",
                      "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D",
                      "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
                      "Cropping3D", "Convolution1D", "Convolution2D", "Convolution3D",
                      "SeparableConvolution1D", "SeparableConvolution2D",
                      "Convolution2DTranspose", "Deconvolution2D", "Deconv2D",
                      "Deconvolution3D", "Deconv3D", "MaxPooling1D", "MaxPooling2D",
                      "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                      "AveragePooling3D"],
    "pooling": ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
                "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
                "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D",
                "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
                "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
                "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"],
    "recurrent": ["RNN", "SimpleRNN", "SimpleRNNCell", "GRU", "GRUCell", "LSTM",
                  "LSTMCell", "StackedRNNCells"],
    "embeddings": ["Embedding"],
    "merge": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
              "Concatenate", "Dot", "add", "subtract", "multiply", "average", "maximum",
              "minimum", "concatenate", "dot"],
    "normalization": ["BatchNormalization"],
    "noise": ["GaussianNoise", "GaussianDropout", "AlphaDropout"],
    "advanced_activations": ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax",
                             "ReLU"],
    "wrappers": ["Wrapper", "TimeDistributed", "Bidirectional"],
    "local": ["LocallyConnected1D", "LocallyConnected2D"],
    "convolutional_recurrent": ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"],
    "cudnn_recurrent": ["CuDNNLSTM", "CuDNNGRU"],
}


@pytest.mark.parametrize("module", sorted(LAYER_MODULES))
def test_layer_module_reexports_the_canonical_objects(module):
    mod = importlib.import_module(f"keras_bridge.layers.{module}")
    for name in LAYER_MODULES[module]:
        assert getattr(mod, name) is getattr(L, name), f"layers.{module}.{name}"


def test_keras2_from_imports():
    from keras_bridge.layers.convolutional import Cropping2D, MaxPooling2D
    from keras_bridge.layers.convolutional import UpSampling2D, ZeroPadding2D
    from keras_bridge.layers.core import Masking, SpatialDropout2D
    assert (MaxPooling2D, ZeroPadding2D, UpSampling2D, Cropping2D) == (
        L.MaxPooling2D, L.ZeroPadding2D, L.UpSampling2D, L.Cropping2D)
    assert Masking is L.Masking and SpatialDropout2D is L.SpatialDropout2D
    assert L.Deconvolution2D is L.Conv2DTranspose and L.Deconv3D is L.Conv3DTranspose


def test_lazy_reexports_name_what_is_missing():
    from keras_bridge.layers import recurrent
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        recurrent.Nope  # noqa: B018


def test_star_imports_of_keras2_modules():
    for module in LAYER_MODULES:
        namespace = {}
        exec(f"from keras_bridge.layers.{module} import *", namespace)
        for name in LAYER_MODULES[module]:
            if module == "recurrent" and name == "StackedRNNCells":
                continue  # re-exported lazily (it imports this module), not starred
            assert namespace[name] is getattr(L, name), f"{module}.{name}"


def test_engine_modules():
    from keras_bridge import engine
    from keras_bridge.engine import base_layer, input_layer, network, saving, sequential
    from keras_bridge.engine import topology, training
    for mod in (engine, topology):
        assert mod.Layer is L.Layer and mod.InputSpec is L.InputSpec
        assert mod.Input is L.Input and mod.InputLayer is L.InputLayer
        assert mod.get_source_inputs is keras_bridge.utils.get_source_inputs
    assert topology.Network is M.Model and engine.Network is M.Model
    assert engine.Model is M.Model and training.Model is M.Model
    assert sequential.Sequential is M.Sequential
    assert base_layer.Layer is L.Layer and base_layer.InputSpec is L.InputSpec
    assert input_layer.Input is L.Input and network.Network is M.Model
    assert saving.load_model is M.load_model and saving.model_from_json is M.model_from_json
    assert keras_bridge.engine is engine


def test_models_module():
    assert M.Input is L.Input and M.InputLayer is L.InputLayer
    assert M.load_model is keras_bridge.saving.load_model
    with pytest.raises(RuntimeError, match=r"model_from_yaml\(\).*model_from_json"):
        M.model_from_yaml("class_name: Sequential")


def test_utils_modules():
    from keras_bridge import saving, utils
    from keras_bridge.training import progbar
    from keras_bridge.utils import conv_utils, data_utils, generic_utils, io_utils
    from keras_bridge.utils import layer_utils, multi_gpu_utils, np_utils, vis_utils
    assert data_utils.get_file is utils.get_file and data_utils.Sequence is utils.Sequence
    for name in ("CustomObjectScope", "custom_object_scope", "get_custom_objects",
                 "serialize_keras_object", "deserialize_keras_object"):
        assert getattr(generic_utils, name) is getattr(saving, name)
        assert getattr(utils, name) is getattr(saving, name)
    assert utils.Progbar is generic_utils.Progbar
    assert issubclass(generic_utils.Progbar, progbar.Progbar)
    assert layer_utils.print_summary is utils.print_summary
    assert utils.plot_model is vis_utils.plot_model
    assert utils.HDF5Matrix is io_utils.HDF5Matrix
    assert utils.multi_gpu_model is multi_gpu_utils.multi_gpu_model
    assert utils.np_utils is np_utils and utils.generic_utils is generic_utils
    assert utils.conv_utils is conv_utils
    assert "generic_utils" in dir(utils) and "Progbar" in utils.__all__


def test_initializer_keras2_aliases():
    from keras_bridge import initializers as I
    assert I.zero is I.Zeros and I.one is I.Ones
    assert I.uniform is I.RandomUniform and I.normal is I.RandomNormal
    assert isinstance(I.glorot_uniform(seed=1), I.GlorotUniform)
    assert isinstance(I.he_normal(), I.VarianceScaling)
    assert type(I.get("uniform")) is I.RandomUniform


def test_new_modules_import_no_engine():
    code = ("import sys\n"
            "import keras_bridge.engine.topology, keras_bridge.layers.merge\n"
            "import keras_bridge.utils.generic_utils, keras_bridge.utils.layer_utils\n"
            "import keras_bridge.utils.conv_utils, keras_bridge.layers.local\n"
            "from keras_bridge.layers.core import Masking\n"
            "assert 'torch' not in sys.modules and 'jax' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- behaviour of the new Keras 2 helpers ------------------------------------------
def test_input_spec_fields_and_checks():
    spec = L.InputSpec(dtype="float32", shape=(None, 4), axes={-1: 4})
    assert spec.ndim == 2 and spec.dtype == "float32" and spec.shape == (None, 4)
    assert repr(spec) == "InputSpec(dtype=float32, shape=(None, 4), ndim=2, axes={-1: 4})"
    assert L.InputSpec.from_config(spec.get_config()).get_config() == spec.get_config()

    class Pair(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = L.InputSpec(shape=(None, 2), max_ndim=2)

        def call(self, inputs):
            return inputs

    layer = Pair(name="pair")
    layer(L.Input((2,)))
    assert isinstance(layer.input_spec, L.InputSpec)
    with pytest.raises(ValueError, match=r"'pair'.*expected shape=\(None, 2\), found "
                                         r"shape=\(None, 3\)"):
        Pair(name="pair")(L.Input((3,)))
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3"):
        Pair()(L.Input((2, 2)))
    spec = L.InputSpec(max_ndim=2)
    with pytest.raises(ValueError, match=r"expected max_ndim=2, found ndim=3"):
        spec.check(L.Dense(1), (None, 2, 2))


def test_get_source_inputs():
    from keras_bridge.engine import get_source_inputs
    a, b, c = L.Input((2,)), L.Input((2,)), L.Input((2,))
    merged = L.add([L.Dense(2)(b), a])
    assert get_source_inputs(merged) == [b, a]
    assert get_source_inputs(a) == [a]
    inner = M.Model([a, b], merged)
    assert get_source_inputs(inner([c, L.Dense(2)(c)])) == [c]
    with pytest.raises(ValueError, match="expects symbolic tensors"):
        get_source_inputs(np.zeros(2))


def test_count_params():
    from keras_bridge.utils.layer_utils import count_params
    model = M.Sequential([L.Dense(3, input_shape=(4,)), L.Dense(2)])
    assert count_params(model.weights) == 4 * 3 + 3 + 3 * 2 + 2
    assert count_params(model.weights + model.weights[:1]) == 23  # each weight once


def test_clone_model_has_the_architecture_and_fresh_weights(backend):
    from keras_bridge.utils import set_random_seed
    set_random_seed(0)
    model = M.Sequential([L.Dense(3, input_shape=(4,), name="d1"), L.Dense(2, name="d2")])
    model.compile("sgd", "mse")
    clone = M.clone_model(model)
    assert type(clone) is M.Sequential and [l.name for l in clone.layers] == ["d1", "d2"]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)
    i = L.Input((4,))
    functional = M.Model(i, [L.Dense(2)(i), L.Dense(1)(i)])
    assert [t.shape for t in M.clone_model(functional).outputs] == [(None, 2), (None, 1)]
    with pytest.raises(ValueError, match="input_tensors"):
        M.clone_model(model, input_tensors=[L.Input((4,))])
    with pytest.raises(ValueError, match="Expected `model` to be a Model"):
        M.clone_model(L.Dense(2))


def test_model_to_yaml_is_refused():
    model = M.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"to_yaml\(\).*to_json"):
        model.to_yaml()


def test_keras2_progbar_averages_pairs(capsys):
    from keras_bridge.utils import Progbar
    bar = Progbar(4, verbose=2, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.add(3, [("loss", 3.0), ("acc", 0.75)])  # loss: (1 * 1 + 3 * 3) / 4 = 2.5
    out = capsys.readouterr().out
    assert out.startswith("4/4 - ") and out.endswith("- loss: 2.5000 - acc: 0.7500\n")
    quiet = Progbar(2, verbose=0)
    quiet.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_conv_utils():
    from keras_bridge.utils import conv_utils
    # Keras 2's rule, written out: ceil((n - span + 1) / s) for 'valid', ceil(n / s) for
    # 'same' and 'causal', ceil((n + span - 1) / s) for 'full'; span = (k - 1) * d + 1.
    assert conv_utils.conv_output_length(10, 3, "valid", 2) == 4
    assert conv_utils.conv_output_length(10, 3, "same", 3) == 4
    assert conv_utils.conv_output_length(10, 3, "causal", 1, dilation=2) == 10
    assert conv_utils.conv_output_length(10, 3, "full", 1, dilation=2) == 14
    assert conv_utils.conv_output_length(None, 3, "valid", 1) is None
    assert conv_utils.normalize_tuple(2, 3, "strides") == (2, 2, 2)
    assert conv_utils.normalize_tuple([1, 0], 2, "padding") == (1, 0)
    assert conv_utils.normalize_padding("SAME") == "same"
    with pytest.raises(ValueError, match="`kernel_size`.*tuple of 2"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "kernel_size")
    with pytest.raises(ValueError, match="padding.*Received: padding='wide'"):
        conv_utils.conv_output_length(10, 3, "wide", 1)


def test_generic_utils_helpers():
    from keras_bridge.utils.generic_utils import has_arg, to_list
    assert to_list(1) == [1] and to_list([1]) == [1] and to_list((1, 2)) == [(1, 2)]
    assert to_list((1, 2), allow_tuple=True) == [1, 2]

    def f(a, *, b=1, **kwargs):
        pass

    assert has_arg(f, "a") and has_arg(f, "b") and not has_arg(f, "c")
    assert has_arg(f, "c", accept_all=True) and not has_arg(lambda a: a, "c", True)


def test_unsupported_keras2_utilities_say_what_to_do():
    from keras_bridge import utils
    model = M.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(NotImplementedError, match=r"HDF5Matrix\('d.h5', 'x'\).*numpy array"):
        utils.HDF5Matrix("d.h5", "x")
    with pytest.raises(NotImplementedError, match="torchrun.*jax.sharding"):
        utils.multi_gpu_model(model, gpus=2)


def test_shared_layer_shapes_as_keras2():
    shared = L.Dense(3, name="shared")
    a, b = L.Input((4,)), L.Input((4,))
    shared(a), shared(b)
    assert shared.input_shape == (None, 4) and shared.output_shape == (None, 3)
    with pytest.raises(AttributeError, match="multiple inbound nodes, so its inputs"):
        shared.input  # noqa: B018 (two different tensors)
    shared(L.Input((5, 4)))
    with pytest.raises(AttributeError, match=r"'shared'.*different shapes.*input_shape"):
        shared.input_shape  # noqa: B018


def test_enqueuers_read_batches_in_order():
    from keras_bridge.utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, data_utils
    assert data_utils.OrderedEnqueuer is OrderedEnqueuer

    class Batches(Sequence):
        def __init__(self):
            self.epochs = 0

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return index * 10

        def on_epoch_end(self):
            self.epochs += 1

    seq = Batches()
    enqueuer = OrderedEnqueuer(seq, use_multiprocessing=False)
    with pytest.raises(RuntimeError, match=r"before start\(\)"):
        next(enqueuer.get())
    enqueuer.start(workers=2, max_queue_size=4)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(7)] == [0, 10, 20, 0, 10, 20, 0]
    assert seq.epochs == 2 and enqueuer.is_running()
    enqueuer.stop()
    assert not enqueuer.is_running() and list(batches) == []
    shuffled = OrderedEnqueuer(Batches(), shuffle=True)
    shuffled.start()
    first_epoch = [b for _, b in zip(range(3), shuffled.get())]
    assert sorted(first_epoch) == [0, 10, 20]
    gen = GeneratorEnqueuer(iter([1, 2, 3]))
    gen.start()
    assert list(gen.get()) == [1, 2, 3]
