"""The sandbox's modules import downward only, and the product never imports the sandbox.

``LAYERS`` is the one table of the sandbox's structure, bottom first. A module may import modules
of its own layer or of a layer below it, never one above; and no chain of imports may lead back to
where it started. Every import counts: at module level, inside functions (the sandbox imports moto
and boto3 late on purpose, and a late import is still a dependency) and under ``TYPE_CHECKING``
(a type is a dependency too). A new module must be placed in ``LAYERS`` before its tests pass.

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

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "data: names, shapes and codecs, no behaviour of their own",
        frozenset(
            {
                "__init__",
                "names",
                "drs_data",
                "drs_shapes",
                "drs_snapshots",
                "drs_calls",
                "drs_quotas",
                "slack_rules",
                "slack_requests",
                "apigw",
                "pages",
                "outbox",
                "extra",
                "cfn_template",
            }
        ),
    ),
    (
        "emulators: the fake DRS and Slack, faults on demand, botocore hooks, moto's fixes",
        frozenset(
            {
                "hooks",
                "faults",
                "drs",
                "drs_native_plans",
                "drs_faults",
                "drs_failback",
                "slack_fake",
                "emulator_guarantees",
                "iam_simulation",
                "ssm_automation",
                "ec2_status",
            }
        ),
    ),
    (
        "runtime: Lambda workers, Invoke API, embedded AWS, SNS delivery, deployment, seeding",
        frozenset(
            {
                "worker_setup",
                "worker_main",
                "worker_process",
                "lambdas",
                "invoke_api",
                "drs_http",
                "sns_delivery",
                "scheduler",
                "embedded_aws",
                "cfn_subscriptions",
                "deploy",
                "seed",
                "hook_function",
                "hook_surfaces",
            }
        ),
    ),
    (
        "web: the routes of the one web port, and what they need from the process",
        frozenset({"web_host", "slack_local_home", "slack_local", "web"}),
    ),
    ("app: the sandbox process, which wires everything together", frozenset({"app"})),
    (
        "entry points: the CLI, the demo and the tools that run the sandbox as a subprocess",
        frozenset(
            {
                "cli",
                "demo",
                "demo_cycle",
                "demo_recovery",
                "demo_story",
                "demo_timeline",
                "subprocess_sandbox",
                "screenshots",
            }
        ),
    ),
)
LAYER_OF = {module: index for index, (_, modules) in enumerate(LAYERS) for module in modules}


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


def sandbox_imports(source: str) -> set[str]:
    """The sandbox modules ``source`` imports (``from sandbox.web import x`` and ``from sandbox import web``)."""
    found = set()
    for name in imported_modules(source, "sandbox"):
        parts = name.split(".")
        if parts[0] == "sandbox" and len(parts) > 1 and parts[1] in LAYER_OF:
            found.add(parts[1])
    return found


def sandbox_modules() -> dict[str, set[str]]:
    return {path.stem: sandbox_imports(path.read_text()) for path in sorted(SANDBOX.glob("*.py"))}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} ({LAYERS[LAYER_OF[module]][0].split(':')[0]}) imports {target} "
        f"({LAYERS[LAYER_OF[target]][0].split(':')[0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if LAYER_OF[target] > LAYER_OF[module]
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


def test_every_sandbox_module_has_one_place_in_the_layer_table() -> None:
    # Given the modules on disk and the table
    on_disk = {path.stem for path in SANDBOX.glob("*.py")}
    placed = [module for _, modules in LAYERS for module in modules]

    # Then each module is placed exactly once, and the table names no module that is gone
    assert sorted(on_disk - set(placed)) == [], "place the new module in LAYERS"
    assert sorted(set(placed) - on_disk) == []
    assert len(placed) == len(set(placed))


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
        ("from sandbox import web, faults", {"web", "faults"}),
        ("import sandbox.lambdas", {"lambdas"}),
        ("def f():\n    from sandbox.app import SLACK_USERS\n", {"app"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sandbox.app import Sandbox\n",
            {"app"},
        ),
        ("from . import web\nfrom .app import Sandbox\n", {"web", "app"}),
        ("import json\nfrom handlers import settings\n", set()),
    ],
)
def test_the_check_sees_every_kind_of_import(source: str, expected: set[str]) -> None:
    assert sandbox_imports(source) == expected


def test_the_check_reports_the_cycles_the_sandbox_had() -> None:
    # Given the import graph of the sandbox before its layers (app <-> web <-> slack_local, demo <-> demo_story)
    before = {
        "app": {"web"},
        "web": {"app", "slack_local"},
        "slack_local": {"app"},
        "demo": {"demo_story"},
        "demo_story": {"demo"},
    }

    # Then the check names each of them, and the upward imports
    assert cycles(before) == [
        ["app", "web", "app"],
        ["app", "web", "slack_local", "app"],
        ["demo", "demo_story", "demo"],
    ]
    assert [line.split(" (")[0] for line in upward_imports(before)] == ["slack_local", "web"]


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
