"""One execution plan per functional graph (keras_bridge/models/plan.py), run by the
front end (Model.call: eager, traced by JAX) and by torch's GraphModule alike."""

import numpy as np
import pytest

from keras_bridge import ops
from keras_bridge.backends import surface
from keras_bridge.layers import Dense, Dropout, Input
from keras_bridge.models import Model


def _shared_graph():
    """A shared Dense called twice, then a Dropout whose node fixes training=False."""
    x = Input((3,))
    shared = Dense(3, activation="relu")
    y = Dropout(0.9)(shared(shared(x)), training=False)
    return Model(x, [y, Dense(2)(y)])


def test_shared_layer_and_node_training_kwarg(backend):
    model = _shared_graph()
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    W, b, V, c = model.get_weights()
    h = np.maximum(np.maximum(x @ W + b, 0) @ W + b, 0)
    # training=True for the call; the Dropout node's own training=False wins.
    y, z = model(x, training=True)
    np.testing.assert_allclose(ops.convert_to_numpy(y), h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(z), h @ V + c, rtol=1e-5, atol=1e-6)
    plan = surface.graph_plan(model)
    assert [s.layer.name for s in plan.steps].count(model.layers[1].name) == 2
    assert plan.n_values == 1 + len(plan.steps)  # the input, then one output per node


def test_torch_graph_module_runs_the_models_plan():
    model = _shared_graph()
    model.predict(np.zeros((1, 3), "float32"))
    assert surface.binding(model).executor.plan is surface.graph_plan(model)


def test_graph_plan_of_a_subclassed_model_is_an_error():
    class Sub(Model):
        def call(self, inputs):
            return inputs
    with pytest.raises(ValueError, match="Expected a functional model"):
        surface.graph_plan(Sub())


def test_executor_needs_one_callable_per_step():
    plan = surface.graph_plan(_shared_graph())
    with pytest.raises(ValueError, match=r"Expected one callable per step \(4\)"):
        plan.executor([print])
