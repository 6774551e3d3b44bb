"""The simulated DRS estate: demo accounts and their source servers (moto has no DRS).

Everything here is invented and labelled as simulated wherever a user sees it. Ids are stable
(derived from the account and an index), so a sandbox restart shows the same servers. Servers are
kept per account: an id is known only in its own account, as in DRS. The first account is the
deployment's own (the sandbox runs moto as that account, see ``sandbox.runtime.embedded_aws``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

SIMULATED_LABEL = "simulated DRS (sandbox emulator; no real servers are launched)"
ACCOUNTS = ("111111111111", "222222222222")
DEPLOYMENT_ACCOUNT = ACCOUNTS[0]
SERVERS_PER_ACCOUNT = 24
FAILING_PER_FIRST_ACCOUNT = 2
# Servers whose replication has STALLED (readiness FAILs them), after the others of the first
# account so that groups made from the first servers (the demo's, the seed's) stay healthy:
# (minutes since replication stalled, DRS's dataReplicationError).
UNHEALTHY_IN_FIRST_ACCOUNT = ((192, "NOT_CONVERGING"), (47, "UNSTABLE_NETWORK"))
REGION = "us-east-1"  # the recovery region: where the source servers replicate to and launch
# Where the EC2 source machines run, and where ReverseReplication's source servers replicate to
# (failback; ``sandbox.emulators.drs_failback``). Every call acts in the region that signed it.
ORIGIN_REGION = "us-west-2"
# On-premises source servers of the first account (DRS ``originEnvironment`` ON_PREMISES): their
# recovery instances fail back through the DRS Failback Client, not ReverseReplication. After the
# stalled servers, tiered ``app`` with ``onprem`` in the hostname.
ON_PREMISES_IN_FIRST_ACCOUNT = 4
# Every server is tagged ``Tier`` (and its hostname starts with the tier): a third of each account
# per tier, in blocks: app (0-7), web (8-15), db (16-23). The first account's failing servers are
# the last two, so ``Tier=web`` selects servers that launch (the sandbox's tag-group drill).
TIERS = ("app", "web", "db")


def tier_of(index: int, count: int = 24) -> str:
    return TIERS[min(index * len(TIERS) // max(count, 1), len(TIERS) - 1)]


def server_id(account_id: str, index: int) -> str:
    digest = hashlib.sha256(f"{account_id}:{index}".encode()).hexdigest()
    return "s-" + digest[:17]


@dataclass(frozen=True)
class SourceServer:
    account_id: str
    server_id: str
    hostname: str
    fails_to_launch: bool = False
    replication_state: str = "CONTINUOUS"
    tags: Mapping[str, str] = field(default_factory=dict)  # the server's own tags (DRS TagResource)
    lag_seconds: int = 2  # how far replication is behind
    replication_error: str = ""  # DRS's dataReplicationError.error, "" for none
    region: str = REGION  # the DRS region the server is a source server of
    on_premises: bool = False  # its machine runs on premises (else on EC2 in ``origin_region``)
    origin_region: str = ORIGIN_REGION  # where its EC2 machine runs (EC2 origin only)
    direction: str = "FAILOVER"  # DRS replicationDirection: FAILBACK for a reversed server

    @property
    def arn(self) -> str:
        return f"arn:aws:drs:{self.region}:{self.account_id}:source-server/{self.server_id}"

    @property
    def origin_zone(self) -> str:
        """The availability zone its EC2 machine runs in (stable per server)."""
        return self.origin_region + "abc"[int(self.server_id[-1], 36) % 3]


@dataclass
class Estate:
    servers: dict[str, dict[str, SourceServer]] = field(default_factory=dict)  # account -> id -> server

    @classmethod
    def demo(cls) -> Estate:
        estate = cls()
        for n, account in enumerate(ACCOUNTS):
            servers: dict[str, SourceServer] = {}
            for i in range(SERVERS_PER_ACCOUNT):
                sid = server_id(account, i)
                # The last servers of the first account always fail: demos and tests need failures.
                failing = n == 0 and i >= SERVERS_PER_ACCOUNT - FAILING_PER_FIRST_ACCOUNT
                tier = tier_of(i, SERVERS_PER_ACCOUNT)
                hostname = f"{tier}-{i:02d}.acct{n + 1}.example.internal"
                tags = {"Name": hostname, "Tier": tier}
                servers[sid] = SourceServer(account, sid, hostname, fails_to_launch=failing, tags=tags)
            estate.servers[account] = servers
        first = ACCOUNTS[0]
        for n, (minutes, error) in enumerate(UNHEALTHY_IN_FIRST_ACCOUNT):
            index = SERVERS_PER_ACCOUNT + n
            sid = server_id(first, index)
            hostname = f"db-{index:02d}.acct1.example.internal"  # never Tier=web: its drill stays ready
            estate.servers[first][sid] = SourceServer(
                first,
                sid,
                hostname,
                tags={"Name": hostname, "Tier": "db"},
                replication_state="STALLED",
                lag_seconds=minutes * 60,
                replication_error=error,
            )
        for n in range(ON_PREMISES_IN_FIRST_ACCOUNT):
            index = SERVERS_PER_ACCOUNT + len(UNHEALTHY_IN_FIRST_ACCOUNT) + n
            sid = server_id(first, index)
            hostname = f"app-onprem-{n:02d}.acct1.example.internal"
            tags = {"Name": hostname, "Tier": "app"}
            estate.servers[first][sid] = SourceServer(first, sid, hostname, tags=tags, on_premises=True)
        return estate

    def find(self, account_id: str, server_id: str) -> SourceServer | None:
        """The server ``server_id`` of ``account_id``; ``None`` if that account has no such server."""
        return self.servers.get(account_id, {}).get(server_id)

    def add(self, server: SourceServer) -> None:
        self.servers.setdefault(server.account_id, {})[server.server_id] = server

    def add_healthy(self, account_id: str, count: int, tags: Mapping[str, str]) -> list[str]:
        """``count`` new healthy, replicating source servers of ``account_id`` carrying ``tags``
        (and a ``Name``); their ids, in the order added. Like every server they have a recovery
        snapshot every hour of the last 7 days (:mod:`sandbox.data.drs_snapshots`)."""
        servers = self.servers.setdefault(account_id, {})
        index, added = len(servers), list[str]()
        while len(added) < count:
            sid = server_id(account_id, index)
            if sid not in servers:
                hostname = f"added-{index:04d}.{account_id}.example.internal"
                self.add(SourceServer(account_id, sid, hostname, tags={"Name": hostname, **tags}))
                added.append(sid)
            index += 1
        return added

    def retag(self, account_id: str, server_id: str, tags: Mapping[str, str]) -> None:
        """Replace a server's tags (what DRS TagResource/UntagResource would leave)."""
        self.add(replace(self.servers[account_id][server_id], tags=dict(tags)))

    def tags(self) -> dict[str, dict[str, str]]:
        """Server id -> its tags, every account (the sandbox's ``sourceServerTags``)."""
        return {s.server_id: dict(s.tags) for servers in self.servers.values() for s in servers.values()}

    def in_account(self, account_id: str) -> list[SourceServer]:
        return list(self.servers.get(account_id, {}).copy().values())  # copy: atomic if one is added

    def source_server_ids(self) -> dict[str, list[str]]:
        return {account: list(servers) for account, servers in self.servers.items()}

    def failing_server_ids(self) -> list[str]:
        return [
            s.server_id for servers in self.servers.values() for s in servers.values() if s.fails_to_launch
        ]

    def unhealthy_server_ids(self) -> list[str]:
        """Servers whose replication is not healthy (readiness FAILs them)."""
        return [
            s.server_id
            for servers in self.servers.values()
            for s in servers.values()
            if s.replication_state != "CONTINUOUS"
        ]

    def on_premises_server_ids(self) -> dict[str, list[str]]:
        """Account -> its on-premises source servers (the sandbox's ``onPremisesSourceServers``)."""
        return {
            account: [s.server_id for s in servers.values() if s.on_premises]
            for account, servers in self.servers.items()
        }

    def healthy_server_ids(self, account_id: str) -> list[str]:
        """Servers that launch and replicate."""
        return [
            s.server_id
            for s in self.servers[account_id].values()
            if not s.fails_to_launch and s.replication_state == "CONTINUOUS"
        ]
