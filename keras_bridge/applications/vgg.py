"""VGG16 and VGG19 (Simonyan & Zisserman 2014): stacks of 3x3 convolutions and 2x2 max
pooling, then two 4096-unit dense layers; Keras's layer names."""

from keras_bridge import config
from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras_bridge.models import Model

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
    iu.check_weights_argument(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                        data_format=config.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    img_input = iu.image_input(input_tensor, input_shape)
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
        iu.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling, named=False)
    model = Model(iu.model_inputs(input_tensor, img_input), x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return iu.load_weights(model, weights, file_name, f"{BASE}{weights_name}/{file_name}",
                           WEIGHTS_HASHES[weights_name][0 if include_top else 1])


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


def preprocess_input(x, data_format=None):
    """Caffe-style: RGB to BGR and the ImageNet mean subtracted (no scaling)."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return iu.decode_predictions(preds, top=top)


decode_predictions.__doc__ = iu.decode_predictions.__doc__
