"""The JAX backend.

Policy: a model is a pure function of its weights and inputs, jitted once per input
shape; weights live as device arrays on JAX's default device (or the device named by a
``keras_bridge.device`` scope when the model is bound), and numpy input is put on that
device per batch. Compiled steps persist in ``$KERAS_HOME/jax_cache`` across processes
(compile_cache.py). Floats are float32 unless float64 is asked for (floatx or a float64
weight), which turns on ``jax_enable_x64`` (precision.py). Randomness
comes from explicit keys (``random.py``).
"""

from keras_bridge import backends
from keras_bridge.backends import surface
from keras_bridge.backends.rules import rule_for
import jax
import jax.numpy as jnp

from keras_bridge.backends.jax import ops, pytrees  # noqa: F401 (registers the pytrees)
from keras_bridge.backends.jax.autodiff import gradients
from keras_bridge.backends.jax.compile_cache import use_persistent_cache
from keras_bridge.backends.jax.lowering import LOWERING, RUNS_OWN_CALL
from keras_bridge.backends.jax.storage import Slot
from keras_bridge.backends.jax.export import FORMATS as EXPORT_FORMATS
from keras_bridge.backends.jax.export import export, load_export
from keras_bridge.backends.jax.program import Program
from keras_bridge.backends.jax.optimizers import make_optimizer
from keras_bridge.backends.jax.precision import enable_x64_for
from keras_bridge.backends.jax.random import no_draws, seed
from keras_bridge.backends.jax.training import make_trainer

NAME = "jax"
CAPABILITIES = frozenset({"cuda", "jit", "scan_step_projection"}).union(
    f"export_{f}" for f in EXPORT_FORMATS)


def version():
    return jax.__version__


def _name(device):
    if device.platform == "cpu":
        return "cpu" if device.id == 0 else f"cpu:{device.id}"
    return f"cuda:{device.id}" if device.platform in ("gpu", "cuda", "rocm") else \
        f"{device.platform}:{device.id}"


def _all_devices():
    found = list(jax.devices("cpu"))
    try:
        found += [d for d in jax.devices() if d.platform != "cpu"]
    except RuntimeError:
        pass
    return {_name(d): d for d in found}


def devices():
    return list(_all_devices())


def default_device():
    return _name(jax.devices()[0])


def resolve_device(name):
    if name is None:
        return default_device()
    key = backends.canonical_device(name)
    if key not in _all_devices():
        raise ValueError(f"Device {name!r} is not available to jax. Available devices: "
                         f"{devices()}.")
    return key


def device_object(name):
    return _all_devices()[name]


def is_tensor(x):
    return isinstance(x, jax.Array)


def to_numpy(x):
    import numpy as np
    return np.asarray(x)


def bind_weight(weight, device):
    enable_x64_for(weight.dtype)
    weight.bind(Slot(jax.device_put(weight.unbound_numpy(), device_object(device)),
                     device_object(device)))


def bind_layer(layer, device):
    for w in surface.own_weights(layer):
        bind_weight(w, device)
    for sub in surface.sublayers(layer):
        if sub.built:
            sub.bind("jax", device)


def call_layer(layer, inputs, args, kwargs):
    kwargs = dict(kwargs)
    training = kwargs.pop("training", None)
    if surface.takes_training(layer):
        kwargs["training"] = training
    rule = rule_for(layer, LOWERING, RUNS_OWN_CALL)
    if rule is not None:
        return rule(layer, inputs, *args, **kwargs)
    return layer.call(inputs, *args, **kwargs)


def compute_output_spec(fn, specs):
    # jax.eval_shape traces fn to a jaxpr: no compile, no execution. The arguments get the
    # dtypes convert_to_tensor gives zeros of each spec (float64 -> floatx without x64). A
    # draw from the random stream raises (the front end then runs fn on zeros, drawing as
    # before) rather than leave a tracer in the stream.
    args = [jax.ShapeDtypeStruct(tuple(shape), ops._default_dtype(jnp.dtype(dtype)))
            for shape, dtype in specs]
    with no_draws():
        out = jax.eval_shape(fn, *args)

    def spec(s):
        return tuple(int(d) for d in s.shape), str(s.dtype)
    return [spec(s) for s in out] if isinstance(out, (tuple, list)) else spec(out)


def compile_program(model, device):
    return Program(model, device)


def _floatx_from_front_end():
    from keras_bridge import config
    enable_x64_for(config.floatx())


_floatx_from_front_end()


def _seed_from_front_end():
    from keras_bridge.seeding import current_seed
    if current_seed() is not None:
        seed(current_seed())


_seed_from_front_end()
# Before this process compiles anything through keras_bridge: its steps go to the cache.
use_persistent_cache()

# The contract's names (backends/contract.py), re-exported from this package's modules.
__all__ = ["NAME", "CAPABILITIES", "ops", "LOWERING", "RUNS_OWN_CALL", "version", "devices",
           "default_device", "resolve_device", "is_tensor", "to_numpy", "seed", "bind_weight",
           "bind_layer", "call_layer", "compute_output_spec", "compile_program", "make_optimizer",
           "make_trainer", "gradients", "export", "load_export"]
