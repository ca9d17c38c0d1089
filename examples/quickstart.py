"""Quickstart: one functional model, run on torch and on JAX, checked to agree.

Two inputs share one Dense layer, their features are merged, and two heads predict a
value and a class. The same model (same graph, same weights) then runs on every
installed engine.

Run: python examples/quickstart.py
"""

import numpy as np

from keras_bridge import backends
from keras_bridge import testing
from keras_bridge.layers import Dense, Input, concatenate
from keras_bridge.models import Model
from keras_bridge.utils import set_random_seed


def build_model():
    left = Input(shape=(8,), name="left")
    right = Input(shape=(8,), name="right")
    shared = Dense(16, activation="relu", name="shared_encoder")  # one set of weights
    merged = concatenate([shared(left), shared(right)])
    score = Dense(1, name="score")(merged)
    label = Dense(3, activation="softmax", name="label")(merged)
    return Model(inputs=[left, right], outputs=[score, label], name="quickstart")


def main():
    set_random_seed(0)
    model = build_model()
    model.summary()
    rng = np.random.default_rng(0)
    x = [rng.random((4, 8), dtype=np.float32), rng.random((4, 8), dtype=np.float32)]
    score, label = model.predict(x)
    print(f"\n{model.backend_name}: score {score[:, 0].round(4)}, label probabilities sum "
          f"to {label.sum(axis=1).round(4)}")
    installed = backends.available()
    if len(installed) < 2:
        print(f"Only {installed} installed; install both engines to compare them.")
        return
    results = testing.assert_backends_agree(model, x)
    for name, (outputs, grads) in results.items():
        print(f"{name}: score {outputs[0][:, 0].round(4)}, {len(grads)} weight gradients")
    print("torch and JAX agree on outputs and gradients (rtol 1e-5, atol 1e-6).")


if __name__ == "__main__":
    main()
