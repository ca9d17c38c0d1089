"""The host stage: string inputs become integer arrays on the host, before the engine.

Engine tensors cannot hold strings, so a layer that reads strings (StringLookup,
TextVectorization) is split in two: ``host_encode`` maps a numpy string array to a
numpy integer array (its vocabulary lookup, on the CPU), and ``call`` does the rest on
the engine from those integers (one-hot, counts, TF-IDF), as any layer does.

- An eager call on strings runs both halves (``layer(np.array(["a", "b"]))``).
- In a model, each such layer must be fed directly by a model input; ``fit``,
  ``evaluate``, ``predict``, ``*_on_batch`` and ``model(x)`` encode that input's
  strings first (``encode_inputs``, called from the model's input standardization),
  and the engine program sees only the integers: the layer's node runs ``call``.

Where Keras differs: Keras runs these layers with TensorFlow (tf.data, tf.strings) and
also accepts them after other layers; here they must read a model input.
"""

import numpy as np

from keras_bridge.graph import KerasTensor
from keras_bridge.utils import tree


def is_text(x):
    """Whether ``x`` is host text: a str/bytes, or a list / numpy array of them."""
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, (list, tuple)):
        flat = tree.flatten(list(x))
        return bool(flat) and isinstance(flat[0], (str, bytes))
    return isinstance(x, np.ndarray) and (x.dtype.kind in "US" or (
        x.dtype.kind == "O" and x.size and isinstance(x.flat[0], (str, bytes))))


def as_text(x, encoding="utf-8"):
    """A numpy array of Python str (bytes decoded with ``encoding``)."""
    array = np.asarray(x, dtype=object)
    decode = np.vectorize(lambda s: s.decode(encoding) if isinstance(s, bytes) else str(s),
                          otypes=[object])
    return decode(array) if array.size else array.astype(str)


class HostLayer:
    """Mixin for a layer whose inputs are strings: ``host_encode(strings) -> ints``
    on the host, then the layer's ``call(ints)`` on the engine."""

    _fed_by_host_stage = False

    def host_encode(self, strings):
        raise NotImplementedError

    def __call__(self, inputs, *args, **kwargs):
        if any(isinstance(x, KerasTensor) for x in tree.flatten(inputs)):
            return super().__call__(inputs, *args, **kwargs)
        if is_text(inputs):
            return super().__call__(self.host_encode(inputs), *args, **kwargs)
        if not self._fed_by_host_stage:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes strings (a str, a "
                             f"list or a numpy array of str/bytes). Received: "
                             f"{type(inputs).__name__} of dtype "
                             f"{getattr(inputs, 'dtype', None)}.")
        return super().__call__(inputs, *args, **kwargs)  # encoded by a model's host stage


def _host_feeds(model):
    """{input position: host layer} for ``model``'s inputs read by a HostLayer, checked
    once per graph: each host layer reads a model input, and that input only it."""
    key = (id(model._nodes), len(model._nodes))
    cached = getattr(model, "_host_stage_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    position = {id(t): i for i, t in enumerate(model.inputs)}
    feeds, readers = {}, {}
    for node in model._nodes:
        for t in tree.flatten(node.inputs):
            if id(t) in position:
                readers.setdefault(position[id(t)], []).append(node.layer)
        if isinstance(node.layer, HostLayer):
            flat = tree.flatten(node.inputs)
            if len(flat) != 1 or id(flat[0]) not in position:
                raise ValueError(
                    f"{type(node.layer).__name__} {node.layer.name!r} must read a model "
                    f"input directly: its strings are encoded on the host before the engine "
                    f"runs the model (keras_bridge has no string tensors). Apply it to an "
                    f"Input(dtype='string'), or run it on the data before the model.")
            feeds[position[id(flat[0])]] = node.layer
    for i, layer in feeds.items():
        if len(readers[i]) != 1:
            raise ValueError(f"The model input {model.input_names[i]!r} is read by "
                             f"{[l.name for l in readers[i]]}; an input whose strings "
                             f"{layer.name!r} encodes on the host may feed only that layer.")
        layer._fed_by_host_stage = True
    model._host_stage_cache = (key, feeds)
    return feeds


def has_host_stage(model):
    return bool(encoded_positions(model))


def encoded_positions(model):
    """The positions of ``model``'s inputs that the host stage encodes."""
    return _host_feeds(model).keys() if getattr(model, "_functional", False) else ()


def encode_inputs(model, arrays):
    """``arrays`` (flat, in input order) with each host-read input encoded by its
    layer; the others unchanged."""
    if not getattr(model, "_functional", False):
        return arrays
    feeds = _host_feeds(model)
    if not feeds:
        return arrays
    out = list(arrays)
    for i, layer in feeds.items():
        if is_text(out[i]) or (isinstance(out[i], np.ndarray) and out[i].size == 0):
            out[i] = layer.host_encode(out[i])
        else:
            raise ValueError(f"The model input {model.input_names[i]!r} feeds "
                             f"{type(layer).__name__} {layer.name!r}, which takes strings. "
                             f"Received an array of dtype {getattr(out[i], 'dtype', None)}.")
    return out
