"""A notification address and the one SNS subscription every plan naming it shares."""

from pydantic import Field

from handlers.models.base import Model
from handlers.models.recovery_plan import SubscriptionStatus


class Mailbox(Model):
    """One item of the notification-subscriptions table. ``version`` grows with every write, so a
    decision taken on one reading (subscribe, unsubscribe) is recorded only if nothing changed."""

    recipientId: str
    endpoint: str
    planIds: list[str] = Field(default_factory=list)
    subscriptionArn: str = ""
    subscriptionStatus: SubscriptionStatus = "none"
    subscriptionStatusReason: str = ""
    version: int = 0
