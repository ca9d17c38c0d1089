"""Keras 2's ``keras.utils.vis_utils`` path of ``plot_model`` / ``model_to_dot``: the
same functions as ``keras_bridge.utils``, drawn and defaulted as Keras 3 does (see
``model_visualization``)."""

from keras_bridge.utils.model_visualization import model_to_dot, plot_model

__all__ = ["model_to_dot", "plot_model"]
