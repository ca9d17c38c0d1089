"""``keras.tree``: Keras 3's functions over nested structures.

A structure is a leaf or a container of structures: list, tuple, namedtuple, deque, or a
mapping (dict, OrderedDict, defaultdict). ``None`` is a leaf. As in Keras 3 (optree), a
plain dict is walked in *sorted key* order and an OrderedDict in its own order, so
``flatten`` and ``pack_sequence_as`` are inverses whatever order the keys were inserted in.
(The front end's internal walker, ``keras_bridge.utils.tree``, keeps insertion order and is
a different thing: it is what layers use to walk their inputs.)
"""

import collections
import collections.abc

__all__ = ["MAP_TO_NONE", "is_nested", "flatten", "flatten_with_path", "map_structure",
           "map_structure_up_to", "pack_sequence_as", "assert_same_structure",
           "assert_same_paths", "traverse", "lists_to_tuples", "map_shape_structure"]


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to replace a sub-tree with ``None``."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """Whether ``structure`` is a container (sequence, mapping or namedtuple), not a leaf."""
    return isinstance(structure, (list, tuple, collections.deque, collections.abc.Mapping))


def _keys(mapping):
    if isinstance(mapping, collections.OrderedDict):
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError:
        raise TypeError(f"Expected a dict with sortable keys. Received keys: "
                        f"{list(mapping)!r}") from None


def _children(structure):
    """(keys, values) of one container level, in walking order."""
    if isinstance(structure, collections.abc.Mapping):
        keys = _keys(structure)
        return keys, [structure[k] for k in keys]
    values = list(structure)
    return list(range(len(values))), values


def _values_like(part, first):
    """``part``'s children in ``first``'s walking order (mappings pair up by key)."""
    if isinstance(part, collections.abc.Mapping) and isinstance(first, collections.abc.Mapping):
        return [part[k] for k in _children(first)[0]]
    return _children(part)[1]


def _rebuild(structure, values):
    """A container like ``structure`` holding ``values`` (in walking order)."""
    if isinstance(structure, collections.abc.Mapping):
        by_key = dict(zip(_keys(structure), values))
        items = [(k, by_key[k]) for k in structure]  # the original key order
        if isinstance(structure, collections.defaultdict):
            return collections.defaultdict(structure.default_factory, items)
        return type(structure)(items) if type(structure) is not dict else dict(items)
    if _is_namedtuple(structure):
        return type(structure)(*values)
    if isinstance(structure, collections.deque):
        return collections.deque(values, maxlen=structure.maxlen)
    return type(structure)(values) if type(structure) in (list, tuple) else list(values)


def flatten(structure):
    """The leaves of ``structure``, depth first (dict values by sorted key)."""
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure)[1] for leaf in flatten(child)]


def flatten_with_path(structure):
    """``(path, leaf)`` pairs; a path is the tuple of indices and keys leading to the leaf."""
    if not is_nested(structure):
        return [((), structure)]
    out = []
    for key, child in zip(*_children(structure)):
        out.extend(((key,) + path, leaf) for path, leaf in flatten_with_path(child))
    return out


def _kind(x):
    if isinstance(x, collections.abc.Mapping):
        return "mapping"
    return type(x)


def _same(a, b, strict):
    """None when ``a`` and ``b`` nest alike, else a sentence saying where they differ."""
    if is_nested(a) != is_nested(b):
        return f"{a!r} and {b!r} are not both nested"
    if not is_nested(a):
        return None
    if strict and _kind(a) != _kind(b):
        return f"type {type(a).__name__} does not match type {type(b).__name__}"
    keys_a, values_a = _children(a)
    keys_b = _children(b)[0]
    if sorted(keys_a, key=repr) != sorted(keys_b, key=repr):
        return f"keys or lengths {keys_a} do not match {keys_b}"
    for x, y in zip(values_a, _values_like(b, a)):
        why = _same(x, y, strict)
        if why:
            return why
    return None


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way (same container types,
    except that all mappings with the same keys match; leaves may be anything)."""
    why = _same(a, b, strict=True)
    if why:
        raise ValueError(f"The two structures don't have the same nested structure: {why}."
                         f"\n\nFirst structure: {a!r}\n\nSecond structure: {b!r}")


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (container
    types are not compared)."""
    paths_a = {p for p, _ in flatten_with_path(a)}
    paths_b = {p for p, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(f"The two structures don't have the same paths. Only in the first: "
                         f"{sorted(paths_a - paths_b, key=repr)}; only in the second: "
                         f"{sorted(paths_b - paths_a, key=repr)}.")


def map_structure(func, *structures, none_is_leaf=True):
    """The layout of the structures with each leaf replaced by ``func(*leaves)``."""
    if not callable(func):
        raise TypeError(f"Expected a callable func. Received: {func!r}")
    if not structures:
        raise TypeError("map_structure() needs at least one structure.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)

    def walk(*parts):
        if not is_nested(parts[0]):
            if parts[0] is None and not none_is_leaf:
                return None
            return func(*parts)
        columns = zip(*(_values_like(p, parts[0]) for p in parts))
        return _rebuild(parts[0], [walk(*column) for column in columns])

    return walk(*structures)


def map_structure_up_to(shallow_structure, func, *structures):
    """Like ``map_structure``, but ``func`` receives the sub-trees found where
    ``shallow_structure`` has leaves."""
    def walk(shallow, *parts):
        if not is_nested(shallow):
            return func(*parts)
        keys = _children(shallow)[0]
        for part in parts:
            if not is_nested(part) or _children(part)[0] != keys:
                raise ValueError(f"The structure {part!r} is shallower than, or does not "
                                 f"match, the shallow structure {shallow!r}.")
        columns = zip(*(_children(p)[1] for p in parts))
        return _rebuild(shallow, [walk(s, *column) for s, column in
                                  zip(_children(shallow)[1], columns)])

    return walk(shallow_structure, *structures)


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence`` nested like ``structure`` (the inverse of ``flatten``)."""
    if not isinstance(flat_sequence, collections.abc.Iterable) or \
            isinstance(flat_sequence, (str, bytes)):
        raise TypeError(f"Expected a flat sequence (list or tuple) of leaves. Received: "
                        f"{type(flat_sequence).__name__}")
    flat = list(flat_sequence)
    count = len(flatten(structure))
    if len(flat) != count:
        raise ValueError(f"Expected a flat sequence of {count} leaves to pack into "
                         f"{structure!r}. Received: {len(flat)} leaves.")
    it = iter(flat)
    return map_structure(lambda _: next(it), structure)


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every sub-tree, depth first. Top down, a result other than None
    replaces the sub-tree and stops the descent; bottom up, it replaces the (already
    traversed) sub-tree. Return ``MAP_TO_NONE`` to put ``None`` in its place."""
    if not callable(func):
        raise TypeError(f"Expected a callable func. Received: {func!r}")

    def out(value):
        return None if value is MAP_TO_NONE else value

    def walk(node):
        if top_down:
            result = func(node)
            if result is not None:
                return out(result)
            if not is_nested(node):
                return node
            return _rebuild(node, [walk(c) for c in _children(node)[1]])
        rebuilt = _rebuild(node, [walk(c) for c in _children(node)[1]]) \
            if is_nested(node) else node
        result = func(rebuilt)
        return rebuilt if result is None else out(result)

    return walk(structure)


def lists_to_tuples(structure):
    """The same structure with every list turned into a tuple."""
    if not is_nested(structure):
        return structure
    values = [lists_to_tuples(c) for c in _children(structure)[1]]
    return tuple(values) if isinstance(structure, list) else _rebuild(structure, values)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and \
        all(isinstance(d, int) or d is None for d in x)


def map_shape_structure(func, structure):
    """``map_structure`` in which a shape (a list or tuple of ints and Nones) is a leaf."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c)
                                for c in _children(structure)[1]])
