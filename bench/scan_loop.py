"""The recurrent reference loop on torch: ``python_loop`` against ``scan_loop``
(``ops.scan``), same layer and inputs, taking turns in one process; min and median ms."""
import os
import time
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np
import torch
import keras_bridge as keras
from keras_bridge import layers as L
from keras_bridge.layers.rnn_base import python_loop, scan_loop
torch.set_num_threads(1)
keras.utils.set_random_seed(0)
layer = L.RNN(L.LSTMCell(32), return_sequences=True)
x = np.random.rand(32, 20, 16).astype("float32")
keras.Sequential([L.Input((20, 16)), layer]).predict(x[:2], verbose=0)
tx = torch.tensor(x)
def run(loop):
    with torch.no_grad():
        return layer.run(tx, None, False, None, loop)
a, b = run(python_loop), run(scan_loop)
assert torch.equal(a, b)
ts = {python_loop: [], scan_loop: []}
for _ in range(200):
    for loop in ts:
        t = time.perf_counter(); run(loop); ts[loop].append(time.perf_counter() - t)
for loop, v in ts.items():
    print(f"{loop.__name__:12s} min {1000*min(v):.3f} ms  median {1000*np.median(v):.3f} ms")
