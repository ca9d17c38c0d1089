"""Writes tests/support/keras3_norm_fixture.npz: real Keras 3 values for
RMSNormalization and SpectralNormalization (forward, the training-mode kernel and
vector_u updates, gradients), on fixed inputs and weights.

Run with Keras 3 (the values in the committed file come from Keras 3.15.1, JAX backend):
    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \
        tests/support/make_keras3_norm_fixture.py
"""

import os

import jax
import keras
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3_norm_fixture.npz")


def grads_of(layer, x, **kwargs):
    """d sum(layer(x) * cot) / d trainable variables, Keras 3's stateless call."""
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]
    cot = np.random.default_rng(9).normal(size=layer(x).shape).astype("float32")

    def loss(tv):
        out, _ = layer.stateless_call(tv, ntv, x, **kwargs)
        return (out * cot).sum()
    return cot, [np.asarray(g) for g in jax.grad(loss)(tv)]


def main():
    rng = np.random.default_rng(0)
    out = {"keras_version": np.array(keras.__version__)}

    # RMSNormalization: last axis, and two axes with a non-default epsilon.
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    for tag, kwargs in (("last", {}), ("axes", {"axis": [-2, -1], "epsilon": 0.1})):
        layer = keras.layers.RMSNormalization(**kwargs)
        layer.build(x.shape)
        scale = rng.uniform(0.5, 1.5, size=layer.scale.shape).astype("float32")
        layer.scale.assign(scale)
        cot, (g_scale,) = grads_of(layer, x)
        out.update({f"rms_{tag}_x": x, f"rms_{tag}_scale": scale,
                    f"rms_{tag}_y": np.asarray(layer(x)), f"rms_{tag}_cot": cot,
                    f"rms_{tag}_grad_scale": g_scale,
                    f"rms_{tag}_axis": np.array(layer.get_config()["axis"])})

    # SpectralNormalization of a Dense and of a Conv2D, two power iterations.
    for tag, inner, shape in (("dense", keras.layers.Dense(3), (4, 5)),
                              ("conv", keras.layers.Conv2D(2, 3), (2, 5, 5, 3))):
        sn = keras.layers.SpectralNormalization(inner, power_iterations=2)
        x = rng.normal(size=shape).astype("float32")
        sn.build(x.shape)
        out[f"sn_{tag}_paths"] = np.array([w.path for w in sn.weights])
        out[f"sn_{tag}_trainable"] = np.array([w.trainable for w in sn.weights])
        weights = [rng.normal(size=w.shape).astype("float32") for w in sn.weights]
        sn.set_weights(weights)
        out[f"sn_{tag}_x"] = x
        for i, w in enumerate(weights):
            out[f"sn_{tag}_w{i}"] = w
        out[f"sn_{tag}_infer"] = np.asarray(sn(x, training=False))
        cot, grads = grads_of(sn, x, training=True)
        out[f"sn_{tag}_cot"] = cot
        for i, g in enumerate(grads):
            out[f"sn_{tag}_grad{i}"] = g
        out[f"sn_{tag}_train"] = np.asarray(sn(x, training=True))  # assigns kernel, u
        for i, w in enumerate(sn.get_weights()):
            out[f"sn_{tag}_after{i}"] = w
        out[f"sn_{tag}_train2"] = np.asarray(sn(x, training=True))
        for i, w in enumerate(sn.get_weights()):
            out[f"sn_{tag}_after2_{i}"] = w
    np.savez(OUT, **out)
    print("wrote", OUT, sorted(out)[:6], "...")


if __name__ == "__main__":
    main()
