"""What every ImageNet application shares: input preprocessing (the three ways the
original weights were trained), decoding of the 1000 ImageNet classes, and the model
builders' pieces (Keras's rules and messages): the checks and image input they start
with, the classifier or pooling head, and the model with its weights loaded."""

import json
import os
import warnings

import numpy as np

from keras_bridge import activations, config, ops
from keras_bridge.backend import is_keras_tensor  # noqa: F401 (used by builders)
from keras_bridge.graph import get_source_inputs
from keras_bridge.layers import (Dense, Dropout, GlobalAveragePooling2D, GlobalMaxPooling2D,
                                 Input)
from keras_bridge.models import Model
from keras_bridge.utils.data_utils import get_file

#: Keras's class index file: ``{"0": ["n01440764", "tench"], ...}``.
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
CLASS_INDEX = None

#: Per-channel statistics of the ImageNet training set (RGB order).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)


# ---- preprocessing ------------------------------------------------------------------------
def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of images (values in [0, 255], 3 channels) as a model expects.

    Modes: ``"caffe"``: RGB to BGR, then subtract the ImageNet mean per channel;
    ``"tf"``: scale to [-1, 1]; ``"torch"``: scale to [0, 1], then normalize per channel
    with the ImageNet mean and std. A float numpy array is changed in place (as in
    Keras); ints are cast to ``floatx`` first. Symbolic tensors and engine tensors are
    handled with ``keras_bridge.ops``.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


_MODE_DOCS = {
    "caffe": "Caffe-style: RGB to BGR and the ImageNet mean subtracted (no scaling).",
    "tf": "Scales pixels from [0, 255] to [-1, 1].",
    "torch": "Torch-style: scaled to [0, 1], then normalized with the ImageNet mean and std.",
}


def preprocess_input_for(mode):
    """An application module's ``preprocess_input(x, data_format=None)``: this module's
    ``preprocess_input`` with ``mode`` fixed."""
    def module_preprocess_input(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)
    module_preprocess_input.__name__ = module_preprocess_input.__qualname__ = "preprocess_input"
    module_preprocess_input.__doc__ = _MODE_DOCS[mode]
    return module_preprocess_input


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(TORCH_MEAN, shape).astype(x.dtype)
        x /= np.reshape(TORCH_STD, shape).astype(x.dtype)
        return x
    x = np.flip(x, axis=axis)  # RGB -> BGR (a view, as Keras's slicing)
    x -= np.reshape(CAFFE_MEAN_BGR, shape).astype(x.dtype)
    return x


def _preprocess_tensor(x, data_format, mode):
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    axis = _channel_axis(ndim, data_format)
    shape = [1] * ndim
    shape[axis] = 3
    dtype = x.dtype if isinstance(x.dtype, str) else str(x.dtype).rsplit(".", 1)[-1]
    if mode == "torch":
        x = x / 255.0
        mean = ops.convert_to_tensor(np.reshape(TORCH_MEAN, shape), dtype=dtype)
        std = ops.convert_to_tensor(np.reshape(TORCH_STD, shape), dtype=dtype)
        return (x - mean) / std
    x = ops.flip(x, axis=axis)
    mean = ops.convert_to_tensor(np.reshape(CAFFE_MEAN_BGR, shape), dtype=dtype)
    return x - mean


# ---- decoding -----------------------------------------------------------------------------
def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (shape ``(samples, 1000)``),
    as lists of ``(class_name, class_description, score)``, best first. The class index
    is fetched once with ``get_file`` into ``$KERAS_HOME/models`` (Keras's file)."""
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(f"`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         f"array of shape (samples, 1000)). Received array with shape: "
                         f"{tuple(preds.shape)}")
    if CLASS_INDEX is None:
        path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH,
                        cache_subdir="models", file_hash=CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    if not isinstance(preds, np.ndarray):  # an engine tensor (numpy needs no engine)
        preds = np.asarray(ops.convert_to_numpy(preds))
    for row in preds:
        best = row.argsort()[-top:][::-1]
        results.append(sorted((tuple(CLASS_INDEX[str(i)]) + (row[i],) for i in best),
                              key=lambda r: r[2], reverse=True))
    return results


