"""The random state of the built-in random layers (Dropout, SpatialDropout*, the noise
layers): one ``keras_bridge.random.SeedGenerator`` per layer, made from its ``seed=``
argument as Keras 3 does. Its state is among the layer's ``variables`` and
``non_trainable_variables``, not its ``weights``, so it is not saved, and a pure call
advances it (see ``keras_bridge/layers/stateless.py``)."""


def seed_generator(seed):
    """A new generator for a layer's ``seed`` (None: drawn from Python's generator, so
    reproducible after ``set_random_seed``)."""
    # Imported here: keras_bridge.random's SeedGenerator is a Layer, so it imports
    # keras_bridge.layers, which imports this module.
    from keras_bridge.random import SeedGenerator
    return SeedGenerator(seed)
