"""Configuration documents: an account's Protection Groups and Recovery Plans as versioned JSON.

``export_configuration`` produces a :class:`ConfigurationDocument`; ``import_configuration`` accepts
one. Imported items obey the same field rules as created ones (names, server ids, waves, emails).
Fields an export carries but an import must not trust (subscription state, plan status) are
accepted and ignored: the importing system works them out itself.
"""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from handlers.models.base import Model
from handlers.models.fields import AccountId, Region, Version
from handlers.models.protection_group import ProtectionGroupCreate
from handlers.models.recovery_plan import RecoveryPlanCreate

FORMAT_VERSION = 1
ItemId = Annotated[str, Field(min_length=1, max_length=128)]  # ids are kept as they are


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
    # Exported for the reader's information; never imported.
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
