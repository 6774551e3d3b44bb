"""The DRS launch quotas the simulated DRS enforces, and how Service Quotas lists them.

DRS refuses a ``StartRecovery`` beyond its quotas with ``ServiceQuotaExceededException`` (HTTP 402
in botocore's ``drs`` model); Service Quotas lists the same quotas for service code ``drs``
(handlers/aws/quotas.py reads them there). The defaults are DRS's documented ones: 100 servers in a
job, 20 concurrent jobs, 500 servers in all jobs. The sandbox changes them with the fault knob
``quotas`` (:mod:`sandbox.emulators.faults`), the tests on the emulator directly."""

from __future__ import annotations

import json
from dataclasses import dataclass

# Quota names as Service Quotas lists them for service code "drs" (handlers/aws/quotas.py matches words).
SERVERS_PER_JOB = "Max source servers in a single Drill or Recovery job"
CONCURRENT_JOBS = "Max concurrent Jobs in progress"
SERVERS_IN_ALL_JOBS = "Max source servers in all Jobs"
QUOTA_CODES = {
    SERVERS_PER_JOB: "L-SBX00001",
    CONCURRENT_JOBS: "L-SBX00002",
    SERVERS_IN_ALL_JOBS: "L-SBX00003",
}


@dataclass(frozen=True)
class DrsQuotas:
    servers_per_job: int = 100
    concurrent_jobs: int = 20
    servers_in_all_jobs: int = 500

    def by_name(self) -> dict[str, int]:
        return {
            SERVERS_PER_JOB: self.servers_per_job,
            CONCURRENT_JOBS: self.concurrent_jobs,
            SERVERS_IN_ALL_JOBS: self.servers_in_all_jobs,
        }


def list_service_quotas(quotas: DrsQuotas) -> bytes:
    """A ``ListServiceQuotas`` answer (service code ``drs``) listing ``quotas``."""
    listed = [
        {
            "ServiceCode": "drs",
            "ServiceName": "AWS Elastic Disaster Recovery (simulated)",
            "QuotaCode": QUOTA_CODES[name],
            "QuotaName": name,
            "Value": float(value),
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }
        for name, value in quotas.by_name().items()
    ]
    return json.dumps({"Quotas": listed}).encode()
