"""Make tests/support/fixtures/keras3_quant.npz: real Keras 3 int8 quantization of Dense,
EinsumDense and Embedding on fixed float weights.

Run with the Keras 3 oracle (Keras 3.15.1, JAX backend):

    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \\
        tests/support/make_keras3_quant_fixture.py

Per case ``<case>/`` the npz holds the float weights (``float/<name>``), the input
``x``, what ``layer.quantize("int8")`` makes (``q/<name>``: kernel, kernel_scale, ...),
the quantized layer's output ``y`` and, for the dense layers, the gradient of
``sum(y * cot)`` with respect to ``x`` (``dx``, Keras's custom gradient). Also
``model.keras``: a small quantized model saved by Keras, as bytes (``saved/keras``), with
its input and predictions. ``keras_version`` names the Keras that made it.
"""

import io
import os
import tempfile

import numpy as np


def cases(keras):
    L = keras.layers
    rng = np.random.default_rng(13)
    f = lambda *s: rng.normal(size=s).astype("float32")
    yield "dense", L.Dense(3), {"kernel": f(5, 3), "bias": f(3)}, f(4, 5)
    yield "dense3d", L.Dense(4, activation="relu"), {"kernel": f(6, 4), "bias": f(4)}, \
        f(2, 3, 6)
    yield "einsum_abc_cde", L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"), \
        {"kernel": f(4, 2, 3), "bias": f(2, 3)}, f(2, 5, 4)
    yield "einsum_abcd_cde", L.EinsumDense("abcd,cde->abe", (None, 3), bias_axes="e"), \
        {"kernel": f(2, 4, 3), "bias": f(3)}, f(2, 5, 2, 4)
    yield "einsum_abc_bcd", L.EinsumDense("abc,bcd->ad", 3), {"kernel": f(4, 5, 3)}, \
        f(2, 4, 5)
    yield "embedding", L.Embedding(7, 4), {"embeddings": f(7, 4)}, \
        rng.integers(0, 7, (3, 5)).astype("int32")


def main():
    import jax
    import keras
    out = {"keras_version": np.array(keras.__version__)}
    for case, layer, weights, x in cases(keras):
        layer.build(x.shape)
        for w in layer.weights:
            w.assign(weights[w.name])
            out[f"{case}/float/{w.name}"] = weights[w.name]
        layer.quantize("int8")
        for w in layer.weights:
            out[f"{case}/q/{w.name}"] = np.asarray(w.numpy())
        out[f"{case}/x"] = x
        out[f"{case}/y"] = np.asarray(layer(x))
        if case != "embedding":
            cot = np.random.default_rng(1).normal(size=out[f"{case}/y"].shape).astype("float32")
            out[f"{case}/cot"] = cot
            out[f"{case}/dx"] = np.asarray(jax.grad(lambda v: (layer(v) * cot).sum())(x))
    # A quantized model saved by Keras (Keras 3 layout, int8 weights in the file).
    rng = np.random.default_rng(5)
    inp = keras.Input((3,), dtype="int32")
    h = keras.layers.Embedding(6, 4, name="emb")(inp)
    h = keras.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d", name="ein")(h)
    y = keras.layers.Dense(2, name="head")(keras.layers.Flatten()(h))
    model = keras.Model(inp, y)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    model.quantize("int8")
    xs = rng.integers(0, 6, (4, 3)).astype("int32")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.keras")
        model.save(path)
        out["saved/keras"] = np.frombuffer(open(path, "rb").read(), np.uint8)
    out["saved/x"] = xs
    out["saved/y"] = np.asarray(model.predict(xs, verbose=0))
    here = os.path.dirname(os.path.abspath(__file__))
    np.savez_compressed(os.path.join(here, "fixtures", "keras3_quant.npz"), **out)


if __name__ == "__main__":
    main()
