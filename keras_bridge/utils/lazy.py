"""Module attributes imported on first access (a module ``__getattr__``, PEP 562).

Keras 2's module paths re-export names from modules that cannot be imported while the
re-exporting module loads (``layers.core`` would import ``layers.sequence``, which
imports ``layers.core``), or whose names another part of the project provides later.
Each such module lists its names in one table; the object handed out is the canonical
one, never a copy.
"""

import importlib
import sys
import types


def reexports(module_name, table):
    """``(__getattr__, __dir__)`` for module ``module_name``: each name in ``table``
    (name -> module path) is taken from that module on first access and cached; a
    name mapped to ``module_name + "." + name`` is that submodule itself.

    A name its source does not (yet) provide raises ``AttributeError`` (so
    ``from m import name`` raises ``ImportError``) naming the source. When the module
    defines no ``__all__``, ``__all__`` is its public names plus the table's names that
    are available now, so a star import takes what exists.
    """

    def __getattr__(name):
        if name == "__all__":  # what a star import would take, plus the names here
            own = [n for n, v in vars(sys.modules[module_name]).items()
                   if not n.startswith("_") and not isinstance(v, types.ModuleType)]
            return own + [n for n in table if n not in own and _available(n)]
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(source)
            # A table entry naming the module's own submodule hands out that module.
            value = module if module.__name__ == f"{module_name}.{name}" else \
                getattr(module, name)
        except AttributeError:
            raise AttributeError(
                f"module {module_name!r} has no attribute {name!r}: it re-exports "
                f"{source}.{name}, which this version of keras_bridge does not provide."
            ) from None
        setattr(sys.modules[module_name], name, value)
        return value

    def _available(name):
        try:
            __getattr__(name)
        except AttributeError:
            return False
        return True

    def __dir__():
        return sorted(set(vars(sys.modules[module_name])) | set(table))

    return __getattr__, __dir__
