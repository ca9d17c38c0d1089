"""Registry of engines: name -> backend module, imported on first use.

Availability is decided with ``importlib.util.find_spec`` so that asking "is jax
installed?" never imports jax. A backend module fulfils ``keras_bridge.backends.contract``.

Other distributions add engines without editing this file: an entry point
``name = "package.module"`` in the group ``keras_bridge.backends`` makes ``name`` a
backend (KERAS_BACKEND, ``config.set_backend``), ranked after the built-in engines. Such a
module may also set ``ARRAY_MODULES`` (top-level module names of its tensor types) so that
ops recognise its tensors once it is loaded.
"""

import importlib
import importlib.metadata
import importlib.util
import re
import sys

from keras_bridge.backends import contract

ENTRY_POINT_GROUP = "keras_bridge.backends"

# name -> (backend module path, engine packages that must be importable, pip extra)
_BUILTIN = {
    "torch": ("keras_bridge.backends.torch", ("torch",),
              "pip install 'keras-bridge[torch]'"),
    "jax": ("keras_bridge.backends.jax", ("jax", "jaxlib", "optax"),
            "pip install 'keras-bridge[jax]'"),
}
_registry = None  # built-ins plus entry points, read once on first use
_MODULE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

# Top-level module names whose array types belong to each engine (used by ops
# dispatch to recognise a tensor from its type without importing anything).
ENGINE_MODULES = {"torch": ("torch",), "jax": ("jax", "jaxlib")}

_loaded = {}


class BackendUnavailableError(ImportError):
    """An engine was asked for but is not installed or not known."""


def _discovered():
    """Engines advertised by installed distributions (built-in names cannot be taken)."""
    found = {}
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        name = point.name.strip().lower()
        if name in _BUILTIN or name in found:
            continue
        dist = getattr(point, "dist", None)
        hint = (f"pip install {dist.name}" if dist is not None
                else "reinstall the distribution that advertises it")
        # Only the top-level package must be findable: that check imports nothing.
        found[name] = (point.value, (point.value.split(".", 1)[0],), hint)
    return found


def _table():
    global _registry
    if _registry is None:
        _registry = {**_BUILTIN, **_discovered()}
    return _registry


def names():
    """All engines this project can run, in order of preference."""
    return tuple(_table())


def is_available(name):
    """Whether the engine's packages are installed (does not import them)."""
    table = _table()
    if name not in table:
        return False
    return all(_findable(pkg) for pkg in table[name][1])


def _findable(package):
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # e.g. an entry point value that is no module path
        return False


def available():
    """Installed engines, in order of preference."""
    return tuple(n for n in _table() if is_available(n))


def install_hint(name):
    return _table()[name][2]


def get(name):
    """The backend module for ``name``, imported once and cached."""
    module = _loaded.get(name)
    if module is not None:
        return module
    table = _table()
    if name not in table:
        raise BackendUnavailableError(
            f"Unknown backend {name!r}. Expected one of {set(table)}."
        )
    path, packages, _ = table[name]
    if not _MODULE_PATH.fullmatch(path):
        raise BackendUnavailableError(
            f"Backend {name!r} (entry point {ENTRY_POINT_GROUP!r}) must name a module. "
            f"Expected a module path such as 'package.engine'. Received: {path!r}."
        )
    if not is_available(name):
        missing = [p for p in packages if not _findable(p)]
        raise BackendUnavailableError(
            f"Backend {name!r} needs {', '.join(missing)}, which is not installed. "
            f"Install it with: {install_hint(name)}"
        )
    module = _import(name, path)
    _loaded[name] = module
    return module


def _import(name, path):
    """The engine module at ``path``, checked against the contract's top-level names."""
    origin = "" if name in _BUILTIN else f" (entry point {ENTRY_POINT_GROUP!r})"
    try:
        module = importlib.import_module(path)
    except ImportError as error:
        if name in _BUILTIN:
            raise
        raise BackendUnavailableError(
            f"Backend {name!r}{origin} names module {path!r}, which failed to import: "
            f"{error}. Expected an importable module path such as 'package.engine'."
        ) from error
    missing = [n for n in (*contract.ATTRIBUTES, *contract.FUNCTIONS) if not hasattr(module, n)]
    if missing or module.NAME != name:
        got = f"lacks {missing}" if missing else f"has NAME={module.NAME!r}"
        raise BackendUnavailableError(
            f"Backend {name!r}{origin}: module {path!r} does not fulfil the backend "
            f"contract. Expected NAME={name!r} and every name of "
            f"keras_bridge.backends.contract. Received: a module that {got}."
        )
    ENGINE_MODULES.setdefault(name, tuple(getattr(module, "ARRAY_MODULES", ())))
    return module


def loaded():
    """Backends already imported (engines present in this process)."""
    return dict(_loaded)


def canonical_device(name):
    """One spelling per device on every engine: 'cpu', 'cuda:N' (Keras's 'gpu:N' and a
    bare 'cuda' accepted)."""
    key = str(name).strip().lower()
    if key.startswith("gpu"):
        key = "cuda" + key[3:]
    return {"cuda": "cuda:0", "cpu:0": "cpu"}.get(key, key)


def backend_of_type(tp):
    """The engine name owning array type ``tp``, or None; never imports an engine."""
    root = tp.__module__.split(".", 1)[0]
    for name, roots in ENGINE_MODULES.items():
        if root in roots and root in sys.modules:
            return name
    return None
