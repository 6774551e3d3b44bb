"""``drs-chatops-hook-sandbox``: the wave hook function the sandbox deploys (a hook of type ``lambda``).

It runs in the sandbox's Lambda workers like the deployed functions (:mod:`sandbox.runtime.lambdas`), is
invoked by name through the Lambda Invoke API, and receives the event of a wave hook: ``payload``
(the hook's own JSON object), ``execution`` and ``servers`` (``docs/waves.md``). What it answers is
chosen by the payload, so every outcome a hook can have is playable:

- ``{}``: ``{"status": "PASSED", "message": ...}``, the message naming the wave and its servers;
- ``{"fail": true}``: ``{"status": "FAILED", "message": ...}``;
- ``{"sleepSeconds": n}``: sleeps ``n`` seconds first (a hook's timeout);
- ``{"raise": true}``: raises, so Lambda reports a function error (``Unhandled``);
- ``{"garbage": true}``: answers a JSON string, not an object.

A payload it cannot read (say ``{"sleepSeconds": "soon"}``) raises, naming the field.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NAME = "drs-chatops-hook-sandbox"
HANDLER = "sandbox.runtime.hook_function.lambda_handler"
MAX_SLEEP_SECONDS = 900  # Lambda's longest timeout, the function's own


class Options(BaseModel):
    """What the hook's ``payload`` asks of this function; other keys are the hook's own business."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    fail: bool = False
    sleep_seconds: float = Field(default=0, ge=0, le=MAX_SLEEP_SECONDS, alias="sleepSeconds")
    raise_error: bool = Field(default=False, alias="raise")
    garbage: bool = False


class Execution(BaseModel):
    model_config = ConfigDict(extra="allow")

    executionId: str = ""
    planName: str = ""
    waveNumber: int | None = None
    phase: str = ""


class Server(BaseModel):
    model_config = ConfigDict(extra="allow")

    sourceServerId: str
    ec2InstanceId: str | None = None


class HookEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    payload: Options = Field(default_factory=Options)
    execution: Execution = Field(default_factory=Execution)
    servers: list[Server] = Field(default_factory=list)


class SimulatedHookError(RuntimeError):
    """The function error a hook asked for with ``{"raise": true}``."""


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    hook = HookEvent.model_validate(event)
    options = hook.payload
    if options.sleep_seconds:
        time.sleep(options.sleep_seconds)
    if options.raise_error:
        raise SimulatedHookError("the sandbox hook function raised, as its payload asked (simulated)")
    if options.garbage:
        return "not a hook answer (simulated)"
    where = _where(hook)
    if options.fail:
        return {"status": "FAILED", "message": f"the sandbox hook failed {where}, as its payload asked"}
    return {"status": "PASSED", "message": f"the sandbox hook passed {where}"}


def _where(hook: HookEvent) -> str:
    execution = hook.execution
    wave = f"wave {execution.waveNumber}" if execution.waveNumber is not None else "the wave"
    phase = f" ({execution.phase})" if execution.phase else ""
    of = f" of {execution.executionId}" if execution.executionId else ""
    servers = ", ".join(s.ec2InstanceId or s.sourceServerId for s in hook.servers[:5])
    more = f" and {len(hook.servers) - 5} more" if len(hook.servers) > 5 else ""
    return f"for {wave}{phase}{of}: {len(hook.servers)} servers" + (f" ({servers}{more})" if servers else "")
