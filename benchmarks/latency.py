"""``create_protection_group`` through ``handlers.api.lambda_handler`` (direct invocation) vs one
bare ``put_item`` of the same item, on moto in process. Median of 200 each. Target: <= 3x.

The handler's call does what the product needs: validate, claim each source server (one
conditional put per server: that is how "one group per server" survives concurrency), insert the
group conditionally, log and emit a metric. The benchmark group has one source server."""

from __future__ import annotations

import time
import uuid
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict

SAMPLES = 200
WARM_UP = 20
TARGET = 3.0


def _server(n: int) -> str:
    return f"s-{n:017x}"


def _time_creates(count: int, first_server: int) -> list[float]:
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext

    samples = []
    for n in range(first_server, first_server + count):
        body = {"accountId": ACCOUNT, "groupName": f"Bench {n}", "sourceServerIds": [_server(n)]}
        event = {"operation": "create_protection_group", "body": body}
        start = time.perf_counter()
        result = lambda_handler(event, LambdaContext())
        samples.append(time.perf_counter() - start)
        assert "error" not in result, result
    return samples


def _time_puts(table: Any, item: dict[str, Any], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        fresh = {**item, "groupId": str(uuid.uuid4())}
        start = time.perf_counter()
        table.put_item(Item=fresh)
        samples.append(time.perf_counter() - start)
    return samples


def measure() -> dict[str, float]:
    import boto3

    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext

    with moto_with_tables() as tables, quiet():
        table = boto3.resource("dynamodb", region_name=REGION).Table(tables["PROTECTION_GROUPS_TABLE"])
        _time_creates(WARM_UP, 1)
        creates = _time_creates(SAMPLES, 10_000)
        item = lambda_handler(
            {
                "operation": "get_protection_group",
                "body": {"accountId": ACCOUNT, "groupId": _any_group(table)},
            },
            LambdaContext(),
        )
        _time_puts(table, item, WARM_UP)
        puts = _time_puts(table, item, SAMPLES)
    create_ms, put_ms = median_ms(creates), median_ms(puts)
    return {"create_ms": create_ms, "put_ms": put_ms, "ratio": create_ms / put_ms}


def _any_group(table: Any) -> str:
    return str(table.scan(Limit=1)["Items"][0]["groupId"])


def main() -> dict[str, float]:
    figures = measure()
    print(f"[latency] moto in process, median of {SAMPLES} each")
    print(f"  create_protection_group via lambda_handler {figures['create_ms']:6.2f} ms")
    print(f"  bare put_item of the same item             {figures['put_ms']:6.2f} ms")
    print(f"  ratio {figures['ratio']:.2f}x (target <= {TARGET}x: {verdict(figures['ratio'], TARGET)})")
    return figures


if __name__ == "__main__":
    main()
