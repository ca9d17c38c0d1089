"""K.variable, K.eval, K.get/set_value and K.update* on both engines."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, layers, models, ops


def test_variable_holds_its_value_on_the_default_engine(backend):
    v = K.variable(np.array([[1, 2], [3, 4]]), name="example_var")
    assert K.is_variable(v) and not K.is_variable(np.ones(2))
    assert v.backend_name == backend
    assert K.dtype(v) == "float32" and K.int_shape(v) == (2, 2) and K.ndim(v) == 2
    assert str(v) == "example_var"
    value = K.eval(v)
    assert isinstance(value, np.ndarray) and value.dtype == np.float32
    np.testing.assert_array_equal(value, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(K.get_value(v), value)


def test_variable_dtype_and_floatx(backend):
    assert K.dtype(K.variable(1.5, dtype="int32")) == "int32"
    config.set_floatx("float16")
    v = K.variable([0.5, 1.5])
    assert K.dtype(v) == "float16" and K.eval(v).dtype == np.float16
    assert K.dtype(K.variable([1], dtype=np.float32)) == "float32"


def test_variable_in_ops_and_k_functions(backend):
    v = K.variable([[1.0, -2.0], [3.0, 4.0]])
    out = K.sum(K.square(v) * 2.0, axis=1)
    assert backends.backend_of_type(type(out)) == backend
    np.testing.assert_allclose(K.eval(out), [10.0, 50.0])
    np.testing.assert_allclose(K.eval(K.dot(v, v)), [[-5.0, -10.0], [15.0, 10.0]])
    np.testing.assert_allclose(K.eval(v + 1), [[2.0, -1.0], [4.0, 5.0]])


def test_set_value_and_batch_set_value(backend):
    a, b = K.variable(np.zeros((2, 3))), K.variable(np.zeros(3))
    K.set_value(a, np.ones((2, 3)))
    np.testing.assert_array_equal(K.get_value(a), np.ones((2, 3)))
    K.batch_set_value([(a, np.full((2, 3), 2.0)), (b, [1.0, 2.0, 3.0])])
    np.testing.assert_array_equal(K.batch_get_value([a, b])[1], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="shape"):
        K.batch_set_value([(b, np.zeros(3)), (a, np.zeros((3, 2)))])
    np.testing.assert_array_equal(K.get_value(b), [1.0, 2.0, 3.0])  # nothing changed


def test_update_add_sub(backend):
    v = K.variable([1.0, 2.0])
    assert K.update_add(v, np.array([0.5, 0.5])) is v
    np.testing.assert_allclose(K.eval(v), [1.5, 2.5])
    K.update_sub(v, 1.0)
    np.testing.assert_allclose(K.eval(v), [0.5, 1.5])
    K.update(v, K.constant([7.0, 8.0]))
    np.testing.assert_allclose(K.eval(v), [7.0, 8.0])
    K.update(v, K.variable([3.0, 4.0]))
    np.testing.assert_allclose(K.eval(v), [3.0, 4.0])
    assert K.dtype(v) == "float32"


def test_update_errors_leave_the_variable_unchanged(backend):
    v = K.variable([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Expected shape \(2,\)"):
        K.update(v, np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        K.update_add(v, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="Expected a variable"):
        K.update(np.zeros(2), np.ones(2))
    np.testing.assert_allclose(K.eval(v), [1.0, 2.0])


def test_update_works_on_layer_weights(backend):
    layer = layers.Dense(2, use_bias=False)
    model = models.Sequential([layers.Input((3,)), layer])
    model.predict(np.ones((1, 3), "float32"), verbose=0)
    K.update(layer.kernel, np.ones((3, 2)))
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), [[3, 3]])


def test_eval_of_tensors_and_symbolic_error(backend):
    np.testing.assert_allclose(K.eval(K.ones((2,))), [1.0, 1.0])
    with pytest.raises(TypeError, match="symbolic"):
        K.eval(layers.Input((3,)))
    with pytest.raises(TypeError, match="symbolic"):
        K.variable(layers.Input((3,)))


def test_variable_constraint_is_stored(backend):
    def nonneg(w):
        return ops.maximum(w, 0.0)

    assert K.variable([1.0], constraint=nonneg).constraint is nonneg
    with pytest.raises(ValueError, match="callable"):
        K.variable([1.0], constraint="nonneg!")


def test_variable_gradient_through_the_engine(backend):
    """A K.variable is differentiable where the engine differentiates its weights."""
    v = K.variable([1.0, 2.0, 3.0])
    if backend == "torch":
        loss = K.sum(K.square(v))
        loss.backward()
        grad = v.value.grad.numpy()
    else:
        import jax
        grad = np.asarray(jax.grad(lambda w: K.sum(K.square(w)))(v.value))
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0])
