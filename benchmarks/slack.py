"""Slack bot benchmarks: ``python -m benchmarks.slack``.

1. Ack latency: a signed ``/dr plans`` through ``bot.app.lambda_handler`` in process (signature
   check, configured authorize, parse, ack), lazy work excluded (the lazy runner is a no-op), vs a
   bare Bolt app whose one command only acks, behind the same ``SlackRequestHandler``, same run.
   Targets: median <= 5 ms and <= 20x the bare app.
2. Cold start: a fresh interpreter importing ``bot.app`` vs importing the third-party modules
   ``bot.app`` pulls in (found by importing it once and listing site-packages modules), alone.
   Target: ratio <= 1.25."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"  # noqa: S105 (a benchmark-only fake)
ACKS = 2000
RUNS = 11
TIMER = "import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
LIST_DEPS = (
    "import sys, bot.app; print(','.join(n for n, m in list(sys.modules.items()) "
    "if 'site-packages' in (getattr(m, '__file__', '') or '') and not n.startswith('_')))"
)


class NoLazy:
    def start(self, function: Any, request: Any) -> None:
        pass

    def run(self, function: Any, request: Any) -> None:
        pass


def _env() -> None:
    os.environ.update(
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-bench",  # noqa: S106
        SLACK_OPERATOR_IDS="U0OPERATOR",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )


def bare_handler() -> Any:
    from slack_bolt import App
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler
    from slack_bolt.authorization import AuthorizeResult

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bench")  # noqa: S106

    app = App(signing_secret=SECRET, authorize=authorize, process_before_response=True)
    app.command("/dr")(lambda ack: ack())
    return SlackRequestHandler(app)


def median_ms(handle: Any, runs: int = ACKS) -> float:
    from tests.support.slack_requests import BotContext, command_body, signed_event

    body = command_body("plans", response_url="http://127.0.0.1:9/response")
    samples = []
    for _ in range(runs):
        event = signed_event(body, secret=SECRET)
        began = time.perf_counter()
        response = handle(event, BotContext())
        samples.append(time.perf_counter() - began)
        assert response["statusCode"] == 200, response
    return statistics.median(samples) * 1000


def measure_ack() -> dict[str, float]:
    _env()
    from bot import app

    app.request_handler().app.listener_runner.lazy_listener_runner = NoLazy()
    bare = bare_handler()
    median_ms(app.lambda_handler, 200)  # warm both (first request builds the app)
    median_ms(bare.handle, 200)
    figures = {"bot_ms": median_ms(app.lambda_handler), "bare_ms": median_ms(bare.handle)}
    figures["ratio"] = figures["bot_ms"] / figures["bare_ms"]
    return figures


def _run(code: str) -> str:
    env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def measure_cold_start(runs: int = RUNS) -> dict[str, Any]:
    deps = _run(LIST_DEPS)
    samples: dict[str, list[float]] = {"deps_ms": [], "bot_ms": []}
    for _ in range(runs):
        samples["deps_ms"].append(float(_run(TIMER.format(modules=deps.replace(",", ", ")))))
        samples["bot_ms"].append(float(_run(TIMER.format(modules="bot.app"))))
    figures: dict[str, Any] = {name: statistics.median(v) * 1000 for name, v in samples.items()}
    figures["ratio"] = figures["bot_ms"] / figures["deps_ms"]
    figures["top_level"] = sorted({d.split(".")[0] for d in deps.split(",")})
    return figures


def main() -> dict[str, Any]:
    ack = measure_ack()
    print(
        f"[slack ack] median of {ACKS} signed /dr commands through the Lambda entry point, lazy work excluded"
    )
    print(
        f"  bot.app.lambda_handler   {ack['bot_ms']:6.3f} ms (target <= 5 ms: {_verdict(ack['bot_ms'], 5)})"
    )
    print(f"  bare Bolt app (ack only) {ack['bare_ms']:6.3f} ms")
    print(f"  ratio {ack['ratio']:.1f}x (target <= 20x: {_verdict(ack['ratio'], 20)})")
    cold = measure_cold_start()
    print(f"[slack cold start] median of {RUNS} fresh interpreters each")
    print(f"  import bot.app                     {cold['bot_ms']:7.1f} ms")
    print(f"  import its third-party modules     {cold['deps_ms']:7.1f} ms ({', '.join(cold['top_level'])})")
    print(f"  ratio {cold['ratio']:.2f}x (target <= 1.25x: {_verdict(cold['ratio'], 1.25)})")
    return {"ack": ack, "cold_start": cold}


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


if __name__ == "__main__":
    main()
