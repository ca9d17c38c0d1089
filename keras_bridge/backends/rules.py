"""Which engine rule, if any, computes a layer: one lookup for every engine.

An engine's ``LOWERING`` maps built-in layer classes to rules that replace the layer's
reference ``call`` with the engine's kernels. A user's subclass of a built-in layer
(``class MyConv(Conv2D)`` adding a constructor argument and ``get_config``) computes the
same thing, so it should get the same rule; a subclass that changes the math must keep
running its own code. ``rule_for`` decides, from the class alone:

1. Walk ``type(layer).__mro__`` to the nearest class in the engine's ``LOWERING`` or in
   its ``RUNS_OWN_CALL``. A class on ``RUNS_OWN_CALL`` (e.g. torch's ``CuDNNLSTM``, an
   ``LSTM`` subclass with other biases) ends the walk: no rule.
2. Use the rule only if no class before it on the MRO (the subclass and any mixin it
   puts in front) defines one of ``MATH_METHODS``: the methods a rule replaces or reads
   its weights from, so that an override of one would be silently skipped.

``compute_mask`` / ``compute_output_shape`` are not on the list: the front end (and
torch's graph walk) call them on the layer whatever runs its math, so an override is
always honoured. Nor is a recurrent cell's class: the rule of ``RNN(cell)`` (JAX) runs
the cell's own ``call`` at each step, and torch has no rule for ``RNN``; a built-in
layer that owns its cell's weights (``LSTM``) has its step math in the methods below.
Blocking is always safe (the reference ``call`` runs, as for any custom layer), so the
list errs towards blocking.
"""

MATH_METHODS = frozenset({
    # every layer: its computation, and the weights a rule adopts
    "call", "build",
    # convolutions: the bias and activation after the convolution
    "_finish",
    # SimpleRNN / LSTM / GRU: the loop, the input projection, the step and its weights
    "run", "_make_step", "_project", "_recur", "_build_cell", "_build_weights",
    "_bias_shape", "_input_bias", "_recurrent_bias",
    # Bidirectional: how the two directions combine
    "merge",
    # LayerNormalization: the reduced axes
    "_axes_and_broadcast",
})


def ruled_class(cls, table, own_call=frozenset()):
    """The class of ``table`` whose rule computes instances of ``cls``, or None."""
    if cls in table:  # a built-in layer itself: the common case, one dict lookup
        return cls
    if cls in own_call:
        return None
    between = []
    for klass in cls.__mro__:
        if klass in own_call:
            return None
        if klass in table:
            if any(name in vars(k) for k in between for name in MATH_METHODS):
                return None
            return klass
        between.append(klass)
    return None


def rule_for(layer, table, own_call=frozenset()):
    """The rule of ``table`` (an engine's ``LOWERING``) that computes ``layer``, or None
    when its own ``call`` must run; ``own_call`` is the engine's ``RUNS_OWN_CALL``.
    A quantized layer (int8 Dense, Embedding) always runs its own call: the rules are
    the float layers' math."""
    if getattr(layer, "quantization_mode", None) is not None:
        return None
    klass = ruled_class(type(layer), table, own_call)
    return None if klass is None else table[klass]
