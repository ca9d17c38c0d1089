"""Keras Applications: the classic ImageNet architectures with Keras's function names,
arguments and layer names. ``weights="imagenet"`` fetches Keras's own weight files
(same URLs and hashes, cached in ``$KERAS_HOME/models``, so files Keras downloaded are
reused) and reads them as Keras 2 ``.h5`` weights; ``weights=path`` loads a local file.
Each module (``resnet``, ``vgg16``, ``mobilenet_v2``, ...) has ``preprocess_input`` and
``decode_predictions``."""

from keras_bridge.applications import (densenet, efficientnet, imagenet_utils, inception_v3,
                                       mobilenet, mobilenet_v2, resnet, resnet50, resnet_v2,
                                       vgg16, vgg19, xception)
from keras_bridge.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from keras_bridge.applications.efficientnet import (EfficientNetB0, EfficientNetB1,
                                                    EfficientNetB2, EfficientNetB3,
                                                    EfficientNetB4, EfficientNetB5,
                                                    EfficientNetB6, EfficientNetB7)
from keras_bridge.applications.inception_v3 import InceptionV3
from keras_bridge.applications.mobilenet import MobileNet
from keras_bridge.applications.mobilenet_v2 import MobileNetV2
from keras_bridge.applications.resnet import ResNet50, ResNet101, ResNet152
from keras_bridge.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from keras_bridge.applications.vgg import VGG16, VGG19
from keras_bridge.applications.xception import Xception

__all__ = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
           "ResNet101V2", "ResNet152V2", "MobileNet", "MobileNetV2", "DenseNet121",
           "DenseNet169", "DenseNet201", "Xception", "InceptionV3", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "densenet", "efficientnet",
           "imagenet_utils", "inception_v3", "mobilenet", "mobilenet_v2", "resnet", "resnet50", "resnet_v2",
           "vgg16", "vgg19", "xception"]
