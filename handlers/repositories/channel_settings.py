"""The channel-settings table: per Slack channel, the account its ``/dr`` commands act on."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.base import Model
from handlers.repositories.dynamo import dynamo_errors, from_item, scan_all, to_item


class ChannelSettings(Model):
    channelId: str
    accountId: str
    updatedBy: str
    updatedAt: str


class ChannelSettingsRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("channel_settings_table")

    def get(self, channel_id: str) -> ChannelSettings | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"channelId": channel_id}, ConsistentRead=True).get("Item")
        return ChannelSettings.model_validate(from_item(item)) if item else None

    def put(self, settings: ChannelSettings) -> None:
        with dynamo_errors():
            self._table.put_item(Item=to_item(settings))

    def all(self) -> list[ChannelSettings]:
        """Every bound channel (one item per channel: a small table)."""
        return [ChannelSettings.model_validate(i) for i in scan_all(self._table)]
