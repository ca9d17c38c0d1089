"""Names for user classes and functions, so a saved config can refer to them.

A file never holds code: a custom layer, loss, metric or function is saved as its
name ('Custom>MyLayer'), and loading finds the object under that name in, in order,
the ``custom_objects`` argument, an active ``custom_object_scope`` and the global
registry filled by ``register_keras_serializable``.
"""

import contextlib
import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}  # 'Package>Name' (or a plain name) -> object
_GLOBAL_CUSTOM_NAMES = {}  # object -> 'Package>Name'
_scopes = threading.local()


def _qualified(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def register_keras_serializable(package="Custom", name=None):
    """Register a class or function under ``'package>name'`` for saving and loading.

    Classes need ``get_config`` (and ``from_config`` when their config is not their
    constructor's arguments). Registering a name again for a redefinition of the same
    object (a notebook cell run twice) replaces it; another object under a taken name
    is an error.

    Args:
        package: Namespace of the name, default 'Custom'.
        name: Name within the package, default the object's ``__name__``.

    Example:
        @register_keras_serializable(package="my_project")
        class Scale(Layer):
            ...
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(f"Expected package to be a non-empty string without '>'. "
                         f"Received: package={package!r}")

    def decorator(obj):
        short = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(short, str) or not short or short == "<lambda>":
            raise ValueError(f"Cannot register {obj!r} without a name: pass "
                             "register_keras_serializable(name=...).")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register class {obj.__name__}: it has no get_config() "
                             "method, so it cannot be saved.")
        registered_name = f"{package}>{short}"
        previous = _GLOBAL_CUSTOM_OBJECTS.get(registered_name)
        if previous is not None and previous is not obj and \
                _qualified(previous) != _qualified(obj):
            raise ValueError(f"{registered_name!r} is already registered to "
                             f"{_qualified(previous)}; {_qualified(obj)} needs another name "
                             "(pass register_keras_serializable(package=..., name=...)).")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is saved under: its registered name, else its ``__name__``."""
    try:
        registered = _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable
        registered = None
    return registered or getattr(obj, "__name__", type(obj).__name__)


def registered_name_or_none(obj):
    try:
        return _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:
        return None


def get_custom_objects():
    """The global registry (a dict). Keras 2 code adds plain names to it directly:
    ``get_custom_objects()['my_loss'] = my_loss``."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within ``with custom_object_scope({'MyLayer': MyLayer}):``, loading finds these
    objects by name as if they were passed as ``custom_objects``."""

    def __init__(self, *objects):
        self.objects = {}
        for mapping in objects:
            if mapping is not None:
                self.objects.update(mapping)

    def __enter__(self):
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(self.objects)
        return self

    def __exit__(self, *exc):
        _scopes.stack.pop()


custom_object_scope = CustomObjectScope


def _scope_objects():
    merged = {}
    for mapping in getattr(_scopes, "stack", None) or ():
        merged.update(mapping)
    return merged


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object saved as ``name``, or None.

    Looks in ``custom_objects``, the active scopes, the global registry, then
    ``module_objects``. A full name 'Package>Name' also matches an entry under its
    plain 'Name' in ``custom_objects`` and scopes; a plain name also matches a single
    registered 'Package>Name'.
    """
    found = lookup_explicit(name, custom_objects)
    if found is None:
        found = lookup_global(name)
    if found is None and module_objects and name in module_objects:
        found = module_objects[name]
    return found


def lookup_explicit(name, custom_objects=None):
    """``name`` in ``custom_objects`` or the active scopes ('Package>Name' also as
    'Name'), else None."""
    if not isinstance(name, str) or not name:
        return None
    short = name.split(">", 1)[1] if ">" in name else None
    for table in (custom_objects or {}, _scope_objects()):
        for key in (name, short):
            if key is not None and key in table:
                return table[key]
    return None


def lookup_global(name):
    """``name`` in the global registry (a plain name also matches a single registered
    'Package>Name'), else None."""
    if not isinstance(name, str) or not name:
        return None
    short = name.split(">", 1)[1] if ">" in name else None
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if short is None:
        matches = {id(obj): obj for key, obj in _GLOBAL_CUSTOM_OBJECTS.items()
                   if key.split(">", 1)[-1] == name}
        if len(matches) == 1:
            return next(iter(matches.values()))
    elif short in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[short]
    return None


def all_custom_objects(custom_objects=None):
    """Every name -> object known now (for APIs that take a plain ``custom_objects``
    dict), plain names included for registered objects."""
    merged = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        merged[key] = obj
        merged.setdefault(key.split(">", 1)[-1], obj)
    merged.update(_scope_objects())
    merged.update(custom_objects or {})
    return merged


@contextlib.contextmanager
def scope_for(custom_objects):
    """``custom_object_scope`` when custom_objects were given, else nothing."""
    if custom_objects:
        with CustomObjectScope(custom_objects):
            yield
    else:
        yield
