"""The rooms of ``handlers`` and ``bot`` (each direct child: a module or a folder) import each other
only one way: no two rooms import each other, directly or round a circle, not even through an import
deferred into a function (docs/architecture.md). ``sandbox``'s layers have their own table
(tests/unit/test_sandbox_layers.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def room_imports(package: str) -> dict[str, set[str]]:
    """Room -> the other rooms of ``package`` it imports (anywhere in its code)."""
    edges: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        room = path.relative_to(ROOT / package).parts[0].removesuffix(".py")
        if room == "__init__":
            continue
        targets = edges.setdefault(room, set())
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == package and len(parts) > 1 and parts[1] != room:
                    targets.add(parts[1])
    return {
        room: {t for t in targets if t in edges or (ROOT / package / t).exists()}
        for room, targets in edges.items()
    }


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected sets of more than one room (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(room: str) -> None:
        index[room] = low[room] = len(index)
        stack.append(room)
        for other in edges.get(room, ()):
            if other not in index:
                visit(other)
                low[room] = min(low[room], low[other])
            elif other in stack:
                low[room] = min(low[room], index[other])
        if low[room] == index[room]:
            members = set()
            while True:
                member = stack.pop()
                members.add(member)
                if member == room:
                    break
            if len(members) > 1:
                found.append(members)

    for room in sorted(edges):
        if room not in index:
            visit(room)
    return found


def test_the_check_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


@pytest.mark.parametrize("package", ["handlers", "bot"])
def test_no_two_rooms_import_each_other(package: str) -> None:
    edges = room_imports(package)
    assert edges, f"no rooms found in {package}"
    assert circles(edges) == []
