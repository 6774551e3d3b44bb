"""Who the sandbox is: its project and environment names, and its Slack workspace's ids.

At the bottom of the sandbox's layers (see ``tests/unit/test_sandbox_layers.py``): the process
(:mod:`sandbox.app`) and the ``/slack-local`` page's back end (:mod:`sandbox.web.slack_local`) both
read them, and neither may import the other for it.
"""

PROJECT = "drs-chatops"
ENVIRONMENT = "sandbox"
SLACK_USERS = {"operator": "U0SANDBOXOP", "viewer": "U0SANDBOXVW", "approver": "U0SANDBOXAP"}
# The email the local Slack reports for each user (users.info): the same address through the API
# (X-Sandbox-User) is the same person, with one vote.
SLACK_USER_EMAILS = {
    SLACK_USERS["operator"]: "operator@sandbox.example.com",
    SLACK_USERS["viewer"]: "viewer@sandbox.example.com",
    SLACK_USERS["approver"]: "approver@sandbox.example.com",
}
# A user group of approvers (a plan's ``approvers`` may name it): the operator and the approver.
SLACK_USER_GROUPS = {"S0SANDBOXAPP": [SLACK_USERS["operator"], SLACK_USERS["approver"]]}
SLACK_TEAM = "T0SANDBOX"
# The workspace's channels (id -> name), each with the bot in it and every sandbox user a member.
# The first acts on the first demo account (the deployment's default account), the second on the
# second (the sandbox binds it at start with a signed ``/dr account``), the third on the default
# until someone binds it. More come into being as Slack users create them (sandbox/emulators/slack_fake.py).
SLACK_CHANNELS = {"C0SANDBOX": "dr-sandbox", "C0SANDBOX2": "dr-second-account", "C0SANDBOX3": "dr-scratch"}
SLACK_BOT_TOKEN = "xoxb-sandbox-token"  # noqa: S105 - the local fake Slack's
