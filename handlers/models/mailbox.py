"""A notification address and the one SNS subscription every plan naming it shares."""

from __future__ import annotations

from pydantic import BaseModel, Field

from handlers.models.recovery_plan import SubscriptionStatus


class Mailbox(BaseModel):
    """One item of the notification-subscriptions table. ``version`` grows with every write, so a
    decision taken on one reading (subscribe, unsubscribe) is recorded only if nothing changed."""

    recipientId: str
    endpoint: str
    planIds: list[str] = Field(default_factory=list)
    subscriptionArn: str = ""
    subscriptionStatus: SubscriptionStatus = "none"
    subscriptionStatusReason: str = ""
    version: int = 0
