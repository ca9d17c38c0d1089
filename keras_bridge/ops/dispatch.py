"""The engine ops of ``keras_bridge.ops``: one dispatching function per name in
``keras_bridge.backends.contract.OPS`` (see the package docstring for how a call finds
its engine and how symbolic tensors are recorded). A module of its own so that the
compositions (``composed.py``, ``nn_composed.py``, ``image.py``) build on it without
an import cycle through the package."""

from keras_bridge import backends
from keras_bridge.backends.contract import OPS
from keras_bridge import context

_kind_cache = {}  # type -> engine name, "weight", "symbolic", or None
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
    if name == "scan":
        raise TypeError("ops.scan got a symbolic tensor: a graph node cannot hold the Python "
                        "step function. Call ops.scan inside a layer's call (or a Lambda), "
                        "where it receives the engine's tensors.")
    if name == "convert_to_numpy":
        raise TypeError(f"{getattr(x, 'name', x)} is a symbolic tensor: it has no value "
                        "until a model runs. Use model.predict or K.function.")
    return record(name, args, kwargs)


def _make(name, signature, doc):
    def op(*args, **kwargs):
        engine = _engine_of((*args, *kwargs.values()) if kwargs else args)
        if engine == SYMBOLIC:
            return _symbolic(name, args, kwargs)
        backend = backends.get(engine) if engine else context.active_backend()
        args = [_unwrap(a) for a in args]
        if kwargs:
            kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return getattr(backend.ops, name)(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}{signature}\n\n{doc}"
    return op


for _name, (_sig, _doc) in OPS.items():
    globals()[_name] = _make(_name, _sig, _doc)

__all__ = sorted(OPS) + ["backend_for", "engine_name_of", "SYMBOLIC"]
