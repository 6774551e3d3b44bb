"""The sandbox's modules import downward only, and the product never imports the sandbox.

The sandbox is a folder per layer, bottom first as in ``LAYERS``: ``data`` (names, shapes and codecs),
``emulators`` (the fake DRS, SSM and Slack, faults, botocore hooks, moto's fixes), ``runtime``
(Lambda workers, the Invoke API, embedded AWS, SNS delivery, deployment, seeding), ``web`` (the
routes of the one web port), ``app.py`` (the sandbox process, which wires everything together) and
``entry`` (the CLI, the demo and the tools that run the sandbox as a subprocess). A module may
import modules of its own layer or of a layer below it, never one above; and no chain of imports
may lead back to where it started. Every import counts: at module level, inside functions (the
sandbox imports moto and boto3 late on purpose, and a late import is still a dependency) and under
``TYPE_CHECKING`` (a type is a dependency too). A module outside the layer folders fails the check.

The Lambda bundle holds ``handlers/`` and ``bot/`` only: an import of ``sandbox`` there would fail
in Lambda, so it is refused here, wherever in the file it stands.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "sandbox"

LAYERS: tuple[tuple[str, str], ...] = (
    ("data", "names, shapes and codecs, no behaviour of their own"),
    ("emulators", "the fake DRS, SSM and Slack, faults on demand, botocore hooks, moto's fixes"),
    ("runtime", "Lambda workers, Invoke API, embedded AWS, SNS delivery, deployment, seeding"),
    ("web", "the routes of the one web port, and what they need from the process"),
    ("app", "the sandbox process, which wires everything together"),
    ("entry", "the CLI, the demo and the tools that run the sandbox as a subprocess"),
)
LAYER_INDEX = {name: index for index, (name, _) in enumerate(LAYERS)}


def layer_of(module: str) -> int:
    """``emulators.drs`` -> the emulators layer; ``app`` (sandbox/app.py) -> the app layer."""
    return LAYER_INDEX[module.split(".")[0]]


def module_key(dotted: str) -> str | None:
    """``sandbox.emulators.drs(.X)`` -> ``emulators.drs``; ``sandbox.app`` -> ``app``; else None."""
    parts = dotted.split(".")
    if parts[0] != "sandbox" or len(parts) < 2:
        return None
    if (SANDBOX / f"{parts[1]}.py").exists():
        return parts[1]
    if len(parts) > 2 and (SANDBOX / parts[1] / f"{parts[2]}.py").exists():
        return f"{parts[1]}.{parts[2]}"
    return None


def imported_modules(source: str, package: str) -> Iterator[str]:
    """Every module ``source`` imports, anywhere in it, as a dotted name (relative ones resolved)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from sandbox import web`


def sandbox_imports(source: str, package: str = "sandbox") -> set[str]:
    """The sandbox modules ``source`` imports (``from sandbox.web.routes import x`` and
    ``from sandbox.web import routes``), as ``layer.module`` keys."""
    found = set()
    for name in imported_modules(source, package):
        key = module_key(name)
        if key is not None:
            found.add(key)
    return found


def module_files() -> dict[str, Path]:
    """Every module of the sandbox by key; package ``__init__`` files hold no code."""
    files = {}
    for path in sorted(SANDBOX.rglob("*.py")):
        relative = path.relative_to(SANDBOX).with_suffix("")
        if relative.name != "__init__":
            files[".".join(relative.parts)] = path
    return files


def sandbox_modules() -> dict[str, set[str]]:
    graph = {}
    for key, path in module_files().items():
        package = "sandbox." + key.rpartition(".")[0] if "." in key else "sandbox"
        graph[key] = sandbox_imports(path.read_text(), package.rstrip("."))
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules, as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_every_sandbox_module_lives_in_a_layer_folder() -> None:
    # Given the modules on disk
    modules = module_files()

    # Then each is in one of the layers' folders (or is the app), and every layer has modules
    assert sorted(m for m in modules if m.split(".")[0] not in LAYER_INDEX) == [], "put it in a layer folder"
    assert {m.split(".")[0] for m in modules} == set(LAYER_INDEX)


def test_sandbox_modules_import_only_their_own_layer_or_below() -> None:
    # Given every import of every sandbox module (function-level and TYPE_CHECKING ones included)
    graph = sandbox_modules()

    # Then none reaches up a layer
    assert upward_imports(graph) == []


def test_sandbox_modules_import_each_other_in_no_cycle() -> None:
    # Given every import of every sandbox module, within a layer too
    graph = sandbox_modules()

    # Then no chain of imports comes back to where it started
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sandbox.app import Sandbox", {"app"}),
        ("from sandbox.emulators import drs, faults", {"emulators.drs", "emulators.faults"}),
        ("import sandbox.runtime.lambdas", {"runtime.lambdas"}),
        ("def f():\n    from sandbox.app import SLACK_USERS\n", {"app"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sandbox.app import Sandbox\n",
            {"app"},
        ),
        ("from . import app\nfrom .web.routes import Routes\n", {"web.routes", "app"}),
        ("import json\nfrom handlers.core import settings\n", set()),
    ],
)
def test_the_check_sees_every_kind_of_import(source: str, expected: set[str]) -> None:
    assert sandbox_imports(source) == expected


def test_the_check_reports_the_cycles_the_sandbox_had() -> None:
    # Given the import graph of the sandbox before its layers (app <-> web <-> slack_local, demo <-> demo_story)
    before = {
        "app": {"web.routes"},
        "web.routes": {"app", "web.slack_local"},
        "web.slack_local": {"app"},
        "entry.demo": {"entry.demo_story"},
        "entry.demo_story": {"entry.demo"},
    }

    # Then the check names each of them, and the upward imports
    assert cycles(before) == [
        ["app", "web.routes", "app"],
        ["app", "web.routes", "web.slack_local", "app"],
        ["entry.demo", "entry.demo_story", "entry.demo"],
    ]
    assert [line.split(" (")[0] for line in upward_imports(before)] == ["web.routes", "web.slack_local"]


@pytest.mark.parametrize("package", ["handlers", "bot"])
def test_the_lambda_bundle_never_imports_the_sandbox(package: str) -> None:
    # Given every Python file the Lambda bundle is built from
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported_modules(
            path.read_text(), ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        )
        if name == "sandbox" or name.startswith("sandbox.")
    ]

    # Then none of them imports the sandbox, not even inside a function
    assert offenders == []
