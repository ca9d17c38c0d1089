"""Imports of optional packages, made on first use, with the install hint.

A feature that needs a package outside the core dependencies (Pillow, pydot,
tensorboardX, scikit-learn) imports it through ``require`` when it is used, so
keras_bridge imports without it and only that feature fails, naming the pip
distribution and the keras-bridge extra that brings it.
"""

import importlib

# Import name -> pip distribution, where they differ.
_DISTRIBUTIONS = {"PIL": "Pillow", "scipy": "SciPy", "sklearn": "scikit-learn"}


def require(module, purpose, extra):
    """``module`` imported (e.g. ``'PIL.Image'``), or an ImportError saying that
    ``purpose`` needs it and how to install it (the extra ``extra`` of keras-bridge)."""
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as e:
        dist = _DISTRIBUTIONS.get(top, top)
        raise ImportError(f"{purpose} requires {dist}, which is not installed (import of "
                          f"{module!r} failed). Install it with: pip install {dist} "
                          f"(or pip install 'keras-bridge[{extra}]')") from e
