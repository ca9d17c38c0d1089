"""MultiHeadAttention on torch with its EinsumDense projections as ``F.linear`` (the rule,
backends/torch/einsum_rules.py) against ``torch.einsum`` + bias add (the layer's own call).

Two copies of one MHA self-attention model (num_heads 4, key_dim 16, 64 features, batch
32, sequence 64) get identical weights; EinsumDense is taken out of torch's ``LOWERING``
while the second is bound. Outputs are checked to agree, then a training step (forward,
a loss, backward) of each is timed, taking turns (``timing.latencies``). Prints
microseconds per step and reference / rule (above 1: the rule is faster).
``BENCH_THREADS`` sets torch's threads (default 1). Run:
``PYTHONPATH=$PWD python bench/mha_projections.py``.
"""
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ["KERAS_BACKEND"] = "torch"

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import latencies  # noqa: E402

import keras_bridge as keras  # noqa: E402
from keras_bridge import backends, layers as L  # noqa: E402
from keras_bridge.backends import surface  # noqa: E402

BATCH, SEQ, DIM, HEADS, KEY_DIM = 32, 64, 64, 4, 16


def build():
    x = L.Input((SEQ, DIM))
    return keras.Model(x, L.MultiHeadAttention(HEADS, KEY_DIM)(x, x))


def bound(model, rule):
    table = backends.get("torch").LOWERING
    saved = None if rule else table.pop(L.EinsumDense)
    try:
        model.bind("torch", "cpu")
    finally:
        if saved is not None:
            table[L.EinsumDense] = saved
    return surface.binding(model)


def step_fn(module, x):
    params = list(module.parameters())

    def step():
        module(x, training=True).square().mean().backward()
        for p in params:
            p.grad = None
    return step


def main():
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    keras.utils.set_random_seed(0)
    a, b = build(), build()
    b.set_weights(a.get_weights())
    ma, mb = bound(a, True), bound(b, False)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(
        (BATCH, SEQ, DIM)).astype("float32"))
    with torch.no_grad():
        np.testing.assert_allclose(ma(x).numpy(), mb(x).numpy(), rtol=1e-5, atol=1e-5)
    rule_s, ref_s = latencies([step_fn(ma, x), step_fn(mb, x)], rounds=10, per_round=20,
                              warmup=10)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"MHA fwd+bwd: rule {rule_s * 1e6:.0f} us, einsum {ref_s * 1e6:.0f} us, "
          f"einsum/rule {ref_s / rule_s:.2f}")


if __name__ == "__main__":
    main()
