"""DenseNet 121/169/201 (Huang et al. 2016): each convolution block's output is
concatenated onto its input; transition blocks halve channels and size. Keras's
layer names; channels_last only, as in Keras."""

from keras_bridge import config
from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import (Activation, AveragePooling2D, BatchNormalization,
                                 Concatenate, Conv2D, MaxPooling2D, ZeroPadding2D)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
#: blocks per stage -> (weights name, md5 with the classifier, md5 without it).
WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                      "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                      "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                      "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
EPSILON = 1.001e-5


def _bn(name):
    return BatchNormalization(axis=3, epsilon=EPSILON, name=name)


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    x = _bn(f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    x1 = _bn(f"{name}_0_bn")(x)
    x1 = Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """A DenseNet with ``blocks`` convolution blocks in each of its four stages."""
    if config.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local keras.json or "
                         "calling keras_bridge.config.set_image_data_format('channels_last').")
    img_input = iu.checked_image_input(weights, include_top, classes, input_tensor,
                                       input_shape, default_size=224, min_size=32)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{stage + 2}")
        if stage < 3:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")
    x = _bn("bn")(x)
    x = Activation("relu", name="relu")(x)
    x = iu.head(x, include_top, pooling, classes, classifier_activation, weights)
    weights_file = ()
    if weights == "imagenet":
        if tuple(blocks) not in WEIGHTS:
            raise ValueError("ImageNet weights exist only for DenseNet121, 169 and 201; "
                             f"Received blocks={list(blocks)}")
        key, *hashes = WEIGHTS[tuple(blocks)]
        weights_file = iu.keras_weights_file(key, include_top, BASE_WEIGHTS_PATH, hashes)
    return iu.finish(x, img_input, input_tensor, name, weights, weights_file)


def _builder(blocks, default_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=default_name):
        return DenseNet(blocks, include_top, weights, input_tensor, input_shape, pooling,
                        classes, classifier_activation, name)
    build.__name__ = build.__qualname__ = default_name.replace("densenet", "DenseNet")
    build.__doc__ = (f"Instantiates the {build.__name__} architecture (inputs: "
                     "``densenet.preprocess_input``).")
    return build


DenseNet121 = _builder((6, 12, 24, 16), "densenet121")
DenseNet169 = _builder((6, 12, 32, 32), "densenet169")
DenseNet201 = _builder((6, 12, 48, 32), "densenet201")


preprocess_input = iu.preprocess_input_for("torch")
decode_predictions = iu.decode_predictions
