"""InceptionV3 (Szegedy et al. 2015): parallel branches of factorized convolutions
concatenated into ``mixed0`` ... ``mixed10``. Keras's layer names: its convolution /
batch norm / ReLU triples are unnamed, so they take default names in creation order."""

from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import (Activation, AveragePooling2D, BatchNormalization, Conv2D,
                                 MaxPooling2D, concatenate)

BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
#: md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, batch norm without scale, ReLU."""
    x = Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
               use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = BatchNormalization(axis=3 if iu.channel_axis() == -1 else 1, scale=False,
                           name=None if name is None else f"{name}_bn")(x)
    return Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    pooled = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _block_35(x, pool_filters, name):
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    return concatenate([b1, b5, b3, _avg_branch(x, pool_filters)], axis=iu.channel_axis(),
                       name=name)


def _block_17(x, mid, name):
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, mid, 1, 1), mid, 1, 7), 192, 7, 1)
    d = conv2d_bn(x, mid, 1, 1)
    for filters, (rows, cols) in ((mid, (7, 1)), (mid, (1, 7)), (mid, (7, 1)), (192, (1, 7))):
        d = conv2d_bn(d, filters, rows, cols)
    return concatenate([b1, b7, d, _avg_branch(x, 192)], axis=iu.channel_axis(), name=name)


def _block_8(x, i):
    axis = iu.channel_axis()
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=axis,
                     name=f"mixed9_{i}")
    d = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    d = concatenate([conv2d_bn(d, 384, 1, 3), conv2d_bn(d, 384, 3, 1)], axis=axis)
    return concatenate([b1, b3, d, _avg_branch(x, 192)], axis=axis, name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """Instantiates the InceptionV3 architecture (299x299 default input, at least 75;
    inputs: ``inception_v3.preprocess_input``, [-1, 1])."""
    img_input = iu.checked_image_input(weights, include_top, classes, input_tensor,
                                       input_shape, default_size=299, min_size=75)
    axis = iu.channel_axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    d = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, strides=(2, 2),
                  padding="valid")
    x = concatenate([b3, d, MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis,
                    name="mixed3")
    x = _block_17(x, 128, "mixed4")
    x = _block_17(x, 160, "mixed5")
    x = _block_17(x, 160, "mixed6")
    x = _block_17(x, 192, "mixed7")
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    x = concatenate([b3, b7, MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis,
                    name="mixed8")
    x = _block_8(x, 0)
    x = _block_8(x, 1)
    x = iu.head(x, include_top, pooling, classes, classifier_activation, weights, named=False)
    return iu.finish(x, img_input, input_tensor, name, weights,
                     iu.keras_weights_file("inception_v3", include_top, BASE, WEIGHTS_HASHES))


preprocess_input = iu.preprocess_input_for("tf")
decode_predictions = iu.decode_predictions
