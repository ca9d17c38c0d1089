"""Do torch's lowering rules buy speed? Each layer with a rule, run by its rule and by
its reference ``call`` (keras_bridge.ops inside the generic ``CallModule``).

For each case two copies of one small model (a Dense or a conv before the layer and a
Dense after, so the layer sits inside a real graph) get identical weights; the layer's
class is taken out of torch's ``LOWERING`` while the second copy is bound, so that copy
runs the reference call. The forward outputs (inference) are checked to agree, then a
training step (forward in training mode, a loss, backward) of batch 128 is timed, the
two copies taking turns (``timing.latencies``). Prints layer, rule us/step, reference
us/step and reference / rule: above 1 the rule is faster.

Layers (or configurations) whose rule is gone print "(no rule)": nothing to compare.
Names on the command line pick cases; ``BENCH_THREADS`` sets torch's threads (default 1). Run: ``PYTHONPATH=$PWD python bench/torch_rules.py``.
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

BATCH = 128


def cases():
    """(name, layer class, factory of the layer, input shape without batch, image?)."""
    dense = [
        ("Activation(relu)", L.Activation, lambda: L.Activation("relu")),
        ("Activation(tanh)", L.Activation, lambda: L.Activation("tanh")),
        ("Dropout(0.3)", L.Dropout, lambda: L.Dropout(0.3)),
        ("GaussianNoise", L.GaussianNoise, lambda: L.GaussianNoise(0.1)),
        ("GaussianDropout", L.GaussianDropout, lambda: L.GaussianDropout(0.3)),
        ("AlphaDropout", L.AlphaDropout, lambda: L.AlphaDropout(0.3)),
        ("ReLU", L.ReLU, lambda: L.ReLU()),
        ("ReLU(max_value=6)", L.ReLU, lambda: L.ReLU(max_value=6.0)),
        ("ELU", L.ELU, lambda: L.ELU()),
        ("LeakyReLU", L.LeakyReLU, lambda: L.LeakyReLU(0.2)),
        ("ThresholdedReLU", L.ThresholdedReLU, lambda: L.ThresholdedReLU(0.5)),
        ("PReLU", L.PReLU, lambda: L.PReLU()),
        ("UnitNormalization", L.UnitNormalization, lambda: L.UnitNormalization()),
        ("LayerNormalization", L.LayerNormalization, lambda: L.LayerNormalization()),
    ]
    for name, cls, make in dense:
        yield name, cls, make, (256,), False
    seq = [
        ("Masking", L.Masking, lambda: L.Masking(0.0)),
        ("TimeDistributed(Dense)", L.TimeDistributed, lambda: L.TimeDistributed(L.Dense(32))),
        ("LayerNorm(seq)", L.LayerNormalization, lambda: L.LayerNormalization()),
        ("ZeroPadding1D", L.ZeroPadding1D, lambda: L.ZeroPadding1D(2)),
    ]
    for name, cls, make in seq:
        yield name, cls, make, (20, 32), False
    image = [
        ("ZeroPadding2D", L.ZeroPadding2D, lambda: L.ZeroPadding2D(1)),
        ("UpSampling2D", L.UpSampling2D, lambda: L.UpSampling2D(2)),
        ("UpSampling2D(bilinear)", L.UpSampling2D,
         lambda: L.UpSampling2D(2, interpolation="bilinear")),
        ("GroupNormalization", L.GroupNormalization, lambda: L.GroupNormalization(4)),
        ("ReLU(image)", L.ReLU, lambda: L.ReLU()),
        ("Dropout(image)", L.Dropout, lambda: L.Dropout(0.3)),
    ]
    for name, cls, make in image:
        yield name, cls, make, (16, 16, 3), True
    yield "ZeroPadding3D", L.ZeroPadding3D, lambda: L.ZeroPadding3D(1), (6, 6, 6, 2), "3d"


def build(make, shape, image):
    layers = [L.Input(shape)]
    if image == "3d":
        layers += [L.Conv3D(8, 3, padding="same"), make(), L.Conv3D(8, 3), L.Flatten()]
    elif image:
        layers += [L.Conv2D(16, 3, padding="same"), make(), L.Conv2D(16, 3), L.Flatten()]
    else:
        layers += [L.Dense(shape[-1]), make()]
        if len(shape) > 1:
            layers += [L.Flatten()]
    model = keras.Sequential(layers + [L.Dense(10)])
    return model


def bound(model, cls, rule):
    """Bind ``model`` to torch, ``cls`` by its rule or (rule=False) by its own call."""
    table = backends.get("torch").LOWERING
    saved = table.pop(cls) if not rule else None
    try:
        model.bind("torch", "cpu")
    finally:
        if saved is not None:
            table[cls] = saved
    kinds = {type(surface.binding(l)).__name__ for l in model.layers if isinstance(l, cls)}
    assert rule or kinds == {"CallModule"}, (cls.__name__, kinds)
    return surface.binding(model), kinds != {"CallModule"}


def step_fn(module, x):
    params = list(module.parameters())

    def step():
        loss = module(x, training=True).square().mean()
        loss.backward()
        for p in params:
            p.grad = None
    return step


def run_case(name, cls, make, shape, image):
    keras.utils.set_random_seed(0)
    a, b = build(make, shape, image), build(make, shape, image)
    b.set_weights(a.get_weights())
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(
        (BATCH,) + shape).astype("float32"))
    if name == "Masking":
        x[:, ::3] = 0.0  # masked steps
    (ma, ruled), (mb, _) = bound(a, cls, True), bound(b, cls, False)
    if not ruled:  # the rule hands this configuration to the reference call
        return None
    with torch.no_grad():
        ya, yb = ma(x, training=False), mb(x, training=False)
    np.testing.assert_allclose(ya.numpy(), yb.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
    rule_s, ref_s = latencies([step_fn(ma, x), step_fn(mb, x)], rounds=10, per_round=20,
                              warmup=10)
    return rule_s * 1e6, ref_s * 1e6


def main():
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    only = sys.argv[1:]
    lowering = backends.get("torch").LOWERING
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), batch {BATCH}")
    print(f"{'layer':26s} {'rule us':>10s} {'ref us':>10s} {'ref/rule':>9s}")
    for name, cls, make, shape, image in cases():
        if only and name not in only:
            continue
        if cls not in lowering:
            print(f"{name:26s} {'(no rule)':>10s}")
            continue
        timed = run_case(name, cls, make, shape, image)
        if timed is None:
            print(f"{name:26s} {'(no rule)':>10s}")
            continue
        rule_us, ref_us = timed
        print(f"{name:26s} {rule_us:10.1f} {ref_us:10.1f} {ref_us / rule_us:9.3f}", flush=True)


if __name__ == "__main__":
    main()
