"""One training or test batch on JAX: a single jitted, pure step.

The step takes (trainable values, other weight values, optimizer state, metric
values, batch, key) and returns their new versions; the layers, the loss, the
regularizers, the constraints and the metric updates are the front end's code traced
once under a weight substitution. Compiled once per batch shape (a last partial batch
adds one compile, reused every epoch). After each step the new arrays are handed to
the weights' slots (no copy).
"""

import jax
import numpy as np

from keras_bridge import layer_losses, logits
from keras_bridge.training.compile_utils import regularization_loss
from keras_bridge.variables import substitute


class Trainer:
    def __init__(self, program, compiled):
        self.program = program
        self.compiled = compiled
        model = program.model
        self.weights = program.weights
        self.trainable_index = [i for i, w in enumerate(self.weights) if w.trainable]
        self.other_index = [i for i, w in enumerate(self.weights) if not w.trainable]
        self.metric_vars = compiled.metrics.variables()
        self.optimizer = compiled.engine_optimizer
        if self.optimizer.state is None:
            self.optimizer.state = self.optimizer.init(self._values(self.trainable_index))
        self.regularized = [w for w in model.weights if w.regularizer is not None]
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
        # Crossentropy of a softmax output from its logits; layers' added losses.
        with logits.recording(), layer_losses.collecting() as added:
            outputs, new_values = self.program.apply(values, xs, training, key)
            with substitute({id(w): v for w, v in zip(self.weights, values)}):
                reg = regularization_loss(self.regularized) if self.regularized else None
            if added:
                reg = layer_losses.total([reg, *added])
            total, per_output = self.compiled.loss(ys, outputs, sw, reg)
        new_others = [new_values[i] for i in self.other_index]
        return total, (outputs, per_output, new_others)

    def _update_metrics(self, metric_values, ys, outputs, sw, total, per_output):
        with substitute({id(v): a for v, a in zip(self.metric_vars, metric_values)}) as scope:
            self.compiled.metrics.update(ys, outputs, sw, total, per_output)
        return [scope.updates.get(id(v), a) for v, a in zip(self.metric_vars, metric_values)]

    def _train_fn(self, trainable, others, opt_state, metric_values, xs, ys, sw, key):
        self.traces += 1  # runs at trace time only: counts compilations
        key, step_key = jax.random.split(key)
        grad_fn = jax.value_and_grad(self._forward_loss, has_aux=True)
        (total, (outputs, per_output, others)), grads = grad_fn(
            trainable, others, xs, ys, sw, True, step_key)
        trainable, opt_state = self.optimizer.update(grads, opt_state, trainable)
        trainable = [w.constraint(v) if w.constraint is not None else v
                     for w, v in zip((self.weights[i] for i in self.trainable_index),
                                     trainable)]
        metric_values = self._update_metrics(metric_values, ys, outputs, sw, total,
                                             per_output)
        return trainable, others, opt_state, metric_values, key

    def _test_fn(self, trainable, others, metric_values, xs, ys, sw):
        total, (outputs, per_output, others) = self._forward_loss(trainable, others, xs, ys,
                                                                  sw, False, None)
        # ``others`` carries state a layer updates in inference too (a stateful RNN).
        return self._update_metrics(metric_values, ys, outputs, sw, total, per_output), others

    def _put(self, arrays):
        return None if arrays is None else self.program._to_device(arrays)

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


def make_trainer(program, compiled):
    return Trainer(program, compiled)



