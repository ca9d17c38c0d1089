"""How ``fit`` / ``evaluate`` / ``predict`` run their steps: ``compile``'s
``steps_per_execution``, ``jit_compile`` and ``run_eagerly``.

One execution is up to ``steps_per_execution`` batches handed to the engine at once
(``runner``): a full group of same-shaped batches goes to the engine's many-step call
(``train_steps`` / ``test_steps`` / ``predict_batches``: one ``lax.scan`` on JAX, N steps
without a host read on torch); a short or mixed group (an epoch's tail, a last partial
batch) runs as single steps, so the tail costs no compile of its own beyond the
single step's, and that one is reused every epoch. Callbacks see one batch per
execution, as Keras 3 (``on_*_batch_begin`` with its first step index,
``on_*_batch_end`` with its last); the progress bar counts every sample.

Whether a step is compiled is the engine's to resolve from ``jit_compile``: "auto"
compiles on an engine declaring the ``jit`` capability (JAX's ``jax.jit``) and stays
eager elsewhere (torch); True on torch is ``torch.compile``. ``run_eagerly=True`` turns
compilation off everywhere (Keras's rule: it wins over ``jit_compile=True``, with a
warning).
"""

import warnings

import numpy as np

from keras_bridge import backends

class Execution:
    """``compile``'s execution arguments, checked."""

    def __init__(self, steps_per_execution=1, jit_compile="auto", run_eagerly=False):
        if isinstance(steps_per_execution, bool) or not isinstance(
                steps_per_execution, (int, np.integer)) or steps_per_execution < 1:
            raise ValueError(f"compile(): steps_per_execution must be a positive integer. "
                             f"Received: steps_per_execution={steps_per_execution!r}")
        if not isinstance(jit_compile, bool) and not (isinstance(jit_compile, str)
                                                      and jit_compile == "auto"):
            raise ValueError(f"compile(): jit_compile must be True, False or 'auto'. "
                             f"Received: jit_compile={jit_compile!r}")
        if not isinstance(run_eagerly, (bool, np.bool_)):
            raise ValueError(f"compile(): run_eagerly must be True or False. Received: "
                             f"run_eagerly={run_eagerly!r}")
        if run_eagerly and jit_compile is True:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be "
                          "True. Disabling `jit_compile`.", stacklevel=3)
            jit_compile = False
        self.steps_per_execution = int(steps_per_execution)
        self.jit_compile = jit_compile  # as given: a saved file keeps "auto" as "auto"
        self.run_eagerly = bool(run_eagerly)

    def jit(self, backend_name):
        """Whether ``backend_name`` compiles the steps."""
        if self.run_eagerly or self.jit_compile is False:
            return False
        if self.jit_compile is True:
            return True
        return "jit" in backends.get(backend_name).CAPABILITIES


def groups(batches, n):
    """``(first step, last step, [batch, ...])`` for successive groups of ``n``."""
    if n == 1:
        for step, batch in enumerate(batches):
            yield step, step, [batch]
        return
    group, begin = [], 0
    for step, batch in enumerate(batches):
        group.append(batch)
        if len(group) == n:
            yield begin, step, group
            group, begin = [], step + 1
    if group:
        yield begin, begin + len(group) - 1, group


def _shapes(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(_shapes(v) for v in value)
    return np.shape(value)


def _signature(batch):
    """The shapes of a batch: a training batch ``(xs, ys, None, samples)`` of numpy
    arrays read directly (checked for every group of a many-step epoch), anything else
    (predict's input lists, sample weights, engine tensors) walked."""
    if type(batch) is tuple and len(batch) == 4 and batch[2] is None:
        xs, ys = batch[0], batch[1]
        if type(xs) is list and type(ys) is list and all(
                type(a) is np.ndarray for a in xs) and all(type(a) is np.ndarray for a in ys):
            return tuple(a.shape for a in xs), tuple(a.shape for a in ys)
    return _shapes(batch[:3] if type(batch) is tuple else batch)


def uniform(group, n):
    """Whether ``group`` is a full execution of batches of one shape (what a many-step
    call takes: they stack along a new leading axis)."""
    if n == 1 or len(group) != n:
        return False
    first = _signature(group[0])
    return all(_signature(b) == first for b in group[1:])


def runner(target, kind, n):
    """The function running one execution of ``kind`` ('train' / 'test') on a trainer,
    resolved once per loop: given a group of ``(xs, ys, sw, ...)`` batches, its many-step
    call for a full uniform group when it has one, else one step per batch."""
    single = getattr(target, f"{kind}_step")
    many = getattr(target, f"{kind}_steps", None) if n > 1 else None

    def run(group):
        if many is not None and uniform(group, n):
            many([b[:3] for b in group])
            return
        for b in group:
            single(b[0], b[1], b[2])
    return run


def predict(program, group, n):
    """One execution of predict on ``group`` (input lists): the outputs of its batches
    joined along the batch axis (one list of arrays)."""
    many = getattr(program, "predict_batches", None)
    if many is not None and uniform(group, n):
        return many(group)
    parts = [program.predict_batch(xs) for xs in group]
    return parts[0] if len(parts) == 1 else [np.concatenate(p, axis=0) for p in zip(*parts)]
