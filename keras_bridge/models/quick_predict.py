"""The short path of a one-batch ``predict`` / ``predict_on_batch``.

A one-sample predict is latency: the engine's call takes ~100 us on the CPU, and the
general path's per-call steps (standardizing the input, the interrupt guard, the
distribution, host-stage and index checks) cost a quarter more there, each cheap alone
but run cold after the engine's work. Once the general path has run a call for a
model whose steps all turn out to be no-ops for such input (one input of a fixed
dtype, nothing encoded or checked on the host, no distribution, no layer state that
inference writes, which is what the guard protects), ``make`` returns a function that
checks that a later call is the same kind (same program and execution settings, a
numpy array of the same dtype and trailing shape) and runs it directly; anything else
returns None and goes the general way, errors included.
"""

from keras_bridge.distribution import runtime as distribution_runtime
from keras_bridge.layers.embedding import index_checks
from keras_bridge.layers.preprocessing import host_stage


def make(model, program, array):
    """The short path for calls like the one just run on standardized ``array``, or
    None when ``model`` needs its general steps."""
    if program is not model._program or getattr(model, "_distribution", None) is not None \
            or distribution_runtime.distribution() is not None or not _allowed(model, program):
        return None
    dtype, trailing, run = array.dtype, array.shape[1:], model._execution()
    if str(dtype) != str(model.inputs[0].dtype):  # by name: numpy knows no bfloat16
        return None

    def quick(model, x, limit):
        """``model``'s outputs for numpy ``x``, or None when the general path must take
        it (the model is an argument: a deep copy of it shares this function, not the
        program)."""
        if x.dtype != dtype or x.shape[1:] != trailing or not 0 < x.shape[0] <= limit \
                or model._program is not program or model._execution() is not run \
                or distribution_runtime.distribution() is not None:
            return None
        return model._pack_outputs(program.predict_batch([x]))
    return quick



def _allowed(model, program):
    """Whether the graph behind ``program`` lets calls skip the general steps; a refusal
    is kept with the model for that program (the layer walk would otherwise run on every
    predict of, say, a stateful RNN generating one step at a time)."""
    if model._quick_refused is program:
        return False
    allowed = model._functional and len(model.inputs) == 1 \
        and not host_stage.has_host_stage(model) and not index_checks(model) \
        and not any(getattr(layer, "stateful", False) for layer in model._sublayers())
    if not allowed:
        model._quick_refused = program
    return allowed
