"""Per-step time of layers that compute with the nn primitives of ``keras_bridge.ops``
(moments / batch_normalization, scan, take): best of 60 ``predict_on_batch`` /
``train_on_batch`` calls, in ms. ``KERAS_BACKEND`` picks the engine (default jax); names
on the command line pick models. Run it on two checkouts to compare them."""
import os
import sys
import time
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
import keras_bridge as keras
from keras_bridge import layers as L

def models():
    yield "rnn_cell", lambda: keras.Sequential([L.Input((20, 16)), L.RNN(L.LSTMCell(32)),
        L.Dense(10)]), (32, 20, 16), 10
    yield "convlstm", lambda: keras.Sequential([L.Input((5, 8, 8, 3)), L.ConvLSTM2D(8, 3),
        L.Flatten(), L.Dense(10)]), (8, 5, 8, 8, 3), 10
    yield "bn_cnn", lambda: keras.Sequential([L.Input((16, 16, 3)), L.Conv2D(16, 3),
        L.BatchNormalization(), L.Activation("relu"), L.Conv2D(16, 3), L.BatchNormalization(),
        L.Flatten(), L.Dense(10)]), (32, 16, 16, 3), 10
    yield "ln_mlp", lambda: keras.Sequential([L.Input((20, 32)), L.Dense(64),
        L.LayerNormalization(), L.Dense(64), L.LayerNormalization(axis=[1, 2]), L.Flatten(),
        L.Dense(10)]), (32, 20, 32), 10
    yield "lstm", lambda: keras.Sequential([L.Input((20, 16)), L.LSTM(32, return_sequences=True),
        L.GRU(32), L.Dense(10)]), (32, 20, 16), 10
    yield "embed", lambda: keras.Sequential([L.Input((20,), dtype="int32"), L.Embedding(500, 32),
        L.SimpleRNN(16), L.Dense(10)]), (32, 20), 10

def best_ms(fn, n=60):
    fn(); fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return 1000 * float(min(ts))

rng = np.random.default_rng(0)
only = sys.argv[1:]
for name, make, shape, classes in models():
    if only and name not in only:
        continue
    keras.utils.set_random_seed(0)
    m = make()
    m.compile("adam", "sparse_categorical_crossentropy")
    x = rng.integers(0, 500, shape).astype("int32") if name == "embed" \
        else rng.standard_normal(shape).astype("float32")
    y = rng.integers(0, classes, shape[0])
    p = best_ms(lambda: m.predict_on_batch(x))
    t = best_ms(lambda: m.train_on_batch(x, y))
    print(f"{name:8s} predict {p:7.2f} ms  train {t:7.2f} ms", flush=True)
