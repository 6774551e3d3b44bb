"""A 1,000-server wave launched within DRS's quotas by the engine (``start_wave`` then ``poll_wave``
until the wave ends, handlers/runs/orchestration.py) vs the floor: the bare ``StartRecovery`` and
``DescribeJobs`` calls any launcher must make under the same quotas - start jobs of 100 while fewer
than 500 servers and 20 jobs run, poll, start the rest as capacity frees - with the same client, the
same poll interval and the same in-process emulator (tests/support/drs.py), whose jobs take a few
seconds of wall time as in the sandbox. Measured in the same run, alternating. What the engine adds
is its records (every batch and poll written to the execution, read back next poll) and the quota
and capacity reads. Target: median ratio <= 1.3."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.support import ACCOUNT, REGION, fake_aws_environment, quiet, verdict

SERVERS = 1000
SAMPLES = 3
POLL_SECONDS = 1
TARGET_RATIO = 1.3
PER_JOB, CONCURRENT, IN_ALL_JOBS = 100, 20, 500  # DRS's documented defaults


def _bare(client: Any, servers: list[str]) -> float:
    """The floor: the same batches, started the moment the quotas allow, polled at the same interval."""
    from handlers.aws import drs

    start = time.perf_counter()
    queued, mine = list(servers), list[str]()
    while True:
        running = drs.active_jobs(client)
        free_jobs = CONCURRENT - len(running)
        free_servers = IN_ALL_JOBS - sum(len(j["participatingServers"]) for j in running)
        while queued and free_jobs > 0 and free_servers > 0:
            size = min(PER_JOB, free_servers, len(queued))
            batch, queued = queued[:size], queued[size:]
            mine.append(drs.start_job(client, batch, is_drill=True, tags={}, snapshots={}))
            free_jobs, free_servers = free_jobs - 1, free_servers - size
        jobs = drs.describe_jobs(client, mine)
        if not queued and all(j["status"] == "COMPLETED" for j in jobs):
            return time.perf_counter() - start
        time.sleep(POLL_SECONDS)


def _engine(execution_id: str) -> float:
    from handlers.models.execution import PollWaveTask, StartWaveTask
    from handlers.runs.orchestration import poll_wave, start_wave

    start = time.perf_counter()
    result = start_wave(StartWaveTask(task="start_wave", executionId=execution_id, waveNumber=1))
    while True:
        time.sleep(result["waitSeconds"])
        result = poll_wave(PollWaveTask(task="poll_wave", executionId=execution_id, waveNumber=1))
        if result["status"] != "IN_PROGRESS":
            assert result["status"] == "COMPLETED", result
            return time.perf_counter() - start


def measure() -> dict[str, float]:
    fake_aws_environment()
    import boto3
    from moto import mock_aws

    from handlers import aws
    from handlers.aws import drs
    from handlers.core.settings import get_settings
    from tests.support.cfn import create_tables
    from tests.support.data import group_body, plan_body, server_id, stored_one_wave_execution
    from tests.support.drs import emulator
    from tests.support.events import invoke_direct
    from tests.support.inprocess import drs_calls_answered
    from tests.support.quotas import ServiceQuotasFake, service_quotas_answered

    with (
        mock_aws(),
        drs_calls_answered(emulator(ACCOUNT)) as simulated,
        service_quotas_answered(ServiceQuotasFake()),
        quiet(),
    ):
        tables = create_tables(boto3.client("dynamodb", region_name=REGION), prefix="bench")
        os.environ.update(tables, DRS_POLL_SECONDS=str(POLL_SECONDS), DRS_POLL_MAX_SECONDS=str(POLL_SECONDS))
        get_settings.cache_clear()
        aws.reset()
        servers = [server_id() for _ in range(SERVERS)]
        group = invoke_direct(
            "create_protection_group", {"accountId": ACCOUNT, **group_body("Big", sourceServerIds=servers)}
        )
        plan = invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **plan_body([group["groupId"]])})
        assert "error" not in group and "error" not in plan, (group, plan)
        simulated.complete_after_polls = None  # jobs take wall time (sandbox/data/drs_shapes.py), not polls
        client = drs.client_for(drs.target(ACCOUNT, REGION), "bench-quotas")
        floor, engine = [], []
        for _ in range(SAMPLES):
            floor.append(_bare(client, servers))
            engine.append(_engine(stored_one_wave_execution(plan, group, ACCOUNT)))
        assert max(load[2] for load in simulated.load) <= IN_ALL_JOBS, "over the servers-in-all-jobs quota"
    get_settings.cache_clear()
    aws.reset()
    ratios = sorted(e / f for e, f in zip(engine, floor, strict=True))
    return {"floor_s": median(floor), "engine_s": median(engine), "ratio": ratios[len(ratios) // 2]}


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> dict[str, float]:
    figures = measure()
    ratio = figures["ratio"]
    print(
        f"[quotas] {SERVERS}-server wave, quotas {PER_JOB}/{CONCURRENT}/{IN_ALL_JOBS}, {SAMPLES} samples each"
    )
    print(f"  engine: start_wave + poll_wave until the wave ends   {figures['engine_s']:6.2f} s median")
    print(f"  floor: bare StartRecovery + DescribeJobs, same polls   {figures['floor_s']:6.2f} s median")
    print(f"  ratio {ratio:.2f}x (target <= {TARGET_RATIO}x: {verdict(ratio, TARGET_RATIO)})")
    return figures


if __name__ == "__main__":
    main()
