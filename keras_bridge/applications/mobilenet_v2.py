"""MobileNetV2 (Sandler et al. 2018): inverted residual blocks with linear
bottlenecks; ``alpha`` scales the width. Keras's layer names and weight files."""

import warnings

from keras_bridge import config
from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import (Add, BatchNormalization, Conv2D, DepthwiseConv2D, ReLU,
                                 ZeroPadding2D)

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v2/")
WEIGHT_SIZES = (96, 128, 160, 192, 224)
WEIGHT_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
#: (filters, stride, expansion) of the 17 inverted residual blocks.
BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
          (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
          (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name):
    return BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999,
                              name=name)


def _square_size(shape):
    """The side of a square input in Keras's weight sizes, else 224."""
    if shape is None or len(shape) < 3:
        return 224  # obtain_input_shape reports a malformed shape
    if config.image_data_format() == "channels_first":
        rows, cols = shape[-2], shape[-1]
    else:
        rows, cols = shape[-3], shape[-2]
    return rows if rows == cols and rows in WEIGHT_SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """Instantiates the MobileNetV2 architecture (inputs: ``preprocess_input``,
    [-1, 1]). Weight files exist for ``alpha`` in 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 and
    square inputs of 96, 128, 160, 192 or 224 pixels (others load the 224 ones)."""
    iu.check_weights_argument(weights, include_top, classes)
    if input_tensor is not None and not iu.is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor is not a Keras tensor; Received "
                         f"`input_tensor={input_tensor}`")
    if input_shape is not None and input_tensor is not None:
        side = 1 if config.image_data_format() == "channels_first" else 2
        if input_tensor.shape[side] != input_shape[1]:
            raise ValueError(f"input_tensor.shape[{side}] must equal input_shape[1]; "
                             f"Received `input_tensor.shape={input_tensor.shape}`, "
                             f"`input_shape={input_shape}`")
    if input_shape is None and input_tensor is not None:
        default_size = _square_size(input_tensor.shape)
    else:
        default_size = _square_size(input_shape)
    input_shape = iu.obtain_input_shape(input_shape, default_size=default_size,
                                        min_size=32, data_format=config.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    first = config.image_data_format() == "channels_first"
    rows, cols = (input_shape[1], input_shape[2]) if first else input_shape[:2]
    if weights == "imagenet":
        if alpha not in WEIGHT_ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        if rows != cols or rows not in WEIGHT_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) "
                          "will be loaded as the default.", stacklevel=2)
    img_input = iu.image_input(input_tensor, input_shape)
    x = Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
               padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = ReLU(6.0, name="out_relu")(x)
    x = iu.head(x, include_top, pooling, classes, classifier_activation, weights,
                top_pool=None, named=False)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    top = "" if include_top else "_no_top"
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
    return iu.finish(x, img_input, input_tensor, name, weights,
                     (file_name, BASE_WEIGHT_PATH + file_name))


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """1x1 expansion (not in block 0), 3x3 depthwise, linear 1x1 projection; a
    residual sum when the shapes allow it."""
    in_channels = inputs.shape[iu.channel_axis()]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                   name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=iu.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                        padding="same" if stride == 1 else "valid",
                        name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
               name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x


preprocess_input = iu.preprocess_input_for("tf")
decode_predictions = iu.decode_predictions
