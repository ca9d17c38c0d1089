"""Symbolic gradients (``K.gradients``) on torch: ``torch.autograd.grad`` on the graph
that runs now.

Inputs are differentiated through detached copies that require grad (made outside
inference mode, so gradients also work in ``predict``); weights through
their own storage tensors (a frozen parameter requires grad for the duration of the
call only), and each weight's gradient is viewed in Keras layout as its slot does.
Inside a training step (grad mode on) the gradients keep their graph, so a loss made
of them (a gradient penalty) trains the weights, as JAX's nested ``jax.grad`` does.
"""

import torch


def gradients(fn, inputs, weights):
    tensors = [w.slot.tensor for w in weights]
    create_graph = torch.is_grad_enabled()
    frozen = [t for t in tensors if not t.requires_grad]
    try:
        for t in frozen:
            t.requires_grad_(True)
        with torch.inference_mode(False), torch.enable_grad():
            copies = [x.detach().clone().requires_grad_(True) for x in inputs]
            total = fn(*copies).sum()
            grads = torch.autograd.grad(total, copies + tensors, allow_unused=True,
                                        create_graph=create_graph) \
                if copies or tensors else []
    finally:
        for t in frozen:
            t.requires_grad_(False)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, copies + tensors)]
    for_inputs, for_weights = grads[:len(copies)], grads[len(copies):]
    for_weights = [w.slot.layout(g) if w.slot.layout else g
                   for w, g in zip(weights, for_weights)]
    return for_inputs, for_weights
