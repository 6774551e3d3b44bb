"""``drs-chatops sandbox``: the whole system on one machine - no AWS account, no Slack workspace.

Prints its URLs, stays up until Ctrl-C or SIGTERM, then stops every thread and port it opened."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import warnings
from typing import Any

from sandbox.data import extra


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="the sandbox web port (default 8080)")
    parser.add_argument("--aws-port", type=int, default=4566, help="the embedded AWS port (default 4566)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--empty", action="store_true", help="do not seed demo data")
    parser.add_argument("--verbose", action="store_true", help="log every request")


def run(args: argparse.Namespace) -> int:
    if message := extra.missing_message("sandbox"):
        print(message, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # moto warns about every resource type its CloudFormation skips; the sandbox says it once, with
    # what it provides instead (sandbox.runtime.deploy).
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    status = _serve(args, stop)
    # Every port, thread and worker process is stopped by now. Tearing down the interpreter would
    # still free moto's whole in-memory state object by object - seconds - so leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    from sandbox.app import Sandbox

    sandbox = Sandbox(port=args.port, aws_port=args.aws_port, host=args.host)
    try:
        sandbox.start()
        if not args.empty:
            from sandbox.runtime.seed import seed

            seed(sandbox.started_runtime(), str(sandbox.functions["api"]), sandbox.estate)
        for function in sandbox.functions.values():  # a warm worker each, started in the background
            if function:
                sandbox.started_runtime().warm(function)
        sandbox.ready = True
        _print_urls(sandbox.info())
        stop.wait()
    except OSError as exc:  # a busy port: say which, without a traceback
        logging.getLogger("sandbox").error("cannot start: %s", exc)
        return 1
    except Exception:
        logging.getLogger("sandbox").exception("the sandbox failed")
        return 1
    finally:
        print("sandbox: stopping", flush=True)
        sandbox.stop()
    return 0


def _print_urls(info: dict[str, Any]) -> None:
    lines = [
        f"drs-chatops sandbox ready in {info['startedInSeconds']} s (DRS: {info['drs']['label']})",
        f"  REST API        {info['apiUrl']}   (headers X-Sandbox-Account, X-Sandbox-User)",
        f"  Lambda Invoke   {info['lambdaEndpoint']}   (aws lambda invoke --endpoint-url ...)",
        f"  Slack events    {info['slackEventsUrl']}",
        f"  outbox          {info['outboxUrl']}",
        f"  slack-local     {info['slackMessagesUrl'].rsplit('/', 1)[0]}",
        f"  info            {info['lambdaEndpoint']}/_sandbox/info",
        f"  embedded AWS    {info['awsEndpoint']}   (region {info['region']})",
        "Ctrl-C stops it.",
    ]
    print("\n".join(lines), flush=True)
