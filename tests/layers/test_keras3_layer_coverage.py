"""Tracks how much of Keras 3's ``keras.layers`` ``keras_bridge.layers`` covers.

``tests/support/keras3_layers.txt`` lists every public class of ``keras.layers``
(regenerate it with ``tests/support/make_keras3_layers.py``, run by Keras 3). Each name is
either exported by ``keras_bridge.layers`` or on NOT_YET with the reason, and every
NOT_YET name really is missing: the list can only shrink, and a layer that lands must
leave it.
"""

import inspect
import os

import keras_bridge.layers as layers

LIST = os.path.join(os.path.dirname(__file__), os.pardir, "support", "keras3_layers.txt")

NOT_YET = {
    "FlaxLayer": "wraps a Flax module: Keras's JAX backend only; not planned",
    "TFSMLayer": "loads a TensorFlow SavedModel: needs TensorFlow, which this project does "
                 "not run",
}


def keras3_names():
    with open(LIST) as f:
        header = f.readline()
        assert header.startswith("# keras.layers classes of Keras 3."), header
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def exported(name):
    return inspect.isclass(getattr(layers, name, None))


def test_every_keras3_layer_is_exported_or_not_yet():
    names = keras3_names()
    assert len(names) > 150 and len(set(names)) == len(names)
    missing = [n for n in names if not exported(n) and n not in NOT_YET]
    assert not missing, f"neither in keras_bridge.layers nor in NOT_YET: {missing}"


def test_not_yet_names_are_really_missing_and_have_reasons():
    landed = sorted(n for n in NOT_YET if exported(n))
    assert not landed, f"now exported by keras_bridge.layers; remove them from NOT_YET: {landed}"
    unknown = sorted(set(NOT_YET) - set(keras3_names()))
    assert not unknown, f"not Keras 3 layer names: {unknown}"
    assert all(isinstance(r, str) and r.strip() for r in NOT_YET.values())
