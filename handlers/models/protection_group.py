"""Protection Groups: a named set of DRS source servers in one AWS account.

A group names its servers one of two ways, never both: ``sourceServerIds`` (a fixed list, checked
against DRS when the group is created or changed) or ``serverSelectionTags`` (``{"Key": "Value"}``,
every pair must match; resolved against DRS in the group's account whenever servers are needed -
at readiness and again at each wave's start - so tags that match nothing yet are accepted here)."""

from collections import Counter
from typing import Annotated, Any, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from handlers.models.base import Model
from handlers.models.fields import (
    Description,
    ExternalId,
    Name,
    Region,
    RoleName,
    SourceServerId,
    Version,
    has_control_characters,
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


# DRS's tag rules (as for every AWS resource tag): keys 1-128 characters, values 0-256, at most 50
# tags, and the ``aws:`` prefix (any case) is reserved for AWS.
MAX_SELECTION_TAGS = 50


def _tag_key(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError("tag keys starting with 'aws:' are reserved for AWS")
    if has_control_characters(key):
        raise ValueError("must not contain control characters")
    return key


def _tag_value(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_tag_key)]
TagValue = Annotated[str, StringConstraints(max_length=256), AfterValidator(_tag_value)]
SelectionTags = Annotated[dict[TagKey, TagValue], Field(min_length=1, max_length=MAX_SELECTION_TAGS)]
BOTH_SELECTIONS = "give sourceServerIds or serverSelectionTags, not both"


def exactly_one_selection(ids: Any, tags: Any) -> None:
    """A group selects its servers by ids or by tags: exactly one of the two."""
    if ids and tags:
        raise ValueError(BOTH_SELECTIONS)
    if not ids and not tags:
        raise ValueError("give sourceServerIds (a list of ids) or serverSelectionTags (a tag map)")


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
    sourceServerIds: list[str] = Field(default_factory=list)  # empty for a tag group
    serverSelectionTags: dict[str, str] | None = None  # None for a group of ids
    optionalSourceServerIds: list[str] = Field(default_factory=list)
    createdAt: str
    updatedAt: str
    createdBy: str
    version: int = 1


class ProtectionGroupCreate(Model):
    model_config = ConfigDict(extra="forbid")

    groupName: Name
    description: Description = ""
    sourceServerIds: SourceServerIds | None = None
    serverSelectionTags: SelectionTags | None = None
    optionalSourceServerIds: OptionalServerIds = Field(default_factory=list)
    region: Region | None = None
    assumeRoleName: RoleName = ""
    externalId: ExternalId = ""

    @model_validator(mode="after")
    def _one_selection(self) -> Self:
        exactly_one_selection(self.sourceServerIds, self.serverSelectionTags)
        # A group of ids names its optional servers among them; a tag group's optional ids count
        # for whichever of them its tags select at a wave's start.
        problem = optional_servers_problem(self.sourceServerIds or [], self.optionalSourceServerIds)
        if problem and self.sourceServerIds:
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
    serverSelectionTags: SelectionTags | None = None  # setting one of these two replaces the other
    optionalSourceServerIds: OptionalServerIds | None = None
    region: Region | None = None
    assumeRoleName: RoleName | None = None
    externalId: ExternalId | None = None

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        if self.sourceServerIds and self.serverSelectionTags:
            raise ValueError(BOTH_SELECTIONS)
        return self
