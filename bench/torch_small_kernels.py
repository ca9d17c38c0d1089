"""Where torch's fused CPU kernels lose to elementwise ops, and the sizes
``keras_bridge/backends/torch/small_tensors.py`` switches at.

torch's softmax, exact gelu and normalization kernels hand even a tiny CPU tensor to the
thread pool (all but a single row, which stays on the calling thread: a one-sample
predict's softmax), which with ``OMP_WAIT_POLICY=PASSIVE`` (its idle threads sleep; the
benchmarks set it, as anyone sharing a machine should) costs a wake-up each way. For
each kernel and size: the fused kernel against the composed form keras_bridge uses up
to the kernel's limit, forward alone and forward + backward, taking turns
(``timing.latencies``). Prints us per call and fused / composed (above 1: composed is
faster) and whether keras_bridge composes at that size.

Run: python bench/torch_small_kernels.py
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from keras_bridge.backends.torch import small_tensors as st  # noqa: E402
from timing import latencies  # noqa: E402

SIZES = [(1, 10), (1, 512), (32, 10), (128, 10), (16, 128), (64, 64), (64, 128),
         (128, 128), (128, 256), (256, 256), (32, 64, 64)]


def _moments(x):  # BatchNormalization's composed training form (norm_rules.py)
    variance, mean = torch.var_mean(x, dim=0, correction=0)
    return (x - mean) * torch.rsqrt(variance + 1e-3)


def _layer_norm(x):  # LayerNormalization's composed form (norm_rules.py)
    variance, mean = torch.var_mean(x, dim=-1, correction=0, keepdim=True)
    return (x - mean) * torch.rsqrt(variance + 1e-3)


def kernels(x):
    """(name, limit, row, fused, composed) for input ``x`` (features last); ``row``:
    the elements one reduction covers (see ``small_tensors.composes_faster``)."""
    c = x.shape[-1]
    mean, var = torch.zeros(c), torch.ones(c)
    flat = x.reshape(-1, c)
    found = [
        ("softmax", st.SOFTMAX, c, lambda: torch.softmax(x, -1), lambda: st.softmax(x, -1)),
        ("log_softmax", st.SOFTMAX, c, lambda: torch.log_softmax(x, -1),
         lambda: st.log_softmax(x, -1)),
        ("gelu", st.GELU, None, lambda: F.gelu(x), lambda: st.gelu(x)),
        ("layer_norm", st.LAYER_NORM, c, lambda: F.layer_norm(x, (c,), eps=1e-3),
         lambda: _layer_norm(x)),
    ]
    if flat.shape[0] > 1:  # torch's training batch norm refuses one value per channel
        found.append(("batch_norm", st.BATCH_NORM, c,
                      lambda: F.batch_norm(flat, mean, var.clone(), None, None, True, 0.1,
                                           1e-3),
                      lambda: _moments(flat)))
    return found


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; us per call")
    print(f"{'shape':14} {'elements':>8} {'kernel':12} {'fused':>7} {'composed':>8} "
          f"{'ratio':>6} {'fused+bwd':>9} {'comp+bwd':>8} {'ratio':>6}  composed here")
    for shape in SIZES:
        x = torch.randn(*shape, requires_grad=True)
        rounds = 5 if x.numel() > 100_000 else 10
        for name, limit, row, fused, composed in kernels(x):
            torch.testing.assert_close(composed(), fused(), rtol=1e-4, atol=1e-5)
            forward = latencies([fused, composed], rounds=rounds)
            both = latencies([lambda: fused().sum().backward(),
                              lambda: composed().sum().backward()], rounds=rounds)
            print(f"{str(shape):14} {x.numel():8d} {name:12} {forward[0] * 1e6:7.1f} "
                  f"{forward[1] * 1e6:8.1f} {forward[0] / forward[1]:6.2f} "
                  f"{both[0] * 1e6:9.1f} {both[1] * 1e6:8.1f} {both[0] / both[1]:6.2f}  "
                  f"{'yes' if st.composes_faster(x, limit, row) else 'no'}", flush=True)


if __name__ == "__main__":
    main()
