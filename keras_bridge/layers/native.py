"""Layers made of an engine's own code: ``TorchModuleWrapper`` (a ``torch.nn.Module``,
torch only) and ``JaxLayer`` (a JAX function and its parameters, JAX only), as Keras 3's
``keras.layers.TorchModuleWrapper`` and ``keras.layers.JaxLayer``.

Their engine work (reading a torch module's parameters; JAX's pytrees and keys) is in
keras_bridge/backends/<engine>/native.py, reached through ``keras_bridge.native``. On the
other engine each is a clear error, when made and when a model holding one is moved
there. ``FlaxLayer`` is not provided: flax is not installed with keras_bridge.
"""

import copy
import inspect
import random as _py_random

import numpy as np

from keras_bridge import config
from keras_bridge.layers.base import Layer
from keras_bridge.native import engine_native
from keras_bridge.seeding import generator


class _EngineBound(Layer):
    """A layer that runs on one engine only (``ENGINE``)."""

    ENGINE = None

    def _native(self):
        return engine_native(config.backend() if self._backend_name is None
                             else self._backend_name, type(self).__name__, self.ENGINE)

    def bind(self, backend_name, device=None):
        engine_native(backend_name, type(self).__name__, self.ENGINE)  # refuses others
        super().bind(backend_name, device)


class TorchModuleWrapper(_EngineBound):
    """A ``torch.nn.Module`` as a layer: its parameters are the layer's weights (the
    module's own tensors, so ``fit`` trains the module), its ``forward`` the layer's call.

    Args:
        module: a ``torch.nn.Module``; a ``LazyModule`` must be initialized first (call
            it once).
        name: the layer's name.
        output_shape: the output shape, for shape inference; None: found by running the
            module on zeros.

    Like Keras 3, the module runs in ``train()`` mode in training and ``eval()`` mode in
    inference, and only its parameters are weights (buffers such as BatchNorm statistics
    stay inside the module). Unlike Keras 3, a model holding one cannot be saved to a
    ``.keras`` file: Keras 3 stores the module with ``torch.save`` (a pickle), which
    keras_bridge never writes; ``save_weights`` / ``load_weights`` work.
    """

    ENGINE = "torch"

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        native = self._native()
        self.module = native.check_module(module)
        self._given_output_shape = None if output_shape is None else tuple(output_shape)
        for pname, value, trainable in native.module_parameters(module):
            self.add_weight(shape=value.shape, dtype=value.dtype.name, trainable=trainable,
                            initializer=lambda shape, dtype=None, v=value: v, name=pname)
        self.built = True

    def call(self, inputs, *args, training=None, **kwargs):
        was = self.module.training
        self.module.train(bool(training))
        try:
            return self.module(inputs, *args, **kwargs)
        finally:
            self.module.train(was)

    def compute_output_shape(self, input_shape):
        if self._given_output_shape is not None:
            return self._given_output_shape
        return self._native().infer_output_shape(self.module, input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"module": self.module, "output_shape": self._given_output_shape})
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["module"] = copy.deepcopy(config["module"])  # a fresh module, as Keras's
        return super().from_config(config)

    def _saved_entry(self):
        raise ValueError(f"TorchModuleWrapper {self.name!r} holds a torch module, which "
                         "keras_bridge does not write into files (Keras 3 pickles it with "
                         "torch.save). Save the weights with model.save_weights(...), "
                         "rebuild the model in code and load_weights(...).")


def _arguments(fn, fn_name, allowed, required):
    """The parameter names of ``fn``, each one of ``allowed``, ``required`` among them."""
    names = list(inspect.signature(fn).parameters)
    for name in sorted(required):
        if name not in names:
            raise ValueError(f"Missing required argument in `{fn_name}`: `{name}`")
    for name in names:
        if name not in allowed:
            raise ValueError(f"Unsupported argument in `{fn_name}`: `{name}`, supported "
                             f"arguments are `{'`, `'.join(sorted(allowed))}`")
    return names


