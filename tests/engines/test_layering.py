"""keras_bridge's parts are layered: counting every import, also those inside functions,
the graph of dependencies between its subpackages and top-level modules has no
circle but the few upward calls declared in ``DELEGATIONS``.

Imports by name (``importlib.import_module``) are not statements and are not seen:
the engines, loaded by ``keras_bridge.backends``, and the built-in object families
the serialization core looks up (``keras_bridge.serialization.core.FAMILIES``).
"""

import ast

from support.import_graph import all_imports, cycles, package_files, resolve

# Upward imports allowed, each inside a function only, with why.
DELEGATIONS = {
    ("keras_bridge.models", "keras_bridge.saving"):
        "Model.save / save_weights / load_weights / to_json / get_config / from_config, "
        "clone_model and models.load_model delegate to saving, which imports models",
    ("keras_bridge.ops", "keras_bridge.layers"):
        "an op on symbolic tensors records an OpLayer node of the graph",
    ("keras_bridge.graph", "keras_bridge.layers"):
        "indexing a symbolic tensor records an OpLayer node (as ops do)",
    ("keras_bridge.graph_function", "keras_bridge.models"):
        "K.function runs its graph as a Model",
    ("keras_bridge.layers", "keras_bridge.models"):
        "the Gradients layer (K.gradients) runs its graph as a Model",
    ("keras_bridge.layers", "keras_bridge.random"):
        "the augmentation layers make a SeedGenerator (a Layer, so random imports layers) "
        "and draw from it",
}

# Namespaces whose modules are parts of their own: the engines and the engine-side
# helpers they share (backends.<x>), and keras.utils' independent helpers next to its
# Keras 2 facades (utils.<x>).
SPLIT = ("keras_bridge.backends", "keras_bridge.utils")


def part_of(module):
    """``keras_bridge.layers.core`` -> ``keras_bridge.layers``."""
    parts = module.split(".")
    depth = 3 if ".".join(parts[:2]) in SPLIT else 2
    return ".".join(parts[:depth])


def part_edges(files=None):
    """{(part, part): [(module, line, lazy), ...]} for every import between parts."""
    files = package_files() if files is None else files
    edges = {}
    for module, path in sorted(files.items()):
        tree = ast.parse(path.read_text(), str(path))
        for node, lazy in all_imports(tree):
            for target in resolve(module, node, files):
                if target not in files or part_of(target) == part_of(module):
                    continue
                edges.setdefault((part_of(module), part_of(target)), []).append(
                    (module, node.lineno, lazy))
    return edges


def layering_problems(edges, delegations):
    """Circles left once the declared delegations are taken out, and module-level
    imports along a declared delegation (which must stay lazy)."""
    graph = {}
    for (a, b) in edges:
        if (a, b) not in delegations:
            graph.setdefault(a, set()).add(b)
    problems = []
    for circle in cycles(graph):
        # Imports inside functions first: they are how most circles close.
        sites = sorted((not lazy, f"{m}:{line} -> {b}" + (" (in a function)" if lazy else ""))
                       for (a, b), found in sorted(edges.items())
                       if a in circle and b in circle and (a, b) not in delegations
                       for m, line, lazy in found)
        problems.append(f"circle through {', '.join(circle)}; imports: "
                        + "; ".join(text for _, text in sites[:12]))
    eager = {(m, line, a, b) for (a, b) in delegations
             for m, line, lazy in edges.get((a, b), ()) if not lazy}
    problems += [f"{m}:{line} imports {b} at module level; the delegation {a} -> {b} "
                 "must stay inside functions" for m, line, a, b in sorted(eager)]
    return problems


def test_all_imports_include_function_bodies():
    tree = ast.parse("import os\ndef f():\n    import json\n"
                     "class C:\n    def g(self):\n        from x import y\n")
    found = sorted((getattr(n, "module", None) or n.names[0].name, lazy)
                   for n, lazy in all_imports(tree))
    assert found == [("json", True), ("os", False), ("x", True)]


def test_layering_check_sees_a_lazy_circle_and_an_eager_delegation():
    edges = {("p.a", "p.b"): [("p.a.m", 1, False)], ("p.b", "p.a"): [("p.b.n", 9, True)]}
    (problem,) = layering_problems(edges, {})
    assert "circle through p.a, p.b" in problem and "p.b.n:9 -> p.a (in a function)" in problem
    assert layering_problems(edges, {("p.b", "p.a"): "why"}) == []
    (eager,) = layering_problems(edges, {("p.a", "p.b"): "why", ("p.b", "p.a"): "why"})
    assert "p.a.m:1 imports p.b at module level" in eager


def test_parts_are_layered():
    edges = part_edges()
    # The walk sees lazy imports and the parts this layering is about.
    assert any(lazy for _, _, lazy in edges[("keras_bridge.models", "keras_bridge.saving")])
    assert ("keras_bridge.saving", "keras_bridge.models") in edges
    problems = layering_problems(edges, DELEGATIONS)
    assert not problems, "\n".join(problems)
    for a, b in DELEGATIONS:
        assert (a, b) in edges, f"the delegation {a} -> {b} is gone: drop it from the list"


def test_model_has_no_saving_base_and_training_no_saving_import():
    from keras_bridge.models import Model
    assert not [c for c in Model.__mro__ if c.__module__.startswith("keras_bridge.saving")]
    edges = part_edges()
    assert ("keras_bridge.training", "keras_bridge.saving") not in edges
    assert ("keras_bridge.optimizers", "keras_bridge.saving") not in edges
    assert not [e for e in edges if e[0] == "keras_bridge.serialization"
                and e[1] != "keras_bridge.serialization"], \
        "the serialization core imports no other part of keras_bridge"
