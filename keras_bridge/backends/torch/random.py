"""torch's random stream: the global generator, seeded by ``set_random_seed``.

Dropout masks come from torch's own generator, so masks differ from JAX's (parity
tests compare inference, or training with dropout off).
"""

import torch


def seed(value):
    torch.manual_seed(int(value))
