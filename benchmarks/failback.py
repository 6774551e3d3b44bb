"""Reversing replication of 500 recovery instances (issue 21): the product's ``reverse_replication``
operation through ``handlers.api.lambda_handler`` (direct invocation, as a runbook calls it) on a
RECOVERY whose five waves of 100 launched 500 EC2-origin recovery instances, vs the floor: the same
500 ``ReverseReplication`` calls made bare with one boto3 client to the same emulator.

Every run, product or floor, starts from fresh state: a new moto and a new DRS emulator
(tests/support/drs.py) holding one finished RECOVERY made as the failback tests make them
(tests/support/drills.py ``finished_execution``: real DRS jobs, 500 recovery instances launched);
product and floor alternate which goes first. (The emulator's ``ReverseReplication`` reads every
instance it holds, so a run sharing an emulator with the other would pay for its instances.) The
deployment runs in the plan's account (``MOTO_ACCOUNT_ID``), so no role is assumed by either.

What the product does beyond the floor, once per call: reads the execution, builds its failback
record (the waves' jobs, their recovery instances and source servers, one ``DescribeRecoveryInstances``
and one ``DescribeSourceServers`` read a wave, one conditional write), claims the servers before DRS
is called and records DRS's answers (conditional writes, chunks of
handlers/failback/records.py ``CHUNK``), then answers the failback view, which reads each reversed
server's replication state in the origin region and records it. Target: median ratio <= 1.3."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.support import ACCOUNT, REGION, moto_with_tables, quiet, verdict

WAVES = 5
SERVERS_PER_WAVE = 100  # one DRS job a wave (DRS starts at most 100 servers a job)
REPETITIONS = 7  # pairs; the median ratio is the middle pair's
TARGET_RATIO = 1.3


def _recovery() -> tuple[str, list[str]]:
    """A finished RECOVERY of a new ``WAVES``-wave plan: (its id, its live recovery instances)."""
    from tests.support.data import plan_body, server_id
    from tests.support.drills import finished_execution
    from tests.support.events import invoke_direct

    groups = []
    for wave in range(WAVES):
        ids = [server_id() for _ in range(SERVERS_PER_WAVE)]
        body = {"accountId": ACCOUNT, "groupName": f"Tier {wave}", "sourceServerIds": ids}
        group = invoke_direct("create_protection_group", body)
        assert "error" not in group, group
        groups.append(group["groupId"])
    plan_request = plan_body(groups)
    for wave_body in plan_request["waves"]:
        wave_body["pauseBeforeExecution"] = False
    plan = invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **plan_request})
    assert "error" not in plan, plan
    execution = finished_execution(plan, is_drill=False)
    return execution.executionId, _instances(execution.executionId)


def _instances(execution_id: str) -> list[str]:
    """The recovery instances the execution's jobs launched, as the emulator holds them."""
    import boto3

    from handlers.repositories.executions import ExecutionRepository

    execution = ExecutionRepository().get(execution_id)
    assert execution is not None
    client = boto3.client("drs", region_name=REGION)
    jobs = client.describe_jobs(filters={"jobIDs": [j for w in execution.waves for j in w.jobIds]})["items"]
    instances = [str(s["recoveryInstanceID"]) for j in jobs for s in j["participatingServers"]]
    assert len(instances) == WAVES * SERVERS_PER_WAVE, len(instances)
    return instances


def _product(execution_id: str) -> float:
    from tests.support.events import invoke_direct

    start = time.perf_counter()
    view = invoke_direct("reverse_replication", {"accountId": ACCOUNT, "executionId": execution_id})
    elapsed = time.perf_counter() - start
    assert "error" not in view, view
    reversed_servers = [s for s in view["servers"] if s["reversal"] == "REVERSED"]
    assert len(reversed_servers) == WAVES * SERVERS_PER_WAVE, view["servers"][:3]
    return elapsed


def _floor(client: Any, instances: list[str]) -> float:
    start = time.perf_counter()
    for instance in instances:
        client.reverse_replication(recoveryInstanceID=instance)["reversedDirectionSourceServerArn"]
    return time.perf_counter() - start


def _on_fresh_state(product: bool) -> float:
    """One timed run on a new moto and a new DRS emulator holding one finished RECOVERY."""
    import boto3

    with moto_with_tables(), quiet():
        execution_id, instances = _recovery()
        if product:
            return _product(execution_id)
        return _floor(boto3.client("drs", region_name=REGION), instances)


def _repetition(order: int) -> tuple[float, float]:
    """(product s, floor s), each on its own fresh state, the product first on even ``order``."""
    if order % 2:
        floor = _on_fresh_state(product=False)
        return _on_fresh_state(product=True), floor
    product = _on_fresh_state(product=True)
    return product, _on_fresh_state(product=False)


def measure() -> dict[str, float]:
    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic

    make_dynamodb_writes_atomic()
    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT  # the deployment's own account is the plan's
    try:
        _repetition(0)  # warm up: imports, first clients
        runs = [_repetition(n) for n in range(REPETITIONS)]
    finally:
        os.environ.pop("MOTO_ACCOUNT_ID", None)
    product = sorted(r[0] for r in runs)
    floor = sorted(r[1] for r in runs)
    ratios = sorted(r[0] / r[1] for r in runs)
    middle = REPETITIONS // 2
    return {
        "product_s": product[middle],
        "floor_s": floor[middle],
        "ratio": ratios[middle],
        "ratio_min": ratios[0],
        "ratio_max": ratios[-1],
    }


def main() -> dict[str, float]:
    figures = measure()
    servers = WAVES * SERVERS_PER_WAVE
    print(
        f"[failback] reversing {servers} recovery instances ({WAVES} waves), moto + DRS emulator in "
        f"process, {REPETITIONS} repetitions on fresh state, interleaved"
    )
    print(f"  reverse_replication (api lambda_handler, direct)  {figures['product_s'] * 1000:8.1f} ms median")
    print(f"  floor: {servers} bare ReverseReplication calls      {figures['floor_s'] * 1000:8.1f} ms median")
    ratio = figures["ratio"]
    print(
        f"  ratio {ratio:.2f}x median (runs {figures['ratio_min']:.2f}-{figures['ratio_max']:.2f}x; "
        f"target <= {TARGET_RATIO}x: {verdict(ratio, TARGET_RATIO)})"
    )
    return figures


if __name__ == "__main__":
    main()
