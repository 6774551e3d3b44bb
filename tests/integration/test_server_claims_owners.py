"""``ServerClaimRepository.owners``: who holds which of many servers, in batch reads (the native plan
import's check before it writes, handlers/native_plans/importing.py), on moto."""

from __future__ import annotations

from typing import Any

from handlers.repositories.server_claims import ServerClaimRepository
from tests.conftest import ACCOUNT_A, ACCOUNT_B


def _servers(first: int, count: int) -> list[str]:
    return [f"s-{first + n:017x}" for n in range(count)]


def test_owners_names_the_holder_of_each_claimed_server_over_several_batches(aws: Any) -> None:
    # Given 250 servers of account A, 120 held by group g1 and 30 by g2, the rest unclaimed
    claims = ServerClaimRepository()
    servers = _servers(0x1000, 250)
    for start in range(0, 120, 100):
        assert claims.claim_all(ACCOUNT_A, servers[start : min(start + 100, 120)], "g1") is None
    assert claims.claim_all(ACCOUNT_A, servers[200:230], "g2") is None
    # When their owners are asked for, one server twice
    owners = claims.owners(ACCOUNT_A, [*servers, servers[0]])
    # Then exactly the claimed ones are named, each with its group, in the order asked
    assert owners == {**{s: "g1" for s in servers[:120]}, **{s: "g2" for s in servers[200:230]}}
    assert list(owners) == servers[:120] + servers[200:230]


def test_owners_sees_only_the_accounts_own_claims(aws: Any) -> None:
    # Given a server claimed in account B
    claims = ServerClaimRepository()
    [server] = _servers(0x2000, 1)
    assert claims.claim(ACCOUNT_B, server, "b-group") is None
    # When account A asks who holds it
    # Then nobody does in account A; account B sees its group
    assert claims.owners(ACCOUNT_A, [server]) == {}
    assert claims.owners(ACCOUNT_B, [server]) == {server: "b-group"}
    assert claims.owners(ACCOUNT_A, []) == {}
