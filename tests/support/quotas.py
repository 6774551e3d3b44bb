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

# Quota names as Service Quotas lists them for service code "drs" (handlers/aws/quotas.py matches words).
from sandbox.data.drs_quotas import CONCURRENT_JOBS, SERVERS_IN_ALL_JOBS, SERVERS_PER_JOB, DrsQuotas


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


def set_drs_quotas(aws: Any, servers_per_job: int, concurrent_jobs: int, servers_in_all_jobs: int) -> None:
    """The account's DRS quotas, alike where the product reads them (Service Quotas) and where DRS
    enforces them (the emulator refuses a StartRecovery beyond them)."""
    aws.quotas.values.update(
        {
            SERVERS_PER_JOB: servers_per_job,
            CONCURRENT_JOBS: concurrent_jobs,
            SERVERS_IN_ALL_JOBS: servers_in_all_jobs,
        }
    )
    aws.drs.quotas = DrsQuotas(servers_per_job, concurrent_jobs, servers_in_all_jobs)
