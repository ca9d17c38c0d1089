"""``plot_model`` and ``model_to_dot``: a model's layers and connections as a Graphviz
graph, through pydot, drawn as Keras 3 draws it.

Each layer is one node, labelled with an HTML table (name and class; optionally the
activation, input / output shapes, output dtype and a trainable badge); each edge is a
connection between two layers of the model. ``expand_nested`` draws a nested
functional or Sequential model as a dashed cluster of its own layers, with the edges
going to and from the layers inside it. A subclassed model is one node.

pydot builds the graph (``pip install pydot``, the ``plot`` extra); writing an image also
needs Graphviz's ``dot`` program on the PATH. ``model_to_dot(...).to_string()`` gives
the dot source without Graphviz.
"""

import os

from keras_bridge.models.summary import _NOT_BUILT, _class_name
from keras_bridge.utils import tree
from keras_bridge.utils.optional import require

_GRAPHVIZ_HINT = ("Graphviz's `dot` program was not found on the PATH; {what} needs it to "
                  "draw the image. Install Graphviz (https://graphviz.org/download/, e.g. "
                  "`apt install graphviz` or `brew install graphviz`), or get the dot source "
                  "without it: model_to_dot(model).to_string().")


def _pydot(what):
    return require("pydot", what, "plot")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """The model as a ``pydot.Dot`` graph (a ``pydot.Cluster`` with ``subgraph=True``).

    Args:
        model: a built model.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name before its class.
        rankdir: Graphviz's layout direction: ``"TB"`` (top to bottom) or ``"LR"``.
        expand_nested: draw nested functional / Sequential models as clusters of their
            layers.
        dpi: image resolution in dots per inch.
        subgraph: return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how Graphviz draws edges (``"ortho"``, ``"curved"``, ``"line"``, ...).

    Raises:
        ValueError: the model is not built, or an unknown keyword argument.
        ImportError: pydot is not installed (names the package to install).
    """
    if not getattr(model, "built", False):
        raise ValueError(_NOT_BUILT)
    _check_kwargs(kwargs)
    pydot = _pydot("model_to_dot()")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    shown = dict(show_layer_names=show_layer_names, show_dtype=show_dtype,
                 show_shapes=show_shapes, show_trainable=show_trainable,
                 show_layer_activations=show_layer_activations)
    if not _is_graph(model):
        dot.add_node(_node(pydot, model, shown))
        return dot

    layers = model.layers
    for layer in layers:
        if expand_nested and _is_graph(layer):
            dot.add_subgraph(model_to_dot(layer, show_shapes, show_dtype, show_layer_names,
                                          rankdir, expand_nested, subgraph=True,
                                          show_layer_activations=show_layer_activations,
                                          show_trainable=show_trainable))
        else:
            dot.add_node(_node(pydot, layer, shown))

    sequential = _class_name(model) == "Sequential"
    if sequential and not expand_nested:
        for source, target in zip(layers, layers[1:]):
            _add_edge(pydot, dot, source, target)
        return dot
    if sequential:
        # The first layer's input comes from outside the model (its InputLayer is not
        # drawn); the edge into the Sequential's node, drawn by the caller, stands for it.
        layers = layers[1:]
    in_model = {id(node) for node in model._nodes}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in in_model:  # a call of the layer in another model
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                if tensor.node is None:
                    continue
                source, target = tensor.node.layer, layer
                if expand_nested:
                    source, target = _inner_source(tensor), _inner_target(layer,
                                                                           input_index)
                _add_edge(pydot, dot, source, target)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draw the model (``model_to_dot``) into ``to_file``, in the format its extension
    names (``.png`` when it has none; ``.svg``, ``.pdf``, ``.dot`` ...).

    The arguments after ``to_file`` are ``model_to_dot``'s; as in Keras 3,
    ``show_layer_names`` defaults to False here.

    Returns:
        An ``IPython.display.Image`` (``SVG`` for .svg) of the file when IPython is
        installed (so a notebook shows it) and the format is not PDF or dot, else None.

    Raises:
        ImportError: pydot is not installed, or Graphviz's ``dot`` is not on the PATH
            (each names what to install); nothing is written.
    """
    if not getattr(model, "built", False):
        raise ValueError(_NOT_BUILT)
    _check_kwargs(kwargs)
    pydot = _pydot("plot_model()")
    try:
        pydot.Dot().create()  # an empty graph: only checks that `dot` runs
    except (OSError, pydot.PydotException) as e:
        raise ImportError(_GRAPHVIZ_HINT.format(what="plot_model()")) from e
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension in ("pdf", "dot"):
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    # IPython's Image cannot embed SVG (Keras 3 fails there); SVG has its own class.
    if extension == "svg":
        return display.SVG(filename=to_file)
    return display.Image(filename=to_file)


def _check_kwargs(kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported (as in Keras 3).")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}. Expected "
                         "those of model_to_dot / plot_model (show_shapes, show_dtype, ...).")


def _is_graph(layer):
    """A functional or Sequential model: drawn as its layers, not as one box."""
    return bool(getattr(layer, "_functional", False))


def _inner_source(tensor):
    """The layer inside nested models that produces ``tensor`` (a model's output is
    the output of one of its layers, possibly of a model nested deeper)."""
    layer, index = tensor.node.layer, tensor.index
    while _is_graph(layer):
        tensor = layer.outputs[index]
        layer, index = tensor.node.layer, tensor.index
    return layer


def _inner_target(layer, input_index):
    """The layer inside nested models that reads the model's ``input_index``-th input:
    a functional model's InputLayer; a Sequential's first layer (its InputLayer is not
    drawn)."""
    while _is_graph(layer):
        if _class_name(layer) == "Sequential":
            layer = layer.layers[0]
        else:
            layer = layer.inputs[input_index].node.layer
    return layer


def _add_edge(pydot, dot, source, target):
    source_id, target_id = str(id(source)), str(id(target))
    if not dot.get_edge(source_id, target_id):
        edge = pydot.Edge(source_id, target_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _node(pydot, layer, shown):
    node = pydot.Node(str(id(layer)), label=_label(layer, **shown))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _cell(text, colspan=None):
    span = f' colspan="{colspan}"' if colspan else ""
    return f'<td bgcolor="white"{span}><font point-size="14">{text}</font></td>'


def _label(layer, show_layer_names, show_dtype, show_shapes, show_trainable,
           show_layer_activations):
    """Keras 3's HTML table: a black title row, an activation row, then one row of
    shape / dtype / trainable cells. The title spans the columns asked for (Keras counts
    two shape columns even for an InputLayer, which shows one)."""
    class_name = _class_name(layer)
    colspan = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else \
        f"<b>{class_name}</b>"
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" '
            f'color="white">{title}</font></td></tr>']
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        rows.append(f"<tr>{_cell(f'Activation: <b>{_activation_name(activation)}</b>', colspan)}"
                    "</tr>")
    cells = []
    inputs, outputs = _io(layer)
    if show_shapes:
        if class_name != "InputLayer":
            cells.append(_cell(f"Input shape: <b>{_shapes(inputs)}</b>"))
        cells.append(_cell(f"Output shape: <b>{_shapes(outputs)}</b>"))
    if show_dtype:
        dtype = None if outputs is None else tree.map_structure(lambda t: t.dtype, outputs)
        cells.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and layer.weights:
        color, text = ("forestgreen", "Trainable") if layer.trainable else \
            ("firebrick", "Non-trainable")
        cells.append(f'<td bgcolor="{color}"><font point-size="14" color="white">'
                     f"<b>{text}</b></font></td>")
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")


def _io(layer):
    """(inputs, outputs) as Keras's ``layer.input`` / ``layer.output``: a model's own
    input and output tensors, else those of the layer's first call; None when unknown."""
    if _is_graph(layer):
        return layer._input_struct, layer._output_struct
    if not layer._inbound_nodes:
        return None, None
    node = layer._inbound_nodes[0]
    return node.inputs, node.outputs


def _shapes(tensors):
    if tensors is None:
        return "?"
    shapes = tree.map_structure(lambda t: t.shape, tensors)
    if isinstance(shapes, dict):
        return ", ".join(f"{k}: {v}" for k, v in shapes.items())
    return str(shapes).replace("{", "").replace("}", "")


def _activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or \
        str(activation)
