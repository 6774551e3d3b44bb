"""Installed as a user installs it: a wheel built from the checkout, installed into a fresh virtual
environment, run from another folder. The sandbox must deploy every template from ``cfn/`` and the
functions must render emails and pages from ``templates/``, both read from the installed package.

The wheel goes in with ``--no-deps``; the new environment reaches the dependencies already installed
in the development one through a ``.pth`` line. That line only adds a folder to ``sys.path``: the
``.pth`` files inside it (the development environment's editable install of this project) are not
run, so every project module and data file comes from the wheel."""

from __future__ import annotations

import os
import signal
import site
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.entry.subprocess_sandbox import ROOT, free_port, wait_for_info
from tests.e2e.conftest import http

pytestmark = pytest.mark.e2e


def installed_from_wheel(tmp_path: Path) -> Path:
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheel = next(wheels.glob("drs_chatops-*.whl"))
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "development-dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    return venv


def test_the_installed_wheel_runs_the_sandbox_from_another_folder(tmp_path: Path) -> None:
    # Given the wheel installed into a fresh environment, and a folder that is not the checkout
    venv = installed_from_wheel(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import handlers, templates, cfn; print(handlers.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv) in located.stdout  # the project's code comes from the wheel, not the checkout
    port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONPATH"}
    log_path = tmp_path / "sandbox.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(venv / "bin" / "drs-chatops"), "sandbox", "--port", str(port), "--aws-port", str(aws_port)],
            cwd=elsewhere,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # When it starts
        info = wait_for_info(f"http://127.0.0.1:{port}/_sandbox/info", process, timeout=120)
        account = {"X-Sandbox-Account": info["accounts"][0]}
        # Then every template was deployed: the seeded plan exists and the API answers
        plans = http("GET", info["apiUrl"] + "/recovery-plans", headers=account).json()["items"]
        plan = next(p for p in plans if p["planName"] == "Payments failover")
        # And a page renders from the installed templates (the email link's confirmation page)
        page = http("GET", info["apiUrl"] + "/execution-callback?action=resume&approval=" + "x" * 43)
        assert page.status in (200, 404) and b"<html" in page.body.lower()
        # And an email renders: a drill's start is announced to the outbox
        started = http("POST", info["apiUrl"] + "/executions", {"planId": plan["planId"]}, headers=account)
        assert started.status in (200, 201, 202), started.body
        deadline = time.monotonic() + 60
        emails: list[dict[str, str]] = []
        while time.monotonic() < deadline and not emails:
            emails = [
                m
                for m in http("GET", info["outboxUrl"] + ".json").json()
                if "Payments failover" in m["subject"]
            ]
            time.sleep(0.5)
        assert emails, "no email was rendered and delivered"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = log_path.read_text()
    for missing in ("not present", "TemplateNotFound", "MissingPackageDataError", "FileNotFoundError"):
        assert missing not in log, log[-3000:]
