"""``keras.name_scope``: a prefix for the ``path`` of variables created inside it.

As in Keras 3, a layer remembers the scope it was constructed in, and its weights' paths
are ``<scope>/<layer name>/<weight name>``; a free ``keras.Variable`` made inside a scope
gets ``<scope>/<name>``. Scopes nest (``outer/inner``) and are per thread.
"""

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


def join(*parts):
    """Non-empty parts joined with '/'."""
    return "/".join(p for p in parts if p)
