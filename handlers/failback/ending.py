"""What a FAILBACK run's end does to its original RECOVERY's failback: SUCCEEDED moves it to
``FAILED_BACK`` (announced once, the original's report stored again naming its FAILBACK); any other end
lets it be failed back again. Called by the orchestrator's ``finish`` task (handlers/orchestrator.py),
apart from the failback operations (handlers/failback/cycle.py), so the orchestrator does not load what
starting a run needs."""

from __future__ import annotations

from handlers.core.timestamps import now_iso
from handlers.events.execution_events import announce
from handlers.failback.records import FailbackRecords
from handlers.reports.report_store import store_report
from handlers.repositories.executions import ExecutionRepository


def failback_finished(execution_id: str) -> bool:
    """After a FAILBACK execution ended: SUCCEEDED moves the original to ``FAILED_BACK`` and
    announces ``failback_completed`` (once) and stores the original's report again, now naming its
    FAILBACK (the bucket keeps the earlier copy); any other end lets the original be failed back
    again (``READY``). True when this call moved it."""
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.mode != "FAILBACK" or not execution.failbackOf:
        return False
    records = FailbackRecords()
    if execution.status == "SUCCEEDED":
        moved = records.move(execution.failbackOf, ["FAILING_BACK"], "FAILED_BACK", updatedAt=now_iso())
        if moved is not None:
            announce(moved, "failback_completed", message=f"FAILBACK execution {execution_id} SUCCEEDED")
            store_report(moved)
        return moved is not None
    moved = records.move(execution.failbackOf, ["FAILING_BACK"], "READY", updatedAt=now_iso())
    return moved is not None
