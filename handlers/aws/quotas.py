"""The DRS quotas a plan must fit: read from Service Quotas in the plan's account, else defaults.

``ListServiceQuotas`` (service code ``drs``) is called with the same credentials as the account's
DRS calls (:func:`handlers.aws.drs.service_client`), so a quota is always the plan's own account's.
When Service Quotas cannot be read (the role may not call it, or the quota is not listed there),
the documented DRS defaults apply and :attr:`DrsQuotas.source` says so: a readiness message names
each limit and where it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs

SERVICE_CODE = "drs"
# Documented DRS defaults (AWS Elastic Disaster Recovery quotas page).
DEFAULT_SERVERS_PER_JOB = 100
DEFAULT_CONCURRENT_JOBS = 20
DEFAULT_SERVERS_IN_ALL_JOBS = 500

# Which listed quota is which: every word (or its plural) must be a word of the quota's name.
_NAMES: dict[str, tuple[str, ...]] = {
    "servers_per_job": ("single", "job"),
    "concurrent_jobs": ("concurrent", "job"),
    "servers_in_all_jobs": ("all", "job"),
}


@dataclass(frozen=True)
class Limit:
    value: int
    source: str  # "Service Quotas" or "DRS default (<why>)"

    def describe(self, what: str) -> str:
        return f"{what} limit {self.value} ({self.source})"


@dataclass(frozen=True)
class DrsQuotas:
    servers_per_job: Limit
    concurrent_jobs: Limit
    servers_in_all_jobs: Limit


def read_quotas(target: drs.DrsTarget, session_name: str) -> DrsQuotas:
    """The account's DRS launch quotas; each falls back to its default, naming why."""
    listed, why = _listed(target, session_name)
    defaults = {
        "servers_per_job": DEFAULT_SERVERS_PER_JOB,
        "concurrent_jobs": DEFAULT_CONCURRENT_JOBS,
        "servers_in_all_jobs": DEFAULT_SERVERS_IN_ALL_JOBS,
    }
    limits: dict[str, Limit] = {}
    for key, default in defaults.items():
        value = _find(listed, _NAMES[key])
        if value is None:
            limits[key] = Limit(default, f"DRS default; {why or 'not listed in Service Quotas'}")
        else:
            limits[key] = Limit(value, f"Service Quotas, account {target.account_id}")
    return DrsQuotas(**limits)


def _listed(target: drs.DrsTarget, session_name: str) -> tuple[list[dict[str, Any]], str]:
    """The quotas Service Quotas lists for DRS, or why none could be read."""
    try:
        client = drs.service_client(
            "service-quotas", target, session_name, drs.READINESS_SESSION_POLICY, attempts=2
        )
        quotas: list[dict[str, Any]] = []
        for page in client.get_paginator("list_service_quotas").paginate(ServiceCode=SERVICE_CODE):
            quotas.extend(page.get("Quotas", []))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return [], f"Service Quotas not readable: {code}"
    except BotoCoreError as exc:
        return [], f"Service Quotas not reachable: {type(exc).__name__}"
    return quotas, ""


def _find(quotas: list[dict[str, Any]], words: tuple[str, ...]) -> int | None:
    for quota in quotas:
        tokens = re.findall(r"[a-z]+", str(quota.get("QuotaName", "")).lower())
        if all(any(t == w or t == w + "s" for t in tokens) for w in words) and isinstance(
            quota.get("Value"), int | float
        ):
            return int(quota["Value"])
    return None
