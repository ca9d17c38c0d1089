"""The front end's door to an engine's own library: torch's ``nn.Module`` world for
torch, pytrees and PRNG keys for JAX.

An engine may ship a ``native`` module (keras_bridge/backends/<engine>/native.py, see
backends/contract.py); a feature that exists on one engine only (``model.parameters()``,
``TorchModuleWrapper`` on torch, ``JaxLayer`` on JAX) asks for it here and gets a clear
error on the other engine.
"""

import importlib

from keras_bridge import backends


def engine_native(engine_name, feature, needs):
    """The ``native`` module of engine ``needs`` when ``engine_name`` is it; else a
    ValueError saying ``feature`` exists on ``needs`` only."""
    if engine_name != needs:
        raise ValueError(f"{feature} is only supported with the {needs} backend. Current "
                         f"backend: {engine_name}. Set KERAS_BACKEND={needs} (or "
                         f"keras_bridge.config.set_backend({needs!r})) to use it.")
    return importlib.import_module(backends.get(needs).__name__ + ".native")
