"""The layout stays true: imports point down the layers, and no two files import each other
round a circle. Read from the source (AST), so a late import inside a function counts too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# Bottom to top. A package may import its own modules and those of lower layers only; packages
# of one layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("schemas",),  # the contracts
    ("infra",),  # ClickHouse client, Kafka producer and topics, retry, metrics, logs
    ("streaming",),  # batch consumers, Faust batch helpers, the drain
    ("knowledge",),  # the knowledge base's articles, their rendering and search, its links
    ("licences", "projections", "web"),  # the domain: who may do what, the tables, the pages
    ("ingest", "processors", "query_api"),  # the domain that authenticates through licences
    ("control_plane", "dead_letters"),  # the domain that composes the above
    ("accounts", "alerts"),  # people; alerting: both over the control plane
    ("pipeline",),  # the stages that compose the domain
    ("ero",),  # the composition root and its CLI
    ("bench",),  # benchmarks, over everything
)
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {
        _module(path): path
        for package in RANK
        for path in (REPO / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }


def _imported(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """Our modules `path` imports (a `from package import name` counts as the module `name`
    when it is one, else as the package)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                yield name


def _graph() -> dict[str, set[str]]:
    modules = _sources()
    return {module: set(_imported(path, modules)) - {module} for module, path in modules.items()}


def test_every_package_has_a_layer() -> None:
    packages = {path.parent.name for path in REPO.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(RANK), f"give {sorted(packages - set(RANK))} a layer in LAYERS"


def test_imports_point_down_the_layers() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if (top := module.split(".")[0]) != (other := target.split(".")[0])
        and RANK[other] >= RANK[top]
    ]
    assert upward == [], "imports up (or across) the layers:\n" + "\n".join(sorted(upward))


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle between files, if any (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_no_import_circle_between_files() -> None:
    circle = _cycle(_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    """The checks above can fail: a made-up graph with a circle is caught."""
    assert _cycle({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}}) == ["a.x", "a.y", "a.z", "a.x"]
    assert _cycle({"a.x": {"a.y"}, "a.y": set()}) is None
    assert RANK["infra"] < RANK["projections"] < RANK["pipeline"] < RANK["ero"]
