"""ResNetV2 (pre-activation ResNet), built by ``resnet.ResNet`` with ``preact=True``;
its inputs are scaled to [-1, 1]."""

from keras_bridge.applications import imagenet_utils as iu
from keras_bridge.applications.resnet import _builder

ResNet50V2 = _builder((3, 4, 6, 3), True, "resnet50v2")
ResNet101V2 = _builder((3, 4, 23, 3), True, "resnet101v2")
ResNet152V2 = _builder((3, 8, 36, 3), True, "resnet152v2")


preprocess_input = iu.preprocess_input_for("tf")
decode_predictions = iu.decode_predictions
