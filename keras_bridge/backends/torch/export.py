"""Export on torch: ``torch.export`` traces the model's module once, with the axes the
model leaves ``None`` marked dynamic; the ExportedProgram is saved as is (format
"torch") or translated to ONNX by ``torch.onnx`` (format "onnx")."""

import contextlib
import logging
import warnings

import torch

from keras_bridge.backends.torch.tensors import using_device

FORMATS = ("onnx", "torch")


class _Flat(torch.nn.Module):
    """The program's module as a function of positional tensors returning a tuple, the
    form torch.export takes; the model's module is a child so its weights are lifted as
    parameters rather than baked in as constants."""

    def __init__(self, program):
        super().__init__()
        self.module = program.module
        self.__dict__["program"] = program

    def forward(self, *inputs):
        return tuple(self.program.run_tensors(list(inputs), False))


def _dynamic_shapes(inputs):
    """torch.export dims for each None axis: one shared ``batch`` dim for axis 0 (all
    inputs have the same batch), a dim of its own for any other."""
    batch = torch.export.Dim("batch")
    dims = []
    for i, spec in enumerate(inputs):
        dims.append({axis: batch if axis == 0 else torch.export.Dim(f"d{i}_{axis}")
                     for axis, size in enumerate(spec.shape) if size is None})
    return {"inputs": tuple(dims)}


@contextlib.contextmanager
def _quiet():
    """torch.export and torch.onnx's internal deprecation notices and registry logging
    are not the user's to act on (and pytest makes warnings errors)."""
    registry = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry.level
    registry.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        registry.setLevel(level)


def export(program, filepath, format, inputs, options):
    # Size 2 for a dynamic axis: torch.export fixes axes of size 0 or 1 to constants.
    samples = tuple(torch.zeros(tuple(2 if d is None else d for d in spec.shape),
                                dtype=getattr(torch, spec.dtype), device=program.device)
                    for spec in inputs)
    module = _Flat(program).eval()
    with _quiet(), torch.no_grad(), using_device(program.device):
        try:
            traced = torch.export.export(module, samples, dynamic_shapes=_dynamic_shapes(inputs),
                                         strict=False)
        except Exception as e:
            raise RuntimeError(f"torch.export could not trace the model for "
                               f"export(format={format!r}) ({type(e).__name__}): {e}") from e
        if format == "torch":
            torch.export.save(traced, filepath)
            return
        onnx_program = torch.onnx.export(
            traced, input_names=[s.name for s in inputs],
            output_names=list(getattr(program.model, "output_names", None) or []) or None,
            opset_version=options.get("opset_version"), dynamo=True, verbose=False)
        onnx_program.save(filepath)


def load_export(filepath, format):
    if format != "torch":
        raise ValueError(f"The torch engine reads format 'torch' exports, not {format!r}.")
    module = torch.export.load(filepath).module()
    # The weights load on the device they were exported from; inputs go there too.
    held = next(iter(module.state_dict().values()), None)
    device = held.device if held is not None else torch.device("cpu")

    def run(arrays):
        with torch.no_grad():
            outputs = module(*[torch.from_numpy(a).to(device) for a in arrays])
        return [o.detach().cpu().numpy() for o in outputs]
    return run
