"""Layer.add_weight / add_variable with Keras 3's signature: scalar default shape, the
alias, accepted Keras 3 arguments, clear errors."""

import numpy as np
import pytest

from keras_bridge import Input, Model, layers, ops, optimizers


class Scale(layers.Layer):
    """y = x * s with a trainable scalar made by add_weight() without a shape."""

    def build(self, input_shape):
        self.s = self.add_weight(initializer="ones", name="s")

    def call(self, x):
        return ops.multiply(x, self.s)


def test_add_weight_without_shape_is_a_trained_scalar(backend):
    inputs = Input((3,))
    model = Model(inputs, Scale()(inputs))
    assert model.weights[0].shape == ()
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    x = np.arange(6, dtype="float32").reshape(2, 3) / 6
    y = 2 * x
    model.train_on_batch(x, y)
    # d/ds mean((s x - y)^2) at s = 1 is mean(2 (x - y) x)
    expected = 1.0 - 0.1 * np.mean(2 * (x - y) * x)
    np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5)


def test_add_variable_is_the_keras_3_alias(backend):
    layer = layers.Layer()
    v = layer.add_variable((2, 3), "zeros", name="v", trainable=False)
    w = layer.add_weight((4,), "ones", "float32", autocast=False, aggregation="mean")
    i = layer.add_weight(shape=(2,), dtype="int32")  # non-float: zeros by default
    assert (v.shape, v.trainable, w.shape) == ((2, 3), False, (4,))
    np.testing.assert_array_equal(w.numpy(), np.ones(4))
    assert i.numpy().dtype == np.int32 and not i.numpy().any()
    assert layer.weights == [v, w, i]


def test_value_of_an_unbound_weight_is_a_tensor_of_the_default_engine(backend):
    # Keras 3: a built layer's weight reads as a tensor before the layer has run.
    layer = layers.Dense(2, kernel_initializer="ones")
    layer.build((None, 3))
    value = layer.kernel.value
    assert ops.is_tensor(value) and type(value).__module__.split(".")[0] == (
        "torch" if backend == "torch" else "jaxlib")
    np.testing.assert_array_equal(ops.convert_to_numpy(value), np.ones((3, 2)))
    np.testing.assert_array_equal(ops.convert_to_numpy(layer.kernel * 2), 2 * np.ones((3, 2)))
    # a copy: the weight itself stays unbound and unchanged
    assert layer.kernel.slot is None
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((3, 2)))


@pytest.mark.parametrize("call, error, match", [
    (lambda l: l.add_weight("kernel", (2,)), ValueError, "`name` must be passed as a keyword"),
    (lambda l: l.add_weight((2,), aggregation="max"), ValueError, "Expected one of"),
    (lambda l: l.add_weight((2,), overwrite_with_gradient=True), NotImplementedError,
     "overwrite_with_gradient"),
    (lambda l: l.add_weight((2,), unknown=1), TypeError, "unexpected arguments"),
])
def test_bad_arguments_create_nothing(call, error, match):
    layer = layers.Layer()
    with pytest.raises(error, match=match):
        call(layer)
    assert layer.weights == []
