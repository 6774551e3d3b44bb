"""Service Quotas for the tests: moto 5 knows the service but not ``ListServiceQuotas`` (it raises
``NotImplementedError``), so while :func:`service_quotas_answered` is active moto's own Service
Quotas responder answers it from a :class:`ServiceQuotasFake`: the DRS quotas an account lists, or
the error a role without ``servicequotas:ListServiceQuotas`` gets. Each call records the account
moto says the credentials act in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.servicequotas.responses import ServiceQuotasResponse

# Quota names as Service Quotas lists them for service code "drs" (handlers/quotas.py matches words).
SERVERS_PER_JOB = "Max source servers in a single Drill or Recovery job"
CONCURRENT_JOBS = "Max concurrent Jobs in progress"
SERVERS_IN_ALL_JOBS = "Max source servers in all Jobs"


def default_values() -> dict[str, float]:
    return {SERVERS_PER_JOB: 100, CONCURRENT_JOBS: 20, SERVERS_IN_ALL_JOBS: 500}


@dataclass
class ServiceQuotasFake:
    values: dict[str, float] = field(default_factory=default_values)
    error: str = ""  # e.g. "AccessDeniedException": every call is refused with it
    calls: list[dict[str, Any]] = field(default_factory=list)  # account, ServiceCode

    def answer(self, account: str, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        self.calls.append({"account": account, **body})
        if self.error:
            headers = {"x-amzn-ErrorType": self.error, "status": "400"}
            return 400, headers, json.dumps({"__type": self.error, "message": f"{self.error} (test)"})
        quotas = [
            {"ServiceCode": "drs", "QuotaCode": f"L-{i:08X}", "QuotaName": name, "Value": value}
            for i, (name, value) in enumerate(self.values.items())
        ]
        return 200, {}, json.dumps({"Quotas": quotas})


@contextmanager
def service_quotas_answered(fake: ServiceQuotasFake) -> Iterator[ServiceQuotasFake]:
    def list_service_quotas(self: Any) -> tuple[int, dict[str, str], str]:
        return fake.answer(str(self.current_account), json.loads(self.body or "{}"))

    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]
    try:
        yield fake
    finally:
        del ServiceQuotasResponse.list_service_quotas  # type: ignore[attr-defined]
