"""Export on JAX: ``jax.export`` lowers the program's pure inference function, with the
current weights as constants, to StableHLO with a symbolic size for every axis the model
leaves ``None``; the serialized ``Exported`` is the file (format "stablehlo"). It runs on
the platform the model was on (cpu or cuda)."""

import jax
import numpy as np
from jax import export as jax_export

FORMATS = ("stablehlo",)


def _symbolic_inputs(inputs):
    """ShapeDtypeStructs for the inputs: axis 0 the shared symbol ``batch``, any other
    None axis a symbol of its own, all in one scope (symbols are compared by scope)."""
    names = []
    for i, spec in enumerate(inputs):
        names.append(", ".join("batch" if axis == 0 and d is None else
                               f"d{i}_{axis}" if d is None else str(d)
                               for axis, d in enumerate(spec.shape)))
    scope = jax_export.SymbolicScope()
    return [jax.ShapeDtypeStruct(jax_export.symbolic_shape(n, scope=scope), spec.dtype)
            for n, spec in zip(names, inputs)]


def export(program, filepath, format, inputs, options):
    values = program.values()

    def infer(*xs):
        return tuple(program.apply(values, list(xs), False, None)[0])

    try:
        # Lowered for the platform the model runs on (the file runs only there).
        exported = jax_export.export(jax.jit(infer), platforms=(program.device.platform,))(
            *_symbolic_inputs(inputs))
    except Exception as e:
        raise RuntimeError(f"jax.export could not lower the model for export(format="
                           f"{format!r}) ({type(e).__name__}): {e}") from e
    with open(filepath, "wb") as f:
        f.write(exported.serialize())


def load_export(filepath, format):
    if format != "stablehlo":
        raise ValueError(f"The jax engine reads format 'stablehlo' exports, not {format!r}.")
    with open(filepath, "rb") as f:
        exported = jax_export.deserialize(bytearray(f.read()))

    def run(arrays):
        return [np.asarray(o) for o in exported.call(*arrays)]
    return run
