"""A group's source servers must exist in DRS in the group's account and region.

Checked with ``DescribeSourceServers`` through the same credentials rule as a recovery
(:func:`handlers.aws.drs.target`), read-only. A server that exists only in another account is simply not
found there, so the answer for it reads exactly like the answer for an id nobody has.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.core.errors import ValidationError


def missing_source_servers(target: drs.DrsTarget, server_ids: list[str], session_name: str) -> list[str]:
    """One problem sentence per reason the servers cannot all be confirmed (empty: all exist)."""
    where = f"in DRS in account {target.account_id} ({target.region})"
    try:
        client = drs.client_for(target, session_name, read_only=True)
        unknown = drs.unknown_source_servers(client, server_ids)
    except drs.DrsCallError as exc:
        return [lookup_failed(target, where, exc.__cause__)]
    except (ClientError, BotoCoreError) as exc:  # assuming the role failed
        return [lookup_failed(target, where, exc)]
    if not unknown:
        return []
    return [f"source servers not found {where}: {', '.join(unknown)}"]


def lookup_failed(target: drs.DrsTarget, where: str, exc: BaseException | None) -> str:
    """Why DRS could not be asked: DRS's error code (never its full message), and the role used."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "error")
        via = f" through role {target.role_arn}" if target.assume_role_name else ""
        return f"the source servers could not be looked up {where}{via}: {code}"
    return f"the source servers could not be looked up {where}: {type(exc).__name__}"


def require_source_servers(target: drs.DrsTarget, server_ids: list[str], session_name: str) -> None:
    """400 ``VALIDATION_ERROR`` naming the servers DRS does not know there."""
    problems = missing_source_servers(target, server_ids, session_name)
    if problems:
        raise ValidationError("; ".join(problems))
