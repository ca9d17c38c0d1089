"""Make tests/support/fixtures/keras3_dot.json: the dot source real Keras 3 writes
(``keras.utils.model_to_dot(...).to_string()``) for the models of ``build_models``.

Run with the Keras 3 oracle (Keras 3.15.1, JAX backend, pydot installed):

    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax python tests/support/make_keras3_dot.py

Node ids are ``id(layer)`` in Keras; ``normalize`` renames them in order of first
appearance, so two sources compare equal when their nodes, labels and edges agree.
"""

import json
import os
import re

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras3_dot.json")


def build_models(keras):
    """The models drawn, built the same way on Keras and on keras_bridge."""
    L = keras.layers
    inner = keras.Sequential([L.Dense(4, activation="relu", name="inner_dense")],
                             name="inner_seq")
    sub_in = keras.Input((4,), name="sub_in")
    sub = keras.Model(sub_in, L.Dense(2, name="sub_dense")(sub_in), name="sub_fn")
    x = keras.Input((3,), name="x")
    h = L.Dense(4, name="d1")(x)
    joined = L.Add(name="add")([inner(h), h])
    functional = keras.Model(x, sub(joined), name="outer")

    frozen = L.Dense(3, name="frozen")
    frozen.trainable = False
    stack = keras.Sequential([keras.Input((5,), name="s_in"), L.Dense(6, name="s1"),
                              keras.Sequential([L.Dense(6, name="n1"),
                                                L.Dense(6, name="n2")], name="nested"),
                              L.Dropout(0.5, name="drop"), frozen], name="stack")
    return {"functional": functional, "sequential": stack}


CASES = {
    "functional_all": ("functional", dict(show_shapes=True, show_dtype=True,
                                          show_layer_activations=True, show_trainable=True)),
    "functional_nested": ("functional", dict(expand_nested=True)),
    "sequential": ("sequential", dict(show_shapes=True, show_trainable=True,
                                      rankdir="LR", dpi=96)),
    "sequential_nested": ("sequential", dict(expand_nested=True, show_layer_names=False)),
}


def normalize(source):
    ids = {}
    return re.sub(r"\b\d{6,}\b", lambda m: ids.setdefault(m.group(), f"n{len(ids)}"),
                  source)


def main():
    import keras
    models = build_models(keras)
    out = {"keras_version": keras.__version__}
    for case, (name, kwargs) in CASES.items():
        out[case] = normalize(keras.utils.model_to_dot(models[name], **kwargs).to_string())
    with open(FIXTURE, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
