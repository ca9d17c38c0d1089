"""VGG16 and VGG19 (Simonyan & Zisserman 2014): stacks of 3x3 convolutions and 2x2 max
pooling, then two 4096-unit dense layers; Keras's layer names."""

from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import Conv2D, Dense, Flatten, MaxPooling2D

BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
#: md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def VGG(convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name, weights_name):
    """Five blocks of ``convs_per_block[i]`` convolutions (64, 128, 256, 512, 512
    filters), each block ending in a max pooling."""
    img_input = iu.checked_image_input(weights, include_top, classes, input_tensor,
                                       input_shape, default_size=224, min_size=32)
    x = img_input
    for block, (filters, n) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for i in range(1, n + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same",
                       name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = iu.predictions(x, classes, classifier_activation, weights)
    else:
        x = iu.pool(x, pooling, named=False)
    return iu.finish(x, img_input, input_tensor, name, weights, iu.keras_weights_file(
        weights_name, include_top, f"{BASE}{weights_name}/", WEIGHTS_HASHES[weights_name]))


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """Instantiates the VGG16 architecture (inputs: ``vgg16.preprocess_input``)."""
    return VGG((2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, name, "vgg16")


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """Instantiates the VGG19 architecture (inputs: ``vgg19.preprocess_input``)."""
    return VGG((2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, name, "vgg19")


preprocess_input = iu.preprocess_input_for("caffe")
decode_predictions = iu.decode_predictions
