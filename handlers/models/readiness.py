"""Readiness of a Recovery Plan: the checks run before it may start (GET .../readiness)."""

from typing import Literal

from pydantic import ConfigDict, Field

from handlers.models.base import Model

CheckName = Literal[
    "server_exists",
    "replication_healthy",
    "no_active_job",
    "leftover_drill_instances",
    "quotas",
    "snapshot_available",
    "server_in_one_group",
    "permissions",
    "drs_initialized",
    "native_copy",
    "hooks_resolvable",
]
CheckStatus = Literal["PASS", "WARN", "FAIL"]


class Check(Model):
    model_config = ConfigDict(extra="forbid")

    check: CheckName
    status: CheckStatus
    message: str
    sourceServerId: str | None = None
    waveNumber: int | None = None


class Readiness(Model):
    planId: str
    accountId: str
    ready: bool
    checkedAt: str
    checks: list[Check]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "FAIL"]


class ReadinessRequest(Model):
    """``check_readiness``: a plan, optionally as of a point in time (its snapshots are checked)."""

    model_config = ConfigDict(extra="forbid")

    planId: str = Field(min_length=1, max_length=128)
    pointInTime: str | None = Field(default=None, max_length=64)
