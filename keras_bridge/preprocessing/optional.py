"""Lazy imports of the image extras (Pillow, SciPy), with the install hint.

The image utilities import them on first use, so ``keras_bridge.preprocessing`` imports
without them and only the functions that need one fail, naming what to install.
"""

from keras_bridge.utils import optional


def require(module, purpose):
    """``module`` imported (e.g. ``'PIL.Image'``), or an ImportError naming ``purpose``
    and the install command (``utils.optional.require`` with the ``image`` extra)."""
    return optional.require(module, purpose, "image")
