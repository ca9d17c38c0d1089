"""``Model.export``: the model's inference function as a file that runs without it.

Which formats an engine writes is one of its capabilities (``export_<format>`` in
``CAPABILITIES``); the engine does the tracing and writing (``backends/<engine>/
export.py``), this module checks the request and describes the inputs. Every input
axis that is ``None`` in the model (the batch axis at least) stays dynamic in the file.

Formats:
    ``"onnx"`` (torch): an ONNX graph through ``torch.onnx``; runs in onnxruntime.
    ``"torch"`` (torch): a ``torch.export`` ExportedProgram (``.pt2``), as Keras 3
    writes it; ``torch.export.load(path).module()(x)``.
    ``"stablehlo"`` (JAX, our addition): a serialized ``jax.export.Exported``
    (StableHLO with its calling convention), read back with ``load_exported``.

``load_exported(path)`` gives any of the three back as a function of numpy arrays.
"""

import collections
import os

import numpy as np

from keras_bridge import backends
from keras_bridge.utils.optional import require

# Format -> (file suffix the loader recognises, what it is).
FORMATS = {
    "onnx": (".onnx", "an ONNX graph (torch.onnx), run with onnxruntime"),
    "torch": (".pt2", "a torch.export ExportedProgram, read with torch.export.load"),
    "stablehlo": (".stablehlo", "a serialized jax.export.Exported (StableHLO), read with "
                                "keras_bridge.export.load_exported"),
}
# Keras 3 formats written by runtimes keras_bridge does not run.
FOREIGN = {"tf_saved_model": "TensorFlow", "openvino": "OpenVINO", "litert": "LiteRT "
           "(TensorFlow Lite)"}
# Options each format takes beyond Keras's common arguments.
OPTIONS = {"onnx": ("opset_version",), "torch": (), "stablehlo": ()}

ExportInput = collections.namedtuple("ExportInput", "name shape dtype")


def engine_formats(engine):
    """The formats ``engine`` writes, in FORMATS order."""
    return [f for f in FORMATS if f"export_{f}" in engine.CAPABILITIES]


def export_model(model, filepath, format="tf_saved_model", verbose=None,
                 input_signature=None, **kwargs):
    """``Model.export``: see there."""
    filepath = os.fspath(filepath)
    if not model.built:
        raise ValueError(f"Cannot export model {model.name!r}: it has not been built yet. "
                         "Build it first (start it with an Input, call it on data or call "
                         "build(input_shape)).")
    engine = backends.get(model.backend_name)
    valid = engine_formats(engine)
    if format not in valid:
        raise ValueError(_format_error(format, engine.NAME, valid))
    unknown = sorted(set(kwargs) - set(OPTIONS[format]))
    if unknown:
        raise ValueError(f"Unrecognized arguments for export format={format!r}: {unknown}. "
                         f"Accepted: {list(OPTIONS[format]) or 'none'}.")
    if format == "torch" and not filepath.endswith(".pt2"):
        raise ValueError(f"format='torch' writes a .pt2 file (as torch.export.save does); "
                         f"the filepath must end with '.pt2'. Received: {filepath!r}")
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot export to {filepath!r}: the folder {folder!r} does "
                                "not exist.")
    if format == "onnx":
        for module in ("onnx", "onnxscript"):  # what torch.onnx's exporter imports
            require(module, "export(format='onnx')", "onnx")
    inputs = _input_specs(model, input_signature)
    engine.export(model._get_program(), filepath, format, inputs, dict(kwargs))
    if verbose is None or verbose:  # Keras prints by default
        print(f"Saved artifact at '{filepath}'.")
    return filepath


def _format_error(format, engine_name, valid):
    where = f"The {engine_name} engine exports to formats {valid}"
    others = [f for f in FORMATS if f not in valid]
    hint = (f" ({', '.join(repr(f) for f in others)}: on another engine, "
            "model.to_backend(name))" if others else "")
    if format in FOREIGN:
        return (f"export(format={format!r}) needs {FOREIGN[format]}, which keras_bridge "
                f"does not run. {where}{hint}.")
    return (f"Unrecognized export format={format!r}. {where}{hint}; Keras 3's "
            f"{sorted(FOREIGN)} need runtimes keras_bridge does not run.")


def _input_specs(model, input_signature):
    """One ExportInput per flat model input: the model's own shapes (batch axis None),
    or those of ``input_signature`` (InputSpecs, KerasTensors or arrays)."""
    if input_signature is not None:
        from keras_bridge.utils import tree
        specs = tree.flatten(input_signature)
        out = []
        for i, s in enumerate(specs):
            shape = getattr(s, "shape", None)
            if shape is None:
                raise ValueError(f"input_signature entry {i} has no shape: expected an "
                                 f"InputSpec with shape, a KerasTensor or an array. "
                                 f"Received: {s!r}")
            dtype = str(np.dtype(getattr(s, "dtype", None) or "float32"))
            out.append(ExportInput(f"input_{i}", tuple(shape), dtype))
        return out
    if getattr(model, "_functional", False):
        return [ExportInput(name, (None,) + tuple(t.shape[1:]), str(np.dtype(t.dtype)))
                for name, t in zip(model.input_names, model.inputs)]
    shapes = model._build_input_shape
    shapes = shapes if isinstance(shapes, list) else [shapes]
    from keras_bridge import config
    return [ExportInput(f"input_{i}", (None,) + tuple(s[1:]), config.floatx())
            for i, s in enumerate(shapes)]


def load_exported(filepath, format=None):
    """A file written by ``Model.export`` as a function: numpy arrays in (one per model
    input, in order), numpy out (one array, or a list for several outputs).

    Args:
        filepath: The exported file.
        format: ``"onnx"``, ``"torch"`` or ``"stablehlo"``; None reads it from the suffix
            (``.onnx``, ``.pt2``, ``.stablehlo``).

    Only the package that runs the format is needed (onnxruntime, torch or jax), not the
    model's code.
    """
    filepath = os.fspath(filepath)
    if format is None:
        format = next((f for f, (suffix, _) in FORMATS.items()
                       if filepath.endswith(suffix)), None)
        if format is None:
            raise ValueError(f"Cannot tell the format of {filepath!r} from its suffix "
                             f"(known: {[s for s, _ in FORMATS.values()]}); pass format= "
                             f"one of {list(FORMATS)}.")
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r}; expected one of {list(FORMATS)}.")
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"No exported file at {filepath!r}.")
    if format == "onnx":
        run = _onnx_runner(filepath)
    else:
        run = _reader(format).load_export(filepath, format)

    def call(*arrays):
        outputs = [np.asarray(o) for o in run([np.asarray(a) for a in arrays])]
        return outputs[0] if len(outputs) == 1 else outputs
    return call


def _reader(format):
    """An installed engine that writes ``format`` (and so reads it back), trying those
    already imported first."""
    loaded = list(backends.loaded())
    for name in loaded + [n for n in backends.available() if n not in loaded]:
        engine = backends.get(name)
        if format in engine_formats(engine):
            return engine
    raise ImportError(f"Reading a {format!r} export needs the engine that writes it, and "
                      f"none installed does ({backends.available()} are installed).")


def _onnx_runner(filepath):
    ort = require("onnxruntime", "load_exported() of an ONNX file", "onnx")
    session = ort.InferenceSession(filepath, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(arrays):
        if len(arrays) != len(names):
            raise ValueError(f"The exported model takes {len(names)} input(s) {names}; "
                             f"received {len(arrays)}.")
        return session.run(None, dict(zip(names, arrays)))
    return run


__all__ = ["FORMATS", "export_model", "load_exported"]
