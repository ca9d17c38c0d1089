"""Training throughput of a transformer encoder classifier against hand-written loops.

Token + position embedding (vocabulary 2000, length 64, width 64), ``--blocks`` encoder
blocks (MultiHeadAttention 4 heads x 16, residual, LayerNormalization, Dense 128 relu,
Dense 64, residual, LayerNormalization), GlobalAveragePooling1D, Dense softmax over 4
classes; Adam, sparse categorical crossentropy, batch 32, generated data. Dropout is 0,
so keras_bridge's attention takes the engine's fused kernel (``ops.dot_product_attention``),
as the hand loops do: torch ``nn.MultiheadAttention`` (SDPA inside) with
``torch.optim.Adam``; JAX ``jax.nn.dot_product_attention`` in one jitted optax step. The
hand models hold the same weights (their counts are printed beside keras_bridge's).

keras_bridge trains with default settings, with ``compile(steps_per_execution=8)`` and
with ``compile(jit_compile=True)`` (torch: ``torch.compile``; on JAX it is the default);
after a first epoch each, every configuration trains on the same chunk in turn (see
``timing.py``). Prints the best and median chunk's samples/s and the median samples per
CPU-second, each as a ratio to the hand-written loop (target >= 0.95; the machine is
shared: compare ratios, not absolute numbers), the seconds of the first epoch
(compilation included) and the parameter counts.

Run: python bench/train_transformer.py [--epochs 2] [--samples 4096] [--blocks 2]
     [--engines torch,jax]
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_lstm.py

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import (LEGEND, fit_runner, jax_train_step, jitted_step_runner,  # noqa: E402
                    keras_bridge_configs, measure, print_header, print_rows,
                    torch_loop_runner)

# The example's embedding layer, so the benchmark trains the model the example builds.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))
from transformer_classifier import TokenAndPositionEmbedding  # noqa: E402

VOCAB, LENGTH, EMBED, HEADS, KEY_DIM, FF = 2000, 64, 64, 4, 16, 128
CLASSES, BATCH, CHUNK, EPS = 4, 32, 512, 1e-6


def make_data(samples):
    """Label: the first token's id modulo the number of classes."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (samples, LENGTH)).astype(np.int32)
    return x, (x[:, 0] % CLASSES).astype(np.int32)


def keras_bridge_model(engine, blocks):
    from keras_bridge import config, layers
    from keras_bridge.models import Model
    config.set_backend(engine)
    inputs = layers.Input(shape=(LENGTH,), dtype="int32")
    x = TokenAndPositionEmbedding(LENGTH, VOCAB, EMBED)(inputs)
    for _ in range(blocks):
        attention = layers.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM)(x, x)
        x = layers.LayerNormalization(epsilon=EPS)(x + attention)
        ff = layers.Dense(EMBED)(layers.Dense(FF, activation="relu")(x))
        x = layers.LayerNormalization(epsilon=EPS)(x + ff)
    x = layers.GlobalAveragePooling1D()(x)
    return Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))


def keras_bridge_runner(engine, x, y, blocks, **compile_args):
    model = keras_bridge_model(engine, blocks)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  **compile_args)
    runner = fit_runner(model, x, y, BATCH)
    runner.params = model.count_params()
    return runner


def torch_by_hand_runner(x, y, blocks):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(EMBED, HEADS, batch_first=True)
            self.norm1, self.norm2 = nn.LayerNorm(EMBED, eps=EPS), nn.LayerNorm(EMBED, eps=EPS)
            self.ff = nn.Sequential(nn.Linear(EMBED, FF), nn.ReLU(), nn.Linear(FF, EMBED))

        def forward(self, x):
            x = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
            return self.norm2(x + self.ff(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(VOCAB, EMBED), nn.Embedding(LENGTH, EMBED)
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.out = nn.Linear(EMBED, CLASSES)

        def forward(self, tokens):
            x = self.tokens(tokens) + self.positions.weight[:tokens.shape[1]]
            return self.out(self.blocks(x).mean(1))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    runner = torch_loop_runner(net, opt, nn.functional.cross_entropy,
                               torch.from_numpy(x).long(), torch.from_numpy(y).long(), BATCH)
    runner.params = sum(p.numel() for p in net.parameters())
    return runner


def jax_by_hand_runner(x, y, blocks):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)

    def normal(*shape):
        return jnp.asarray(rng.normal(0, 0.05, shape), jnp.float32)

    def block():
        return {"qkv": normal(3, EMBED, HEADS, KEY_DIM), "qkv_b": jnp.zeros((3, HEADS, KEY_DIM)),
                "o": normal(HEADS, KEY_DIM, EMBED), "o_b": jnp.zeros(EMBED),
                "g1": jnp.ones(EMBED), "b1": jnp.zeros(EMBED),
                "w1": normal(EMBED, FF), "c1": jnp.zeros(FF),
                "w2": normal(FF, EMBED), "c2": jnp.zeros(EMBED),
                "g2": jnp.ones(EMBED), "b2": jnp.zeros(EMBED)}

    params = {"tokens": normal(VOCAB, EMBED), "positions": normal(LENGTH, EMBED),
              "blocks": [block() for _ in range(blocks)],
              "w_out": normal(EMBED, CLASSES), "b_out": jnp.zeros(CLASSES)}
    opt = optax.adam(0.001, eps=1e-7)

    def layer_norm(x, gamma, beta):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + EPS) * gamma + beta

    def forward(p, tokens):
        x = p["tokens"][tokens] + p["positions"][:tokens.shape[1]]
        for b in p["blocks"]:
            q, k, v = jnp.einsum("btd,idnh->ibtnh", x, b["qkv"]) + b["qkv_b"][:, None, None]
            attended = jax.nn.dot_product_attention(q, k, v, scale=KEY_DIM ** -0.5)
            x = layer_norm(x + jnp.einsum("btnh,nhd->btd", attended, b["o"]) + b["o_b"],
                           b["g1"], b["b1"])
            ff = jax.nn.relu(x @ b["w1"] + b["c1"]) @ b["w2"] + b["c2"]
            x = layer_norm(x + ff, b["g2"], b["b2"])
        return x.mean(1) @ p["w_out"] + p["b_out"]

    def loss(logits, yb):
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    runner = jitted_step_runner(jax_train_step(forward, loss, opt), params, opt.init(params),
                                x, y, BATCH)
    runner.params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))
    return runner


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data(args.samples)
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"Transformer classifier: embedding {VOCAB}x{EMBED} + positions {LENGTH}, "
          f"{args.blocks} encoder blocks ({HEADS} heads x {KEY_DIM}, ff {FF}), {CLASSES} "
          f"classes; Adam, batch {BATCH}, {args.samples} samples, {args.epochs} epochs timed "
          f"in chunks of {CHUNK} samples, configurations taking turns; "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header(extra=("params",))
    for engine in args.engines.split(","):
        configs = [(label, keras_bridge_runner(engine, x, y, args.blocks, **compile_args))
                   for label, compile_args, policy in keras_bridge_configs(engine)
                   if policy is None]
        configs.append(("hand-written loop", by_hand[engine](x, y, args.blocks)))
        results = measure([runner for _, runner in configs], args.samples, args.epochs, CHUNK)
        print_rows(engine, [(label, r, [runner.params])
                            for (label, runner), r in zip(configs, results)], results[-1])
    print(LEGEND)


if __name__ == "__main__":
    main()
