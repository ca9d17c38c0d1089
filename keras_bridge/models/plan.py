"""A functional model's graph as one execution plan, walked by every engine.

``ExecutionPlan`` is built once per graph from its nodes: per step the layer, where
its arguments come from in a flat value list, the node's extra args and kwargs, where
its outputs go, and whether it has an activity regularizer or takes ``mask`` /
``training``. ``Model.call`` (eager, and traced by ``jax.jit``) and torch's
``GraphModule`` both run it through an ``Executor``: the same walk, masks, activity
losses, ``Model.add_loss`` terms and ``training`` injection, differing only in what is
called for a step (the layer's ``__call__``, or the layer's bound torch module).
"""

from keras_bridge import layer_losses
from keras_bridge.graph import KerasTensor
from keras_bridge.utils import tree


class Ref:
    """Position of a value in the plan's flat value list."""
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i

    def __repr__(self):
        return f"Ref({self.i})"


class Step:
    """One node of the graph. ``args`` is the node's input structure with ``Ref`` in
    place of tensors; ``arg_index`` the value's position when the input is one tensor
    (else -1); ``out_index`` likewise for a single output tensor (else -1)."""
    __slots__ = ("layer", "args", "arg_index", "extra", "kwargs", "out_ids", "out_index",
                 "regularized", "takes_training", "takes_mask", "packed", "input_dtypes")

    def __init__(self, node, ids):
        layer = self.layer = node.layer

        def ref(t):
            return Ref(ids[id(t)]) if isinstance(t, KerasTensor) else t

        self.args = tree.map_structure(ref, node.inputs)
        # The dtypes the graph says the inputs have (where an engine casts for the layer).
        self.input_dtypes = tuple(t.dtype for t in tree.flatten(node.inputs)
                                  if isinstance(t, KerasTensor))
        self.arg_index = self.args.i if isinstance(self.args, Ref) else -1
        self.extra = tuple(node.args)
        self.kwargs = dict(node.kwargs)
        # Tensors in the extra arguments: the executor resolves (inputs, args, kwargs)
        # as one structure and unpacks it for the call.
        self.packed = node.reads_tensors_in_arguments
        if self.packed:
            self.extra = tuple(tree.map_structure(ref, list(node.args)))
            self.kwargs = {k: tree.map_structure(ref, v) for k, v in node.kwargs.items()}
        self.out_ids = tuple(ids[id(t)] for t in node.output_tensors)
        self.out_index = self.out_ids[0] if isinstance(node.outputs, KerasTensor) else -1
        self.regularized = layer.activity_regularizer is not None
        self.takes_training = layer._call_has_training
        self.takes_mask = layer._call_has_mask


class ExecutionPlan:
    """The steps of ``model``'s graph in topological order, and where its outputs and
    symbolic losses (``Model.add_loss``) are found in the value list."""

    def __init__(self, model):
        self._model = model
        ids = {id(t): i for i, t in enumerate(model.inputs)}
        self.n_inputs = len(ids)
        steps = []
        for node in model._nodes:
            for t in node.output_tensors:
                ids.setdefault(id(t), len(ids))
            steps.append(Step(node, ids))
        self.steps = tuple(steps)
        self.output_ids = tuple(ids[id(t)] for t in model.outputs)
        self.loss_ids = tuple(ids[id(t)] for t in model._loss_tensors)
        self.n_values = len(ids)
        self.carries_masks = model._uses_masks

    @property
    def layers(self):
        """The layer of each step, in step order (a shared layer appears per call)."""
        return [s.layer for s in self.steps]

    def flatten_inputs(self, inputs):
        """The model's inputs (a tensor, list or dict by input name) as a flat list."""
        return self._model._flatten_inputs(inputs)

    def pack_outputs(self, values):
        """Flat output values in the structure the model's outputs were given in."""
        return tree.pack_like(self._model._output_struct, values)

    def executor(self, callables, always_takes_training=False, adds_activity_losses=True):
        """An ``Executor`` calling ``callables[i](x, *extra, **kwargs)`` for step ``i``.

        Args:
            callables: one per step.
            always_takes_training: every callable accepts ``training=`` (engine
                modules); otherwise it is passed only to layers whose call takes it.
                Either way a ``training`` given to the node itself wins.
            adds_activity_losses: whether the executor adds the activity regularizer's
                losses; False when the callable adds them itself (``Layer.__call__``).
        """
        return Executor(self, callables, always_takes_training, adds_activity_losses)


