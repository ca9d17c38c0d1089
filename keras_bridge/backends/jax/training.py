"""One training or test batch on JAX: a single jitted, pure step.

The step takes (trainable values, other weight values, optimizer state, metric state
packed one vector per dtype (``storage.PackedState``), batch, key) and returns their new
versions, leaving out what it did not change (a frozen layer's weights, an unused
key). What it computes is the front end's step policy
(``keras_bridge.training.step.StepPolicy``: scopes, regularization, the compiled loss,
constraints, metrics), traced once with the step's values substituted for the weights;
this module only differentiates it
(``jax.value_and_grad``) and applies the optax update. Compiled once per batch shape
(a last partial batch adds one compile, reused every epoch). After each step the new
arrays are handed to the weights' slots (no copy).

``train_steps`` / ``test_steps`` run one execution of ``steps_per_execution`` same-shaped
batches, stacked on the host, as one jitted ``lax.scan`` of the single step: one call
and one transfer per N steps, and the same keys, so the same numbers, as N single
steps. ``policy.jit`` False (``jit_compile=False`` / ``run_eagerly=True``) runs the
step functions op by op, without ``jax.jit``, for debugging.
"""

import jax
import numpy as np

from keras_bridge.backends.jax.storage import Layout, PackedState
from keras_bridge.utils import stacking


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
        # Metric state travels packed (storage.PackedState): one array per dtype in
        # and out of each step instead of one per variable.
        slots = [v.slot for v in self.metric_vars]
        self.metric_state = PackedState(slots, Layout([s.array for s in slots]))
        self.optimizer = policy.optimizer
        if self.optimizer.state is None:
            self.optimizer.state = self.optimizer.init(self._values(self.trainable_index))
        # Arrays made outside a jitted call are uncommitted, the step's outputs committed
        # to the device: a step given both kinds compiles twice for one batch shape.
        # Committed from the start, the first step's compile serves every later one.
        self.optimizer.state = _committed(self.optimizer.state, program.device)
        self.key = _committed(jax.random.PRNGKey(int(np.random.randint(0, 2**31 - 1))),
                              program.device)
        # The old trainable weights and optimizer state are dead after a step: donating
        # them lets XLA update in place. The other weights are not donated by the single
        # step, which returns only those it changed (a frozen layer's stay as they are);
        # metric state is small and not donated: the arrays a reset wrote stay valid for
        # the next reset (Slot.write_many) and the next pack.
        jit = policy.jit
        self._train = jax.jit(self._train_one, donate_argnums=(0, 2)) if jit \
            else self._train_one
        self._test = jax.jit(self._test_one) if jit else self._test_one
        self._train_many = jax.jit(self._train_scan, donate_argnums=(0, 1, 2)) if jit \
            else None
        self._test_many = jax.jit(self._test_scan) if jit else None
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
            outputs, new, after = self.program.apply_drawing(values, xs, training, key)
            new_values.extend(new)
            keys.append(after)
            return outputs

        keys = []
        outputs, total, per_output = self.policy.loss(
            forward, ys, sw, {id(w): v for w, v in zip(self.weights, values)})
        new_others = [new_values[i] for i in self.other_index]
        return total, (outputs, per_output, new_others, keys[0])

    def _update_metrics(self, packed, ys, outputs, sw, total, per_output):
        """The packed metric state after one batch."""
        layout = self.metric_state.layout
        values = self.policy.update_metrics(ys, outputs, sw, total, per_output,
                                            layout.split(packed))
        return layout.join(values)

    def _train_fn(self, trainable, others, opt_state, metric_packs, xs, ys, sw, key):
        self.traces += 1  # runs at trace time only: counts compilations
        scale = self.optimizer.loss_scale(opt_state)  # a LossScaleOptimizer's, else None

        def objective(*args):  # differentiated: the loss times the scale
            total, aux = self._forward_loss(*args)
            return (total if scale is None else total * scale), (total, aux)

        # The step's draws (dropout) split ``key``; the key after them is carried to the
        # next step. Without draws it passes through unchanged, at no cost.
        grad_fn = jax.value_and_grad(objective, has_aux=True)
        (_, (total, (outputs, per_output, others, key))), grads = grad_fn(
            trainable, others, xs, ys, sw, True, key)
        trainable, opt_state = self.optimizer.update(grads, opt_state, trainable)
        if self.constrained_at:
            trainable = list(trainable)
            new = self.policy.constrain([trainable[n] for n in self.constrained_at])
            for n, v in zip(self.constrained_at, new):
                trainable[n] = v
        metric_packs = self._update_metrics(metric_packs, ys, outputs, sw, total,
                                             per_output)
        return trainable, others, opt_state, metric_packs, key

    def _train_one(self, trainable, others, opt_state, metric_packs, xs, ys, sw, key):
        """One step. What it left unchanged does not come back (every output of a jitted
        call costs the host an array, and a frozen base's weights are big): of
        ``others`` only the changed ones, as ``{position: value}``, and the key is None
        when the step drew nothing."""
        trainable, new, opt_state, metric_packs, after = self._train_fn(
            trainable, others, opt_state, metric_packs, xs, ys, sw, key)
        return (trainable, _changed(new, others), opt_state, metric_packs,
                None if after is key else after)

    def _test_fn(self, trainable, others, metric_packs, xs, ys, sw):
        total, (outputs, per_output, others, _) = self._forward_loss(trainable, others, xs,
                                                                     ys, sw, False, None)
        # ``others`` carries state a layer updates in inference too (a stateful RNN).
        return self._update_metrics(metric_packs, ys, outputs, sw, total, per_output), others

    def _test_one(self, trainable, others, metric_packs, xs, ys, sw):
        """One test step; of ``others`` only those it changed come back (inference
        leaves a dropout's seed and a normalization's moving statistics alone)."""
        metric_packs, new = self._test_fn(trainable, others, metric_packs, xs, ys, sw)
        return metric_packs, _changed(new, others)

    def _train_scan(self, trainable, others, opt_state, metric_packs, xs, ys, sw, key):
        def body(carry, batch):
            return self._train_fn(*carry[:4], *batch, carry[4]), None

        (trainable, others, opt_state, metric_packs, key), _ = jax.lax.scan(
            body, (trainable, others, opt_state, metric_packs, key), (xs, ys, sw))
        return trainable, dict(enumerate(others)), opt_state, metric_packs, key

    def _test_scan(self, trainable, others, metric_packs, xs, ys, sw):
        def body(carry, batch):
            return self._test_fn(trainable, carry[1], carry[0], *batch), None

        (metric_packs, others), _ = jax.lax.scan(body, (metric_packs, others),
                                                  (xs, ys, sw))
        return metric_packs, dict(enumerate(others))

    def _put(self, arrays, batch_axis=0):
        return None if arrays is None else self.program.to_device(arrays, batch_axis)

    def _put_weights(self, sample_weight, batch_axis=0):
        """None, one array, or one array per output (a list)."""
        if sample_weight is None or isinstance(sample_weight, list):
            return self._put(sample_weight, batch_axis)
        return self._put([sample_weight], batch_axis)[0]

    def train_step(self, xs, ys, sample_weight):
        self._commit_train(self._train(
            self._values(self.trainable_index), self._values(self.other_index),
            self.optimizer.state, self.metric_state.take(),
            self._put(xs), self._put(ys), self._put_weights(sample_weight), self.key))

    def train_steps(self, batches):
        """Same-shaped batches ``[(xs, ys, sample_weight), ...]`` in one call."""
        if self._train_many is None:
            for batch in batches:
                self.train_step(*batch)
            return
        xs, ys, sw = _stacked(batches)
        self._commit_train(self._train_many(
            self._values(self.trainable_index), self._values(self.other_index),
            self.optimizer.state, self.metric_state.take(),
            self._put(xs, 1), self._put(ys, 1), self._put_weights(sw, 1), self.key))

    def _commit_train(self, result):
        trainable, others, opt_state, metric_packs, key = result
        if key is not None:
            self.key = key
        for i, v in zip(self.trainable_index, trainable):
            self.weights[i].slot.array = v
        for n, v in others.items():
            self.weights[self.other_index[n]].slot.array = v
        self.optimizer.state = opt_state
        self.metric_state.put(metric_packs)

    def test_step(self, xs, ys, sample_weight):
        self._commit_test(self._test(
            self._values(self.trainable_index), self._values(self.other_index),
            self.metric_state.take(), self._put(xs), self._put(ys),
            self._put_weights(sample_weight)))

    def test_steps(self, batches):
        if self._test_many is None:
            for batch in batches:
                self.test_step(*batch)
            return
        xs, ys, sw = _stacked(batches)
        self._commit_test(self._test_many(
            self._values(self.trainable_index), self._values(self.other_index),
            self.metric_state.take(), self._put(xs, 1), self._put(ys, 1),
            self._put_weights(sw, 1)))

    def _commit_test(self, result):
        metric_packs, changed = result
        self.metric_state.put(metric_packs)
        for n, v in changed.items():
            self.weights[self.other_index[n]].slot.array = v


def _changed(new, old):
    """``{position: value}`` of the values in ``new`` that are not the traced input at
    the same position of ``old`` (decided at trace time)."""
    return {n: v for n, (v, o) in enumerate(zip(new, old)) if v is not o}


def _committed(tree, device):
    """``tree`` with its uncommitted arrays put on ``device`` (committed ones kept)."""
    return jax.tree_util.tree_map(
        lambda a: jax.device_put(a, device) if isinstance(a, jax.Array) and not a.committed
        else a, tree)


def _stacked(batches):
    """``(xs, ys, sample_weight)`` with each array stacked along a new leading axis."""
    xs, ys, sws = zip(*batches)
    stack = lambda parts: [stacking.stack(p) for p in zip(*parts)]  # noqa: E731
    sw = None if sws[0] is None else stack(sws) if isinstance(sws[0], list) \
        else stacking.stack(sws)
    return stack(xs), stack(ys), sw


def make_trainer(program, policy):
    return Trainer(program, policy)


def compile_stateless_step(fn):
    """A user's Keras 3 JAX-style ``train_step(state, data)``, jitted (one trace per
    batch shape); the old state is dead after a step, so it is donated."""
    return jax.jit(fn, donate_argnums=(0,))



