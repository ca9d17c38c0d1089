"""``layer.losses`` outside a training step (Keras 3): the add_loss terms of the last
eager call of a layer and its sub-layers, reset by each top-level call, then the
regularizer terms of the trainable weights; and compile() without a loss for a graph
holding a user layer that adds its own."""

import numpy as np

import keras_bridge as keras
from keras_bridge import ops


class _AddsMean(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class _Outer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.inner = _AddsMean(0.5)

    def call(self, inputs):
        return self.inner(self.inner(inputs) * 2.0)


def test_losses_of_the_last_call_reset_by_each_outer_call(backend):
    layer = _Outer()
    assert layer.losses == []
    x = np.array([[1.0, 3.0]], np.float32)
    layer(x)
    values = [float(ops.convert_to_numpy(v)) for v in layer.losses]
    assert values == [0.5 * 2.0, 0.5 * 4.0]  # inner called on x, then on 2x
    layer(np.zeros((1, 2), np.float32))
    assert [float(ops.convert_to_numpy(v)) for v in layer.losses] == [0.0, 0.0]
    assert len(layer.inner.losses) == 2  # the sub-layer's own view


def test_weight_regularizer_terms_are_in_losses(backend):
    class Holder(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.l2(1e-2))

        def call(self, inputs):
            return self.dense(inputs)

    layer = Holder()
    layer(np.ones((2, 4), np.float32))
    kernel = layer.dense.get_weights()[0]
    (term,) = layer.losses
    np.testing.assert_allclose(float(ops.convert_to_numpy(term)),
                               1e-2 * float((kernel ** 2).sum()), rtol=1e-5)


def test_activity_regularizer_term_kept_after_an_eager_call(backend):
    dense = keras.layers.Dense(2, kernel_initializer="ones", use_bias=False,
                               activity_regularizer=keras.regularizers.l1(0.1))
    dense(np.ones((4, 3), np.float32))  # every output is 3.0
    (term,) = dense.losses
    np.testing.assert_allclose(float(ops.convert_to_numpy(term)), 0.1 * 3.0 * 8 / 4,
                               rtol=1e-6)


def test_compile_without_loss_when_a_user_layer_adds_one(backend):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, _AddsMean(1.0)(keras.layers.Dense(2)(inputs)))
    model.compile(optimizer="sgd")
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    loss = model.evaluate(x, verbose=0)
    prediction = model.predict(x, verbose=0)
    np.testing.assert_allclose(loss, float(np.mean(prediction)), rtol=1e-5)
    # What predict left kept holds values, never a traced program's stand-ins.
    kept = [float(ops.convert_to_numpy(v)) for v in model.losses]
    assert kept == [] or np.allclose(kept, [np.mean(prediction)], rtol=1e-5)
