"""A numpy-like op namespace that works on every engine.

Each function finds its engine from the type of its array arguments (a torch tensor
goes to torch, a jax array to jax) through a table cached by type, without importing
an engine that is not already loaded. Weights are read as their current value. Calls
with no engine tensor at all (numpy arrays, Python numbers, creation functions) use
the engine of the program running now, else the configured default backend.

The op list and what each op must do live in ``backends.contract.OPS``.
"""

import backends
from backends.contract import OPS
from keras_bridge import context

_kind_cache = {}  # type -> engine name, "weight", or None


def _kind(tp):
    kind = _kind_cache.get(tp, False)
    if kind is False:
        if getattr(tp, "_kb_is_weight", False):
            kind = "weight"
        else:
            kind = backends.backend_of_type(tp)
        if kind is not None:  # only cache answers that cannot change
            _kind_cache[tp] = kind
    return kind


def _engine_of(values):
    for v in values:
        tp = type(v)
        if tp is list or tp is tuple:
            name = _engine_of(v)
            if name:
                return name
            continue
        kind = _kind(tp)
        if kind == "weight":
            return v.backend_name
        if kind is not None:
            return kind
    return None


def _unwrap(v):
    tp = type(v)
    if tp is list or tp is tuple:
        return tp(_unwrap(e) for e in v)
    if _kind(tp) == "weight":
        return v.value
    return v


def engine_name_of(*values):
    """Name of the engine owning the first engine tensor (or weight) in ``values``."""
    return _engine_of(values)


def backend_for(*values):
    """The backend module that ops on ``values`` run on."""
    name = _engine_of(values)
    return backends.get(name) if name else context.active_backend()


def _make(name, signature, doc):
    def op(*args, **kwargs):
        backend = backend_for(*args, *kwargs.values())
        args = [_unwrap(a) for a in args]
        if kwargs:
            kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return getattr(backend.ops, name)(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}{signature}\n\n{doc}"
    return op


for _name, (_sig, _doc) in OPS.items():
    globals()[_name] = _make(_name, _sig, _doc)

__all__ = sorted(OPS) + ["backend_for", "engine_name_of"]
