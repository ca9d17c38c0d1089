"""The host stage: string inputs become integer arrays on the host, before the engine.

Engine tensors cannot hold strings, so a layer that reads strings (StringLookup,
TextVectorization, Hashing, HashedCrossing) is split in two: ``host_encode`` maps numpy
arrays to numpy integer arrays (a vocabulary lookup or a hash, on the CPU), and ``call``
does the rest on the engine from those integers (one-hot, counts, TF-IDF), as any layer
does. ``host_encode`` returns the structure it is given (HashedCrossing puts its crossed
bins in the place of each feature).

- An eager call on host data runs both halves (``layer(np.array(["a", "b"]))``);
  ``host_input`` says what host data is (strings; Hashing also takes numbers).
- In a model, each such layer must be fed directly by model inputs; ``fit``,
  ``evaluate``, ``predict``, ``*_on_batch`` and ``model(x)`` encode those inputs
  first (``encode_inputs``, called from the model's input standardization), and the
  engine program sees only the integers: the layer's node runs ``call``, and an engine
  tensor reaching a layer so fed is taken as encoded already.

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
    """Mixin for a layer whose inputs live on the host: ``host_encode(inputs) -> ints``
    on the host, then the layer's ``call(ints)`` on the engine."""

    _fed_by_host_stage = False
    _host_data = "strings (a str, a list or a numpy array of str/bytes)"

    def host_input(self, inputs):
        """Whether ``inputs`` is data ``host_encode`` takes (and not already encoded)."""
        return is_text(inputs)

    def host_encode(self, inputs):
        raise NotImplementedError

    def __call__(self, inputs, *args, **kwargs):
        if any(isinstance(x, KerasTensor) for x in tree.flatten(inputs)):
            return super().__call__(inputs, *args, **kwargs)
        if self.host_input(inputs):
            return super().__call__(self.host_encode(inputs), *args, **kwargs)
        if not self._fed_by_host_stage:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes {self._host_data}. "
                             f"Received: {type(inputs).__name__} of dtype "
                             f"{getattr(inputs, 'dtype', None)}.")
        return super().__call__(inputs, *args, **kwargs)  # encoded by a model's host stage


def _host_feeds(model):
    """[(host layer, its inputs' structure with model input positions)] for ``model``,
    checked once per graph: each host layer reads model inputs only, read by it only."""
    key = (id(model._nodes), len(model._nodes))
    cached = getattr(model, "_host_stage_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    position = {id(t): i for i, t in enumerate(model.inputs)}
    feeds, readers = [], {}
    for node in model._nodes:
        for t in tree.flatten(node.inputs):
            if id(t) in position:
                readers.setdefault(position[id(t)], []).append(node.layer)
        if isinstance(node.layer, HostLayer):
            flat = tree.flatten(node.inputs)
            if not all(id(t) in position for t in flat):
                raise ValueError(
                    f"{type(node.layer).__name__} {node.layer.name!r} must read model "
                    f"inputs directly: its inputs are encoded on the host before the engine "
                    f"runs the model (keras_bridge has no string tensors). Apply it to "
                    f"Input layers, or run it on the data before the model.")
            feeds.append((node.layer, tree.map_structure(lambda t: position[id(t)],
                                                         node.inputs)))
    for layer, positions in feeds:
        for i in tree.flatten(positions):
            if len(readers[i]) != 1:
                raise ValueError(f"The model input {model.input_names[i]!r} is read by "
                                 f"{[l.name for l in readers[i]]}; an input that "
                                 f"{layer.name!r} encodes on the host may feed only that "
                                 f"layer.")
        layer._fed_by_host_stage = True
    model._host_stage_cache = (key, feeds)
    return feeds


def has_host_stage(model):
    return bool(encoded_positions(model))


def encoded_positions(model):
    """The positions of ``model``'s inputs that the host stage encodes."""
    if not getattr(model, "_functional", False):
        return ()
    return {i for _, positions in _host_feeds(model) for i in tree.flatten(positions)}


def _empty(x):
    return isinstance(x, np.ndarray) and x.size == 0


def encode_inputs(model, arrays):
    """``arrays`` (flat, in input order) with the inputs of each host layer encoded by
    it; the others unchanged."""
    if not getattr(model, "_functional", False):
        return arrays
    feeds = _host_feeds(model)
    if not feeds:
        return arrays
    out = list(arrays)
    for layer, positions in feeds:
        values = tree.map_structure(lambda i: out[i], positions)
        if not (layer.host_input(values) or all(map(_empty, tree.flatten(values)))):
            names = [model.input_names[i] for i in tree.flatten(positions)]
            raise ValueError(f"The model input(s) {names} feed {type(layer).__name__} "
                             f"{layer.name!r}, which takes {layer._host_data}. Received an "
                             f"array of dtype "
                             f"{[getattr(v, 'dtype', None) for v in tree.flatten(values)]}.")
        for i, encoded in zip(tree.flatten(positions), tree.flatten(layer.host_encode(values))):
            out[i] = encoded
    return out
