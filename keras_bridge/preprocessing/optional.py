"""Lazy imports of the image extras (Pillow, SciPy), with the install hint.

The image utilities import them on first use, so ``keras_bridge.preprocessing`` imports
without them and only the functions that need one fail, naming what to install.
"""

import importlib

HINT = "pip install 'keras-bridge[image]'"

_PACKAGES = {"PIL": "Pillow", "scipy": "SciPy"}


def require(module, purpose):
    """``module`` imported (e.g. ``'PIL.Image'``), or an ImportError naming ``purpose``
    and the install command."""
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{purpose} requires {_PACKAGES.get(top, top)}, which is not "
                          f"installed (import of {module!r} failed). Install it with: "
                          f"{HINT}") from e
