"""Which account a Slack channel's ``/dr`` commands act on."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.core.errors import ValidationError
from handlers.core.observability import logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.models.fields import is_valid_account_id
from handlers.repositories.channel_settings import ChannelSettings, ChannelSettingsRepository


def channel_account(channel_id: str) -> str | None:
    """The channel's account, else the deployment's default (``SLACK_DEFAULT_ACCOUNT_ID``), else None."""
    stored = ChannelSettingsRepository().get(channel_id)
    return stored.accountId if stored else get_settings().slack_default_account_id


def set_channel_account(channel_id: str, account_id: str, *, by: str) -> ChannelSettings:
    if not is_valid_account_id(account_id):
        raise ValidationError(f"an account id is exactly 12 digits, got {account_id[:40]!r}")
    settings = ChannelSettings(channelId=channel_id, accountId=account_id, updatedBy=by, updatedAt=now_iso())
    ChannelSettingsRepository().put(settings)
    logger.info("channel account set", extra={"channelId": channel_id, "accountId": account_id})
    return settings


def bound_accounts() -> dict[str, list[str]]:
    """Account -> the channels bound to it (sorted), plus the deployment's default account (with
    the channels it serves by default unknown: an empty list) when one is configured."""
    accounts: dict[str, list[str]] = {}
    for setting in ChannelSettingsRepository().all():
        accounts.setdefault(setting.accountId, []).append(setting.channelId)
    default = get_settings().slack_default_account_id
    if default:
        accounts.setdefault(default, [])
    return {account: sorted(channels) for account, channels in accounts.items()}


def accounts_of_channels(channel_ids: Iterable[str]) -> dict[str, list[str]]:
    """Account -> which of ``channel_ids`` act on it (bound to it, or to the deployment's default
    account when unbound and one is configured), sorted: what a member of those channels may see."""
    bound = {c: account for account, channels in bound_accounts().items() for c in channels}
    default = get_settings().slack_default_account_id
    accounts: dict[str, list[str]] = {}
    for channel in sorted(set(channel_ids)):
        account = bound.get(channel) or default
        if account:
            accounts.setdefault(account, []).append(channel)
    return accounts
