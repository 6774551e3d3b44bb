"""Run the deployed Lambda functions in this process.

moto stores the functions CloudFormation creates but can only run them in Docker. The sandbox
looks the function up in moto (``get_function``), takes its ``Handler`` and
``Environment.Variables`` - exactly what the template gives it - and calls the handler here.

Why a lock: handler code reads its configuration from the environment through the cached
``handlers.settings.get_settings()`` and keeps cached boto3 clients in ``handlers.aws``. Those are
process-wide, and two functions (say the api and the orchestrator) have different environments.
So one invocation runs at a time: take the lock, apply that function's environment on top of the
sandbox's base environment, clear the caches, run the handler, restore the environment. It is an
``RLock`` so a handler that synchronously invokes a function in the same thread works; an
asynchronous invocation (``InvocationType=Event``) runs in its own thread and simply waits its turn.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("sandbox.lambdas")
LOCK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    timeout: int


class LambdaContext:
    """The attributes handler code (and Powertools) read from a Lambda context."""

    def __init__(self, config: FunctionConfig) -> None:
        self.function_name = config.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.arn
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{config.name}"
        self.log_stream_name = "sandbox"
        self._deadline = time.monotonic() + config.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class InvokeResult:
    payload: bytes
    function_error: str | None = None


class LambdaRuntime:
    def __init__(self, lambda_client: Any, endpoint: str, defaults: dict[str, str] | None = None) -> None:
        self._client = lambda_client
        self._endpoint = endpoint
        self._defaults = dict(defaults or {})  # beneath the template's variables, never over them
        self._configs: dict[str, FunctionConfig] = {}
        self._lock = threading.RLock()
        self._threads: list[threading.Thread] = []

    def config(self, name_or_arn: str) -> FunctionConfig:
        name = name_or_arn.split(":function:")[-1].split(":")[0]
        if name not in self._configs:
            configuration = self._client.get_function(FunctionName=name)["Configuration"]
            self._configs[name] = FunctionConfig(
                name=configuration["FunctionName"],
                arn=configuration["FunctionArn"],
                handler=configuration["Handler"],
                environment={
                    **self._defaults,
                    **_as_strings((configuration.get("Environment") or {}).get("Variables") or {}),
                },
                timeout=int(configuration.get("Timeout") or 30),
            )
        return self._configs[name]

    def invoke(self, name_or_arn: str, event: Any) -> InvokeResult:
        """Run the function's handler with ``event``; errors become an ``Unhandled`` payload."""
        config = self.config(name_or_arn)
        if not self._lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            return _error_result(TimeoutError(f"{config.name}: another invocation held the runtime"))
        try:
            with _function_environment(config, self._endpoint):
                handler = _load_handler(config.handler)
                started = time.monotonic()
                try:
                    result = handler(event, LambdaContext(config))
                except Exception as exc:
                    log.error("%s raised %s:\n%s", config.name, type(exc).__name__, traceback.format_exc())
                    return _error_result(exc)
                log.info("%s ran in %.0f ms", config.name, (time.monotonic() - started) * 1000)
                return InvokeResult(payload=json.dumps(result, default=str).encode())
        finally:
            self._lock.release()

    def invoke_async(self, name_or_arn: str, event: Any) -> None:
        """``InvocationType=Event``: run later in a thread of its own, as Lambda would."""
        self.config(name_or_arn)  # fail now, not later, for an unknown function
        thread = threading.Thread(
            target=self.invoke, args=(name_or_arn, event), name=f"lambda-{name_or_arn}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def _as_strings(variables: dict[str, Any]) -> dict[str, str]:
    """Lambda's environment is strings; moto keeps a ``Number`` parameter's ``Ref`` as a number."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in variables.items()}


def _load_handler(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def _error_result(exc: BaseException) -> InvokeResult:
    body = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_exception(exc)[-5:],
    }
    return InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")


class _function_environment:
    """Apply a function's environment and drop the handler code's cached settings and clients."""

    def __init__(self, config: FunctionConfig, endpoint: str) -> None:
        self._values = {
            **config.environment,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_ENDPOINT_URL": endpoint,  # the handler's boto3 talks to the embedded AWS
        }
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        self._saved = {key: os.environ.get(key) for key in self._values}
        os.environ.update(self._values)
        _clear_handler_caches()

    def __exit__(self, *_: object) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _clear_handler_caches()


def _clear_handler_caches() -> None:
    from handlers import aws
    from handlers.settings import get_settings

    get_settings.cache_clear()
    aws.reset()