class JaxLayer(_EngineBound):
    """A JAX model as a layer (Keras 3's ``keras.layers.JaxLayer``).

    Args:
        call_fn: the forward function; its arguments, by these names: ``params``
            (trainable parameters, a pytree), ``state`` (non-trainable state: then it
            returns ``(outputs, new_state)``), ``rng`` (a JAX key in training, None in
            inference), ``inputs`` (required), ``training``.
        init_fn: ``(rng, inputs[, training])`` -> params, or (params, state) when
            ``call_fn`` takes ``state``; called at build on ones of the input shape.
        params / state: initial pytrees instead of ``init_fn``.
        seed: seed of the layer's key stream (``rng``); default drawn from Python's
            generator (reproducible after ``keras.utils.set_random_seed``).

    Every array leaf of ``params`` / ``state`` becomes a weight (float leaves take the
    layer's dtype); other leaves are kept as configuration. ``init_fn``'s key comes
    from keras_bridge's seeded generator, so ``set_random_seed`` makes it reproducible.
    """

    ENGINE = "jax"

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._native()  # JAX only
        self.call_fn, self.init_fn = call_fn, init_fn
        self.call_fn_arguments = _arguments(call_fn, "call_fn",
                                            {"params", "state", "rng", "inputs", "training"},
                                            {"inputs"})
        self.init_fn_arguments = None if init_fn is None else _arguments(
            init_fn, "init_fn", {"rng", "inputs", "training"}, {"inputs"})
        takes = set(self.call_fn_arguments)
        if init_fn is None and params is None and state is None and \
                takes & {"params", "state"}:
            raise ValueError("`init_fn`, `params` and `state` cannot all be `None` when "
                             "`call_fn` takes a `params` or a `state` argument.")
        self._seed = seed
        self.params = self._create_weights(params, True)
        self.state = self._create_weights(state, False)
        if "rng" in takes:
            start = _py_random.randint(1, int(1e9)) if seed is None else int(seed)
            self.rng_state = self.add_weight(
                shape=(2,), dtype="int32", trainable=False, name="seed_generator_state",
                initializer=lambda shape, dtype=None: np.array([start, 0], "int32"))
        if params is not None or state is not None:
            self.built = True

    def _create_weights(self, values, trainable):
        """The pytree ``values`` with each array leaf replaced by a new weight."""
        if values is None:
            return None

        def make(leaf):
            if isinstance(leaf, bool) or not (hasattr(leaf, "shape") or
                                              isinstance(leaf, (int, float))):
                return leaf
            arr = np.asarray(leaf)
            dtype = self.dtype if np.issubdtype(arr.dtype, np.floating) else arr.dtype.name
            return self.add_weight(shape=arr.shape, dtype=dtype, trainable=trainable,
                                   initializer=lambda shape, dtype=None, a=arr: a,
                                   name=f"{'params' if trainable else 'state'}_"
                                        f"{len(self._own_weights)}")

        return self._native().tree_map(make, values)

    def build(self, input_shape):
        takes = set(self.call_fn_arguments)
        if self.params is None and self.state is None and takes & {"params", "state"}:
            native = self._native()
            key_seed = int(generator().integers(0, 2 ** 31 - 1))
            given = {"rng": native.key(key_seed), "inputs": native.ones(input_shape),
                     "training": True}
            result = self.init_fn(*[given[a] for a in self.init_fn_arguments])
            params, state = result if "state" in takes else (result, None)
            self.params = self._create_weights(params, True)
            self.state = self._create_weights(state, False)
        self.built = True

    def call(self, inputs, training=False):
        native = self._native()
        given = {"inputs": inputs, "training": bool(training)}
        if "params" in self.call_fn_arguments:
            given["params"] = native.values(self.params)
        if "state" in self.call_fn_arguments:
            given["state"] = native.values(self.state)
        if "rng" in self.call_fn_arguments:
            given["rng"] = native.next_key(self.rng_state) if training else None
        result = self.call_fn(*[given[a] for a in self.call_fn_arguments])
        if "state" not in self.call_fn_arguments:
            return result
        outputs, new_state = result
        native.assign(self.state, new_state)
        return outputs

    def get_config(self):
        from keras_bridge.serialization import serialize_keras_object
        cfg = super().get_config()
        cfg.update({"call_fn": serialize_keras_object(self.call_fn),
                    "init_fn": serialize_keras_object(self.init_fn), "seed": self._seed})
        return cfg

    @classmethod
    def from_config(cls, config):
        from keras_bridge.serialization import deserialize_keras_object
        config = dict(config)
        config["call_fn"] = deserialize_keras_object(config["call_fn"])
        config["init_fn"] = deserialize_keras_object(config["init_fn"])
        return super().from_config(config)
