"""What a decided pause was, told the same way by the API's 409, Slack's closed-pause message and
the record: the start of a recovery that waited for approval, the pause before a wave, or a failed
wave's Retry / Skip / Cancel (handlers/models/execution.py ``Execution.pause_kind``)."""

from __future__ import annotations

import pytest

from handlers.models.execution import Execution

EXECUTION = {
    "executionId": "e-1",
    "planId": "p-1",
    "planName": "Payments",
    "accountId": "111111111111",
    "status": "RUNNING",
    "isDrill": False,
    "startTime": "2026-12-07T01:00:00Z",
    "startedBy": "@operator",
    "startedVia": "slack",
    "waves": [],
}


@pytest.mark.parametrize(
    ("start_approval", "wave", "failed", "kind"),
    [
        (True, 1, False, "start"),
        (True, 2, False, "before_wave"),
        (True, 1, True, "wave_failed"),
        (False, 1, False, "before_wave"),
        (False, 3, True, "wave_failed"),
    ],
)
def test_a_decided_pause_is_named_by_what_it_held(
    start_approval: bool, wave: int, failed: bool, kind: str
) -> None:
    execution = Execution.model_validate({**EXECUTION, "startApproval": start_approval})
    assert execution.pause_kind(wave, failed=failed) == kind
