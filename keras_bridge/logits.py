"""The logits behind softmax and sigmoid outputs, for the crossentropy losses.

Keras 2 computes ``categorical_crossentropy`` of a softmax output (and
``binary_crossentropy`` of a sigmoid output) from the activation's input, the logits,
instead of from the clipped probabilities: the loss stays finite and keeps its gradient
when a probability saturates, and it is cheaper (no softmax in the backward pass). The
softmax and sigmoid activations note their input here; the crossentropy functions of
``keras_bridge.backend`` look it up.

Notes are only taken inside ``recording()``, which the training and test steps of
``fit``/``evaluate``/``train_on_batch``/``test_on_batch`` open around forward pass
and loss, on every engine alike (under ``jax.jit`` the entries are tracers, valid for
that trace only). Entries are keyed by the output object itself, so a tensor derived
from an output (a slice, a copy, ``detach()``) has no logits and is treated as
probabilities; the one exception is the step's own widening of a mixed-precision
output to float32 (``widened``), whose logits are the widened logits: the loss then
reads the 16-bit logits in float32 instead of 16-bit probabilities, as a float32 model's
loss does, without the probabilities' rounding and with the cheaper gradient.
"""

import contextlib

from keras_bridge.scopes import StepScope

_notes = StepScope("keras_bridge_logits", default=None)


@contextlib.contextmanager
def recording():
    """Note the logits of softmax/sigmoid outputs made inside this scope."""
    token = _notes.set({})
    try:
        yield
    finally:
        _notes.reset(token)


def note(output, logits, kind, axis=-1):
    """Record that ``output`` is ``kind`` ('softmax' or 'sigmoid') of ``logits`` along
    ``axis``; returns ``output``. A no-op outside ``recording()``."""
    notes = _notes.get()
    if notes is not None:
        notes[id(output)] = (output, logits, kind, axis)
    return output


def logits_of(output, kind, axis=-1):
    """The logits ``output`` was made from by a ``kind`` activation along ``axis``,
    or None."""
    notes = _notes.get()
    if not notes:
        return None
    entry = notes.get(id(output))
    if entry is None or entry[0] is not output or entry[2] != kind:
        return None
    if kind == "softmax":
        rank = len(output.shape)
        if rank == 0 or entry[3] % rank != axis % rank:
            return None
    return entry[1]


def widened(output, wide, cast):
    """Note ``wide``, ``output`` cast to a wider float, as the same activation of its
    logits cast by ``cast``; returns ``wide``."""
    notes = _notes.get()
    entry = notes.get(id(output)) if notes else None
    if entry is not None and entry[0] is output:
        notes[id(wide)] = (wide, cast(entry[1]), entry[2], entry[3])
    return wide
