"""The engine boundary: an engine module reads no private name of the front end.

Every module of each engine package under keras_bridge/backends/ (discovered: each
sub-package) is parsed; it fails when it reads ``x._name`` (not a dunder) where
``_name`` is defined by front-end code (a def, class, or assignment anywhere in
keras_bridge outside the engine packages), unless ``x`` is ``self`` / ``cls`` inside an
engine class that defines that name itself, or imports a ``_``-name from a front-end
module. Engines read the front end through keras_bridge/backends/surface.py instead.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "keras_bridge"

# (engine module path relative to keras_bridge/backends, name) pairs allowed to read a
# private front-end name: none.
ALLOWED = frozenset()


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def engine_dirs(package=PACKAGE):
    backends = package / "backends"
    return sorted(p for p in backends.iterdir() if (p / "__init__.py").is_file())


def _targets(node):
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _flat_targets(targets):
    for t in targets:
        if isinstance(t, (ast.Tuple, ast.List)):
            yield from _flat_targets(t.elts)
        else:
            yield t


def _defined_names(tree):
    """Private names a module defines: defs, classes, attribute and module/class-level
    assignments."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        for t in _flat_targets(_targets(node)):
            if isinstance(t, ast.Attribute):
                names.add(t.attr)
            elif isinstance(t, ast.Name):
                names.add(t.id)
    return {n for n in names if _private(n)}


def front_end_names(package=PACKAGE):
    engines = engine_dirs(package)
    names = set()
    for path in package.rglob("*.py"):
        if any(e in path.parents for e in engines):
            continue
        names |= _defined_names(ast.parse(path.read_text(), str(path)))
    return names


def _engine_classes(trees):
    """For each class of an engine package, by name: the private names it defines
    (methods, class attributes, ``self._x = ...``) or inherits from the package's other
    classes."""
    direct, bases = {}, {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                direct[node.name] = _defined_names(node)
                bases[node.name] = [b.id if isinstance(b, ast.Name) else b.attr
                                    for b in node.bases
                                    if isinstance(b, (ast.Name, ast.Attribute))]

    def own(name, seen=()):
        names = set(direct.get(name, ()))
        for base in bases.get(name, ()):
            if base in direct and base not in seen:
                names |= own(base, seen + (name,))
        return names

    return {name: frozenset(own(name)) for name in direct}


def _is_front_end_module(module, package=PACKAGE):
    if module is None or not (module == "keras_bridge" or module.startswith("keras_bridge.")):
        return False
    parts = module.split(".")
    engines = {e.name for e in engine_dirs(package)}
    return not (len(parts) > 2 and parts[1] == "backends" and parts[2] in engines)


def violations(package=PACKAGE, allowed=ALLOWED):
    """``path:line: what`` for each private front-end name an engine module reads."""
    front = front_end_names(package)
    found = []
    for engine in engine_dirs(package):
        modules = {path.relative_to(package / "backends").as_posix():
                   ast.parse(path.read_text(), str(path))
                   for path in sorted(engine.rglob("*.py"))}
        classes = _engine_classes(modules.values())
        for rel, tree in modules.items():
            found += _module_violations(tree, rel, front, package, allowed, classes)
    return found


def _module_violations(tree, rel, front, package, allowed, classes=None):
    found = []
    classes = classes if classes is not None else _engine_classes([tree])

    def visit(node, own):
        if isinstance(node, ast.ClassDef):
            own = own | classes.get(node.name, frozenset())
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr in front:
            mine = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") \
                and node.attr in own
            if not mine and (rel, node.attr) not in allowed:
                found.append(f"{rel}:{node.lineno}: reads {ast.unparse(node)}")
        if isinstance(node, ast.ImportFrom) and _is_front_end_module(node.module, package):
            for alias in node.names:
                if _private(alias.name) and (rel, alias.name) not in allowed:
                    found.append(f"{rel}:{node.lineno}: imports {alias.name} from "
                                 f"{node.module}")
        for child in ast.iter_child_nodes(node):
            visit(child, own)

    visit(tree, frozenset())
    return found


def test_engine_packages_are_discovered():
    names = {p.name for p in engine_dirs()}
    assert {"torch", "jax"} <= names


def test_no_engine_module_reads_a_private_front_end_name():
    found = violations()
    assert not found, ("Engine modules read private front-end names; use "
                       "keras_bridge/backends/surface.py:\n" + "\n".join(found))


def test_the_check_catches_a_private_read():
    """The walk itself: a read of a front-end private, an own private and an import."""
    code = ast.parse(
        "from keras_bridge.layers.base import _helper\n"
        "class Base:\n"
        "    def _helper(self):\n"
        "        return self._binding\n"
        "class Module(Base):\n"
        "    def __init__(self, layer):\n"
        "        self._binding = layer._binding\n"
        "    def run(self, other):\n"
        "        return self._helper(), other._binding\n")
    found = _module_violations(code, "torch/x.py", {"_binding", "_helper"}, PACKAGE,
                               frozenset())
    assert found == ["torch/x.py:1: imports _helper from keras_bridge.layers.base",
                     "torch/x.py:4: reads self._binding",  # Base never sets it
                     "torch/x.py:7: reads layer._binding",
                     "torch/x.py:9: reads other._binding"]
