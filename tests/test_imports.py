"""The import graph: no cycles (lazy imports inside functions count), stages of index/
import one way only, and the web app and benchmarks use index/'s public surface alone."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "webapp", "benchmarks")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py")}


def imported_modules(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every module of ours that `name` imports, anywhere in the file (TYPE_CHECKING aside:
    those imports never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []  # ast.walk has not descended yet
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from pkg import mod" imports the module pkg.mod when there is one
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: set(imported_modules(name, path, known)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def stage_of(module: str) -> str:
    """index.search.engine -> index.search; top-level modules are their own stage."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_stages_of_index_import_one_way() -> None:
    # The public surface (index/__init__) and the CLI sit above every stage.
    top = {"index", "index.cli", "index.__main__"}
    stages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        if not module.startswith("index") or module in top:
            continue
        for target in targets:
            assert target not in top, f"{module} imports {target}, which sits above every stage"
            if stage_of(target) != stage_of(module):
                stages.setdefault(stage_of(module), set()).add(stage_of(target))
    assert cycles(stages) == []


@pytest.mark.parametrize("package", ["webapp", "benchmarks"])
def test_outside_index_only_its_public_surface_is_used(package: str) -> None:
    graph = import_graph()
    reaching_in = {module: sorted(t for t in targets if t.startswith("index."))
                   for module, targets in graph.items() if module.startswith(package)}
    assert {m: t for m, t in reaching_in.items() if t} == {}


def test_the_graph_check_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
