"""Small models shared by test files."""

from keras_bridge.layers import Dense
from keras_bridge.models import Model


class Tower(Model):
    """A subclassed model with its own get_config (Keras 3's documented pattern); the
    Keras side of tests/saving/test_keras3_live.py defines the same one."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden, self.head = Dense(units, activation="tanh"), Dense(1)

    def call(self, inputs):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}
