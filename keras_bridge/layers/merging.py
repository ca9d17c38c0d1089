"""Merge layers: combine a list of inputs into one tensor (Add, Concatenate, Dot, ...)."""

from functools import reduce

from keras_bridge import ops
from keras_bridge.layers.base import Layer


class _Merge(Layer):
    """Elementwise merge of two or more inputs of broadcast-compatible shapes."""

    _min_inputs, _max_inputs = 2, None
    _mask_source = False  # combines the masks it is given

    def _check_list(self, input_shape):
        if not isinstance(input_shape, list) or not input_shape or not isinstance(
                input_shape[0], tuple):
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name!r}) should be "
                             f"called on a list of inputs. Received: input_shape={input_shape}")
        n = len(input_shape)
        if n < self._min_inputs or (self._max_inputs and n > self._max_inputs):
            want = f"exactly {self._max_inputs}" if self._max_inputs == self._min_inputs \
                else f"at least {self._min_inputs}"
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) expects {want} "
                             f"inputs, but it received {n} inputs.")

    def build(self, input_shape):
        self._check_list(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        rank = max(len(s) for s in input_shape)
        # Keras aligns lower-rank inputs by inserting axes after the batch axis.
        padded = [tuple(s[:1]) + (1,) * (rank - len(s)) + tuple(s[1:]) for s in input_shape]
        out = []
        for dims in zip(*padded):
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(f"Inputs of layer {self.name!r} have incompatible shapes "
                                 f"{[tuple(s) for s in input_shape]}: they must be equal or "
                                 "broadcastable.")
            if known:
                out.append(known.pop())
            else:
                out.append(None if None in dims else 1)
        return tuple(out)

    def call(self, inputs):
        return reduce(self._combine, _align_ranks(inputs))

    def compute_mask(self, inputs, mask=None):
        """A step is real in the output when it is real in every masked input."""
        masks = [m for m in (mask or ()) if m is not None]
        return reduce(ops.logical_and, masks) if masks else None


def _align_ranks(inputs):
    """Give lower-rank inputs length-1 axes after the batch axis, as Keras does."""
    rank = max(len(ops.shape(x)) for x in inputs)
    aligned = []
    for x in inputs:
        for _ in range(rank - len(ops.shape(x))):
            x = ops.expand_dims(x, 1)
        aligned.append(x)
    return aligned


class Add(_Merge):
    """Sum of the inputs."""
    _combine = staticmethod(ops.add)


class Subtract(_Merge):
    """First input minus the second (exactly two inputs)."""
    _max_inputs = 2
    _combine = staticmethod(ops.subtract)


class Multiply(_Merge):
    """Product of the inputs."""
    _combine = staticmethod(ops.multiply)


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""
    _combine = staticmethod(ops.maximum)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""
    _combine = staticmethod(ops.minimum)


class Average(_Merge):
    """Mean of the inputs."""

    def call(self, inputs):
        return ops.divide(reduce(ops.add, _align_ranks(inputs)), float(len(inputs)))


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (default -1); other axes must agree."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        ranks = {len(s) for s in input_shape}
        rank = ranks.pop() if len(ranks) == 1 else None
        if rank is None or not -rank <= self.axis < rank:
            raise ValueError(f"A Concatenate layer ({self.name!r}) requires inputs of one "
                             f"rank containing axis {self.axis}. Received: "
                             f"input_shape={[tuple(s) for s in input_shape]}")
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, d in enumerate(shape):
                if i == axis:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is None:
                    out[i] = d
                elif d is not None and d != out[i]:
                    raise ValueError(
                        f"A Concatenate layer ({self.name!r}) requires inputs with matching "
                        f"shapes except for the concatenation axis {self.axis}. Received: "
                        f"input_shape={[tuple(s) for s in input_shape]}")
        return tuple(out)

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product of two inputs along ``axes`` (per sample), optionally of
    L2-normalized inputs (cosine proximity)."""

    _max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        axes = tuple(int(a) for a in axes)
        if len(axes) != 2:
            raise ValueError(f"Dot axes must be an int or a pair of ints. Received: axes={axes}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, input_shape):
        return [a % len(s) for a, s in zip(self.axes, input_shape)]

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        a, b = (tuple(s) for s in input_shape)
        ax = self._axes(input_shape)
        if 0 in ax:
            raise ValueError(f"Dot layer {self.name!r} cannot reduce over the batch axis.")
        if a[ax[0]] is not None and b[ax[1]] is not None and a[ax[0]] != b[ax[1]]:
            raise ValueError(f"Dimension incompatibility in Dot layer {self.name!r}: "
                             f"{a[ax[0]]} != {b[ax[1]]}. Layer shapes: {a}, {b}. "
                             f"Chosen axes: {self.axes}")
        out = a[:ax[0]] + a[ax[0] + 1:] + b[1:ax[1]] + b[ax[1] + 1:]
        return out if len(out) > 1 else out + (1,)

    def call(self, inputs):
        x, y = inputs
        ax = self._axes([ops.shape(x), ops.shape(y)])
        if self.normalize:
            x = _l2_normalize(x, ax[0])
            y = _l2_normalize(y, ax[1])
        # Batched contraction: move the contracted axis last in x and first (after batch) in y.
        rx, ry = len(ops.shape(x)), len(ops.shape(y))
        letters = "abcdefghijklmnopqrstuvwxy"  # 'z' is the batch axis
        xs = ["z"] + [letters[i] for i in range(rx - 1)]
        ys = ["z"] + [letters[rx - 1 + i] for i in range(ry - 1)]
        ys[ax[1]] = xs[ax[0]]
        out = [c for i, c in enumerate(xs) if i != ax[0]] + \
              [c for i, c in enumerate(ys[1:], 1) if i != ax[1]]
        result = ops.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
        if len(ops.shape(result)) == 1:
            result = ops.expand_dims(result, 1)
        return result

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    # Same floor on the squared norm as Keras 2's l2_normalize (1e-12).
    norm = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))
    return ops.divide(x, norm)


def _functional(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"Functional form of ``{cls.__name__}``: ``{cls.__name__}(**kwargs)(inputs)``."
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of ``Dot``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
