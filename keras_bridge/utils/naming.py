"""Unique default names ('dense', 'dense_1', ...), reset by ``clear_session``."""

import re

_counts = {}


def to_snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # Conv2D -> conv2d


def uniquify(prefix, zero_based=True):
    """'dense', then 'dense_1', ... (Keras 2); inputs count from 1 ('input_1')."""
    n = _counts.get(prefix, 0)
    _counts[prefix] = n + 1
    if zero_based:
        return prefix if n == 0 else f"{prefix}_{n}"
    return f"{prefix}_{n + 1}"


def reset():
    _counts.clear()
