"""The engine ops of ``keras_bridge.ops``: one dispatching function per name in
``keras_bridge.backends.contract.OPS`` (see the package docstring for how a call finds
its engine and how symbolic tensors are recorded). A module of its own so that the
compositions (``composed.py``, ``nn_composed.py``, ``image.py``) build on it without
an import cycle through the package."""

from keras_bridge import backends
from keras_bridge.backends.contract import OPS
from keras_bridge import context

# type -> engine name, "weight", "symbolic", or None. Python scalars own no engine,
# known up front: looking their type up in the registry reads ``type.__module__``,
# which breaks a torch.compile graph at every scalar argument.
_kind_cache = dict.fromkeys((bool, int, float, complex, str, type(None)))
SYMBOLIC = "symbolic"  # what engine_name_of answers for arguments with a KerasTensor


def _kind(tp):
    kind = _kind_cache.get(tp, False)
    if kind is False:
        if getattr(tp, "_kb_is_weight", False):
            kind = "weight"
        elif getattr(tp, "_kb_is_symbolic", False):
            kind = SYMBOLIC
        else:
            kind = backends.backend_of_type(tp)
        if kind is not None:  # only cache answers that cannot change
            _kind_cache[tp] = kind
    return kind


def _engine_of(values):
    """The first engine among ``values``; SYMBOLIC if any of them is symbolic."""
    found = None
    for v in values:
        tp = type(v)
        if tp is list or tp is tuple or tp is dict:
            name = _engine_of(v.values() if tp is dict else v)
            if name == SYMBOLIC:
                return name
            found = found or name
            continue
        kind = _kind(tp)
        if kind == SYMBOLIC:
            return kind
        if found is None and kind is not None:
            found = v.backend_name if kind == "weight" else kind
    return found


def _unwrap(v):
    tp = type(v)
    if tp is list or tp is tuple:
        return tp(_unwrap(e) for e in v)
    if _kind(tp) == "weight":
        return v.value
    return v


def engine_name_of(*values):
    """Name of the engine owning the first engine tensor (or weight) in ``values``
    (``SYMBOLIC`` when one of them is a symbolic tensor)."""
    return _engine_of(values)


def backend_for(*values):
    """The backend module that ops on ``values`` run on (symbolic tensors: the one
    that infers their shapes, the running program's or the default)."""
    name = _engine_of(values)
    return backends.get(name) if name and name != SYMBOLIC else context.active_backend()


def _symbolic(name, args, kwargs):
    from keras_bridge.layers.op_layer import record
    x = args[0] if args else next(iter(kwargs.values()))
    if name == "shape" and hasattr(x, "node"):
        return x.shape
    if name == "ndim" and hasattr(x, "node"):
        return len(x.shape)
    if name == "dtype" and hasattr(x, "node"):
        return x.dtype
    if name == "convert_to_tensor" and hasattr(x, "node"):
        dtype = args[1] if len(args) > 1 else kwargs.get("dtype")
        return x if dtype is None or str(dtype) == x.dtype else record("cast", (x, dtype), {})
    if name == "moments":  # two outputs: one graph node for each
        return (record("moments_mean", args, kwargs), record("moments_variance", args, kwargs))
    if name in ("jvp", "custom_gradient_call"):
        raise TypeError(f"ops.{name.replace('_call', '')} got a symbolic tensor: a graph node "
                        "cannot hold its Python function. Call it inside a layer's call (or a "
                        "Lambda), where it receives the engine's tensors.")
    if name == "scan":
        raise TypeError("ops.scan got a symbolic tensor: a graph node cannot hold the Python "
                        "step function. Call ops.scan inside a layer's call (or a Lambda), "
                        "where it receives the engine's tensors.")
    if name == "convert_to_numpy":
        raise TypeError(f"{getattr(x, 'name', x)} is a symbolic tensor: it has no value "
                        "until a model runs. Use model.predict or K.function.")
    out = record(name, args, kwargs)
    if name == "unique":
        _unknown_unique_length(out, args, kwargs)
    return out


def _unknown_unique_length(out, args, kwargs):
    """Without size=, how many unique entries there are depends on values: that axis of
    the values, first indices and counts is unknown (the trial run saw zeros)."""
    names = ["x", "sorted", "return_index", "return_inverse", "return_counts", "axis",
             "size", "fill_value"]
    given = dict(zip(names, args), **kwargs)
    if given.get("size") is not None:
        return
    outs = out if isinstance(out, tuple) else (out,)
    along = given.get("axis")
    along = 0 if along is None else along % len(outs[0].shape)
    changed = [0] + ([1] if given.get("return_index") else [])
    if given.get("return_counts"):
        changed.append(len(outs) - 1)
    for i in changed:
        shape = list(outs[i].shape)
        shape[along if i == 0 else 0] = None
        outs[i].shape = tuple(shape)


def _plain(values):
    """Whether ``values`` hold no weight and no list or tuple (nothing to unwrap): the
    usual engine tensors and Python numbers, whose types are already cached."""
    for v in values:
        tp = type(v)
        if tp is list or tp is tuple or _kind_cache.get(tp, "weight") == "weight":
            return False
    return True


def _make(name, signature, doc):
    kernels = {}  # engine name -> its function (eager ops on torch run this every step)

    def op(*args, **kwargs):
        engine = _engine_of((*args, *kwargs.values()) if kwargs else args)
        if engine == SYMBOLIC:
            return _symbolic(name, args, kwargs)
        kernel = kernels.get(engine)
        if kernel is None:
            backend = backends.get(engine) if engine else context.active_backend()
            kernel = getattr(backend.ops, name)
            if engine:  # with no engine tensor the active backend decides each call
                kernels[engine] = kernel
        if not _plain(args):
            args = [_unwrap(a) for a in args]
        if kwargs and not _plain(kwargs.values()):
            kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return kernel(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}{signature}\n\n{doc}"
    return op


WHOLE_NODE = set()  # names of the ops ``whole_node`` records (OpLayer accepts them)


def whole_node(fn):
    """A composed op that, given symbolic tensors, is recorded as one graph node (its
    output shape found by the trial run, ``layers/op_layer.py``) rather than one node per
    piece: for compositions whose pieces need concrete sizes (reshapes) or that defer to
    an engine kernel (``native``). Its name is ``fn``'s, dotted for ``ops.image`` (whose
    functions live in the ``ops/image*.py`` modules)."""
    import functools
    image = fn.__module__.rsplit(".", 1)[-1].startswith("image")  # ops/image*.py
    name = ("image." if image else "") + fn.__name__
    WHOLE_NODE.add(name)

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _engine_of((*args, *kwargs.values())) == SYMBOLIC:
            from keras_bridge.layers.op_layer import record
            return record(name, args, kwargs)
        return fn(*args, **kwargs)
    return op


def native(name, *values):
    """The engine's own kernel for the composed op ``name`` (``contract.NATIVE``) when the
    engine of ``values`` has one; None for symbolic values or an engine without it."""
    engine = _engine_of(values)
    if engine is None or engine == SYMBOLIC:
        return None
    return getattr(backends.get(engine).ops, name, None)


for _name, (_sig, _doc) in OPS.items():
    globals()[_name] = _make(_name, _sig, _doc)

__all__ = sorted(OPS) + ["backend_for", "engine_name_of", "native", "whole_node", "SYMBOLIC"]
