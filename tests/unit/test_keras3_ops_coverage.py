"""Tracks how much of Keras 3's ``keras.ops`` ``keras_bridge.ops`` covers.

``tests/support/keras3_ops.txt`` lists every public name of ``keras.ops`` (regenerate it
with ``tests/support/make_keras3_ops.py``). Each name is either exported by
``keras_bridge.ops`` or listed in NOT_YET below, and every NOT_YET name really is
missing: the list can only shrink, and an op that lands must leave it.
"""

import os

from keras_bridge import ops

LIST = os.path.join(os.path.dirname(__file__), os.pardir, "support", "keras3_ops.txt")

# Keras 3 ops not provided yet (submodule-only names as 'image.x').
NOT_YET = frozenset()


def keras3_names():
    with open(LIST) as f:
        header = f.readline()
        assert header.startswith("# keras.ops of Keras 3."), header
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def exported(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return callable(obj)


def test_every_keras3_op_is_exported_or_not_yet():
    names = keras3_names()
    assert len(names) > 300 and len(set(names)) == len(names)
    missing = [n for n in names if not exported(n) and n not in NOT_YET]
    assert not missing, f"neither in keras_bridge.ops nor in NOT_YET: {missing}"


def test_not_yet_names_are_really_missing():
    landed = sorted(n for n in NOT_YET if exported(n))
    assert not landed, f"now exported by keras_bridge.ops; remove them from NOT_YET: {landed}"
    unknown = sorted(NOT_YET - set(keras3_names()))
    assert not unknown, f"not Keras 3 ops names: {unknown}"
