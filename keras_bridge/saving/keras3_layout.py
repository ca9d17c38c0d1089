"""Where each weight lives in Keras 3's weight files (``model.weights.h5`` in a
``.keras`` archive, and ``.weights.h5``).

Keras 3 walks a model's object graph and stores each object's own variables under
``<path>/vars/<i>``: the model at the root (``vars``), a Sequential's or functional
model's layers under ``layers/<name>`` where ``<name>`` is the layer's class in snake
case, numbered per class in the model's layer order (``dense``, ``dense_1``; a
functional model's Input layers count, a Sequential's do not), a nested model adding
``layers/<model>/layers/...``, and a layer's sub-layers under the attribute that holds
them, visited in sorted attribute order with private names last
(``bidirectional/forward_layer``, ``rnn/cell/cells/lstm_cell``,
``time_distributed/layer``). A layer's own variables are numbered trainable first,
then non-trainable, in creation order (BatchNormalization: gamma, beta, moving_mean,
moving_variance). An object met twice is stored once, at its first path.

keras_bridge's SimpleRNN, LSTM, GRU and ConvLSTM layers hold their cell's weights
themselves; Keras keeps them in a ``cell`` sub-layer, so they are placed at
``<layer>/cell/vars``. A layer that overrides ``save_own_variables`` /
``load_own_variables`` decides what its own group holds (Keras 3's hooks; not for
those fused RNN layers, whose group is their cell's). The optimizer's variables are ``optimizer/vars/<i>`` (see
``keras3_optimizer``).
"""

import functools
import re

from keras_bridge.layers.base import Layer
from keras_bridge.layers.conv_lstm import _ConvLSTM
from keras_bridge.layers.recurrent import GRU, LSTM, SimpleRNN
from keras_bridge.models.model import Model
from keras_bridge.models.sequential import Sequential


class Saveable:
    """One ``<path>/vars`` group: the object it belongs to, the ``name`` attribute
    Keras gives the group, and the weights stored in it, in order."""

    def __init__(self, path, name, weights, owner, hookable=True):
        self.path, self.name, self.weights, self.owner = path, name, weights, owner
        self.hookable = hookable  # the owner's own group (not a fused RNN's cell)

    def hooked(self, method):
        """Whether the owner overrides ``save_own_variables`` / ``load_own_variables``,
        which then decide what this group holds."""
        return self.hookable and getattr(type(self.owner), method, None) is not \
            getattr(Layer, method)

    @property
    def group(self):
        return f"{self.path}/vars" if self.path else "vars"


def snake_case(name):
    """Keras 3's ``to_snake_case`` ('Conv2D' -> 'conv2d', 'LSTMCell' -> 'lstm_cell'),
    fixed here because paths in saved files must never change."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def class_path_name(layer):
    """The name a layer gets in its container: its Keras class in snake case."""
    if isinstance(layer, Sequential):
        return "sequential"
    if type(layer) is Model and getattr(layer, "_functional", False):
        return "functional"
    return snake_case(type(layer).__name__)


def _fused_cell_name(layer):
    """The cell Keras keeps this layer's weights in, or None."""
    if isinstance(layer, _ConvLSTM):
        return "conv_lstm_cell"
    for cls, cell in ((LSTM, "lstm_cell"), (GRU, "gru_cell"), (SimpleRNN, "simple_rnn_cell")):
        if isinstance(layer, cls):
            return cell
    return None


def own_weights(layer):
    """A layer's own weights as Keras numbers them (``Layer._keras_own_weights``),
    without a stateful RNN's carried states."""
    return layer._saved_variables()


@functools.lru_cache(maxsize=None)
def _base_attributes(is_model):
    """Attributes every layer (or model) has: never walked, as Keras skips those of a
    bare ``Layer``."""
    return frozenset(vars(Model() if is_model else Layer()))


def _name_key(name):
    return f"~{name}" if name.startswith("_") else name


def _holds_layers(value):
    if isinstance(value, Layer):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_layers(v) for v in value)


def _children(obj):
    """(attribute, value) pairs Keras walks below ``obj``, in its order."""
    if isinstance(obj, Sequential) or getattr(obj, "_functional", False):
        return [("layers", list(obj.layers))]
    skip = _base_attributes(isinstance(obj, Model))
    return [(attr, value) for attr, value in sorted(vars(obj).items(),
                                                     key=lambda kv: _name_key(kv[0]))
            if attr not in skip and not attr.startswith("__") and _holds_layers(value)]


def saveables(model):
    """Every ``vars`` group Keras 3 writes for ``model``'s layers, in walk order."""
    out, visited = [], set()

    def join(path, name):
        return f"{path}/{name}" if path else name

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        cell = _fused_cell_name(layer)
        if cell is None:
            out.append(Saveable(path, layer.name, own_weights(layer), layer))
        else:
            out.append(Saveable(path, layer.name, [], layer))
            out.append(Saveable(join(path, "cell"), cell, own_weights(layer), layer, False))
        for attr, value in _children(layer):
            if isinstance(value, Layer):
                visit(value, join(path, attr))
            else:
                container(value, join(path, attr))

    def container(items, path):
        used = {}

        def unique(name):
            if name in used:
                used[name] += 1
                return f"{name}_{used[name]}"
            used[name] = 0
            return name

        for item in (list(items.values()) if isinstance(items, dict) else items):
            if isinstance(item, Layer):
                visit(item, join(path, unique(class_path_name(item))))
            elif isinstance(item, (list, tuple, dict)):
                container(item, join(path, unique("container")))

    visit(model, "")
    return out
