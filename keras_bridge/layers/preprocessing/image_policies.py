"""Augmentation policies (Keras 3's): RandAugment and AugMix, built from the eleven
augmentation layers Keras 3 gives them (each with the policy's ``factor``).

Both choose an augmentation by a random index drawn from the policy's generator. To
keep that choice a tensor (so it is drawn afresh at each step of a jitted JAX program
too, and no augmentation's draws sit inside a branch), every candidate augmentation is
computed and the drawn one kept, as Keras 3's RandAugment does: the cost of one step is
that of all its candidates.
"""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_color import RandomBrightness, RandomContrast
from keras_bridge.layers.preprocessing.image_color import RandomColorDegeneration
from keras_bridge.layers.preprocessing.image_filtering import RandomSharpness
from keras_bridge.layers.preprocessing.image_geometry import RandomRotation, RandomShear
from keras_bridge.layers.preprocessing.image_geometry import RandomTranslation
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, choose
from keras_bridge.layers.preprocessing.image_layer import factor_range, value_range_of
from keras_bridge.layers.preprocessing.image_tone import AutoContrast, Equalization
from keras_bridge.layers.preprocessing.image_tone import RandomPosterization, Solarization

# Keras 3's names and order of the augmentations (RandAugment's _AUGMENT_LAYERS).
GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
COLOR = ("random_brightness", "random_color_degeneration", "random_contrast",
         "random_sharpness")
TONE = ("random_posterization", "solarization", "auto_contrast", "equalization")


class _Policy(RandomImageLayer):
    """Makes the augmentations as Keras 3 does, one attribute each (bounding boxes and
    segmentation masks are refused: not transformed yet)."""

    _BOXES_AND_MASKS = False

    def __init__(self, value_range, factor, interpolation, seed, data_format, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range_of(value_range)
        self.factor = factor_range(factor, (0, 1))
        self.interpolation = choose("interpolation", interpolation, ("nearest", "bilinear"))
        common = dict(seed=seed, data_format=self.data_format)
        tone = dict(common, value_range=self.value_range)
        geometry = dict(common, interpolation=interpolation)
        f = self.factor
        self.random_shear = RandomShear(x_factor=f, y_factor=f, **geometry)
        self.random_translation = RandomTranslation(f, f, **geometry)
        self.random_rotation = RandomRotation(f, **geometry)
        self.random_brightness = RandomBrightness(f, **tone)
        self.random_color_degeneration = RandomColorDegeneration(f, **tone)
        self.random_contrast = RandomContrast(f, **tone)
        self.random_sharpness = RandomSharpness(f, **tone)
        self.random_posterization = RandomPosterization(max(1, int(8 * f[1])), **tone)
        self.solarization = Solarization(f, f, **tone)
        self.auto_contrast = AutoContrast(self.value_range, self.data_format)
        self.equalization = Equalization(self.value_range, data_format=self.data_format)

    def build(self, input_shape):
        # the augmentations are run through their ``transform``, never called: built
        # here, so that their generators are bound with the policy (as Keras 3 builds them)
        for name in GEOMETRIC + COLOR + TONE:
            getattr(self, name).build(input_shape)
        self.built = True

    def augmentations(self, names):
        return [getattr(self, name) for name in names]

    def pick(self, images, index, layers):
        """``layers[index]`` applied to ``images`` (``images`` itself for an index past
        the end); every candidate is computed (see the module docstring)."""
        out = images
        for i, layer in enumerate(layers):
            out = ops.where(ops.equal(index, i), layer.transform(images), out)
        return out

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "factor": self.factor, "interpolation": self.interpolation}


class RandAugment(_Policy):
    """RandAugment in training: ``num_ops`` times in a row, one augmentation drawn
    uniformly (for the whole batch) from shear, translation, rotation, brightness,
    colour degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast and equalization, each with strength ``factor``. Each round draws
    its augmentation's parameters afresh (Keras 3 draws them once per call).

    Args:
        value_range: the images' [low, high] range.
        num_ops: the number of augmentations applied in a row.
        factor: the augmentations' strength: f in [0, 1] (ranges [0, f]) or a pair.
        interpolation: 'bilinear' or 'nearest', for the geometric augmentations.
        seed, data_format: as the other image layers.
    """

    _AUGMENT_LAYERS = GEOMETRIC + COLOR + TONE

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"`num_ops` should be a non-negative integer. Received: "
                             f"num_ops={num_ops!r}")
        self.num_ops = num_ops

    def transform(self, images):
        from keras_bridge import random
        layers = self.augmentations(self._AUGMENT_LAYERS)
        if self.num_ops == 0:
            return images
        indices = random.randint((self.num_ops,), 0, len(layers), seed=self.generator)
        for i in range(self.num_ops):
            images = self.pick(images, indices[i], layers)
        return images

    def get_config(self):
        return {**super().get_config(), "num_ops": self.num_ops}


class AugMix(_Policy):
    """AugMix in training: ``num_chains`` chains of up to ``chain_depth`` augmentations
    (each step one drawn, for the whole batch, from the augmentations or none) are
    mixed with Dirichlet(alpha) weights, and the mix blended with the images by a
    Beta(alpha, alpha) weight w: ``w x + (1 - w) mix``, clipped to ``value_range``.

    Args:
        value_range: the images' [low, high] range.
        num_chains: the number of chains mixed.
        chain_depth: the steps of each chain (each may apply nothing).
        factor: the augmentations' strength: f in [0, 1] (ranges [0, f]) or a pair.
        alpha: the Dirichlet and Beta distributions' parameter.
        all_ops: also use brightness, colour degeneration, contrast and sharpness
            (otherwise shear, translation, rotation, posterization, solarization,
            auto-contrast and equalization only).
        interpolation: 'bilinear' or 'nearest', for the geometric augmentations.
        seed, data_format: as the other image layers.
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` should be a positive integer. Received: "
                                 f"{name}={value!r}")
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self._augment_layers = GEOMETRIC + TONE + (COLOR if self.all_ops else ())

    def transform(self, images):
        from keras_bridge import random
        layers = self.augmentations(self._augment_layers)
        dtype = self.compute_dtype
        gammas = random.gamma((self.num_chains,), self.alpha, dtype=dtype, seed=self.generator)
        chain_weights = ops.divide(gammas, ops.sum(gammas))
        keep = random.beta((), self.alpha, self.alpha, dtype=dtype, seed=self.generator)
        steps = random.randint((self.num_chains, self.chain_depth), 0, len(layers) + 1,
                               seed=self.generator)
        mixed = ops.zeros_like(images)
        for chain in range(self.num_chains):
            x = images
            for depth in range(self.chain_depth):
                x = self.pick(x, steps[chain, depth], layers)
            mixed = ops.add(mixed, ops.multiply(x, chain_weights[chain]))
        out = ops.add(ops.multiply(keep, images), ops.multiply(ops.subtract(1.0, keep), mixed))
        return ops.clip(out, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "alpha": self.alpha, "all_ops": self.all_ops}
