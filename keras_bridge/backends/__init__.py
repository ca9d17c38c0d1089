"""Registry of engines: name -> backend module, imported on first use.

Availability is decided with ``importlib.util.find_spec`` so that asking "is jax
installed?" never imports jax. A backend module fulfils ``keras_bridge.backends.contract``.
"""

import importlib
import importlib.util
import sys

# name -> (backend module path, engine packages that must be importable, pip extra)
_REGISTRY = {
    "torch": ("keras_bridge.backends.torch", ("torch",), "pip install 'keras-bridge[torch]'"),
    "jax": ("keras_bridge.backends.jax", ("jax", "jaxlib", "optax"), "pip install 'keras-bridge[jax]'"),
}

# Top-level module names whose array types belong to each engine (used by ops
# dispatch to recognise a tensor from its type without importing anything).
ENGINE_MODULES = {"torch": ("torch",), "jax": ("jax", "jaxlib")}

_loaded = {}


class BackendUnavailableError(ImportError):
    """An engine was asked for but is not installed or not known."""


def names():
    """All engines this project can run, in order of preference."""
    return tuple(_REGISTRY)


def is_available(name):
    """Whether the engine's packages are installed (does not import them)."""
    if name not in _REGISTRY:
        return False
    return all(importlib.util.find_spec(pkg) is not None for pkg in _REGISTRY[name][1])


def available():
    """Installed engines, in order of preference."""
    return tuple(n for n in _REGISTRY if is_available(n))


def install_hint(name):
    return _REGISTRY[name][2]


def get(name):
    """The backend module for ``name``, imported once and cached."""
    module = _loaded.get(name)
    if module is not None:
        return module
    if name not in _REGISTRY:
        raise BackendUnavailableError(
            f"Unknown backend {name!r}. Expected one of {set(_REGISTRY)}."
        )
    if not is_available(name):
        missing = [p for p in _REGISTRY[name][1] if importlib.util.find_spec(p) is None]
        raise BackendUnavailableError(
            f"Backend {name!r} needs {', '.join(missing)}, which is not installed. "
            f"Install it with: {install_hint(name)}"
        )
    module = importlib.import_module(_REGISTRY[name][0])
    _loaded[name] = module
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
