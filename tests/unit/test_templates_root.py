"""cfn/root.yaml composes the per-concern templates correctly, checked statically: moto creates
nested stacks but does not resolve ``Fn::GetAtt Stack.Outputs.X``, so a wrong name would only show
on a real deploy."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cfn import CFN_DIR, load_template
from tests.support.templates import CONCERNS, resources

ROOT = load_template("root.yaml")
NESTED = resources(ROOT, "AWS::CloudFormation::Stack")


def _template_of(stack: dict[str, Any]) -> dict[str, Any]:
    return load_template(str(stack["Properties"]["TemplateURL"]))


def _output_uses(value: Any) -> list[tuple[str, str]]:
    """Every ``Fn::GetAtt <Stack>.Outputs.<Name>`` in ``value``, as (stack, output)."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target, attribute = value["Fn::GetAtt"]
            assert str(attribute).startswith("Outputs."), value
            return [(str(target), str(attribute).removeprefix("Outputs."))]
        return [use for inner in value.values() for use in _output_uses(inner)]
    if isinstance(value, list):
        return [use for inner in value for use in _output_uses(inner)]
    return []


def test_root_nests_every_concern_from_a_local_template() -> None:
    assert {str(s["Properties"]["TemplateURL"]) for s in NESTED.values()} == {f"{c}.yaml" for c in CONCERNS}
    for stack in NESTED.values():
        assert (CFN_DIR / str(stack["Properties"]["TemplateURL"])).is_file()


def test_root_has_the_parameters_and_outputs_the_issue_names() -> None:
    assert set(ROOT["Parameters"]) >= {
        "Environment",
        "ProjectName",
        "CognitoUserPoolArn",
        "SlackSecretArn",
        "ApprovalTimeoutSeconds",
        "AlarmEmail",
        "EnableAccountContextValidation",
        "RequireAccountIdForDirectInvocation",
        "EnableNotificationPublishing",
        "EnablePauseResume",
        "CodeBucket",
        "CodeKey",
    }
    assert set(ROOT["Outputs"]) >= {
        "ApiUrl",
        "SlackEventsUrl",
        "ExecutionNotificationsTopicArn",
        "StateMachineArn",
    }


@pytest.mark.parametrize("stack_id", sorted(NESTED))
def test_root_passes_every_parameter_the_nested_stack_requires(stack_id: str) -> None:
    declared = _template_of(NESTED[stack_id])["Parameters"]
    passed = NESTED[stack_id]["Properties"].get("Parameters", {})
    required = {name for name, spec in declared.items() if "Default" not in spec}
    assert required - set(passed) == set(), f"{stack_id} needs these and gets no value"
    assert set(passed) - set(declared) == set(), f"{stack_id} declares no such parameters"


@pytest.mark.parametrize("stack_id", sorted(NESTED))
def test_root_settings_reach_every_nested_stack_that_takes_them(stack_id: str) -> None:
    """A root parameter (a feature flag, the timeout...) must not stop at the root while a nested
    stack silently uses its own default."""
    declared = _template_of(NESTED[stack_id])["Parameters"]
    passed = NESTED[stack_id]["Properties"].get("Parameters", {})
    for name in set(declared) & set(ROOT["Parameters"]):
        assert passed.get(name) == {"Ref": name}, f"{stack_id}.{name} should be the root's {name}"


def test_root_uses_only_outputs_the_nested_stacks_declare() -> None:
    uses = _output_uses(ROOT["Resources"]) + _output_uses(ROOT["Outputs"])
    assert uses
    for stack_id, output in uses:
        assert stack_id in NESTED, stack_id
        assert output in _template_of(NESTED[stack_id]).get("Outputs", {}), (
            f"{stack_id} has no output {output}"
        )


def test_nested_stacks_only_use_earlier_stacks() -> None:
    """The order the sandbox deploys them in: each stack takes outputs only from stacks before it."""
    order = {f"{c}.yaml": i for i, c in enumerate(CONCERNS)}
    for stack_id, stack in NESTED.items():
        mine = order[str(stack["Properties"]["TemplateURL"])]
        for source, _ in _output_uses(stack["Properties"].get("Parameters", {})):
            assert order[str(NESTED[source]["Properties"]["TemplateURL"])] < mine, (stack_id, source)


def test_nested_parameters_are_named_after_the_outputs_they_take() -> None:
    """The sandbox matches parameters to earlier stacks' outputs by name; the root does the same."""
    for stack_id, stack in NESTED.items():
        for name, value in stack["Properties"].get("Parameters", {}).items():
            for _, output in _output_uses(value):
                assert name == output, f"{stack_id}.{name} takes output {output}"
