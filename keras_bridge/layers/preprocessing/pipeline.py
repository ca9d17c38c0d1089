"""Pipeline (Keras 3's): layers applied one after the other, as one plain layer (not a
model), e.g. an augmentation pipeline inside a model. ``training`` (default True, as in
Keras) and masks are passed to the layers that take them."""

from keras_bridge.layers.base import Layer
from keras_bridge.serialization.core import deserialize_keras_object, serialize_keras_object


class Pipeline(Layer):
    """Applies ``layers`` in order.

    Args:
        layers: a list of layers.
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(l, Layer)
                                                            for l in layers):
            raise ValueError(f"`Pipeline` expects a list of layers. Received: "
                             f"layers={layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def build(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            if not layer.built:
                layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs, training=True, mask=None):
        for layer in self._pipeline_layers:
            kwargs = {}
            if layer._call_has_mask and mask is not None:
                kwargs["mask"] = mask
            if layer._call_has_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            mask = layer.compute_mask(inputs, mask)
            inputs = outputs
        return inputs

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def compute_output_dtype(self, input_dtype):
        for layer in self._pipeline_layers:
            input_dtype = layer.compute_output_dtype(input_dtype)
        return input_dtype

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "layers": [serialize_keras_object(l) for l in self._pipeline_layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a "
                             f"list of serialized layers. Received config with "
                             f"layers={layers}.")
        config = dict(config)
        config["layers"] = [deserialize_keras_object(l, custom_objects) for l in layers]
        return cls(**config)
