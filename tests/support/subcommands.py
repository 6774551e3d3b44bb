"""One typed example per row of the ``/dr`` subcommand table (bot/subcommand_table.py), for tests
that drive every row; a row without one fails tests/unit/test_subcommand_table.py."""

from __future__ import annotations

EXAMPLES = {
    "help": "help",
    "account": "account",
    "account set": "account 111111111111",
    "groups": "groups 2",
    "group": "group Web tier",
    "plans": "plans",
    "plan create": "plan create",
    "plan approvers": "plan Payments failover approvers",
    "plan hooks": "plan Payments failover hooks",
    "plan": "plan Payments failover",
    "run": "run Payments recovery",
    "check": "check Payments failover",
    "import": "import Payments native",
    "status": "status",
    "report": "report exec-1",
    "cancel": "cancel exec-1",
    "cleanup": "cleanup exec-1",
    "reprotect": "reprotect exec-1",
    "failback": "failback exec-1",
    "subscribe": "subscribe Payments a@example.com",
    "unsubscribe": "unsubscribe Payments",
}
