"""DRS native recovery plans as DRS answers them (botocore's ``drs`` shapes, checked at the boundary),
and the requests and answers of this room's operations."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from handlers.models.base import Model

ImpactLevel = Literal["CRITICAL", "OPTIONAL"]
# botocore's StrictDRSARN for a recovery plan, and its SourceServerARN
PLAN_ARN = re.compile(
    r"^arn:aws(?:-[a-z0-9]+)*:drs:([a-z0-9-]+):([0-9]{12}):recovery-plan/([a-zA-Z0-9_.-]+)$"
)
SERVER_ARN = re.compile(
    r"^arn:(?:[0-9a-zA-Z_-]+:){2}([a-z0-9-]+):([0-9]{12,}):source-server/(s-[0-9a-zA-Z]{17})$"
)
# A native plan holds at most 20 steps of at most 100 servers; a wait step lasts 1 to 120 minutes.
MAX_STEPS = 20
MAX_SERVERS_PER_STEP = 100
MAX_WAIT_MINUTES = 120


class _Answer(Model):
    model_config = ConfigDict(extra="ignore")


class NativeServer(_Answer):
    serverArn: str
    impactLevel: ImpactLevel = "CRITICAL"


class ServerStepConfiguration(_Answer):
    servers: list[NativeServer] = Field(min_length=1)


class WaitStepConfiguration(_Answer):
    waitDurationMinutes: int = Field(ge=1)


class StepConfiguration(_Answer):
    serverStepConfiguration: ServerStepConfiguration | None = None
    waitStepConfiguration: WaitStepConfiguration | None = None


class NativeStep(_Answer):
    recoveryPlanStepArn: str = ""
    stepOrder: int
    stepName: str
    configuration: StepConfiguration

    @property
    def wait_minutes(self) -> int | None:
        wait = self.configuration.waitStepConfiguration
        return wait.waitDurationMinutes if wait else None

    @property
    def servers(self) -> list[NativeServer]:
        step = self.configuration.serverStepConfiguration
        return step.servers if step else []


class NativePlan(_Answer):
    recoveryPlanArn: str
    name: str
    description: str = ""
    status: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


def server_id_of(server_arn: str) -> tuple[str, str, str] | None:
    """(region, account, server id) of a source server ARN, or None."""
    match = SERVER_ARN.match(server_arn)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def server_arn(region: str, account_id: str, server_id: str) -> str:
    return f"arn:aws:drs:{region}:{account_id}:source-server/{server_id}"


# -- this room's operations ---------------------------------------------------------------------


class ImportNativeRequest(Model):
    model_config = ConfigDict(extra="forbid")

    recoveryPlanArn: Annotated[str, Field(min_length=1, max_length=2048)]


class ExportNativeRequest(Model):
    model_config = ConfigDict(extra="forbid")

    planId: Annotated[str, Field(min_length=1, max_length=128)]


class ListNativeRequest(Model):
    model_config = ConfigDict(extra="forbid")


class StepView(Model):
    """One step as ``GET /native-recovery-plans`` shows it."""

    stepOrder: int
    stepName: str
    type: Literal["server", "wait"]
    servers: list[dict[str, str]] = Field(default_factory=list)  # sourceServerId, impactLevel
    waitMinutes: int | None = None


class NativePlanView(Model):
    arn: str
    name: str
    status: str = ""
    exportedFrom: str = ""  # the plan of this system it is the copy of (its drs-chatops:planId tag)
    steps: list[StepView]
