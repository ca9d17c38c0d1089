"""Xception (Chollet 2017): depthwise separable convolutions in an entry flow with
strided residual shortcuts, eight middle-flow blocks and an exit flow. Keras's layer
names (its shortcut layers are unnamed, so they take default names)."""

from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import (Activation, BatchNormalization, Conv2D, MaxPooling2D,
                                 SeparableConv2D, add)

BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
#: md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _bn(name=None):
    return BatchNormalization(axis=iu.channel_axis(), name=name)


def _sep(x, filters, name):
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _bn(f"{name}_bn")(x)


def _strided_block(x, filters, block, first_relu=True):
    """Two separable convolutions and a stride-2 max pooling, summed with a strided
    1x1 convolution of the block's input."""
    residual = Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same",
                      use_bias=False)(x)
    residual = _bn()(residual)
    if first_relu:
        x = Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep(x, filters[0], f"block{block}_sepconv1")
    x = Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep(x, filters[1], f"block{block}_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """Instantiates the Xception architecture (299x299 default input, at least 71;
    inputs: ``xception.preprocess_input``, [-1, 1])."""
    img_input = iu.checked_image_input(weights, include_top, classes, input_tensor,
                                       input_shape, default_size=299, min_size=71)
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = _bn("block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = _bn("block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _strided_block(x, (128, 128), 2, first_relu=False)
    x = _strided_block(x, (256, 256), 3)
    x = _strided_block(x, (728, 728), 4)
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = _sep(x, 728, f"block{block}_sepconv{i}")
        x = add([x, residual])
    x = _strided_block(x, (728, 1024), 13)
    x = _sep(x, 1536, "block14_sepconv1")
    x = Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep(x, 2048, "block14_sepconv2")
    x = Activation("relu", name="block14_sepconv2_act")(x)
    x = iu.head(x, include_top, pooling, classes, classifier_activation, weights, named=False)
    return iu.finish(x, img_input, input_tensor, name, weights,
                     iu.keras_weights_file("xception", include_top, BASE, WEIGHTS_HASHES))


preprocess_input = iu.preprocess_input_for("tf")
decode_predictions = iu.decode_predictions
