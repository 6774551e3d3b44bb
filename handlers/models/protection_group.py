"""Protection Groups: a named set of DRS source servers in one AWS account."""

from collections import Counter
from typing import Annotated, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from handlers.models.base import Model
from handlers.models.fields import (
    Description,
    ExternalId,
    Name,
    Region,
    RoleName,
    SourceServerId,
    Version,
)


def _unique_servers(ids: list[str]) -> list[str]:
    duplicates = sorted(server for server, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate source server ids: {', '.join(duplicates)}")
    return ids


SourceServerIds = Annotated[
    list[SourceServerId], Field(min_length=1, max_length=1000), AfterValidator(_unique_servers)
]
# Servers a wave can live without: one that fails to launch is recorded (and announced) but does not
# fail its wave. A subset of the group's sourceServerIds.
OptionalServerIds = Annotated[list[SourceServerId], Field(max_length=1000), AfterValidator(_unique_servers)]


def optional_servers_problem(source: list[str], optional: list[str]) -> str | None:
    """Why ``optional`` is not a subset of ``source`` (None when it is)."""
    strangers = [server for server in optional if server not in set(source)]
    if not strangers:
        return None
    return "optionalSourceServerIds must be servers of this group's sourceServerIds; not in it: " + ", ".join(
        strangers[:10]
    )


class ProtectionGroup(Model):
    """A stored Protection Group, as returned to callers."""

    model_config = ConfigDict(extra="ignore")

    groupId: str
    groupName: str
    description: str = ""
    accountId: str
    region: str
    assumeRoleName: str = ""
    externalId: str = ""
    sourceServerIds: list[str]
    optionalSourceServerIds: list[str] = Field(default_factory=list)
    createdAt: str
    updatedAt: str
    createdBy: str
    version: int = 1


class ProtectionGroupCreate(Model):
    model_config = ConfigDict(extra="forbid")

    groupName: Name
    description: Description = ""
    sourceServerIds: SourceServerIds
    optionalSourceServerIds: OptionalServerIds = Field(default_factory=list)
    region: Region | None = None
    assumeRoleName: RoleName = ""
    externalId: ExternalId = ""

    @model_validator(mode="after")
    def _optional_in_group(self) -> Self:
        problem = optional_servers_problem(self.sourceServerIds, self.optionalSourceServerIds)
        if problem:
            raise ValueError(problem)
        return self


class ProtectionGroupUpdate(Model):
    """The fields a caller may change. ``groupId``, ``accountId`` and ``createdBy`` are not here,
    so no request can change them. ``version`` is the caller's view for optimistic locking."""

    model_config = ConfigDict(extra="forbid")

    groupId: str
    version: Version | None = None
    groupName: Name | None = None
    description: Description | None = None
    sourceServerIds: SourceServerIds | None = None
    optionalSourceServerIds: OptionalServerIds | None = None
    region: Region | None = None
    assumeRoleName: RoleName | None = None
    externalId: ExternalId | None = None