# ---- model builders -----------------------------------------------------------------------
def check_weights_argument(weights, include_top, classes):
    """Keras's checks of ``weights`` (None, 'imagenet' or an existing file) and of
    ``classes`` with the ImageNet classifier."""
    if not (weights in ("imagenet", None)
            or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random "
                         "initialization), 'imagenet' (pre-training on ImageNet), or the "
                         f"path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, "
                         f"`classes` should be 1000.  Received classes={classes}")


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape: ``input_shape`` checked (3 axes, 3 channels for ImageNet
    weights, at least ``min_size`` pixels a side), or the default one; with the
    ImageNet classifier only the default size is allowed."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it "
                          f"was passed an input_shape with {channels} input channels.",
                          stacklevel=3)
        size = (default_size, default_size)
        default_shape = (channels,) + size if first else size + (channels,)
    else:
        default_shape = ((3, default_size, default_size) if first
                         else (default_size, default_size, 3))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` "
                             f"weights, `input_shape` should be {default_shape}.  "
                             f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        sides = input_shape[1:] if first else input_shape[:2]
        if any(s is not None and s < min_size for s in sides):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return input_shape


def checked_image_input(weights, include_top, classes, input_tensor, input_shape,
                        default_size, min_size):
    """What a builder starts with: ``check_weights_argument``, the input shape
    (``obtain_input_shape`` in the configured data format) and the ``image_input``."""
    check_weights_argument(weights, include_top, classes)
    input_shape = obtain_input_shape(input_shape, default_size=default_size,
                                     min_size=min_size, data_format=config.image_data_format(),
                                     require_flatten=include_top, weights=weights)
    return image_input(input_tensor, input_shape)


def image_input(input_tensor, input_shape):
    """The model's image input: a new ``Input`` or the given symbolic tensor."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor must be a symbolic tensor (from Input() or a layer "
                         f"called on one). Received: {type(input_tensor).__name__}")
    return input_tensor


def model_inputs(input_tensor, img_input):
    """The inputs the model starts from: those ``input_tensor`` is computed from."""
    if input_tensor is None:
        return img_input
    sources = get_source_inputs(input_tensor)
    return sources[0] if len(sources) == 1 else sources


def pool(x, pooling, named=True):
    """The feature-extraction head: ``pooling`` 'avg' or 'max' (global), or none.
    Some models name these layers ``avg_pool`` / ``max_pool``, others leave the
    default names."""
    if pooling == "avg":
        return GlobalAveragePooling2D(name="avg_pool" if named else None)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name="max_pool" if named else None)(x)
    return x


def predictions(x, classes, classifier_activation, weights, **kwargs):
    """The classifier's last layer, Dense ``predictions`` (``classifier_activation``
    checked against pretrained weights first); ``kwargs`` go to Dense."""
    validate_activation(classifier_activation, weights)
    return Dense(classes, activation=classifier_activation, name="predictions", **kwargs)(x)


def head(x, include_top, pooling, classes, classifier_activation, weights,
         top_pool="avg_pool", named=True, dropout=0.0, **kwargs):
    """The model's head. With ``include_top``: global average pooling (the layer named
    ``top_pool``; None for the default name), Dropout ``top_dropout`` when ``dropout`` >
    0, then ``predictions`` (``kwargs`` go to its Dense); else ``pool(x, pooling,
    named)``."""
    if not include_top:
        return pool(x, pooling, named)
    x = GlobalAveragePooling2D(name=top_pool)(x)
    if dropout > 0:
        x = Dropout(dropout, name="top_dropout")(x)
    return predictions(x, classes, classifier_activation, weights, **kwargs)


def keras_weights_file(key, include_top, base, hashes):
    """(file name, URL, md5) of Keras's ``<key>_weights_tf_dim_ordering_tf_kernels.h5``
    (``_notop`` without the classifier) under ``base``; ``hashes``: (with the classifier,
    without it)."""
    file_name = f"{key}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return file_name, base + file_name, hashes[0 if include_top else 1]


def finish(x, img_input, input_tensor, name, weights, weights_file=()):
    """The model from its inputs (``model_inputs``) to ``x``, named ``name``, with
    ``load_weights(model, weights, *weights_file)`` applied; ``weights_file``: (file
    name, URL[, md5]) of the ImageNet weights."""
    model = Model(model_inputs(input_tensor, img_input), x, name=name)
    return load_weights(model, weights, *weights_file)


def channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def correct_pad(inputs, kernel_size):
    """Zero padding ((top, bottom), (left, right)) that makes a stride-2 'valid'
    convolution of ``kernel_size`` line up as TensorFlow's 'same' one does."""
    first = config.image_data_format() == "channels_first"
    size = inputs.shape[2:4] if first else inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers allow only ``None`` or ``"softmax"``."""
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         f"with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def load_weights(model, weights, file_name=None, origin=None, file_hash=None):
    """``weights="imagenet"``: fetch Keras's file (same URL, hash and
    ``$KERAS_HOME/models`` cache, so files Keras downloaded are reused) and load it;
    a path: load that file."""
    if weights == "imagenet":
        weights = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    if weights is not None:
        model.load_weights(weights)
    return model
