"""Walking nested inputs (a tensor, or lists/tuples/dicts of them) without a dependency."""


def flatten(struct):
    """Leaves of a nested list/tuple/dict structure, dicts in key-insertion order."""
    if isinstance(struct, (list, tuple)):
        return [leaf for item in struct for leaf in flatten(item)]
    if isinstance(struct, dict):
        return [leaf for item in struct.values() for leaf in flatten(item)]
    return [struct]


def map_structure(fn, struct):
    """The same nesting with every leaf replaced by ``fn(leaf)``."""
    if isinstance(struct, list):
        return [map_structure(fn, s) for s in struct]
    if isinstance(struct, tuple):
        return tuple(map_structure(fn, s) for s in struct)
    if isinstance(struct, dict):
        return {k: map_structure(fn, v) for k, v in struct.items()}
    return fn(struct)


def pack_like(struct, leaves):
    """Rebuild ``struct``'s nesting from a flat list of leaves (inverse of flatten)."""
    it = iter(leaves)
    return map_structure(lambda _: next(it), struct)
