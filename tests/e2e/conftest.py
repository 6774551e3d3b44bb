"""One sandbox subprocess per test session, on free ports; tests reach it only over HTTP and boto3,
with the endpoints it publishes at ``/_sandbox/info``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.entry.subprocess_sandbox import CHROMIUM, CHROMIUM_ARGS, SandboxNotReady, sandbox_subprocess

START_TIMEOUT_SECONDS = 30


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and not request.has_header("Content-type"):  # urllib capitalizes names
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Response(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(), dict(error.headers))


@dataclass
class RunningSandbox:
    info: dict[str, Any]
    log_path: Path

    def api(
        self, method: str, path: str, body: Any = None, *, account: str | None = None, claim: bool = True
    ) -> Response:
        """Call the REST API as a user of ``account`` (default: the first demo account);
        ``claim=False`` sends no X-Sandbox-Account: an identity without an account claim."""
        headers = {"X-Sandbox-Account": account or self.info["accounts"][0]} if claim else {}
        return http(method, self.info["apiUrl"] + path, body, headers)

    def lambda_client(self) -> Any:
        import boto3

        return boto3.client(
            "lambda",
            endpoint_url=self.info["lambdaEndpoint"],
            region_name=self.info["region"],
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    log_path = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    try:
        with sandbox_subprocess(log_path, timeout=START_TIMEOUT_SECONDS) as info:
            yield RunningSandbox(info=info, log_path=log_path)
    except SandboxNotReady as exc:
        raise RuntimeError(f"{exc}:\n{log_path.read_text()[-4000:]}") from exc


MISSING_BROWSER = (
    "the browser tests need Debian's Chromium at /usr/bin/chromium: "
    "sudo apt-get install -y --no-install-recommends chromium chromium-driver "
    "(never `playwright install`)"
)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, with a fresh profile. Fails - never skips -
    when Chromium or Playwright is missing, saying what to install."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING_BROWSER, pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: .venv/bin/pip install -e '.[dev]'", pytrace=False)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab; JavaScript errors on it fail the test."""
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def runs(sandbox: RunningSandbox) -> Iterator[Any]:
    """A test's own groups, plans and runs (tests/e2e/runs.py), cancelled and deleted afterwards."""
    from tests.e2e.runs import Runs  # runs.py imports this module

    made = Runs(sandbox)
    yield made
    made.clean_up()
