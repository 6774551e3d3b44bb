"""Every Lambda's environment covers every setting its code requires, so a deploy cannot ship a
function missing config.

"Requires" is ``handlers/core/function_settings.py``, kept honest both ways: every ``require("…")`` and
``aws.table("…")`` in the modules an entry point can import (statically, lazy imports included) is
listed there as required or excused with a reason; and every function's template environment sets
each required setting (by its env var name, the way pydantic-settings reads it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from handlers.core.function_settings import ALTERNATIVES, NOT_USED, REQUIRED
from handlers.core.settings import Settings
from tests.support.templates import functions

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("handlers", "bot")
USES = re.compile(r"""(?:\.require|aws\.table)\(\s*["'](\w+)["']\s*\)""")


def _file(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def reachable_modules(entry: str) -> dict[str, Path]:
    seen: dict[str, Path] = {}
    pending = [entry]
    while pending:
        module = pending.pop()
        path = _file(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        parts = module.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]
        pending += sorted(_imports(module, path))
    return seen


def settings_used(entry: str) -> set[str]:
    return {name for path in reachable_modules(entry).values() for name in USES.findall(path.read_text())}


def _env_name(setting: str) -> str:
    alias = Settings.model_fields[setting].validation_alias
    return str(alias) if alias else setting.upper()


FUNCTIONS = {function: (template, resource) for template, function, resource, _ in functions()}


def test_the_table_names_real_settings() -> None:
    names = set().union(*(needed for _, needed in REQUIRED.values()), *(set(n) for n in NOT_USED.values()))
    names |= set(ALTERNATIVES) | set().union(*ALTERNATIVES.values())
    assert names <= set(Settings.model_fields)


def test_the_scan_finds_what_it_should() -> None:
    """The static scan sees lazy imports (inside functions) and the repositories' table names."""
    modules = reachable_modules("bot.app")
    assert "bot.listeners.commands" in modules and "handlers.repositories.channel_settings" in modules
    assert "channel_settings_table" in settings_used("bot.app")


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_every_setting_the_code_can_require_is_listed_or_excused(function: str) -> None:
    entry, needed = REQUIRED[function]
    used = settings_used(entry)
    excused = NOT_USED.get(function, {})
    assert used - needed - set(excused) == set(), (
        f"{entry} can require these: add them to REQUIRED[{function!r}] (and the template), or to "
        "NOT_USED with the reason the function never does"
    )
    assert set(excused) <= used, f"stale NOT_USED entries for {function}: {set(excused) - used}"
    assert not set(excused) & needed


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_every_function_environment_sets_what_its_code_requires(function: str) -> None:
    template, resource = FUNCTIONS[function]
    props: dict[str, Any] = resource["Properties"]
    assert props["Handler"] == f"{REQUIRED[function][0]}.lambda_handler"
    variables = set(props["Environment"]["Variables"])
    for setting in REQUIRED[function][1]:
        options = [{setting}, ALTERNATIVES.get(setting, {setting})]
        assert any({_env_name(s) for s in option} <= variables for option in options), (
            f"{template} {function} does not set {_env_name(setting)}"
        )


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_every_function_environment_variable_is_a_setting(function: str) -> None:
    """A misspelt variable would be ignored silently (extra="ignore"); Powertools reads its own."""
    known = {_env_name(s) for s in Settings.model_fields} | {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    }
    variables = set(FUNCTIONS[function][1]["Properties"]["Environment"]["Variables"])
    assert variables - known == set()


# Root parameters that tune behaviour (the approval timeout, the DRS poll interval, feature flags,
# the Slack command...) reach a function as an environment variable ``!Ref <RootParameter>``. A
# function whose code reads such a setting but is not given it silently runs on the code default,
# whatever the deployment says. A reading that a function's code can reach statically but never
# performs is excused here, with the reason.
TUNING_NOT_USED: dict[str, dict[str, str]] = {
    "OrchestratorFunction": {
        "enable_account_context_validation": "the account comes from the stored execution, not a request",
        "require_account_id_for_direct_invocation": "invoked by Step Functions, never directly by a user",
    },
    "BotFunction": {
        "enable_pause_resume": "read only where the orchestrator takes a decision Step Functions received "
        "(handlers/runs/decision_record.believe); the bot records decisions it made itself",
        "enable_account_context_validation": "the account comes from the channel, not from a request body",
        "require_account_id_for_direct_invocation": "Slack requests are never direct invocations",
    },
    "NotifierFunction": {
        "enable_notification_publishing": "the notifier consumes execution events, never publishes them",
        "enable_account_context_validation": "the account comes from the execution event",
        "require_account_id_for_direct_invocation": "invoked by SNS, never directly by a user",
    },
}


def _root_tuned_settings() -> set[str]:
    from tests.support.cfn import load_template

    root_parameters = set(load_template("root.yaml")["Parameters"])
    by_env = {_env_name(s): s for s in Settings.model_fields}
    tuned = set()
    for _, resource in FUNCTIONS.values():
        for variable, value in resource["Properties"]["Environment"]["Variables"].items():
            if isinstance(value, dict) and value.get("Ref") in root_parameters and variable in by_env:
                tuned.add(by_env[variable])
    return tuned - {"environment", "slack_secret_arn"}  # Environment: resource names; secret: above


def _attribute_reads(entry: str, setting: str) -> list[str]:
    pattern = re.compile(rf"\.{setting}\b")
    return [
        module
        for module, path in reachable_modules(entry).items()
        if module != "handlers.core.settings" and pattern.search(path.read_text())
    ]


def test_the_tuned_settings_include_the_run_settings() -> None:
    assert {"approval_timeout_seconds", "drs_poll_seconds", "enable_notification_publishing"} <= (
        _root_tuned_settings()
    )


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_every_root_tuned_setting_the_code_reads_reaches_the_function(function: str) -> None:
    entry = REQUIRED[function][0]
    variables = FUNCTIONS[function][1]["Properties"]["Environment"]["Variables"]
    excused = TUNING_NOT_USED.get(function, {})
    missing = {
        setting: _attribute_reads(entry, setting)
        for setting in sorted(_root_tuned_settings())
        if setting not in excused and _env_name(setting) not in variables and _attribute_reads(entry, setting)
    }
    assert missing == {}, f"{function} reads these settings but its environment does not set them"
    assert all(_attribute_reads(entry, s) for s in excused), f"stale TUNING_NOT_USED for {function}"
