"""Make tests/support/fixtures/keras3_attention.npz: real Keras 3 outputs of
MultiHeadAttention and GroupQueryAttention on fixed weights and inputs.

Run with the Keras 3 oracle (Keras 3.15.1, JAX backend):

    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \\
        tests/support/make_attention_fixture.py

Per case ``<case>/`` the npz holds ``w<i>`` (the layer's weights in order), the inputs
and the outputs; ``keras_version`` names the Keras that made it. (value_dim != key_dim returns the scores: Keras 3.15.1's JAX fused path fails on it.)
Weights are drawn here
(not Keras's initializers) so the values do not depend on Keras's random streams.
"""

import os

import numpy as np


def cases(keras):
    L = keras.layers
    rng = np.random.default_rng(14)
    q = rng.normal(size=(2, 4, 6)).astype("float32")
    v = rng.normal(size=(2, 5, 6)).astype("float32")
    k = rng.normal(size=(2, 5, 3)).astype("float32")
    am = rng.random((2, 4, 5)) > 0.3
    am[:, :, 0] = True  # no query row fully hidden
    qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    vm = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], bool)
    yield "mha", L.MultiHeadAttention(num_heads=2, key_dim=3), dict(query=q, value=v), {}
    yield "mha_key_value_dim", L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4,
                                                    output_shape=7), \
        dict(query=q, value=v, key=k), dict(return_attention_scores=True)
    yield "mha_attention_mask", L.MultiHeadAttention(num_heads=2, key_dim=3), \
        dict(query=q, value=v, attention_mask=am), {}
    yield "mha_causal", L.MultiHeadAttention(num_heads=2, key_dim=3), \
        dict(query=q, value=q), dict(use_causal_mask=True)
    yield "mha_masks_scores", L.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False), \
        dict(query=q, value=v, query_mask=qm, value_mask=vm, attention_mask=am), \
        dict(return_attention_scores=True, use_causal_mask=True)
    yield "gqa", L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2), \
        dict(query=q, value=v, attention_mask=am), {}
    yield "gqa_scores", L.GroupQueryAttention(head_dim=2, num_query_heads=2,
                                              num_key_value_heads=1), \
        dict(query=q, value=v), dict(return_attention_scores=True)


def main():
    import keras
    rng = np.random.default_rng(0)
    out = {"keras_version": np.array(keras.__version__)}
    for name, layer, tensors, options in cases(keras):
        outputs = layer(**tensors, **options)
        for i, w in enumerate(layer.weights):
            value = rng.normal(scale=0.5, size=tuple(w.shape)).astype("float32")
            w.assign(value)
            out[f"{name}/w{i}"] = value
        outputs = layer(**tensors, **options)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        for key, value in tensors.items():
            out[f"{name}/in_{key}"] = value
        for i, value in enumerate(outputs):
            out[f"{name}/out{i}"] = np.asarray(value)
        out[f"{name}/paths"] = np.array([w.path for w in layer.weights])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                        "keras3_attention.npz")
    np.savez(path, **out)
    print(f"{len(out)} arrays -> {path}")


if __name__ == "__main__":
    main()
