"""The floor plan of docs/ARCHITECTURE.md, checked over the source with ``ast``: a forbidden arrow between
packages, an import circle between modules or an unexplained function-local import fails the suite."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "identifiers", "storage", "signing", "idp", "wallet", "channels", "onenumber")

# package → the packages of ours it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "identifiers": set(),
    "storage": {"core", "identifiers"},
    "signing": {"core", "identifiers"},
    "idp": {"core", "identifiers", "signing", "storage"},
    "wallet": {"core", "identifiers", "signing", "storage"},
    "channels": {"core", "identifiers", "signing", "storage", "wallet", "idp"},
    "onenumber": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "schema_migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours a dotted import name refers to (``from a.b import c``: ``a.b.c`` or ``a.b``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path, module: str) -> list[tuple[str, int, bool, bool]]:
    """(imported module of ours, line, function-local?, under TYPE_CHECKING?) for each import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int, bool, bool]] = []

    def visit(node: ast.AST, local: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_local = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            child_typing = typing_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".")
                    if not path.name == "__init__.py":
                        package = package[:-1]
                    package = package[: len(package) - child.level + 1]
                    base = ".".join(package + ([base] if base else []))
                names = [f"{base}.{alias.name}" for alias in child.names] or [base]
            for name in names:
                target = _resolve(name)
                if target is not None and target != module:
                    out.append((target, child.lineno, local, typing_only))
            visit(child, child_local, child_typing)

    visit(tree, False, False)
    return out


GRAPH = {module: _imports(path, module) for module, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[0]


def test_packages_import_only_what_the_floor_plan_allows() -> None:
    wrong = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}"
        for module, edges in GRAPH.items()
        for target, line, _local, _typing in edges
        if _package(target) != _package(module) and _package(target) not in ALLOWED[_package(module)]
    ]
    assert not wrong, "forbidden arrows:\n" + "\n".join(wrong)


def test_no_import_circles_between_modules() -> None:
    """Runtime imports only (TYPE_CHECKING imports do not run). A package's ``__init__`` that re-exports its
    own submodules is not a circle with them."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, found in GRAPH.items():
        for target, _line, _local, typing_only in found:
            if typing_only:
                continue
            if module == target.rpartition(".")[0] or target == module.rpartition(".")[0]:
                continue  # a package and its own submodules
            edges[module].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:  # Tarjan, iteratively deep enough for this tree
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(MODULES):
        if node not in index:
            strongconnect(node)
    assert not circles, "import circles:\n" + "\n".join(" ↔ ".join(group) for group in circles)


def _explained(path: Path, line: int) -> bool:
    """A function-local import is allowed with a comment on its line or the line above saying why."""
    lines = path.read_text(encoding="utf-8").splitlines()
    here = lines[line - 1]
    above = lines[line - 2].strip() if line >= 2 else ""
    return "#" in here or above.startswith("#")


def test_function_local_imports_say_why() -> None:
    silent = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}"
        for module, found in GRAPH.items()
        for target, line, local, _typing in found
        if local and not _explained(MODULES[module], line)
    ]
    assert not silent, "function-local imports without a comment saying why:\n" + "\n".join(silent)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_over_the_size_limit(package: str) -> None:
    """~400 lines a module (data tables excepted: modules that are mostly literals say so in DATA_TABLES)."""
    big = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for module, path in MODULES.items()
        if _package(module) == package and path.name not in DATA_TABLES
        for count in [len(path.read_text(encoding="utf-8").splitlines())]
        if count > MAX_LINES
    ]
    assert not big, "modules over the limit:\n" + "\n".join(big)


MAX_LINES = 420
DATA_TABLES: set[str] = set()
