"""Output shapes of layers that do not declare them, found by running ``call``.

The layer's ``call`` runs on zero arrays of the input shape on the default engine,
with its weights read from their numpy values (no binding), once with unknown
dimensions set to 1 and once set to 2; a dimension that follows them is unknown in
the output. Only custom layers and Lambdas without ``compute_output_shape`` get here.
"""

import numpy as np

from keras_bridge import context
from keras_bridge.utils import tree
from keras_bridge.variables import substitute


def _run(layer, input_shape, fill, dtype, args=(), kwargs=None):
    from keras_bridge.graph import KerasTensor
    backend = context.active_backend()

    def make(shape, dtype=dtype):
        fn = np.ones if np.dtype(dtype) == np.bool_ else np.zeros  # masks: all steps real
        return backend.ops.convert_to_tensor(
            fn(tuple(fill if d is None else d for d in shape), dtype=dtype))

    def concrete(value):  # a symbolic tensor among the extra arguments
        return make(value.shape, value.dtype) if isinstance(value, KerasTensor) else value

    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple):
        inputs = [make(s) for s in input_shape]
    else:
        inputs = make(input_shape)
    values = {id(w): backend.ops.convert_to_tensor(w.numpy(), dtype=w.dtype)
              for w in layer.weights}
    with context.running(backend.NAME), substitute(values, trial=True):
        outputs = layer.call(inputs, *tree.map_structure(concrete, list(args)),
                             **{k: tree.map_structure(concrete, v)
                                for k, v in (kwargs or {}).items()})
    return tree.map_structure(lambda t: tuple(backend.ops.shape(t)), outputs)


def infer_output_shape(layer, input_shape, dtype="float32", args=(), kwargs=None):
    """The output shape of ``layer.call(inputs, *args, **kwargs)`` for inputs of
    ``input_shape``; symbolic tensors among ``args`` / ``kwargs`` become zeros too."""
    try:
        small = _run(layer, input_shape, 1, dtype, args, kwargs)
        large = _run(layer, input_shape, 2, dtype, args, kwargs)
    except Exception as e:
        raise ValueError(
            f"Could not infer the output shape of layer {layer.name!r} "
            f"({type(layer).__name__}) for input shape {input_shape}: {type(e).__name__}: "
            f"{e}. Define compute_output_shape(input_shape) on the layer.") from e

    def merge(a, b):
        return tuple(x if x == y else None for x, y in zip(a, b))

    if isinstance(small, list):
        return [merge(a, b) for a, b in zip(small, large)]
    return merge(small, large)
