"""Run the deployed Lambda functions in worker processes, as Lambda runs them in environments.

moto stores the functions CloudFormation creates but can only run them in Docker. The sandbox
looks a function up in moto (``get_function``), takes its ``Handler``, ``Timeout`` and
``Environment.Variables`` - exactly what the template gives it - and runs the handler in worker
processes of that function's own (:mod:`sandbox.runtime.worker_process`):

- A worker's environment is fixed when it starts: the template's variables (over the sandbox's
  ``defaults``), then the sandbox's ``AWS_*`` variables (fake credentials, region, and the endpoints:
  moto for AWS, the sandbox's own web port for Lambda Invoke and DRS), then Lambda's runtime
  variables. Nothing changes ``os.environ`` per invocation, in the sandbox or in a worker.
- A worker serves one invocation at a time and stays warm for the next (module state, cached
  clients and settings survive, as in a warm Lambda). When no worker of the function is free a new
  one cold-starts, up to ``cap`` per function; beyond that an invocation waits for a free worker.
- So invocations of different functions, and of one function, run concurrently - as in Lambda.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.runtime.worker_main import error_body
from sandbox.runtime.worker_process import Worker, WorkerError

log = logging.getLogger("sandbox.runtime.lambdas")
WORKERS_PER_FUNCTION = 4
INIT_TIMEOUT_SECONDS = 60
QUEUE_WAIT_SECONDS = 120  # how long an invocation waits for a free worker when all `cap` are busy
STOP_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    timeout: int


@dataclass(frozen=True)
class InvokeResult:
    payload: bytes
    function_error: str | None = None


class RuntimeStopped(WorkerError):
    def __init__(self) -> None:
        super().__init__("Sandbox.Stopped", "the sandbox is stopping")


class FunctionPool:
    """The workers of one function: idle ones are reused, new ones cold-start up to ``cap``."""

    def __init__(self, config: FunctionConfig, environment: dict[str, str], cap: int) -> None:
        self.config = config
        self._environment = environment
        self._cap = cap
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._closed = False
        self._changed = threading.Condition()

    def acquire(self, wait: float = QUEUE_WAIT_SECONDS) -> Worker:
        deadline = time.monotonic() + wait
        with self._changed:
            while not self._idle and len(self._workers) >= self._cap and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    message = f"all {self._cap} workers of {self.config.name} stayed busy for {wait:.0f} s"
                    raise WorkerError("TooManyRequestsException", message)
                self._changed.wait(remaining)
            if self._closed:
                raise RuntimeStopped()
            if self._idle:
                return self._idle.pop()
            # Counted from its first moment, so the cap holds and stop() reaches a starting worker.
            worker = Worker(self.config.name, self._environment)
            self._workers.add(worker)
        began = time.monotonic()
        try:
            worker.wait_ready(INIT_TIMEOUT_SECONDS)
        except WorkerError:
            self.release(worker, healthy=False)
            if self._closed:
                raise RuntimeStopped() from None
            raise
        log.info("%s: cold start, worker %d ready in %.0f ms", self.config.name, worker.pid, _ms(began))
        return worker

    @property
    def closed(self) -> bool:
        return self._closed

    def release(self, worker: Worker, healthy: bool) -> None:
        with self._changed:
            if healthy and not self._closed and worker.process.poll() is None:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
                worker.stop()
            self._changed.notify_all()

    def stop(self) -> list[Worker]:
        with self._changed:
            self._closed = True
            workers = list(self._workers)
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.stop()
        return workers


class LambdaRuntime:
    def __init__(
        self,
        lambda_client: Any,
        aws_environment: dict[str, str],
        defaults: dict[str, str] | None = None,
        cap: int = WORKERS_PER_FUNCTION,
    ) -> None:
        self._client = lambda_client
        self._aws_environment = dict(aws_environment)  # the sandbox's AWS_* variables, over everything
        self._defaults = dict(defaults or {})  # beneath the template's variables, never over them
        self._cap = cap
        self._pools: dict[str, FunctionPool] = {}
        self._pools_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def config(self, name_or_arn: str) -> FunctionConfig:
        return self._pool(name_or_arn).config

    def _pool(self, name_or_arn: str) -> FunctionPool:
        name = name_or_arn.split(":function:")[-1].split(":")[0]
        with self._pools_lock:
            if name not in self._pools:
                self._pools[name] = FunctionPool(*self._describe(name), self._cap)
            return self._pools[name]

    def _describe(self, name: str) -> tuple[FunctionConfig, dict[str, str]]:
        configuration = self._client.get_function(FunctionName=name)["Configuration"]
        variables = _as_strings((configuration.get("Environment") or {}).get("Variables") or {})
        config = FunctionConfig(
            name=configuration["FunctionName"],
            arn=configuration["FunctionArn"],
            handler=configuration["Handler"],
            environment={**self._defaults, **variables},
            timeout=int(configuration.get("Timeout") or 30),
        )
        runtime_variables = {
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration.get("MemorySize") or 512),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python_sandbox",
            "_HANDLER": config.handler,
            "TZ": ":UTC",
        }
        return config, {**config.environment, **self._aws_environment, **runtime_variables}

    def invoke(self, name_or_arn: str, event: Any) -> InvokeResult:
        """Run the function's handler with ``event`` in a free worker; errors become an
        ``Unhandled`` payload, as Lambda reports them."""
        pool = self._pool(name_or_arn)
        began = time.monotonic()
        try:
            worker = pool.acquire()
        except WorkerError as exc:
            return _error_result(exc)
        healthy = False
        try:
            request = {
                "event": event,
                "requestId": str(uuid.uuid4()),
                "invokedFunctionArn": name_or_arn if ":function:" in name_or_arn else pool.config.arn,
                "timeoutMs": pool.config.timeout * 1000,
            }
            reply = worker.run(request, pool.config.timeout)
            healthy = True
        except WorkerError as exc:
            log.log(logging.INFO if pool.closed else logging.ERROR, "%s: %s", pool.config.name, exc)
            return _error_result(exc)
        finally:
            pool.release(worker, healthy)
        log.info("%s ran in %.0f ms (worker %d)", pool.config.name, _ms(began), worker.pid)
        return InvokeResult(payload=str(reply["payload"]).encode(), function_error=reply["functionError"])

    def invoke_async(self, name_or_arn: str, event: Any) -> None:
        """``InvocationType=Event``: run later in a thread of its own, as Lambda would."""
        self.config(name_or_arn)  # fail now, not later, for an unknown function
        self._start_thread(self.invoke, name_or_arn, event)

    def warm(self, name_or_arn: str) -> None:
        """Start one worker of the function in the background unless one is already there."""

        def start() -> None:
            pool = self._pool(name_or_arn)
            try:
                pool.release(pool.acquire(wait=0), healthy=True)
            except WorkerError as exc:
                log.info("%s: not warmed (%s)", pool.config.name, exc)

        self._start_thread(start)

    def _start_thread(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name="lambda-async", daemon=True)
        with self._pools_lock:  # asynchronous invocations arrive from many threads at once
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._pools_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop every worker: SIGTERM to all at once, SIGKILL to any still alive after a second."""
        with self._pools_lock:
            pools = list(self._pools.values())
        workers = [worker for pool in pools for worker in pool.stop()]
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for worker in workers:
            worker.reap(deadline)
        self.join(timeout=STOP_WAIT_SECONDS)


def _as_strings(variables: dict[str, Any]) -> dict[str, str]:
    """Lambda's environment is strings; moto keeps a ``Number`` parameter's ``Ref`` as a number."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in variables.items()}


def _error_result(exc: WorkerError) -> InvokeResult:
    body = {**error_body(exc), "errorType": exc.error_type}
    return InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")


def _ms(began: float) -> float:
    return (time.monotonic() - began) * 1000
