"""One training or test batch on JAX: a single jitted, pure step.

The step takes (trainable values, other weight values, optimizer state, metric
values, batch, key) and returns their new versions. What it computes is the front
end's step policy (``keras_bridge.training.step.StepPolicy``: scopes, regularization,
the compiled loss, constraints, metrics), traced once with the step's values
substituted for the weights; this module only differentiates it
(``jax.value_and_grad``) and applies the optax update. Compiled once per batch shape
(a last partial batch adds one compile, reused every epoch). After each step the new
arrays are handed to the weights' slots (no copy).
"""

import jax
import numpy as np


class Trainer:
    def __init__(self, program, policy):
        self.program = program
        self.policy = policy
        self.weights = program.weights
        self.trainable_index = [i for i, w in enumerate(self.weights) if w.trainable]
        self.other_index = [i for i, w in enumerate(self.weights) if not w.trainable]
        # Where each constrained weight sits among the trainable values.
        position = {id(self.weights[i]): n for n, i in enumerate(self.trainable_index)}
        self.constrained_at = [position[id(w)] for w in policy.constrained]
        self.metric_vars = policy.metric_variables
        self.optimizer = policy.optimizer
        if self.optimizer.state is None:
            self.optimizer.state = self.optimizer.init(self._values(self.trainable_index))
        self.key = jax.random.PRNGKey(int(np.random.randint(0, 2**31 - 1)))
        # The old weights, optimizer state and metric values are dead after a step:
        # donating them lets XLA update in place.
        self._train = jax.jit(self._train_fn, donate_argnums=(0, 1, 2, 3))
        self._test = jax.jit(self._test_fn)
        self.traces = 0

    def _values(self, index):
        return [self.weights[i].slot.array for i in index]

    def _merge(self, trainable, others):
        values = [None] * len(self.weights)
        for i, v in zip(self.trainable_index, trainable):
            values[i] = v
        for i, v in zip(self.other_index, others):
            values[i] = v
        return values

    def _forward_loss(self, trainable, others, xs, ys, sw, training, key):
        values = self._merge(trainable, others)
        new_values = []

        def forward():
            outputs, new = self.program.apply(values, xs, training, key)
            new_values.extend(new)
            return outputs

        outputs, total, per_output = self.policy.loss(
            forward, ys, sw, {id(w): v for w, v in zip(self.weights, values)})
        new_others = [new_values[i] for i in self.other_index]
        return total, (outputs, per_output, new_others)

    def _update_metrics(self, metric_values, ys, outputs, sw, total, per_output):
        return self.policy.update_metrics(ys, outputs, sw, total, per_output, metric_values)

    def _train_fn(self, trainable, others, opt_state, metric_values, xs, ys, sw, key):
        self.traces += 1  # runs at trace time only: counts compilations
        key, step_key = jax.random.split(key)
        grad_fn = jax.value_and_grad(self._forward_loss, has_aux=True)
        (total, (outputs, per_output, others)), grads = grad_fn(
            trainable, others, xs, ys, sw, True, step_key)
        trainable, opt_state = self.optimizer.update(grads, opt_state, trainable)
        if self.constrained_at:
            trainable = list(trainable)
            new = self.policy.constrain([trainable[n] for n in self.constrained_at])
            for n, v in zip(self.constrained_at, new):
                trainable[n] = v
        metric_values = self._update_metrics(metric_values, ys, outputs, sw, total,
                                             per_output)
        return trainable, others, opt_state, metric_values, key

    def _test_fn(self, trainable, others, metric_values, xs, ys, sw):
        total, (outputs, per_output, others) = self._forward_loss(trainable, others, xs, ys,
                                                                  sw, False, None)
        # ``others`` carries state a layer updates in inference too (a stateful RNN).
        return self._update_metrics(metric_values, ys, outputs, sw, total, per_output), others

    def _put(self, arrays):
        return None if arrays is None else self.program.to_device(arrays)

    def _put_weights(self, sample_weight):
        """None, one array, or one array per output (a list)."""
        if sample_weight is None or isinstance(sample_weight, list):
            return self._put(sample_weight)
        return self._put([sample_weight])[0]

    def train_step(self, xs, ys, sample_weight):
        sw = self._put_weights(sample_weight)
        trainable, others, opt_state, metric_values, self.key = self._train(
            self._values(self.trainable_index), self._values(self.other_index),
            self.optimizer.state, [v.slot.array for v in self.metric_vars],
            self._put(xs), self._put(ys), sw, self.key)
        for i, v in zip(self.trainable_index, trainable):
            self.weights[i].slot.array = v
        for i, v in zip(self.other_index, others):
            self.weights[i].slot.array = v
        self.optimizer.state = opt_state
        for var, v in zip(self.metric_vars, metric_values):
            var.slot.array = v

    def test_step(self, xs, ys, sample_weight):
        sw = self._put_weights(sample_weight)
        metric_values, others = self._test(self._values(self.trainable_index),
                                           self._values(self.other_index),
                                           [v.slot.array for v in self.metric_vars],
                                           self._put(xs), self._put(ys), sw)
        for var, v in zip(self.metric_vars, metric_values):
            var.slot.array = v
        for i, v in zip(self.other_index, others):
            self.weights[i].slot.array = v


def make_trainer(program, policy):
    return Trainer(program, policy)


def compile_stateless_step(fn):
    """A user's Keras 3 JAX-style ``train_step(state, data)``, jitted (one trace per
    batch shape); the old state is dead after a step, so it is donated."""
    return jax.jit(fn, donate_argnums=(0,))



