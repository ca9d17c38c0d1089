"""ResNet (v1: He et al. 2015) and ResNetV2 (pre-activation: He et al. 2016), with
Keras's layer names, so Keras's ImageNet weight files load into them."""

from keras_bridge.applications import imagenet_utils as iu
from keras_bridge import config
from keras_bridge.layers import (Activation, Add, BatchNormalization, Conv2D, MaxPooling2D,
                                 ZeroPadding2D)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
#: md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
EPSILON = 1.001e-5


def _bn(name):
    axis = 3 if config.image_data_format() == "channels_last" else 1
    return BatchNormalization(axis=axis, epsilon=EPSILON, name=name)


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet",
           input_tensor=None, input_shape=None, pooling=None, classes=1000,
           classifier_activation="softmax", name="resnet", weights_name=None):
    """The ResNet stem, ``stack_fn``'s residual stages, and the head. ``preact``:
    ResNetV2's pre-activation layout (batch norm after the stages instead of after
    the stem)."""
    img_input = iu.checked_image_input(weights, include_top, classes, input_tensor,
                                       input_shape, default_size=224, min_size=32)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = Activation("relu", name="post_relu")(x)
    x = iu.head(x, include_top, pooling, classes, classifier_activation, weights)
    if weights == "imagenet" and weights_name in WEIGHTS_HASHES:
        return iu.finish(x, img_input, input_tensor, name, weights, iu.keras_weights_file(
            weights_name, include_top, BASE_WEIGHTS_PATH, WEIGHTS_HASHES[weights_name]))
    return iu.finish(x, img_input, input_tensor, name,
                     None if weights == "imagenet" else weights)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """Bottleneck block (1x1, kxk, 1x1 with 4x filters) with post-activation."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """Pre-activation bottleneck block; the stride sits on the 3x3 convolution and an
    identity shortcut is subsampled by a 1x1 max pooling."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, kernel_size, strides=stride, use_bias=False,
               name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stages(blocks):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks[0], stride1=1, name="conv2")
        for i, (filters, n) in enumerate(zip((128, 256, 512), blocks[1:])):
            x = stack_residual_blocks_v1(x, filters, n, name=f"conv{i + 3}")
        return x
    return stack_fn


def _v2_stages(blocks):
    def stack_fn(x):
        for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
            x = stack_residual_blocks_v2(x, filters, n, stride1=1 if i == 3 else 2,
                                         name=f"conv{i + 2}")
        return x
    return stack_fn


def _builder(blocks, v2, default_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=default_name):
        stack_fn = _v2_stages(blocks) if v2 else _v1_stages(blocks)
        return ResNet(stack_fn, preact=v2, use_bias=True, include_top=include_top,
                      weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                      pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation, name=name,
                      weights_name=default_name)
    build.__name__ = build.__qualname__ = (
        default_name.replace("resnet", "ResNet").replace("v2", "V2"))
    build.__doc__ = (f"Instantiates the {build.__name__} architecture (Keras's layer names "
                     f"and ImageNet weights; inputs: ``preprocess_input`` of "
                     f"``{'resnet_v2' if v2 else 'resnet'}``).")
    return build


ResNet50 = _builder((3, 4, 6, 3), False, "resnet50")
ResNet101 = _builder((3, 4, 23, 3), False, "resnet101")
ResNet152 = _builder((3, 8, 36, 3), False, "resnet152")


preprocess_input = iu.preprocess_input_for("caffe")
decode_predictions = iu.decode_predictions
