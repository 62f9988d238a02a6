"""The shape of the package, read from its source: the core imports NumPy alone, the modules
import each other without a circle, no module takes a private name from another package, and no
module is too long to read.

The import graph is built with ``ast`` from the files under ``src/scratchnn``: every ``import``
and ``from ... import`` (at module level or inside a function; relative ones resolved) that
names a module of scratchnn is an edge, and so is a package's re-export of a name from one of
its modules (``scratchnn.bridges`` -> ``scratchnn.bridges.torch``). An edge goes to the module
named, not to the packages above it: importing ``scratchnn.bridges.torch`` runs
``scratchnn/bridges/__init__.py`` too, but that is not a dependency of the importing module.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scratchnn

SRC = Path(scratchnn.__file__).resolve().parents[1]  # the folder holding the package
PACKAGE = SRC / "scratchnn"
MAX_LINES = 700

CORE = ["layers", "conv", "normalization", "blocks", "_im2col", "losses", "optimizers", "model",
        "training", "batches", "functional", "metrics", "errors", "init", "gradcheck", "doctor",
        "textbook", "autograd"]
# Packages that take a second or more to import, or need a server: none belongs in the core.
HEAVY = ("sklearn", "matplotlib", "pandas", "scipy", "torch", "starlette")
# What importing the core may add: NumPy (with ``cython_runtime``, the module every compiled
# Cython extension such as ``numpy.random`` registers) and scratchnn itself.
NUMPY_AND_SCRATCHNN = {"numpy", "cython_runtime", "scratchnn"}

# Prints the top-level modules that importing one core module adds to a fresh interpreter.
NEW_MODULES = """
import importlib, json, sys
before = {name.partition(".")[0] for name in sys.modules}
importlib.import_module(sys.argv[1])
after = {name.partition(".")[0] for name in sys.modules}
print(json.dumps(sorted(after - before)))
"""


@pytest.mark.parametrize("name", CORE)
def test_a_core_module_loads_numpy_alone(name):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run([sys.executable, "-c", NEW_MODULES, f"scratchnn.{name}"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    added = set(json.loads(result.stdout.strip().splitlines()[-1]))
    heavy = sorted(added & set(HEAVY))
    assert not heavy, f"importing scratchnn.{name} loads {', '.join(heavy)}"
    third_party = sorted(top for top in added - NUMPY_AND_SCRATCHNN
                         if top not in sys.stdlib_module_names and not top.startswith("_"))
    assert not third_party, f"importing scratchnn.{name} loads {', '.join(third_party)}"


# --- the import graph, from the source ------------------------------------------------------------


def module_files() -> dict[str, Path]:
    """``{dotted module name: file}`` for every module and package under src/scratchnn."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = module_files()


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of the module a ``from ... import`` reads from."""
    if not node.level:
        return node.module or ""
    package = module if is_package(module) else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """``(target module, name imported from it or None, line)`` for every import of a scratchnn
    module in ``module``'s source; ``from package import submodule`` targets the submodule."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
    return [(target, name, line) for target, name, line in found if target in MODULES]


def import_graph() -> dict[str, set[str]]:
    return {module: {target for target, _, _ in imports(module) if target != module}
            for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules (Tarjan's algorithm), as the
    list of modules along it, the first repeated at the end."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [circle_in(graph, group) for group in groups]


def circle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest circle through the first module of a strongly connected group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no circle through {start}")  # a strongly connected group has one


def test_the_graph_sees_relative_function_level_and_reexport_imports():
    graph = import_graph()
    assert "scratchnn.layers" in graph["scratchnn.model"]  # from .layers import ... (relative)
    assert "scratchnn.bridges.torch" in graph["scratchnn.bridges"]  # a package's re-export
    assert "scratchnn.estimator" in graph["scratchnn.bridges.onnx"]  # inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_circles():
    found = cycles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def package_of(module: str) -> str:
    """The package whose modules may share private names: the subpackage holding a module, or
    the module itself at the top level (top-level modules share nothing private)."""
    package = module if is_package(module) else module.rpartition(".")[0]
    return module if package == "scratchnn" else package


def private_imports() -> list[str]:
    """``module:line imports _name from other.module`` for every private name (one leading
    underscore, not a dunder) a module takes from a module outside its own package."""
    found = []
    for module in MODULES:
        own = package_of(module)
        for target, name, line in imports(module):
            if name is None or not name.startswith("_") or name.startswith("__"):
                continue
            if target == own or target.startswith(f"{own}."):
                continue
            found.append(f"{module}:{line} imports {name} from {target}")
    return found


def test_no_private_name_is_imported_from_another_package():
    found = private_imports()
    assert not found, "private names imported across packages:\n" + "\n".join(found)


def test_no_module_is_over_700_lines():
    long = {module: len(path.read_text(encoding="utf-8").splitlines())
            for module, path in MODULES.items()}
    long = {module: n for module, n in long.items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(
        f"{module} ({n})" for module, n in sorted(long.items(), key=lambda item: -item[1]))
