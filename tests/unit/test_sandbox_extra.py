"""``pip install drs-chatops`` without the ``sandbox`` extra: ``drs-chatops sandbox`` and ``demo``
say which extra to install instead of dying on an ImportError."""

from __future__ import annotations

import sys
import tomllib

import pytest

from sandbox.entry.subprocess_sandbox import ROOT, free_port
from scripts.cli import main


@pytest.mark.parametrize("command", ["sandbox", "demo"])
def test_a_missing_sandbox_extra_is_named_with_the_install_command(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given PyYAML is not installed (a module blocked in sys.modules cannot be imported)
    monkeypatch.setitem(sys.modules, "yaml", None)
    ports = ["--port", str(free_port()), "--aws-port", str(free_port())] if command == "sandbox" else []

    status = main([command, *ports])

    error = capsys.readouterr().err
    assert status == 2
    assert "pip install 'drs-chatops[sandbox]'" in error
    assert "missing: pyyaml" in error


def test_the_sandbox_extra_holds_moto_server_and_pyyaml_and_dev_includes_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    assert any(r.startswith("moto[server]") for r in extras["sandbox"])
    assert any(r.lower().startswith("pyyaml") for r in extras["sandbox"])
    assert "drs-chatops[sandbox]" in extras["dev"]
