"""``keras.name_scope``: a prefix for the ``path`` of variables created inside it.

As in Keras 3, a layer opens a scope of its name while it builds and calls, rooted where
it first opened it (the scopes open then: its ``_parent_path``), and a weight's path is
the scope it was made in and its name, fixed then: a Sequential's layers build inside
the model's scope (``sequential/dense/kernel``), a subclassed model's inside its call
(``my_model/dense/kernel``), a functional model's where they are called on its inputs
(``dense/kernel``); a free ``keras.Variable`` made inside a scope gets
``<scope>/<name>``. Scopes nest (``outer/inner``) and are per thread.
"""

import contextlib
import threading

__all__ = ["name_scope", "current_path"]

_local = threading.local()


def _stack():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def _check_name(name, what):
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"Expected {what} to be a non-empty string without '/'. "
                         f"Received: name={name!r}")
    return name


class name_scope:
    """Context manager opening a sub-namespace for variable paths.

    Args:
        name: the scope's name (a string without '/').
        caller, deduplicate: as Keras 3: re-entering the scope the same caller opened
            last does not nest it twice.
        override_parent: an absolute path replacing the enclosing scopes.

    Example:
        with keras.name_scope("block1"):
            layer = keras.layers.Dense(2)
        layer.build((None, 3)); layer.kernel.path  # 'block1/dense/kernel'
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        self.name = _check_name(name, "a name_scope name")
        self.caller = caller
        self.deduplicate = deduplicate
        # A layer's scope sits where the layer first opened it (its ``_parent_path``),
        # wherever it is entered later, as Keras 3's.
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None and \
                stack[-1].caller is self.caller and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _stack().pop()
            self._pushed = False


def current_path():
    """The path of the open scopes ('outer/inner'), '' outside any."""
    parts = []
    for scope in _stack():
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


def optional(name):
    """``name_scope(name)``, or no scope for None."""
    return contextlib.nullcontext() if name is None else name_scope(name)


def join(*parts):
    """Non-empty parts joined with '/'."""
    return "/".join(p for p in parts if p)
