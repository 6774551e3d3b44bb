"""Every action id, callback id and block id the bot sends to Slack and listens for, in one place."""

from __future__ import annotations

# Pause messages (docs/architecture.md, Slack). Button value = "<executionId>:<waveNumber>": it acts
# only through a signed request from an allowed approver, in the channel's account; never the email
# approval id, which is a bearer credential.
APPROVAL_RESUME = "approval_resume"
APPROVAL_CANCEL = "approval_cancel"
# A failed wave's pause (same value): launch its failed servers again, or go on without it; its
# Cancel is APPROVAL_CANCEL.
WAVE_RETRY = "wave_retry"
WAVE_SKIP = "wave_skip"
# The reason form those buttons open. Its private_metadata names the pause (execution id, wave) and
# the message to update, never the approval id or a token.
APPROVAL_REASON_VIEW = "approval_reason"
BLOCK_REASON = "reason"

# Confirmation buttons of changing commands. Value = plan id / execution id.
RUN_RECOVERY_CONFIRM = "run_recovery_confirm"
CANCEL_EXECUTION_CONFIRM = "cancel_execution_confirm"

# A finished drill's cleanup (its final message, /dr cleanup, the cleanup reminder) and the
# reminder's keep. Value = execution id; acts only for operators, in the channel's account.
DRILL_CLEANUP = "drill_cleanup"
# "Export to DRS" under /dr plan <name> (bot/listeners/native_plans.py). Value = plan id; operators only.
EXPORT_NATIVE = "export_native"
DRILL_KEEP = "drill_keep"
# "Start failback" under the failback view (/dr failback, /dr reprotect: bot/failback.py), behind
# Slack's confirm dialog. Value = the RECOVERY's execution id; operators only, in the channel's
# account; the FAILBACK it starts waits for the plan's recovery quorum like a RECOVERY's start.
FAILBACK_START = "failback_start"
# "Add a hook" under /dr plan <name> hooks (bot/listeners/hook_form.py): opens the hook form. Value =
# plan id; operators only, in the channel's account. The form's private_metadata names the channel,
# the plan and the version it was filled in from (bot/payloads.py PlanFormMetadata).
HOOK_ADD = "hook_add"
HOOK_FORM_VIEW = "hook_form"
BLOCK_HOOK_WAVE = "hook_wave"
BLOCK_HOOK_PHASE = "hook_phase"
BLOCK_HOOK_TYPE = "hook_type"
BLOCK_HOOK_NAME = "hook_name"
BLOCK_HOOK_FUNCTION = "hook_function"
BLOCK_HOOK_DOCUMENT = "hook_document"
BLOCK_HOOK_JSON = "hook_json"  # a lambda hook's payload, an ssmAutomation hook's parameters
BLOCK_HOOK_TIMEOUT = "hook_timeout"
BLOCK_HOOK_OPTIONAL = "hook_optional"
# The "/dr plan <name> approvers" form (its blocks are the plan form's approver blocks below).
PLAN_APPROVERS_VIEW = "plan_approvers"

# The "plan create" modal.
PLAN_CREATE_VIEW = "plan_create"
BLOCK_PLAN_NAME = "plan_name"
BLOCK_DESCRIPTION = "description"
BLOCK_EMAIL = "notification_email"
BLOCK_APPROVERS = "approvers"
BLOCK_APPROVER_GROUPS = "approver_groups"
BLOCK_QUORUM_DRILL = "quorum_drill"
BLOCK_QUORUM_RECOVERY = "quorum_recovery"
BLOCK_REQUIRE_REASON = "require_reason"
ELEMENT = "value"  # the one element inside each input block, except the wave pickers
WAVE_GROUP = "wave_group"  # a wave's protection group picker (external select: options listener)


def wave_block(number: int) -> str:
    return f"wave_{number}"


def pause_block(number: int) -> str:
    return f"pause_{number}"
