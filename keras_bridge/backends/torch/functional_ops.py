"""Keras 3's ops of Python functions on torch (``custom_gradient_call``, ``jvp``) and
torch's native kernels for composed ops (``contract.NATIVE``: adaptive pooling,
unfold / fold).

``custom_gradient_call`` is a ``torch.autograd.Function`` whose backward calls
``grad_fn(*args, upstream=upstream)``, Keras 3's torch convention; ``jvp`` is
``torch.func.jvp``."""

import warnings

import torch
import torch.nn.functional as F


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, f, *args):
        ctx.save_for_backward(*args)
        y, ctx.grad_fn = f(*args)
        return y

    @staticmethod
    def backward(ctx, upstream):
        grads = ctx.grad_fn(*ctx.saved_tensors, upstream=upstream)
        grads = tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)
        if len(grads) != len(ctx.saved_tensors):
            raise ValueError(f"custom_gradient's grad_fn returned {len(grads)} gradients for "
                             f"{len(ctx.saved_tensors)} arguments; expected one per argument.")
        return (None,) + grads


def custom_gradient_call(f, args):
    return _CustomGradient.apply(f, *args)


def _load_jvp_decompositions():
    # torch scripts its forward-mode decompositions on first use, warning that
    # torch.jit.script is deprecated: torch's own internals, not the caller's code.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated",
                                DeprecationWarning)
        import torch._decomp.decompositions_for_jvp  # noqa: F401


def jvp(fun, primals, tangents, has_aux=False):
    _load_jvp_decompositions()
    return torch.func.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)


_ADAPTIVE = {"avg": (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d),
             "max": (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d)}


def _adaptive(kind, inputs, output_size, data_format):
    rank = inputs.dim() - 2
    last = data_format == "channels_last"
    x = inputs.movedim(-1, 1) if last else inputs
    out = _ADAPTIVE[kind][rank - 1](x, output_size)
    return out.movedim(1, -1) if last else out


def adaptive_average_pool(inputs, output_size, data_format):
    return _adaptive("avg", inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format):
    return _adaptive("max", inputs, output_size, data_format)


def unfold(x, kernel_size, dilation, padding, stride):
    return F.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)


def fold(x, output_size, kernel_size, dilation, padding, stride):
    return F.fold(x, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)
