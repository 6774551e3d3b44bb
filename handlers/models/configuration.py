"""Configuration documents: an account's Protection Groups and Recovery Plans as versioned JSON.

``export_configuration`` produces a :class:`ConfigurationDocument`; ``import_configuration`` accepts
one. Imported items obey the same field rules as created ones (names, server ids, waves, emails).
Fields an export carries but an import must not trust (subscription state, plan status) are
accepted and ignored: the importing system works them out itself. A plan's DRS native copy
(``nativeCopy``) is one of them: the next export finds the copy by its ``drs-chatops:planId`` tag
(handlers/native_plans/exporting.py). Where a plan came from (``importedFrom``) is kept.
"""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from handlers.models.base import Model
from handlers.models.fields import AccountId, Region, Version
from handlers.models.protection_group import ProtectionGroupCreate
from handlers.models.recovery_plan import NativeOrigin, RecoveryPlanCreate

FORMAT_VERSION = 1
ItemId = Annotated[str, Field(min_length=1, max_length=128)]  # ids are kept as they are


class ImportedOrigin(NativeOrigin):
    """``importedFrom`` as a document brings it: a DRS recovery plan ARN and a time."""

    model_config = ConfigDict(extra="forbid")

    # botocore's StrictDRSARN for a recovery plan (PLAN_ARN in handlers/native_plans/models.py)
    arn: str = Field(
        max_length=2048,
        pattern=r"^arn:aws(?:-[a-z0-9]+)*:drs:[a-z0-9-]+:[0-9]{12}:recovery-plan/[a-zA-Z0-9_.-]+$",
    )
    importedAt: str = Field(min_length=1, max_length=64)


class _Provenance(Model):
    """What an export carries about an item's history; kept as it is on import."""

    createdAt: str = Field(default="", max_length=64)
    updatedAt: str = Field(default="", max_length=64)
    createdBy: str = Field(default="", max_length=256)
    version: Version = 1


class ImportedProtectionGroup(ProtectionGroupCreate, _Provenance):
    """A group as created (same field rules), plus its id, account and history."""

    model_config = ConfigDict(extra="forbid")

    groupId: ItemId
    accountId: AccountId
    region: Region  # required here: an exported group always has one

    @model_validator(mode="before")
    @classmethod
    def _unused_selection_absent(cls, data: Any) -> Any:
        """An export shows a group as the API does: a tag group with ``sourceServerIds: []``, a
        group of ids with ``serverSelectionTags: null``. The unused one is read as absent."""
        if isinstance(data, dict):
            data = dict(data)
            if data.get("sourceServerIds") == [] and data.get("serverSelectionTags"):
                del data["sourceServerIds"]
            if "serverSelectionTags" in data and data["serverSelectionTags"] is None:
                del data["serverSelectionTags"]
        return data


class ImportedRecoveryPlan(RecoveryPlanCreate, _Provenance):
    """A plan as created (same field rules), plus its id, account and history."""

    model_config = ConfigDict(extra="forbid")

    planId: ItemId
    accountId: AccountId
    importedFrom: ImportedOrigin | None = None  # the DRS native plan it came from: kept as it is
    # Exported for the reader's information; never imported.
    nativeCopy: Any = None  # the importing system finds the copy by its tag when it exports
    snsSubscriptionArn: Any = None
    subscriptionStatus: Any = None
    subscriptionStatusReason: Any = None
    status: Any = None
    statusReason: Any = None
    policyHistory: Any = None  # who changed the policy when: the plan's own record, never imported


class ConfigurationDocument(Model):
    model_config = ConfigDict(extra="forbid")

    formatVersion: Literal[1]
    exportedAt: str = Field(default="", max_length=64)
    accountId: AccountId
    protectionGroups: list[ImportedProtectionGroup] = Field(default_factory=list, max_length=5000)
    recoveryPlans: list[ImportedRecoveryPlan] = Field(default_factory=list, max_length=5000)


class ItemIds(Model):
    protectionGroups: list[str] = Field(default_factory=list)
    recoveryPlans: list[str] = Field(default_factory=list)


class ImportResult(Model):
    dryRun: bool
    created: ItemIds = Field(default_factory=ItemIds)
    updated: ItemIds = Field(default_factory=ItemIds)
    skipped: ItemIds = Field(default_factory=ItemIds)
    # Plans with ``exportNative`` the import wrote: their DRS native copy is to be exported again.
    nativeExportsDue: list[str] = Field(default_factory=list)
