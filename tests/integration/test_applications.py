"""keras_bridge.applications against Keras 3: architecture (model name, parameter count,
output shape, layer names) and predictions on shared seeded weights, from the fixture
tests/support/make_keras3_applications.py made with Keras 3.15.1; ``weights="imagenet"``
through get_file against a loopback server (a Keras-written HDF5 file in the layout of
Keras's ImageNet files); preprocessing, decoding and Keras's argument errors."""

import hashlib
import json
import os
import shutil
import warnings

import numpy as np
import pytest

from keras_bridge import applications, config, ops
from keras_bridge.applications import imagenet_utils, mobilenet_v2
from keras_bridge.layers import Input
from keras_bridge.models import Model
from keras_bridge.utils import DownloadError
from tests.support.applications_weights import seeded_images, seeded_weights
from tests.support.make_keras3_applications import BUILDS

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "support", "fixtures")
with open(os.path.join(FIXTURES, "keras3_applications.json")) as _f:
    KERAS = json.load(_f)
KERAS_H5 = os.path.join(FIXTURES, "keras3_mobilenet_v2_notop.h5")
NOTOP_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
# Deep random networks in float32 against Keras on JAX: differences grow with depth;
# relative to the output's scale they stay below 1e-6 (measured on both engines for all
# the fixture's predictions), so 1e-5 of the scale leaves a margin.
RTOL = 1e-5


def build(key):
    fn, kwargs = BUILDS[key]
    return getattr(applications, fn)(**kwargs)


def assert_close_to_keras(got, key):
    want = np.asarray(KERAS["predictions"][key], dtype="float32")
    assert got.shape == want.shape
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


# Building creates weights but runs no engine (a model resolves its backend when first
# used), so the architecture checks run once, not per engine.
# The fixture records every build of the script; the suite checks one of each family
# and depth pattern (ResNet101/152 share ResNet50's code with more blocks).
ARCHITECTURES = ["resnet50", "resnet50_notop", "resnet101_notop", "resnet50v2",
                 "vgg16", "vgg16_notop", "vgg19_notop",
                 "mobilenet_v2_035", "mobilenet_v2_notop", "mobilenet_v2_224",
                 "efficientnetb0", "efficientnetb0_notop", "efficientnetb1_notop",
                 "mobilenet_025", "mobilenet_notop", "densenet121", "densenet169_notop",
                 "xception_notop", "inception_v3_notop"]
# Predictions on both engines for three small models (convolutions, depthwise ones,
# batch norm, padding, squeeze-and-excitation, residual sums, the in-model
# Rescaling / Normalization); a JAX compile of a deep model costs seconds, so the
# fixture's other predictions (resnet50_notop, resnet50v2, vgg16_notop, densenet121)
# were checked on both engines when it was made.
PREDICTIONS = ["mobilenet_v2_035", "efficientnetb0_notop", "mobilenet_025"]


@pytest.mark.parametrize("key", ARCHITECTURES)
def test_architecture_matches_keras(key):
    model = build(key)
    want = KERAS["builds"][key]
    assert model.name == want["name"]
    assert model.count_params() == want["params"]
    assert [layer.name for layer in model.layers[1:]] == want["layers"]
    assert list(model.output.shape[1:]) == want["output_shape"]


@pytest.mark.parametrize("key", PREDICTIONS)
def test_predictions_match_keras_on_shared_weights(backend, key):
    model = build(key)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(seeded_weights(layer.name, layer.get_weights()))
    assert_close_to_keras(model.predict(seeded_images(), verbose=0), key)


def _notop(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 32 px is not a size Keras has weights for
        return applications.MobileNetV2(alpha=0.35, include_top=False,
                                        input_shape=(32, 32, 3), **kwargs)


def test_imagenet_weights_come_through_get_file_into_the_models_cache(backend, server, home,
                                                                      monkeypatch):
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", server.url + "/w/")
    with open(KERAS_H5, "rb") as f:
        server.routes["/w/" + NOTOP_FILE] = f.read()
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        model = applications.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                         input_shape=(32, 32, 3))
    cached = home.parent / "models" / NOTOP_FILE
    assert cached.is_file() and server.requests == ["/w/" + NOTOP_FILE]
    assert_close_to_keras(model.predict(seeded_images(), verbose=0), "mobilenet_v2_notop")
    _notop(weights="imagenet")  # a file already in ~/.keras/models is used as it is
    assert server.requests == ["/w/" + NOTOP_FILE]


def test_weights_path_loads_a_local_file(tmp_path):
    path = tmp_path / "mine.h5"
    shutil.copy(KERAS_H5, path)
    model = _notop(weights=str(path))  # Keras wrote seeded_weights into this file
    for layer in model.layers:
        for got, want in zip(layer.get_weights(),
                             seeded_weights(layer.name, layer.get_weights())):
            np.testing.assert_array_equal(got, want)


def test_imagenet_weights_offline_is_a_download_error(server, home, monkeypatch):
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", server.url + "/missing/")
    with pytest.raises(DownloadError, match=NOTOP_FILE):
        _notop(weights="imagenet")
    assert not (home.parent / "models" / NOTOP_FILE).exists()


GS = "https://storage.googleapis.com/"
KA = GS + "tensorflow/keras-applications/"


