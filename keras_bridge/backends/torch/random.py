"""torch's random stream: the global generator, seeded by ``set_random_seed``.

Dropout masks come from torch's own generator, so masks differ from JAX's (parity
tests compare inference, or training with dropout off).
"""

import torch


def seed(value):
    torch.manual_seed(int(value))


def _mix(state):
    """One 32-bit seed from a [seed, counter] pair (splitmix64, folded): torch's CPU
    generator keeps only 32 bits of a seed, so the pair must be mixed, not packed."""
    x = ((int(state[0]) & 0xFFFFFFFF) << 32 | (int(state[1]) & 0xFFFFFFFF)) & _MASK64
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return (x ^ (x >> 32)) & 0xFFFFFFFF


_MASK64 = 2**64 - 1


def seed_value(seed):
    """None for the global stream, else the int a fresh generator is seeded with: an int
    seed as is, a seed state (an int32 pair [seed, counter], numpy or a tensor, as a
    ``SeedGenerator`` holds) mixed into one."""
    if seed is None:
        return None
    if isinstance(seed, int) or (hasattr(seed, "dtype") and getattr(seed, "ndim", 1) == 0):
        return int(seed)
    state = seed.tolist() if isinstance(seed, torch.Tensor) else list(seed)
    if len(state) != 2:
        raise ValueError("Expected a seed state of shape (2,) ([seed, counter]). "
                         f"Received: {len(state)} values")
    return _mix(state)


def generator_for(seed, device):
    """None (torch's global generator) or a fresh generator on ``device`` for a seed."""
    value = seed_value(seed)
    if value is None:
        return None
    return torch.Generator(device=device).manual_seed(value)
