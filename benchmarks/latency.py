"""``create_protection_group`` through ``handlers.api.lambda_handler`` (direct invocation) vs one
bare ``put_item`` of the same item, on moto in process. Median of 200 each. Target: <= 3x.

The handler's call does what the product needs: validate, claim the source servers (a conditional
put for one server, one transaction per 100 servers otherwise: that is how "one group per server"
survives concurrency), insert the group conditionally, log and emit a metric. The benchmark group
has one source server, so the call makes two DynamoDB writes; profiled, those writes are ~92% of
its time. The machine is shared: run it twice before trusting a figure."""

from __future__ import annotations

import time
import uuid
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict
from handlers.repositories.dynamo import from_item

SAMPLES = 200
WARM_UP = 20
TARGET = 3.0


def _create(n: int) -> float:
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext

    body = {
        "accountId": ACCOUNT,
        "requestedBy": "benchmark",
        "groupName": f"Bench {n}",
        "sourceServerIds": [f"s-{n:017x}"],
    }
    event = {"operation": "create_protection_group", "body": body}
    start = time.perf_counter()
    result = lambda_handler(event, LambdaContext())
    elapsed = time.perf_counter() - start
    assert "error" not in result, result
    return elapsed


def _put(table: Any, item: dict[str, Any]) -> float:
    fresh = {**item, "groupId": str(uuid.uuid4())}
    start = time.perf_counter()
    table.put_item(Item=fresh)
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    """Creates and puts alternate, so load on the machine drifts over both alike."""
    import boto3

    with moto_with_tables() as tables, quiet():
        table = boto3.resource("dynamodb", region_name=REGION).Table(tables["PROTECTION_GROUPS_TABLE"])
        _create(0)
        item = from_item(table.scan(Limit=1)["Items"][0])
        creates, puts = [], []
        for n in range(1, WARM_UP + SAMPLES + 1):
            creates.append(_create(n))
            puts.append(_put(table, item))
    create_ms, put_ms = median_ms(creates[WARM_UP:]), median_ms(puts[WARM_UP:])
    return {"create_ms": create_ms, "put_ms": put_ms, "ratio": create_ms / put_ms}


def main() -> dict[str, float]:
    figures = measure()
    print(f"[latency] moto in process, median of {SAMPLES} each")
    print(f"  create_protection_group via lambda_handler {figures['create_ms']:6.2f} ms")
    print(f"  bare put_item of the same item             {figures['put_ms']:6.2f} ms")
    print(f"  ratio {figures['ratio']:.2f}x (target <= {TARGET}x: {verdict(figures['ratio'], TARGET)})")
    return figures


if __name__ == "__main__":
    main()
