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

from keras_bridge import applications, ops
from keras_bridge.applications import imagenet_utils, mobilenet_v2
from keras_bridge.layers import Input
from keras_bridge.models import Model
from keras_bridge.utils import DownloadError
from tests.support.applications_weights import seeded_images, seeded_weights
from tests.support.make_keras3_applications import BUILDS, PREDICT

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "support", "fixtures")
with open(os.path.join(FIXTURES, "keras3_applications.json")) as _f:
    KERAS = json.load(_f)
KERAS_H5 = os.path.join(FIXTURES, "keras3_mobilenet_v2_notop.h5")
NOTOP_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
# Deep random networks in float32 on two engines: differences grow with depth; relative
# to the output's scale they stay far below 1e-4 (measured ~1e-6).
RTOL = 1e-4


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
@pytest.mark.parametrize("key", sorted(BUILDS))
def test_architecture_matches_keras(key):
    model = build(key)
    want = KERAS["builds"][key]
    assert model.name == want["name"]
    assert model.count_params() == want["params"]
    assert [layer.name for layer in model.layers[1:]] == want["layers"]
    assert list(model.output.shape[1:]) == want["output_shape"]


@pytest.mark.parametrize("key", PREDICT)
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


def test_weights_path_loads_a_local_file(backend, tmp_path):
    path = tmp_path / "mine.h5"
    shutil.copy(KERAS_H5, path)
    model = _notop(weights=str(path))
    assert_close_to_keras(model.predict(seeded_images(), verbose=0), "mobilenet_v2_notop")


def test_imagenet_weights_offline_is_a_download_error(server, home, monkeypatch):
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", server.url + "/missing/")
    with pytest.raises(DownloadError, match=NOTOP_FILE):
        _notop(weights="imagenet")
    assert not (home.parent / "models" / NOTOP_FILE).exists()


def test_resnet_imagenet_file_name_url_and_hash_are_kerass(monkeypatch):
    seen = {}

    def fake_get_file(fname, origin, cache_subdir, file_hash):
        seen.update(fname=fname, origin=origin, cache_subdir=cache_subdir, hash=file_hash)
        raise DownloadError("offline")

    monkeypatch.setattr(imagenet_utils, "get_file", fake_get_file)
    with pytest.raises(DownloadError):
        applications.ResNet50(include_top=False, input_shape=(32, 32, 3))
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert seen == {"fname": name, "cache_subdir": "models",
                    "origin": "https://storage.googleapis.com/tensorflow/"
                              "keras-applications/resnet/" + name,
                    "hash": "4d473c1dd8becc155b73f8504c6f6626"}


# ---- Keras's argument errors ---------------------------------------------------------------
@pytest.mark.parametrize("fn", [applications.ResNet50, applications.VGG16,
                                applications.MobileNetV2, applications.EfficientNetB0])
def test_argument_errors_as_keras(fn, tmp_path):
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        fn(weights=str(tmp_path / "no_such_file.h5"))
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        fn(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        fn(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
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
                               torch_mode, rtol=1e-5)
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
