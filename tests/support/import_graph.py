"""keras_bridge's import statements read with ``ast`` (nothing is imported): which
module imports which, at module level or inside functions, and the cycles of a graph."""

import ast
import pathlib

import keras_bridge

PACKAGE = pathlib.Path(keras_bridge.__file__).parent
ROOT = PACKAGE.parent


def module_name(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def package_files():
    """Module name -> path of every module of the package."""
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_package(module):
    return (ROOT / module.replace(".", "/") / "__init__.py").exists()


def resolve(module, node, files):
    """Modules an import statement makes ``module`` depend on (parent packages, which
    every import initialises first, are not counted)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if _is_package(module) else module.rpartition(".")[0]
        package = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
        base = f"{package}.{base}" if base else package
    # ``from pkg import sub`` needs the submodule; ``from pkg import name``, pkg itself.
    subs = [f"{base}.{alias.name}" for alias in node.names]
    return [sub if sub in files else base for sub in subs]


def module_level_imports(tree):
    """Import statements executed when the module runs: not those in functions."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(child for child in ast.iter_child_nodes(node)
                         if isinstance(child, ast.stmt))


def all_imports(tree):
    """(statement, lazy) for every import statement, ``lazy`` when it is inside a
    function (run when called, not when the module is imported)."""
    stack = [(tree, False)]
    while stack:
        node, lazy = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, inner
            stack.append((child, inner))


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan), sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
