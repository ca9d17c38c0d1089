"""Seeded weights and images shared by make_keras3_applications.py (run with Keras 3)
and the application tests, so both sides hold the same weights without a file.

Each weight is drawn from a generator seeded by its layer's name and its index in
``get_weights()``, so the rule does not depend on the order layers are listed in.
Scales keep a deep random network's activations finite: kernels ~ U(-1, 1) /
sqrt(fan-in), batch-norm scales and variances in [0.5, 1.5], other vectors small."""

import zlib

import numpy as np

INPUT_SHAPE = (32, 32, 3)


def seeded_images(n=2):
    return np.random.default_rng(7).uniform(0, 255, (n,) + INPUT_SHAPE).astype("float32")


def seeded_weights(layer_name, current):
    """New values for a layer's ``get_weights()`` list ``current``."""
    out = []
    for i, w in enumerate(current):
        w = np.asarray(w)
        rng = np.random.default_rng(zlib.crc32(f"{layer_name}/{i}".encode()))
        if w.ndim == 0 or not np.issubdtype(w.dtype, np.floating):
            out.append(w)  # Normalization's sample count
        elif w.ndim == 1:
            positive = _is_scale(layer_name, i, len(current))
            low, high = (0.5, 1.5) if positive else (-0.1, 0.1)
            out.append(rng.uniform(low, high, w.shape).astype(w.dtype))
        else:
            depthwise = w.ndim == 4 and w.shape[-1] == 1
            fan_in = int(np.prod(w.shape[:2] if depthwise else w.shape[:-1]))
            out.append((rng.uniform(-1, 1, w.shape) / np.sqrt(fan_in)).astype(w.dtype))
    return out


def _is_scale(layer_name, index, count):
    """Batch norm [gamma, beta, mean, variance] -> gamma and variance; Normalization
    [mean, variance, count] -> variance. (Batch norm without ``scale``, as in
    InceptionV3, would need the weights' names: none of the predicted builds has it.)"""
    if count == 4:
        return index in (0, 3)
    if count == 3:
        return index == 1
    return False
