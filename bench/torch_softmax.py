"""Where torch's fused softmax kernels lose on the CPU: ``torch.softmax`` /
``torch.log_softmax`` against the same math as elementwise ops (the shifted form
``keras_bridge.backends.torch.ops`` uses for float tensors of at most
``_SMALL_SOFTMAX`` elements), forward alone and forward + backward, over the last axis
of tensors from a classifier's output (32 x 10) to attention scores.

torch's kernels hand even a tiny tensor to the thread pool, which with
``OMP_WAIT_POLICY=PASSIVE`` (its threads sleep when idle; the benchmarks set it, as
anyone sharing a machine should) costs a wake-up each way. The calls take turns
(``timing.latencies``). Prints us per call and fused / composed (above 1: composed is
faster).

Run: python bench/torch_softmax.py
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from timing import latencies  # noqa: E402

SHAPES = [(32, 10), (128, 10), (16, 128), (64, 64), (1024, 10), (32, 1000), (256, 1000),
          (32, 4, 64, 64)]


def composed_softmax(x):
    e = torch.exp(x - x.detach().amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def composed_log_softmax(x):
    shifted = x - x.detach().amax(dim=-1, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; us per call")
    print(f"{'shape':16} {'elements':>8} {'op':12} {'fused':>8} {'composed':>9} {'ratio':>6} "
          f"{'fused+bwd':>10} {'comp+bwd':>9} {'ratio':>6}")
    for shape in SHAPES:
        x = torch.randn(*shape, requires_grad=True)
        for name, fused, composed in [
                ("softmax", lambda t: torch.softmax(t, -1), composed_softmax),
                ("log_softmax", lambda t: torch.log_softmax(t, -1), composed_log_softmax)]:
            torch.testing.assert_close(composed(x), fused(x))
            rounds = 5 if x.numel() > 100_000 else 10
            forward = latencies([lambda: fused(x), lambda: composed(x)], rounds=rounds)
            both = latencies([lambda: fused(x).sum().backward(),
                              lambda: composed(x).sum().backward()], rounds=rounds)
            print(f"{str(shape):16} {x.numel():8d} {name:12} {forward[0] * 1e6:8.1f} "
                  f"{forward[1] * 1e6:9.1f} {forward[0] / forward[1]:6.2f} "
                  f"{both[0] * 1e6:10.1f} {both[1] * 1e6:9.1f} {both[0] / both[1]:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
