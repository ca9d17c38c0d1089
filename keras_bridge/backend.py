"""The Keras 2 backend helpers, imported as ``K`` by Keras 2 code.

Everything here is a thin spelling of ``keras_bridge.ops`` or ``keras_bridge.config``
under the names Keras 2 code uses (``K.mean``, ``K.epsilon()``, ``K.backend()``).
"""

from keras_bridge import config
from keras_bridge.utils import naming


def backend():
    """Name of the default backend ('torch' or 'jax')."""
    return config.backend()


def clear_session():
    """Reset default layer names (the next Dense is 'dense' again)."""
    naming.reset()
