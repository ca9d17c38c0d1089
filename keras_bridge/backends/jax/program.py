"""A bound model on JAX: one pure function of (weights, inputs, key), jitted."""

import jax
import jax.numpy as jnp
import numpy as np

from keras_bridge.backends import surface
from keras_bridge.backends.jax.random import key_scope
from keras_bridge import context
from keras_bridge.utils import tree
from keras_bridge.variables import substitute


class Program:
    """``model`` as pure functions on ``device``; numpy in, numpy out."""

    def __init__(self, model, device):
        from keras_bridge.backends.jax import device_object
        self.model = model
        self.device = device_object(device)
        self._default_device = self.device == jax.devices()[0]  # asked once: ~2 us a call
        # Every variable a call reads: the weights and the SeedGenerators' states.
        self.weights = model.variables
        # State weights (a stateful RNN's carry) may change in inference too.
        self._state_index = [i for i, w in enumerate(self.weights) if w.kind == "state"]
        self.jit = True
        self.placement = None  # a distribution's (backends/jax/distribution.py)
        self._predict = jax.jit(self._predict_fn)
        self._predict_many = jax.jit(self._predict_scan)
        self._grad = None  # jitted on first use (parity checks)
        self._run = jax.jit(self._run_fn, static_argnums=(2,))

    def apply(self, values, inputs, training, key):
        """Pure forward pass: (outputs, new values of every weight)."""
        return self.apply_drawing(values, inputs, training, key)[:2]

    def apply_drawing(self, values, inputs, training, key):
        """``apply``, and the key after the call's random draws (``key`` itself when
        nothing drew: a step that carries its key costs no split then)."""
        mapping = {id(w): v for w, v in zip(self.weights, values)}
        key = key if key is not None else jax.random.PRNGKey(0)
        with substitute(mapping) as scope, key_scope(key) as box, context.running("jax"):
            kwargs = {"training": training} if surface.takes_training(self.model) else {}
            outputs = self.model.call(inputs if len(inputs) > 1 else inputs[0], **kwargs)
        new_values = [scope.updates.get(id(w), v) for w, v in zip(self.weights, values)]
        return tree.flatten(outputs), new_values, box[0]

    def _states(self, values, xs):
        outputs, new_values = self.apply(values, xs, False, None)
        return outputs, [new_values[i] for i in self._state_index]

    def _predict_fn(self, values, xs):
        """Outputs, and ``{index: new value}`` of the state weights the call changed (a
        stateful RNN's carry; not a dropout's seed, which inference leaves alone): every
        output of a jitted call costs the host an array, so unchanged ones stay out."""
        outputs, states = self._states(values, xs)
        return outputs, {i: v for i, v in zip(self._state_index, states)
                         if v is not values[i]}

    def set_jit(self, jit):
        """Predict jitted (the default) or op by op (``run_eagerly`` / ``jit_compile=False``)."""
        if jit != self.jit:
            self.jit = jit
            self._predict = jax.jit(self._predict_fn) if jit else self._predict_fn

    def _predict_scan(self, values, xs):
        """N stacked batches in one call; a stateful layer's state carries across them."""
        def body(states, batch):
            merged = list(values)
            for i, v in zip(self._state_index, states):
                merged[i] = v
            outputs, states = self._states(merged, batch)
            return states, outputs

        states, outputs = jax.lax.scan(body, [values[i] for i in self._state_index], xs)
        return [o.reshape((-1,) + o.shape[2:]) for o in outputs], \
            dict(zip(self._state_index, states))

    def _run_fn(self, values, xs, training, key):
        return self.apply(values, xs, training, key)[0]  # new state values discarded

    def run_batch(self, arrays, training):
        """Outputs as numpy in either mode (one jitted function per mode); a fresh key
        from the seeded stream per call drives dropout in training mode."""
        from keras_bridge.backends.jax.random import next_key
        outputs = self._run(self.values(), self.to_device(arrays), bool(training),
                            next_key())
        return [np.asarray(o) for o in outputs]

    def values(self):
        return [w.slot.array for w in self.weights]

    def to_device(self, arrays, batch_axis=0):
        """Host arrays ready for a jitted call on the program's device (under a
        distribution: split along ``batch_axis`` over its mesh)."""
        if self.placement is not None:
            return self.placement.put_batch(arrays, batch_axis)
        # numpy given to a jitted function lands on JAX's default device by itself, and
        # sooner than through an explicit device_put (a measured ~0.1 ms per array).
        if self._default_device:
            return [np.asarray(a) for a in arrays]
        return [jax.device_put(np.asarray(a), self.device) for a in arrays]

    def forward(self, inputs, training=False):
        return self.apply(self.values(), list(inputs), training, None)[0]

    def predict_batch(self, arrays):
        return self._commit_predict(self._predict(self.values(), self.to_device(arrays)))

    def predict_batches(self, batches):
        """Same-shaped input lists as one call: their outputs joined along the batch."""
        if not self.jit:
            parts = [self.predict_batch(xs) for xs in batches]
            return [np.concatenate(p, axis=0) for p in zip(*parts)]
        stacked = [np.stack(p) for p in zip(*batches)]
        return self._commit_predict(self._predict_many(self.values(),
                                                       self.to_device(stacked, 1)))

    def _commit_predict(self, result):
        outputs, states = result
        for i, v in states.items():
            self.weights[i].slot.array = v
        return [np.asarray(o) for o in outputs]

    def _total(self, trained, values, xs, cots, index):
        merged = list(values)
        for i, v in zip(index, trained):
            merged[i] = v
        outputs, _ = self.apply(merged, xs, False, None)
        return sum(jnp.sum(o * c) for o, c in zip(outputs, cots)), outputs

    def outputs_and_gradients(self, arrays, cotangents):
        if self._grad is None:
            self._grad = jax.jit(jax.value_and_grad(self._total, has_aux=True),
                                 static_argnums=(4,))
        values = self.values()
        index = tuple(i for i, w in enumerate(self.weights) if w.trainable)
        (_, outputs), grads = self._grad([values[i] for i in index], values,
                                         self.to_device(arrays), self.to_device(cotangents),
                                         index)
        return [np.asarray(o) for o in outputs], [np.asarray(g) for g in grads]