@pytest.mark.parametrize("fn, kwargs, origin, file_hash", [
    (applications.ResNet50, {}, KA + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "4d473c1dd8becc155b73f8504c6f6626"),
    (applications.MobileNet, {"alpha": 0.25, "input_shape": (128, 128, 3)},
     KA + "mobilenet/mobilenet_2_5_128_tf_no_top.h5", None),
    (applications.DenseNet121, {},
     KA + "densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "30ee3e1110167f948a6b9946edeeb738"),
    (applications.EfficientNetB0, {}, GS + "keras-applications/efficientnetb0_notop.h5",
     "50bc09e76180e00e4465e1a485ddc09d"),
    (applications.Xception, {"input_shape": (71, 71, 3)},
     KA + "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "b0042744bf5b25fce3cb969f33bebb97"),
    (applications.InceptionV3, {"input_shape": (75, 75, 3)},
     KA + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "bcbd6486424b2319ff4ef7d526e38f63"),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_imagenet_file_names_urls_and_hashes_are_kerass(fn, kwargs, origin, file_hash,
                                                        monkeypatch):
    seen = {}

    def fake_get_file(fname, origin, cache_subdir, file_hash):
        seen.update(fname=fname, origin=origin, cache_subdir=cache_subdir, hash=file_hash)
        raise DownloadError("offline")

    monkeypatch.setattr(imagenet_utils, "get_file", fake_get_file)
    with pytest.raises(DownloadError):
        fn(include_top=False, **{"input_shape": (32, 32, 3), **kwargs})
    assert seen == {"fname": origin.rsplit("/", 1)[1], "origin": origin,
                    "cache_subdir": "models", "hash": file_hash}


# ---- Keras's argument errors ---------------------------------------------------------------
@pytest.mark.parametrize("fn, size, min_size", [
    (applications.ResNet50, 224, 32), (applications.VGG16, 224, 32),
    (applications.MobileNetV2, 224, 32), (applications.EfficientNetB0, 224, 32),
    (applications.MobileNet, 224, 32), (applications.DenseNet121, 224, 32),
    (applications.Xception, 299, 71), (applications.InceptionV3, 299, 75)])
def test_argument_errors_as_keras(fn, size, min_size, tmp_path):
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        fn(weights=str(tmp_path / "no_such_file.h5"))
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        fn(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match=f"at least {min_size}x{min_size}"):
        fn(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=f"should be \\({size}, {size}, 3\\)"):
        fn(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="three integers"):
        fn(weights=None, include_top=False, input_shape=(32, 32))
    with pytest.raises(ValueError, match="static `input_shape`"):
        fn(weights=None, input_shape=(None, None, 3))


def test_pretrained_classifier_allows_only_softmax_or_none(monkeypatch):
    monkeypatch.setattr(imagenet_utils, "get_file", pytest.fail)
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3),
                                 classifier_activation="relu")
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(alpha=0.6, include_top=False)
    with pytest.raises(ValueError, match="alpha can be one of"):
        applications.MobileNet(alpha=0.3, include_top=False)
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        applications.MobileNet(depth_multiplier=2, include_top=False)
    config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="DenseNet does not support the `channels_first`"):
        applications.DenseNet121(weights=None)
    config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="not a Keras tensor"):
        applications.MobileNetV2(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_input_tensor_is_used_as_the_model_input():
    x = Input((40, 40, 3))
    model = applications.ResNet50V2(weights=None, include_top=False, input_tensor=x)
    assert model.inputs[0] is x and tuple(model.output.shape) == (None, 2, 2, 2048)


# ---- preprocess_input / decode_predictions -------------------------------------------------
def _images():
    return np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")


def test_preprocess_modes_match_numpy_math():
    x = _images()
    caffe = x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
    np.testing.assert_allclose(applications.resnet.preprocess_input(x.copy()), caffe,
                               rtol=1e-6)
    np.testing.assert_allclose(applications.vgg16.preprocess_input(x.copy()), caffe,
                               rtol=1e-6)
    np.testing.assert_allclose(applications.mobilenet_v2.preprocess_input(x.copy()),
                               x / 127.5 - 1, rtol=1e-6, atol=1e-6)
    torch_mode = (x / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="torch"),
                               torch_mode, rtol=1e-5, atol=1e-6)
    first = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(
        applications.resnet.preprocess_input(first.copy(), data_format="channels_first"),
        np.moveaxis(caffe, -1, 1), rtol=1e-6)
    uint8 = x.astype("uint8")
    assert applications.resnet_v2.preprocess_input(uint8).dtype == np.float32
    assert applications.efficientnet.preprocess_input(x) is x
    with pytest.raises(ValueError, match="mode to be one of"):
        imagenet_utils.preprocess_input(x, mode="keras")
    with pytest.raises(ValueError, match="data_format to be one of"):
        imagenet_utils.preprocess_input(x, data_format="NHWC")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_symbolic_tensor_inside_a_model(backend, mode):
    x = _images()
    inp = Input((4, 5, 3))
    model = Model(inp, imagenet_utils.preprocess_input(inp, mode=mode))
    want = imagenet_utils.preprocess_input(x.copy(), mode=mode)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    eager = ops.convert_to_numpy(imagenet_utils.preprocess_input(ops.convert_to_tensor(x),
                                                                 mode=mode))
    np.testing.assert_allclose(eager, want, rtol=1e-5, atol=1e-5)


def test_decode_predictions_fetches_the_class_index_once(server, home, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    body = json.dumps(index).encode()
    server.routes["/imagenet_class_index.json"] = body
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH",
                        server.url + "/imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(body).hexdigest())
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    preds = np.zeros((2, 1000), "float32")
    preds[0, [3, 7, 1]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    got = applications.resnet.decode_predictions(preds, top=3)
    assert [r[:2] for r in got[0]] == [("n00000003", "class_3"), ("n00000007", "class_7"),
                                       ("n00000001", "class_1")]
    assert got[0][0][2] == pytest.approx(0.5) and got[1][0][:2] == ("n00000999", "class_999")
    applications.mobilenet_v2.decode_predictions(preds)
    assert server.requests == ["/imagenet_class_index.json"]
    assert (home.parent / "models" / "imagenet_class_index.json").is_file()
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
