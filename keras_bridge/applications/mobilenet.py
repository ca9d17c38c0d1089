"""MobileNet (Howard et al. 2017): depthwise separable convolutions; ``alpha`` scales
the width and ``depth_multiplier`` the depthwise channels. Keras's layer names."""

import warnings

from keras_bridge import config
from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import (Activation, BatchNormalization, Conv2D, DepthwiseConv2D,
                                 Dropout, GlobalAveragePooling2D, ReLU, Reshape,
                                 ZeroPadding2D)

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
WEIGHT_SIZES = (128, 160, 192, 224)
#: alpha -> the spelling in Keras's file names.
ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
#: (pointwise filters, stride) of the 13 depthwise separable blocks.
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
          (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """Instantiates the MobileNet architecture (inputs: ``preprocess_input``, [-1, 1]).
    Weight files exist for ``alpha`` in 0.25, 0.5, 0.75, 1.0 and square inputs of 128,
    160, 192 or 224 pixels (others load the 224 ones)."""
    iu.check_weights_argument(weights, include_top, classes)
    first = config.image_data_format() == "channels_first"
    default_size = 224
    if input_shape is not None and len(input_shape) == 3:
        rows, cols = input_shape[1:] if first else input_shape[:2]
        if rows == cols and rows in WEIGHT_SIZES:
            default_size = rows
    input_shape = iu.obtain_input_shape(input_shape, default_size=default_size,
                                        min_size=32, data_format=config.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    rows, cols = input_shape[1:] if first else input_shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"If imagenet weights are being loaded, depth multiplier must "
                             f"be 1.  Received depth_multiplier={depth_multiplier}")
        if alpha not in ALPHA_TEXT:
            raise ValueError(f"If imagenet weights are being loaded, alpha can be one of "
                             f"`0.25`, `0.50`, `0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in WEIGHT_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will "
                          "be loaded as the default.", stacklevel=2)
    img_input = iu.image_input(input_tensor, input_shape)
    x = Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
               name="conv1")(img_input)
    x = BatchNormalization(axis=iu.channel_axis(), name="conv1_bn")(x)
    x = ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(BLOCKS, 1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        iu.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling, named=False)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    top = "" if include_top else "_no_top"
    file_name = f"mobilenet_{ALPHA_TEXT.get(alpha, '2_5')}_{rows}_tf{top}.h5"
    return iu.finish(x, img_input, input_tensor, name, weights,
                     (file_name, BASE_WEIGHT_PATH + file_name))


def _depthwise_conv_block(inputs, filters, alpha, depth_multiplier, stride, block_id):
    """3x3 depthwise convolution then 1x1 pointwise, each with batch norm and ReLU6;
    a stride-2 block pads bottom/right as TensorFlow's 'same' does."""
    x = inputs
    if stride == 2:
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid",
                        depth_multiplier=depth_multiplier, strides=(stride, stride),
                        use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = BatchNormalization(axis=iu.channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False,
               name=f"conv_pw_{block_id}")(x)
    x = BatchNormalization(axis=iu.channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


preprocess_input = iu.preprocess_input_for("tf")
decode_predictions = iu.decode_predictions
