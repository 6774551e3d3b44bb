"""A wave's servers are stored without the fields still at their defaults (handlers/models/execution.py
``ServerLaunch``, dumped for storage by handlers/repositories/dynamo.py ``to_item``), and read back
whole; what callers are shown keeps every field."""

from __future__ import annotations

from handlers.models.execution import ServerLaunch, WaveProgress
from handlers.repositories.dynamo import to_item


def _wave() -> WaveProgress:
    servers = [
        ServerLaunch(sourceServerId="s-00000000000000001", launchStatus="QUEUED"),
        ServerLaunch(
            sourceServerId="s-00000000000000002", launchStatus="LAUNCHED", recoveryInstanceId="i-1", attempt=2
        ),
    ]
    return WaveProgress(waveNumber=1, protectionGroupId="g", protectionGroupName="Tier", servers=servers)


def test_a_stored_server_leaves_out_its_defaults_and_reads_back_whole() -> None:
    # Given a wave with a queued server and a launched one, When it is stored
    stored = to_item(_wave())
    # Then each server keeps only what differs from the defaults, and reading it back gives the wave
    assert stored["servers"] == [
        {"sourceServerId": "s-00000000000000001", "launchStatus": "QUEUED"},
        {
            "sourceServerId": "s-00000000000000002",
            "launchStatus": "LAUNCHED",
            "recoveryInstanceId": "i-1",
            "attempt": 2,
        },
    ]
    assert WaveProgress.model_validate(stored) == _wave()


def test_a_server_shown_to_callers_keeps_every_field() -> None:
    shown = _wave().model_dump(mode="json")["servers"][0]
    assert set(shown) == set(ServerLaunch.model_fields)
