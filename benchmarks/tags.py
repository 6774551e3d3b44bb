"""Resolving a tag group over 1,000 source servers (``handlers.aws.drs.resolve_tags``) vs the floor: the
bare ``DescribeSourceServers`` pages it must read anyway (DRS has no tag filter), same client, same
page size, same in-process emulator (tests/support/drs.py), measured in the same run, interleaved.
Target: median ratio <= 1.3 (the tag comparison and id list cost at most 30 % over the reads)."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.support import ACCOUNT, REGION, fake_aws_environment, median_ms, quiet, verdict

SERVERS = 1000
SAMPLES = 30
TARGET_RATIO = 1.3
TAGS = {"App": "bench", "Env": "prod"}


def _bare_pages(client: Any) -> int:
    from handlers.aws.drs import DESCRIBE_PAGE_SIZE

    items: list[dict[str, Any]] = []
    paginator = client.get_paginator("describe_source_servers")
    for page in paginator.paginate(PaginationConfig={"PageSize": DESCRIBE_PAGE_SIZE}):
        items.extend(page.get("items", []))
    return len(items)


def measure() -> dict[str, float]:
    fake_aws_environment()
    from moto import mock_aws

    from handlers import aws
    from handlers.aws import drs
    from tests.support.drs import add_tagged_servers, emulator
    from tests.support.inprocess import drs_calls_answered

    aws.reset()
    with mock_aws(), drs_calls_answered(emulator(ACCOUNT)) as simulated, quiet():
        wanted = add_tagged_servers(simulated, ACCOUNT, SERVERS // 2, TAGS)
        add_tagged_servers(simulated, ACCOUNT, SERVERS - SERVERS // 2, {"App": "bench", "Env": "test"})
        client = drs.client_for(drs.target(ACCOUNT, REGION), "bench-tags")
        assert drs.resolve_tags(client, TAGS) == wanted  # warm up, and check the answer
        simulated.calls.clear()
        floor: list[float] = []
        resolve: list[float] = []
        for _ in range(SAMPLES):
            start = time.perf_counter()
            _bare_pages(client)
            floor.append(time.perf_counter() - start)
            start = time.perf_counter()
            drs.resolve_tags(client, TAGS)
            resolve.append(time.perf_counter() - start)
        pages = len(simulated.calls) / (2 * SAMPLES)
    aws.reset()
    floor_ms, resolve_ms = median_ms(floor), median_ms(resolve)
    return {"resolve_ms": resolve_ms, "floor_ms": floor_ms, "ratio": resolve_ms / floor_ms, "pages": pages}


def main() -> dict[str, float]:
    figures = measure()
    ratio, pages = figures["ratio"], figures["pages"]
    print(f"[tags] in-process DRS emulator, {SERVERS} source servers in one account, {SAMPLES} samples each")
    print(
        f"  resolve_tags ({len(TAGS)} tags, half the servers match)   {figures['resolve_ms']:7.2f} ms median"
    )
    print(
        f"  floor: the bare DescribeSourceServers pages ({pages:.0f})  {figures['floor_ms']:7.2f} ms median"
    )
    print(f"  ratio {ratio:.2f}x (target <= {TARGET_RATIO}x: {verdict(ratio, TARGET_RATIO)})")
    return figures


if __name__ == "__main__":
    main()
