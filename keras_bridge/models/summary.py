"""``print_summary``: the table printed by ``Model.summary()``, laid out as Keras 2 does.

The table has one row per layer of ``model.layers``: ``name (ClassName)``, output shape
and parameter count, plus a ``Connected to`` column (``layer[node_index][tensor_index]``)
for functional models that are not a plain chain. Totals follow, counting each weight
once. Only shapes and counts are read: no engine is imported or touched.

Keras 2 rules reproduced here:

- A model is "sequential-like" when it is a ``Sequential``, a subclassed model, or a
  functional model whose graph has one node per depth, no node with several inputs and
  no layer called twice. Sequential-like tables are 65 characters wide with columns
  ending at ``[.45, .85, 1.]`` of the width; the others are 98 wide, ending at
  ``[.33, .55, .67, 1.]``, with ``Connected to``.
- Each field starts where the previous column ends, is cut at its own column's end, and
  the last character before the next field is always a space.
- Output shape: a functional model shows its outputs' shapes; any other layer shows the
  output shape of its calls when they all agree, else ``multiple`` (also when it was
  never called symbolically, as with the layers of a subclassed model). An
  ``InputLayer`` shows its shape in a list, ``[(None, 784)]``.
- A functional ``Model`` is named by the class ``Functional``.
- ``show_trainable=True`` widens the table by 11 characters for a last ``Trainable``
  column: ``Y`` or ``N`` per layer (its ``trainable`` flag), blank on continuation rows.
"""

from keras_bridge.graph import KerasTensor
from keras_bridge.utils import tree

_NOT_BUILT = ("This model has not yet been built. Build the model first by calling "
              "`build()` or by calling the model on a batch of data, or specify an "
              "`input_shape` argument in the first layer(s) for automatic build.")


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  show_trainable=False):
    """Print a summary of ``model``, one line at a time through ``print_fn``.

    Args:
        model: a built ``Model`` (functional, ``Sequential`` or subclassed).
        line_length: total width of the table; default 65, or 98 for models shown
            with the ``Connected to`` column.
        positions: where each column ends, as fractions of ``line_length`` (all <= 1)
            or as absolute character positions.
        print_fn: called with each line; default ``print``.
        show_trainable: add a ``Trainable`` column (``Y`` / ``N``).

    Raises:
        ValueError: if the model is not built yet.
    """
    if print_fn is None:
        print_fn = print
    if not getattr(model, "built", False):
        raise ValueError(_NOT_BUILT)

    graph = _graph_nodes(model)
    sequential_like = graph is None or _is_chain(model, graph)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [.45, .85, 1.]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [.33, .55, .67, 1.]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    positions = list(positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        headers.append("Trainable")

    def row(fields):
        print_fn(_format_row(fields, positions))

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)

    layers = _model_layers(model)
    relevant = {id(n) for n in graph} if graph is not None else set()
    for i, layer in enumerate(layers):
        fields = [f"{layer.name} ({_class_name(layer)})", _output_shape(layer),
                  _param_count(layer)]
        flag = ["Y" if layer.trainable else "N"] if show_trainable else []
        if sequential_like:
            row(fields + flag)
        else:
            connections = _connections(layer, relevant)
            row(fields + [connections[0] if connections else ""] + flag)
            for extra in connections[1:]:
                row(["", "", "", extra] + [""] * len(flag))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)

    trainable, non_trainable = _count_weights(model)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)


def _format_row(fields, positions):
    """Each field from the end of the previous column, cut at the end of its own, with
    at least one space before the next field."""
    line = ""
    for i, (field, end) in enumerate(zip(fields, positions)):
        if i > 0:
            line = line[:-1] + " "
        line = (line + str(field))[:end]
        line = line.ljust(end)
    return line


# ---- the graph ------------------------------------------------------------------------
def _is_functional(layer):
    return bool(getattr(layer, "_functional", False))


def _model_layers(model):
    layers = getattr(model, "layers", None)
    return list(layers) if layers is not None else list(model._layers())


