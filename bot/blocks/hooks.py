"""Wave hooks in Slack (docs/hooks.md): their start and result lines in the execution's thread, the
failed hook's pause text (its buttons are the failed wave's: Retry / Skip / Cancel,
bot/blocks/executions.py ``pause_blocks``), and ``/dr plan <name> hooks`` with its "Add a hook" button
(bot/blocks/hook_form.py).

Every hook name, message and payload is user (or function) supplied: it goes into ``plain_text``
objects, shown as typed, never as mentions or links."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block

from bot.blocks.common import clip, header, section, sections
from bot.blocks.hook_form import add_hook_button
from handlers.models.events import ExecutionEvent
from handlers.models.hooks import Hook, LambdaHook, SsmAutomationHook
from handlers.models.recovery_plan import RecoveryPlan


def hook_line(event: ExecutionEvent) -> str:
    """A ``hook_start`` / ``hook_result`` thread line: the runner's own line, naming the wave."""
    return f"{event.message} · wave {event.waveNumber or '?'} ({event.protectionGroupName})"


def failed_hook_text(plan_name: str, wave_number: int, group_name: str, message: str) -> str:
    """The failed hook's pause message (plain text)."""
    why = f" {message}." if message else ""
    return (
        f"⚠️ {plan_name}: a hook of wave {wave_number} ({group_name}) failed.{why} "
        "Retry the hook (the servers are not launched again), skip it, or cancel the execution."
    )


def describe(hook: Hook) -> str:
    """One hook as ``/dr plan <name> hooks`` lists it."""
    flags = f"timeout {hook.timeoutMinutes} min" + (", optional" if hook.optional else "")
    if isinstance(hook, LambdaHook):
        payload = json.dumps(hook.payload, separators=(",", ":"))
        what = f"function {hook.functionName}, payload {clip(payload, 200)}"
    elif isinstance(hook, SsmAutomationHook):
        parameters = ", ".join(f"{k}={','.join(v)}" for k, v in hook.parameters.items()) or "no parameters"
        what = f"document {hook.documentName}, {clip(parameters, 200)}"
    else:
        what = (
            "every launched instance" if hook.type == "instanceStatus" else "VALIDATION post-launch actions"
        )
    return f"{hook.name} ({hook.type}): {what}; {flags}"


def plan_hooks_blocks(plan: RecoveryPlan) -> list[Block]:
    """``/dr plan <name> hooks``: each wave's before and after hooks, in the order they run."""
    lines: list[str] = []
    for wave in plan.waves:
        hooks = wave.hooks
        if hooks is None or not hooks.count():
            lines.append(f"Wave {wave.waveNumber} ({wave.protectionGroupName}): no hooks")
            continue
        lines.append(f"Wave {wave.waveNumber} ({wave.protectionGroupName}):")
        lines += [f"  before {i}. {describe(h)}" for i, h in enumerate(hooks.before, 1)]
        lines += [f"  after {i}. {describe(h)}" for i, h in enumerate(hooks.after, 1)]
    if not lines:
        return [section("No waves.")]
    # an operator adds a lambda or ssmAutomation hook to a wave (bot/listeners/hook_form.py)
    return [header(f"Hooks of {plan.planName}"), *sections(lines), add_hook_button(plan.planId)]
