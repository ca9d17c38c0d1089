"""The package version, in a module of its own so that any part can read it without
importing the whole package."""

__version__ = "0.1.0"


def version():
    """The package version string (Keras 3's ``keras.version()``)."""
    return __version__