def _graph_nodes(model):
    """Every node of a functional model, its inputs' nodes included (as Keras's
    ``_nodes_by_depth`` holds them), producers first; None for other models."""
    if type(model).__name__ == "Sequential" or not _is_functional(model):
        return None
    nodes, seen = [], set()
    for t in model.inputs:
        if id(t.node) not in seen:
            seen.add(id(t.node))
            nodes.append(t.node)
    for node in model._nodes:
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
    return nodes


def _keras_inputs(node):
    """The symbolic tensors a node was called on, in call order (positional inputs,
    then extra arguments and keyword arguments), as Keras's ``node.keras_inputs``."""
    return [t for t in tree.flatten([node.inputs, list(node.args), node.kwargs])
            if isinstance(t, KerasTensor)]


def _node_depths(nodes):
    """Keras's node depth: 0 for nodes no other node consumes, otherwise one more than
    the deepest consumer; all calls of a shared layer are raised to its deepest one."""
    ids = {id(n) for n in nodes}
    depth, layer_depth = {}, {}
    for node in reversed(nodes):  # consumers before producers
        d = max(depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        depth[id(node)] = d
        layer_depth[id(node.layer)] = d
        for t in _keras_inputs(node):
            parent = t.node
            if parent is not None and id(parent) in ids:
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    return depth


def _is_chain(model, nodes):
    """Keras 2's test for showing a functional model without ``Connected to``."""
    depths = _node_depths(nodes)
    by_depth = {}
    for node in nodes:
        by_depth.setdefault(depths[id(node)], []).append(node)
    for group in by_depth.values():
        if len(group) > 1 or len(_keras_inputs(group[0])) > 1:
            return False
    in_graph = {id(n) for n in nodes}
    for layer in _model_layers(model):
        if sum(1 for n in layer._inbound_nodes if id(n) in in_graph) > 1:
            return False
    return True


def _connections(layer, relevant):
    """``producer[node_index][tensor_index]`` for every input of every call of
    ``layer`` that belongs to the model being summarized."""
    out = []
    for node in layer._inbound_nodes:
        if relevant and id(node) not in relevant:
            continue
        for t in _keras_inputs(node):
            if t.node is None:
                continue
            producer = t.node.layer
            node_index = next(i for i, n in enumerate(producer._inbound_nodes)
                              if n is t.node)
            out.append(f"{producer.name}[{node_index}][{t.index}]")
    return out


# ---- one row --------------------------------------------------------------------------
def _class_name(layer):
    from keras_bridge.models.model import Model
    if type(layer) is Model and _is_functional(layer):
        return "Functional"
    return type(layer).__name__


def _shape_of(tensor):
    return tensor.shape


def _output_shape(layer):
    if _is_functional(layer):
        outputs = layer._output_struct
        if isinstance(outputs, (list, tuple)) and len(tree.flatten(outputs)) == 1:
            outputs = tree.flatten(outputs)[0]
        return tree.map_structure(_shape_of, outputs)
    if not layer._inbound_nodes:
        return "multiple"
    shapes = []
    for node in layer._inbound_nodes:
        shape = tree.map_structure(_shape_of, node.outputs)
        if getattr(layer, "_is_input_layer", False) and not isinstance(shape, list):
            shape = [shape]
        shapes.append(shape)
    if len({str(s) for s in shapes}) > 1:
        return "multiple"
    return shapes[0]


def _param_count(layer):
    if not layer.built and not _is_functional(layer):
        # A layer of a subclassed model that its call never used has no weights yet.
        return "0 (unused)"
    return layer.count_params()


# ---- totals ---------------------------------------------------------------------------
def _count_weights(model):
    """(trainable, non-trainable) parameter counts, each weight counted once. A weight
    is trainable when it is and so is every layer from ``model`` down to it."""
    trainable, frozen = {}, {}

    def visit(layer, path):
        if id(layer) in path:
            return
        path = path | {id(layer)}
        if not layer.trainable:
            for w in layer.weights:
                frozen[id(w)] = w
            return
        for w in layer._own_weights:
            if w._is_state:
                continue
            (trainable if w.trainable else frozen)[id(w)] = w
        for child in layer._layers():
            visit(child, path)

    visit(model, frozenset())
    return _size(trainable.values()), _size(frozen.values())


def _size(weights):
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total
