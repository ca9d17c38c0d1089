"""The torch backend.

Policy: a model is a plain ``torch.nn.Module`` of torch modules, placed on CUDA when
torch sees a GPU, else the CPU, unless a ``keras_bridge.device`` scope names another
device when the model is bound. Numpy input moves to that device per batch. Floats
default to float32; numpy float64 input is cast to the model input's dtype before it
reaches torch. Randomness (dropout) uses torch's global generator.
"""

from keras_bridge import backends
from keras_bridge.backends import surface
from keras_bridge.backends.rules import rule_for
import torch

from keras_bridge.backends.torch import ops
from keras_bridge.backends.torch.autodiff import gradients
from keras_bridge.backends.torch.lowering import LOWERING, RUNS_OWN_CALL, CallModule, GraphModule
from keras_bridge.backends.torch.lowering import SubclassModule
from keras_bridge.backends.torch.storage import Slot, make_tensor
from keras_bridge.backends.torch.export import FORMATS as EXPORT_FORMATS
from keras_bridge.backends.torch.export import export, load_export
from keras_bridge.backends.torch.program import Program
from keras_bridge.backends.torch.optimizers import make_optimizer
from keras_bridge.backends.torch.random import seed
from keras_bridge.backends.torch.training import make_trainer
from keras_bridge.backends.torch.tensors import using_device
from keras_bridge.variables import in_stateless_scope

NAME = "torch"
CAPABILITIES = frozenset({"cuda", "fused_linear"}).union(
    f"export_{f}" for f in EXPORT_FORMATS)


def version():
    return torch.__version__


def devices():
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return found


def default_device():
    # The current CUDA device: a torchrun rank's own (distribution.initialize sets it).
    return f"cuda:{torch.cuda.current_device()}" if torch.cuda.is_available() else "cpu"


def resolve_device(name):
    if name is None:
        return default_device()
    key = backends.canonical_device(name)
    if key not in devices():
        raise ValueError(f"Device {name!r} is not available to torch. Available devices: "
                         f"{devices()}.")
    return key


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def to_numpy(x):
    return ops.convert_to_numpy(x)


def bind_weight(weight, device):
    tensor = make_tensor(weight, device)
    weight.bind(Slot(tensor))


def bind_layer(layer, device):
    from keras_bridge.models.model import Model
    with using_device(device):
        if surface.is_functional(layer):
            module = GraphModule(layer, device)
        elif isinstance(layer, Model):
            module = SubclassModule(layer, device)
        else:
            rule = rule_for(layer, LOWERING, RUNS_OWN_CALL)
            mixed = layer.dtype_policy.is_mixed if layer.dtype in ("float32", "float64") \
                else False
            # A mixed layer reads its float32 weights in its compute dtype, which the
            # reference call does (keras_bridge/autocast.py) and a fused module only
            # where its rule says it casts them itself (``computes_mixed``).
            if rule is not None and (not mixed or getattr(rule, "computes_mixed", False)):
                module = rule(layer, device)
            else:
                module = CallModule(layer, device)
    surface.set_binding(layer, module)


def call_layer(layer, inputs, args, kwargs):
    kwargs = dict(kwargs)
    training = bool(kwargs.pop("training", False))
    with using_device(surface.device(layer)):
        if in_stateless_scope():
            # stateless_call / StatelessScope: a module computes with the tensors it
            # stores; the layer's reference call reads the given values instead (same
            # math), and autograd runs back to them.
            if surface.takes_training(layer):
                kwargs["training"] = training
            return layer.call(inputs, *args, **kwargs)
        return surface.binding(layer)(inputs, *args, training=training, **kwargs)


def compute_output_spec(fn, specs):
    # Eager torch ops are cheap (nothing compiles per shape): the front end's trial run on
    # zeros is the way here.
    raise NotImplementedError("torch finds output specs by running fn on zeros")


def compile_program(model, device):
    return Program(model, device)



def _seed_from_front_end():
    from keras_bridge.seeding import current_seed
    if current_seed() is not None:
        seed(current_seed())


_seed_from_front_end()

# The contract's names (backends/contract.py), re-exported from this package's modules.
__all__ = ["NAME", "CAPABILITIES", "ops", "LOWERING", "RUNS_OWN_CALL", "version", "devices",
           "default_device", "resolve_device", "is_tensor", "to_numpy", "seed", "bind_weight",
           "bind_layer", "call_layer", "compute_output_spec", "compile_program", "make_optimizer",
           "make_trainer", "gradients", "export", "load_export"]
