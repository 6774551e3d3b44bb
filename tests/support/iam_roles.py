"""The roles a run uses, in the tests' moto, and the sandbox's answer to ``iam:SimulatePrincipalPolicy``.

moto has no ``SimulatePrincipalPolicy``; :mod:`sandbox.emulators.iam_simulation` makes moto answer it from a
role's policies, as in the sandbox. The tests deploy no stacks, so :func:`simulation` seeds the
roles the templates define, with the templates' own policies (``tests/support/iam.py`` resolves them):
the orchestrator's role in the deployment's own account (``ORCHESTRATOR_ROLE_ARN``) and
``cfn/drs-target-role.yaml``'s role in every other test account. ``drs.denied_actions`` (the DRS
emulator's) are denied to every role, like the sandbox's ``deniedActions`` fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sandbox.emulators import iam_simulation
from sandbox.emulators.drs import DrsEmulator
from tests.support import iam

ORCHESTRATOR_ROLE_NAME = "drs-chatops-orchestrator-test"
TARGET_ROLE_NAME = "drs-chatops-drs-access"  # cfn/drs-target-role.yaml's default RoleName
_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


def orchestrator_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ORCHESTRATOR_ROLE_NAME}"


def seed_role(account: str, name: str, template: str, role_id: str) -> str:
    """Create role ``name`` in ``account`` with the policies of ``role_id`` in ``cfn/<template>``."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    backend.create_role(name, _TRUST, "/", None, "seeded from cfn/" + template, [], None)
    for policy in iam.role_policies(iam.templates()[template], role_id):
        backend.put_role_policy(name, policy["name"], json.dumps(policy["policy"]))
    return f"arn:aws:iam::{account}:role/{name}"


def remove_policy(account: str, name: str, policy_name: str) -> None:
    """Take one inline policy away from a seeded role (a role that lacks what a run needs)."""
    from moto.iam.models import iam_backends

    iam_backends[account]["aws"].delete_role_policy(name, policy_name)


@contextmanager
def simulation(drs: DrsEmulator, own_account: str, accounts: Iterable[str]) -> Iterator[None]:
    """While active, moto answers ``SimulatePrincipalPolicy``; the run's roles exist."""
    iam_simulation.install(lambda: drs.denied_actions)
    try:
        seed_role(own_account, ORCHESTRATOR_ROLE_NAME, "orchestration.yaml", "OrchestratorFunctionRole")
        for account in accounts:
            seed_role(account, TARGET_ROLE_NAME, "drs-target-role.yaml", "DrsAccessRole")
        yield
    finally:
        iam_simulation.uninstall()
