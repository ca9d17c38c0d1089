"""Small tensors on the CPU: where torch's fused kernels lose to elementwise ops.

torch's softmax, exact gelu and normalization kernels hand even a tiny CPU tensor to
its thread pool, a wake-up each way: ~50 us on a 2-core machine whose idle OpenMP
threads sleep (``OMP_WAIT_POLICY=PASSIVE``, which the benchmarks set and anyone sharing
a machine should), several hundred for ``F.batch_norm`` in training. A classifier's
softmax output (32 x 10 per batch) or a BatchNormalization after a Dense(64) pays that
every step; the same math as elementwise ops does not. Up to each kernel's crossover
below (elements, measured by ``bench/torch_small_kernels.py``, forward and backward)
keras_bridge composes it; above, the fused kernel wins and is used.
"""

import math

import torch

SOFTMAX = 2048  # softmax and log_softmax
GELU = 4096  # exact gelu
LAYER_NORM = 8192
BATCH_NORM = 32768  # training and inference


def composes_faster(x, limit, row=None):
    """Whether ``x`` is a float tensor on the CPU of at most ``limit`` elements, run
    eagerly, and not a single ``row`` (the elements one reduction covers: a softmax's
    axis, a normalization's group): torch's reductions split the rows over the pool, and
    one row stays on the calling thread, faster than composed (a one-sample predict's
    softmax: ~1 us against ~7). Traced code (``torch.export``, ``torch.compile``) keeps
    torch's kernels: its sizes may be symbolic, and a branch on them would pin the batch
    size with a guard."""
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return False
    n = x.numel()
    return type(n) is int and n <= limit and n != row and not torch.compiler.is_compiling()


def _shifted(x, dim):
    # The maximum is a constant for the gradient: softmax does not change under a shift.
    return x - x.detach().amax(dim=dim, keepdim=True)


def softmax(x, dim):
    e = torch.exp(_shifted(x, dim))
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(x, dim):
    shifted = _shifted(x, dim)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def gelu(x):
    """The exact gelu, ``x * Phi(x)``."""
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))