class Executor:
    """Runs an ``ExecutionPlan`` on flat inputs with one callable per step. The per-step
    tuples are made here, once, so ``run`` does only the calls and the bookkeeping."""

    def __init__(self, plan, callables, always_takes_training, adds_activity_losses):
        callables = list(callables)
        if len(callables) != len(plan.steps):
            raise ValueError(f"Expected one callable per step ({len(plan.steps)}). "
                             f"Received: {len(callables)}.")
        self.plan = plan
        self.steps = tuple(
            (_Unpacking(fn) if s.packed else fn, -1 if s.packed else s.arg_index,
             (s.args, s.extra, s.kwargs) if s.packed else s.args,
             () if s.packed else s.extra, {} if s.packed else s.kwargs,
             (always_takes_training or s.takes_training) and "training" not in s.kwargs,
             s.out_index, s.out_ids,
             s.layer if s.regularized and adds_activity_losses else None,
             _PackedMasks(s.layer) if s.packed else s.layer,
             s.takes_mask and "mask" not in s.kwargs)
            for fn, s in zip(callables, plan.steps))
        self.n_values = plan.n_values
        self.output_ids = plan.output_ids
        self.loss_ids = plan.loss_ids
        self.carries_masks = plan.carries_masks

    def run(self, inputs, training):
        """The outputs (a flat list) for flat ``inputs``; activity and ``add_loss``
        terms go to the running step's collection (layer_losses)."""
        if self.carries_masks:
            return self._run_with_masks(inputs, training)
        values = list(inputs) + [None] * (self.n_values - len(inputs))
        for fn, a, args, extra, kwargs, inject, o, out_ids, regularized, _, _ in self.steps:
            x = values[a] if a >= 0 else \
                tree.map_structure(lambda r: values[r.i] if type(r) is Ref else r, args)
            if inject:
                out = fn(x, *extra, training=training, **kwargs)
            else:
                out = fn(x, *extra, **kwargs)
            if o >= 0:
                values[o] = out
            else:
                for i, v in zip(out_ids, tree.flatten(out)):
                    values[i] = v
            if regularized is not None:
                layer_losses.add_activity_losses(regularized, tree.flatten(out))
        if self.loss_ids:
            layer_losses.add_model_losses([values[i] for i in self.loss_ids])
        return [values[i] for i in self.output_ids]

    def _run_with_masks(self, inputs, training):
        """The same walk, also carrying each value's mask (graphs with Embedding
        (mask_zero=True), Masking, ...): a layer whose call takes ``mask`` gets its
        inputs' masks, and its ``compute_mask`` gives the mask of its outputs."""
        values = list(inputs) + [None] * (self.n_values - len(inputs))
        masks = [None] * self.n_values
        for fn, _, args, extra, kwargs, inject, _, out_ids, regularized, layer, \
                pass_mask in self.steps:
            x = tree.map_structure(lambda r: values[r.i] if type(r) is Ref else r, args)
            mask = tree.map_structure(lambda r: masks[r.i] if type(r) is Ref else None, args)
            if all(m is None for m in tree.flatten(mask)):
                mask = None
            kw = dict(kwargs)
            if inject:
                kw["training"] = training
            if mask is not None and pass_mask:
                kw["mask"] = mask
            out = fn(x, *extra, **kw)
            for i, v in zip(out_ids, tree.flatten(out)):
                values[i] = v
            if regularized is not None:
                layer_losses.add_activity_losses(regularized, tree.flatten(out))
            out_mask = layer.compute_mask(x, mask)
            if out_mask is not None:
                out_masks = out_mask if isinstance(out_mask, (list, tuple)) \
                    else [out_mask] * len(out_ids)
                for i, m in zip(out_ids, out_masks):
                    masks[i] = m
        if self.loss_ids:
            layer_losses.add_model_losses([values[i] for i in self.loss_ids])
        return [values[i] for i in self.output_ids]


class _Unpacking:
    """Calls ``fn(inputs, *args, **kwargs)`` from the resolved ``(inputs, args, kwargs)``
    of a step whose extra arguments hold tensors; a mask given is the inputs' part."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, packed, **kw):
        inputs, args, kwargs = packed
        if "mask" in kw:
            kw["mask"] = kw["mask"][0]
        return self.fn(inputs, *args, **kwargs, **kw)


class _PackedMasks:
    """``compute_mask`` of a packed step's layer, on the inputs' part."""
    __slots__ = ("layer",)

    def __init__(self, layer):
        self.layer = layer

    def compute_mask(self, packed, mask):
        return self.layer.compute_mask(packed[0], None if mask is None else mask[0])
