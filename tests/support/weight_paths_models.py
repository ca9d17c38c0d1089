"""Builds the same models with ``keras`` (real Keras 3) or ``keras_bridge``, named
explicitly, trains each one step and prints their weight and optimizer variable paths
as JSON: ``python weight_paths_models.py keras|keras_bridge`` (tests/unit/
test_weight_paths.py compares the two)."""

import json
import sys

import numpy as np

if sys.argv[1] == "keras":
    import keras
    from keras import layers, ops
else:
    import keras_bridge as keras  # noqa: E402
    from keras_bridge import layers, ops
def models():
    out = {}
    out["seq"] = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d1"), layers.BatchNormalization(name="bn"), layers.Dense(2, name="d2")], name="seq")
    late = keras.Sequential([layers.Dense(3, name="l1"), layers.Dense(2, name="l2")], name="late"); late.build((None, 4)); out["late"] = late
    q = keras.Input((5, 8), name="q")
    h = layers.MultiHeadAttention(2, 4, name="mha")(q, q)
    h = layers.LayerNormalization(name="ln")(h)
    h = layers.Bidirectional(layers.LSTM(3, name="lstm"), name="bi")(h)
    out["func"] = keras.Model(q, layers.Dense(1, name="head")(h), name="func")
    t = keras.Input((3, 4)); out["td"] = keras.Model(t, layers.TimeDistributed(layers.Dense(2, name="inner"), name="td")(t), name="tdm")
    class Tower(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw); self.a = layers.Dense(3, name="a"); self.b = layers.Dense(1, name="b")
        def call(self, x): return self.b(self.a(x))
    tw = Tower(name="tower"); tw(ops.zeros((1, 4))); out["tower"] = tw
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="i1")], name="inner_seq")
    out["nested"] = keras.Sequential([keras.Input((4,)), inner, layers.Dense(2, name="o1")], name="outer_seq")
    e = keras.Input((6,), dtype="int32")
    out["emb"] = keras.Model(e, layers.GRU(2, name="gru")(layers.Embedding(10, 3, name="emb")(e)), name="embm")
    return out
res = {}
for k, m in models().items():
    m.compile("adam", "mse")
    x = [np.zeros((2,) + tuple(i.shape[1:]), i.dtype if "int" in str(i.dtype) else "float32") for i in m.inputs] if getattr(m, "inputs", None) else [np.zeros((2, 4), "float32")]
    y = np.zeros((2,) + tuple(m.outputs[0].shape[1:]) if getattr(m, "outputs", None) else (2, 1), "float32")
    m.fit(x[0] if len(x) == 1 else x, y, verbose=0)
    res[k] = {"weights": [w.path for w in m.weights], "opt": [v.path for v in m.optimizer.variables]}
print(json.dumps(res))
