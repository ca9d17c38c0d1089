"""Keras 2's ``keras.utils.vis_utils``. Drawing models is not available in keras_bridge
yet: both functions raise ``ImportError`` (what Keras raises without pydot, so code that
guards ``plot_model`` with ``except ImportError`` keeps running)."""

_MESSAGE = ("{what} is not available in keras_bridge yet. Keras draws models with pydot "
            "and Graphviz (`pip install pydot`, and Graphviz from "
            "https://graphviz.org/download/), which keras_bridge does not use yet; "
            "model.summary() prints the layers, shapes and parameter counts as text.")


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=96, **kwargs):
    """Not available yet: raises ``ImportError`` (see the module docstring)."""
    raise ImportError(_MESSAGE.format(what="model_to_dot()"))


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=96, **kwargs):
    """Not available yet: raises ``ImportError`` (see the module docstring); nothing is
    written."""
    raise ImportError(_MESSAGE.format(what="plot_model()"))


__all__ = ["model_to_dot", "plot_model"]
