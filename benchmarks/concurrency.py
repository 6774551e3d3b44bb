"""100 concurrent Protection Group creations and 100 concurrent updates of one group, on moto in
process with threads.

moto does not make a conditional write atomic across threads (real DynamoDB does; docs/architecture.md),
so the emulator is first made to keep that guarantee, as the tests do. Calls go through
``handlers.entry.direct.handle`` (the api Lambda's direct-invocation path): a Lambda container serves one
event at a time, so in production concurrency is between containers sharing the tables, not between
threads sharing the entry point's metrics buffer.

Updates: every thread starts from version 1 (stale for all but the first to land) and, on a 409,
reloads and retries. Every version must be won exactly once and the final version must count every
successful update (no lost write)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.support import ACCOUNT, moto_with_tables, quiet

WRITERS = 100


def _call(operation: str, body: dict[str, Any]) -> Any:
    from handlers.entry import direct

    return direct.handle(
        {"operation": operation, "body": {"accountId": ACCOUNT, "requestedBy": "benchmark", **body}}
    )


def _concurrently(work: Any, count: int) -> list[Any]:
    barrier = threading.Barrier(count)

    def run(n: int) -> Any:
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def creations() -> dict[str, int]:
    def create(n: int) -> Any:
        return _call(
            "create_protection_group", {"groupName": f"Group {n}", "sourceServerIds": [f"s-{n:017x}"]}
        )

    results = _concurrently(create, WRITERS)
    stored = _call("list_protection_groups", {"limit": 100})["items"]
    per_name = Counter(g["groupName"] for g in stored)
    return {
        "succeeded": sum("error" not in r for r in results),
        "stored": len(stored),
        "distinct ids": len({g["groupId"] for g in stored}),
        "names stored exactly once": sum(1 for n in per_name.values() if n == 1),
    }


def updates() -> dict[str, int]:
    group = _call(
        "create_protection_group", {"groupName": "Contended", "sourceServerIds": [f"s-{999_999:017x}"]}
    )
    first_round_wins: list[int] = []
    conflicts = Counter[str]()

    def update(n: int) -> int:
        version, first = 1, True
        while True:
            body = {"groupId": group["groupId"], "version": version, "description": f"writer {n}"}
            result = _call("update_protection_group", body)
            if "error" not in result:
                if first:
                    first_round_wins.append(n)
                return int(result["version"])
            conflicts[result["error"]] += 1
            first = False
            version = _call("get_protection_group", {"groupId": group["groupId"]})["version"]

    won = Counter(_concurrently(update, WRITERS))
    final = _call("get_protection_group", {"groupId": group["groupId"]})
    return {
        "successful updates": sum(won.values()),
        "409 conflicts (retried)": conflicts["CONFLICT"],
        "other errors": sum(n for code, n in conflicts.items() if code != "CONFLICT"),
        "wins with the initial (stale) version 1": len(first_round_wins),
        "versions won exactly once": sum(1 for n in won.values() if n == 1),
        "versions won more than once": sum(1 for n in won.values() if n > 1),
        "final version": int(final["version"]),
    }


def measure() -> dict[str, dict[str, int]]:
    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic

    make_dynamodb_writes_atomic()
    with moto_with_tables(), quiet():
        return {"creations": creations(), "updates": updates()}


def main() -> dict[str, dict[str, int]]:
    figures = measure()
    created, updated = figures["creations"], figures["updates"]
    print(f"[concurrency] {WRITERS} threads each")
    for name, value in [*created.items(), *updated.items()]:
        print(f"  {name:<42} {value}")
    ok = (
        created["succeeded"] == created["stored"] == created["distinct ids"] == WRITERS
        and created["names stored exactly once"] == WRITERS
        and updated["successful updates"] == WRITERS
        and updated["wins with the initial (stale) version 1"] == 1
        and updated["versions won exactly once"] == WRITERS
        and updated["final version"] == WRITERS + 1
        and updated["other errors"] == 0
    )
    print(f"  every creation stored once, one winner per version, no lost write: {'yes' if ok else 'NO'}")
    return figures


if __name__ == "__main__":
    main()
