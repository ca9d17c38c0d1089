"""JSON read from files (keras.json, a saved model's config) with a bound on nesting.

Python's parser, and every recursive walk of the parsed value after it (deserializing
a config, checking it for Lambda layers), raises ``RecursionError`` on deep enough
nesting: ``'[' * 200000`` in keras.json, a regularizer nested hundreds of times in a
``.keras`` config. Such text is refused here as a ``ValueError``, which each reader
turns into its documented error naming the file (``ConfigError``,
``InvalidFileError``). Real files stay far below the bound: a model nested in another
adds about seven levels, and a whole model is rarely deeper than 40.
"""

import json

MAX_DEPTH = 100


def loads(text, object_hook=None):
    """The value of the JSON ``text`` (str or bytes); ``ValueError`` when it is not
    JSON or nests lists and objects deeper than ``MAX_DEPTH``."""
    try:
        value = json.loads(text, object_hook=object_hook)
    except RecursionError:
        raise ValueError(f"it nests lists and objects too deeply to parse (more than "
                         f"{MAX_DEPTH} levels are refused)") from None
    depth = nesting_depth(value)
    if depth > MAX_DEPTH:
        raise ValueError(f"it nests lists and objects {depth} levels deep; more than "
                         f"{MAX_DEPTH} are refused, as no real file needs them")
    return value


def nesting_depth(value):
    """How many lists and objects lie inside each other at the deepest point of
    ``value`` (0 for a number or string); without recursion, so any depth is measured."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in value)
    return deepest
