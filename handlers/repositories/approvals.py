"""The approvals table: the only place a Step Functions task token is stored."""

from __future__ import annotations

import hashlib
from typing import Any

from handlers import aws
from handlers.models.approval import LINK_HOLDER, STATUS_OF, Approval
from handlers.models.execution import Vote
from handlers.repositories.dynamo import (
    conditional_update,
    conditional_write,
    dynamo_errors,
    from_item,
    to_item,
)

DECIDED = STATUS_OF  # a decided approval's status, by action (handlers/models/approval.py)
TOKEN_INDEX = "tokenHash-index"  # noqa: S105 (an index name, not a secret)


def token_hash(task_token: str) -> str:
    """Index key for automation that decides by token: the token itself is never indexed."""
    return hashlib.sha256(task_token.encode()).hexdigest()


class ApprovalRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("approvals_table")

    def insert(self, approval: Approval) -> None:
        with dynamo_errors("approval id collision"):
            self._table.put_item(
                Item=to_item(approval), ConditionExpression="attribute_not_exists(approvalId)"
            )

    def get(self, approval_id: str) -> Approval | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"approvalId": approval_id}, ConsistentRead=True).get("Item")
        return Approval.model_validate(from_item(item)) if item else None

    def find_by_token(self, task_token: str) -> Approval | None:
        from boto3.dynamodb.conditions import Key

        with dynamo_errors():
            items = self._table.query(
                IndexName=TOKEN_INDEX, KeyConditionExpression=Key("tokenHash").eq(token_hash(task_token))
            ).get("Items", [])
        return self.get(str(items[0]["approvalId"])) if items else None

    def vote(
        self,
        approval_id: str,
        vote: Vote,
        *,
        key: str,
        quorum: int,
        seen: int,
        account_id: str,
        decided_by: str = "",
        decided_via: str = "",
        also: tuple[str, ...] = (),
    ) -> Approval | None:
        """Count ``vote`` for its action, once per voter ``key`` (and the voter's other keys ``also``:
        a person voted under any of them has voted), in one conditional write: only while
        the pause is PENDING and unexpired, the voter has not voted, and the action's count is
        still ``seen`` (``seen`` < ``quorum`` - 1: any count below the last one). The write that
        brings the count to ``quorum`` also decides the approval (status, action, ``decided_by``).
        The approval as written, or None when the condition failed (read it to learn why)."""
        final = seen + 1 >= quorum
        values: dict[str, Any] = {
            ":pending": "PENDING",
            ":now": vote.at[:19] + "Z",
            ":none": [],
            ":v": [to_item(vote)],
            ":one": 1,
            ":at": vote.at,
            ":seen": seen if final else quorum - 1,
            ":account": account_id,
        }
        update = "SET votes = list_append(if_not_exists(votes, :none), :v), tally.#act = tally.#act + :one"
        keys = {f"#key{i}": k for i, k in enumerate(dict.fromkeys((key, *also)))}
        update += "".join(f", voters.{name} = :at" for name in keys)
        if final:
            update += ", #s = :s, #a = :a, decidedBy = :by, decidedVia = :via, decidedAt = :at"
            values.update({":s": DECIDED.get(vote.action, vote.action.upper()), ":a": vote.action})
            values.update({":by": decided_by or vote.by, ":via": decided_via or vote.via})
        count = "tally.#act = :seen" if final else "tally.#act < :seen"
        condition = (
            "#s = :pending AND expiresAt > :now AND accountId = :account"
            + "".join(f" AND attribute_not_exists(voters.{name})" for name in keys)
            + f" AND {count}"
        )
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"approvalId": approval_id},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status", "#act": vote.action, **keys}
                | ({"#a": "action"} if final else {}),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        )
        return Approval.model_validate(from_item(response["Attributes"])) if response else None

    def decide(
        self,
        approval_id: str,
        *,
        status: str,
        action: str,
        by: str | None,
        via: str,
        at: str,
        account_id: str | None = None,
        kinds: tuple[str, ...] = (),
        vote: Vote | None = None,
    ) -> Approval | None:
        """PENDING and unexpired -> decided, once (with ``kinds``: only a pause of one of those kinds;
        one stored before kinds existed is a ``before_wave`` pause): the decided approval for the
        one caller whose write happened, None for everyone else. ``by=None`` is the holder of an
        email link, recorded as the approval's ``linkHolder`` (never as an empty name). ``vote`` is
        appended to the approval's votes in the same write. One round trip."""
        values: dict[str, Any] = {
            ":s": status,
            ":a": action,
            ":via": via,
            ":at": at,
            ":pending": "PENDING",
            ":now": at[:19] + "Z",
            ":by": by if by is not None else LINK_HOLDER,
        }
        condition = "#s = :pending AND expiresAt > :now"
        names = {"#s": "status", "#a": "action"}
        if account_id is not None:
            condition += " AND accountId = :account"
            values[":account"] = account_id
        if kinds:
            names["#k"] = "kind"
            values.update({f":k{i}": kind for i, kind in enumerate(kinds)})
            listed = ", ".join(f":k{i}" for i in range(len(kinds)))
            legacy = "attribute_not_exists(#k) OR " if "before_wave" in kinds else ""
            condition += f" AND ({legacy}#k IN ({listed}))"
        # Approvals stored before linkHolder existed fall back to LINK_HOLDER.
        decided_by = ":by" if by is not None else "if_not_exists(linkHolder, :by)"
        update = f"SET #s = :s, #a = :a, decidedBy = {decided_by}, decidedVia = :via, decidedAt = :at"
        if vote is not None:
            update += ", votes = list_append(if_not_exists(votes, :none), :v)"
            values.update({":none": [], ":v": [to_item(vote)]})
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"approvalId": approval_id},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        )
        if response is None:
            return None
        return Approval.model_validate(from_item(response["Attributes"]))

    def expire(self, approval_id: str, *, reason: str, only_if: str = "PENDING") -> bool:
        """Mark an approval EXPIRED if its status is still ``only_if``."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"approvalId": approval_id},
                UpdateExpression="SET #s = :expired, statusReason = :r",
                ConditionExpression="#s = :only",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expired": "EXPIRED", ":r": reason, ":only": only_if},
            )
        )

    def reopen(self, approval: Approval, key: str = "", also: tuple[str, ...] = ()) -> bool:
        """Undo ``approval``'s decision (PENDING again, decider cleared, the deciding vote taken
        back: the last one, and voter ``key``'s count (with its other keys ``also``) when it was a
        counted vote) if it is still the stored one: for a decision Step Functions did not take, so
        it can be made again."""
        names = {"#s": "status", "#a": "action"}
        values: dict[str, Any] = {
            ":pending": "PENDING",
            ":decided": approval.status,
            ":at": approval.decidedAt,
        }
        update = "SET #s = :pending"
        removed = ["#a", "decidedBy", "decidedVia", "decidedAt"]
        if approval.votes:
            removed.append(f"votes[{len(approval.votes) - 1}]")
        if key and approval.action in approval.tally:
            update += ", tally.#act = tally.#act - :one"
            keys = {f"#key{i}": k for i, k in enumerate(dict.fromkeys((key, *also)))}
            removed += [f"voters.{name}" for name in keys]
            names.update({"#act": approval.action, **keys})
            values[":one"] = 1
        return conditional_write(
            lambda: self._table.update_item(
                Key={"approvalId": approval.approvalId},
                UpdateExpression=f"{update} REMOVE {', '.join(removed)}",
                ConditionExpression="#s = :decided AND decidedAt = :at",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        )
