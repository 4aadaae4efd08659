"""The package's layers, read from the source with ``ast``: who may import whom.

Layers (docs/architecture.md):

- **Pages**: ``app.py``, ``app_pages/``, ``blindside.ui``: the only places Streamlit runs.
- **Stats**: ``blindside.ranking``, ``blindside.scorers``, ``blindside.agreement``,
  ``blindside.scheduler``: pure functions on numbers and text.
- **Store**: ``blindside.db``, ``blindside.tables``, ``blindside.tables_monitoring``,
  ``blindside.migrations``.
- **Providers**: ``blindside.client``, ``blindside.demo``: HTTP to models, and the simulator.
- **CLI**: ``blindside.cli``.
- **Core**: the rest of ``blindside``.

Every import counts, including those inside functions (a lazy import is still a dependency);
only imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

FORBIDDEN = {
    ("Core", "Pages"),
    ("Stats", "Store"),
    ("Stats", "Pages"),
    ("Providers", "Store"),
    ("CLI", "Pages"),
}


def module_files() -> dict[str, Path]:
    """Module name -> file, for the package, ``app.py`` and ``app_pages/``."""
    files = {"app": ROOT / "app.py"}
    files.update({f"app_pages.{p.stem}": p for p in (ROOT / "app_pages").glob("*.py")})
    for path in (SRC / "blindside").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def layer(module: str) -> str:
    def under(*packages: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in packages)

    if module == "app" or under("app_pages", "blindside.ui"):
        return "Pages"
    if under(
        "blindside.ranking", "blindside.scorers", "blindside.agreement", "blindside.scheduler"
    ):
        return "Stats"
    if under(
        "blindside.db", "blindside.tables", "blindside.tables_monitoring", "blindside.migrations"
    ):
        return "Store"
    if under("blindside.client", "blindside.demo"):
        return "Providers"
    if under("blindside.cli"):
        return "CLI"
    return "Core"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (the body of ``if TYPE_CHECKING:`` cannot)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that ``module`` imports (``from pkg import sub`` names ``pkg.sub``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import sub` loads pkg.sub; it reads pkg's namespace only for a name
            # that is not a submodule.
            names = [n if n in known else base for n in submodules]
        for name in names:
            # The longest known module the name starts with: `blindside.x.Y` is module x.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {module: imported_modules(module, path, known) for module, path in files.items()}


GRAPH = import_graph()


def test_the_walk_sees_the_package() -> None:
    # A walk that found nothing would pass every rule below.
    assert len(GRAPH) > 40
    assert {layer(m) for m in GRAPH} == {"Pages", "Stats", "Store", "Providers", "CLI", "Core"}
    assert sum(len(targets) for targets in GRAPH.values()) > 100


@pytest.mark.parametrize("source, target", sorted(FORBIDDEN))
def test_no_forbidden_import(source: str, target: str) -> None:
    offending = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if layer(module) == source
        for imported in imports
        if layer(imported) == target
    )
    assert not offending, f"{source} -> {target}:\n" + "\n".join(offending)


def test_streamlit_only_in_pages() -> None:
    offending = []
    for module, path in module_files().items():
        if layer(module) == "Pages":
            continue
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if any(n and n.split(".")[0] == "streamlit" for n in names):
                offending.append(module)
    assert not offending, offending


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_pages_folder_beside_app() -> None:
    """The page files live in ``app_pages/``, never ``pages/``.

    With a ``pages/`` folder next to ``app.py``, Streamlit 1.67 runs its first script run
    after a start (and every AppTest run) in the old multipage mode: a page file opened by
    its address runs directly, past app.py's sign-in gate, and the sidebar lists every
    file. ``app.py`` lists ``app_pages/`` files through ``st.navigation`` instead.
    """
    assert not (ROOT / "pages").exists(), "move page files to app_pages/ (see this docstring)"
