"""plot_model / model_to_dot: the dot source against what Keras 3 writes for the same
models (fixture made by tests/support/make_keras3_dot.py), the graph's nodes and edges,
and the errors when pydot or Graphviz's ``dot`` is missing."""

import json
import shutil
import sys

import pytest

pydot = pytest.importorskip("pydot")  # the `plot` extra, installed by the `test` extra

import keras_bridge as keras  # noqa: E402
from support import make_keras3_dot  # noqa: E402

HAS_DOT = shutil.which("dot") is not None


def _models():
    return make_keras3_dot.build_models(keras)


def test_dot_source_is_keras3s():
    with open(make_keras3_dot.FIXTURE) as f:
        want = json.load(f)
    models = _models()
    for case, (name, kwargs) in make_keras3_dot.CASES.items():
        got = make_keras3_dot.normalize(keras.utils.model_to_dot(models[name], **kwargs)
                                        .to_string())
        assert got == want[case], case


def _graph(dot):
    """({node id: layer name}, [(source name, target name)], {cluster: [names]})."""
    def names(graph):
        out = {}
        for node in graph.get_nodes():
            label = node.get("label")
            if label:
                out[node.get_name()] = label.split("<b>")[1].split("</b>")[0]
        return out
    nodes, clusters = names(dot), {}
    for sub in dot.get_subgraphs():
        inner = names(sub)
        nodes.update(inner)
        clusters[sub.get_name()] = sorted(inner.values())
    edges = [e for g in [dot] + dot.get_subgraphs() for e in g.get_edges()]
    return nodes, [(nodes[e.get_source()], nodes[e.get_destination()]) for e in edges], \
        clusters


def test_nodes_are_layers_and_edges_connections():
    functional = _models()["functional"]
    nodes, edges, clusters = _graph(keras.utils.model_to_dot(functional))
    assert sorted(nodes.values()) == sorted(l.name for l in functional.layers)
    assert sorted(edges) == sorted([("x", "d1"), ("d1", "inner_seq"), ("d1", "add"),
                                    ("inner_seq", "add"), ("add", "sub_fn")])
    assert not clusters

    nodes, edges, clusters = _graph(keras.utils.model_to_dot(functional, expand_nested=True))
    assert clusters == {"cluster_inner_seq": ["inner_dense"],
                        "cluster_sub_fn": ["sub_dense", "sub_in"]}
    assert sorted(edges) == sorted([("x", "d1"), ("d1", "inner_dense"), ("d1", "add"),
                                    ("inner_dense", "add"), ("add", "sub_in"),
                                    ("sub_in", "sub_dense")])


def test_shared_layer_and_subclassed_model():
    L = keras.layers
    shared = L.Dense(2, name="shared")
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    model = keras.Model([a, b], L.Concatenate(name="cat")([shared(a), shared(b)]))
    nodes, edges, _ = _graph(keras.utils.model_to_dot(model))
    assert sorted(nodes.values()) == ["a", "b", "cat", "shared"]
    assert sorted(edges) == [("a", "shared"), ("b", "shared"), ("shared", "cat")]

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = L.Dense(1)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net.build((None, 3))
    nodes, edges, _ = _graph(keras.utils.model_to_dot(net))
    assert list(nodes.values()) == ["net"] and edges == []


def test_bad_arguments_and_unbuilt_model():
    model = _models()["sequential"]
    with pytest.raises(ValueError, match="Unrecognized keyword arguments.*'colour'"):
        keras.utils.model_to_dot(model, colour="red")
    with pytest.raises(ValueError, match="layer_range.*no longer supported"):
        keras.utils.plot_model(model, layer_range=["s1", "drop"])
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([keras.layers.Dense(1)]))


def test_missing_pydot_names_the_package(monkeypatch, tmp_path):
    model = _models()["sequential"]
    monkeypatch.setitem(sys.modules, "pydot", None)
    target = tmp_path / "m.png"
    with pytest.raises(ImportError, match=r"plot_model\(\) requires pydot.*pip install "
                                          r"pydot.*keras-bridge\[plot\]"):
        keras.utils.plot_model(model, to_file=target)
    with pytest.raises(ImportError, match=r"model_to_dot\(\) requires pydot"):
        keras.utils.vis_utils.model_to_dot(model)
    assert not target.exists()


def test_missing_dot_binary_names_graphviz(monkeypatch, tmp_path):
    # An empty PATH hides Graphviz's `dot`, where it is installed.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "m.png"
    with pytest.raises(ImportError, match=r"Graphviz's `dot` program was not found.*"
                                          r"graphviz.org.*to_string\(\)"):
        keras.utils.plot_model(_models()["functional"], to_file=target)
    assert not target.exists()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed; the dot-source "
                    "tests above check the graph")
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_model_writes_the_image(tmp_path, suffix):
    target = tmp_path / f"model{suffix}"
    shown = keras.utils.plot_model(_models()["functional"], to_file=target,
                                   show_shapes=True, expand_nested=True,
                                   show_layer_names=True)
    data = target.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
    else:
        assert b"<svg" in data and b"sub_dense" in data
    try:
        from IPython import display
    except ImportError:
        assert shown is None
    else:  # what a notebook shows
        assert isinstance(shown, display.SVG if suffix == ".svg" else display.Image)
