"""What the sandbox provides for the product's wave hooks (``docs/sandbox.md``, "Wave hooks"): the
hook function ``drs-chatops-hook-sandbox`` (:mod:`sandbox.runtime.hook_function`), found from every demo
account, SSM Automation with the sandbox's check documents (:mod:`sandbox.emulators.ssm_automation`), and EC2
status checks of the recovery instances (:mod:`sandbox.emulators.ec2_status`).

The two emulators are answered by moto itself (each adds or wraps a method of moto's response class),
so :func:`install` must run in the process that runs moto, and both the sandbox's workers (over HTTP)
and the tests (``mock_aws``) reach them like any other SSM or EC2 call.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass

from sandbox.emulators import ec2_status, ssm_automation
from sandbox.runtime import hook_function

log = logging.getLogger("sandbox.emulators.hooks")
ROLE_NAME = "drs-chatops-hook-sandbox-role"
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class HookSurfaces:
    ssm: ssm_automation.SsmAutomation
    ec2: ec2_status.Ec2Status


def install(
    drs_state: ec2_status.DrsState,
    accounts: tuple[str, ...] | None = None,
    *,
    complete_after_polls: int | None = None,
    ok_after_polls: int | None = None,
) -> HookSurfaces:
    """Answer SSM Automation (the sandbox's documents in ``accounts``; None: every account) and the
    recovery instances' EC2 status (from ``drs_state``, the DRS emulator's ``state``)."""
    surfaces = HookSurfaces(
        ssm_automation.SsmAutomation(
            frozenset(accounts) if accounts is not None else None, complete_after_polls
        ),
        ec2_status.Ec2Status(drs_state, ok_after_polls),
    )
    ssm_automation.install(surfaces.ssm)
    ec2_status.install(surfaces.ec2)
    return surfaces


def uninstall() -> None:
    ssm_automation.uninstall()
    ec2_status.uninstall()


def info() -> dict[str, list[str]]:
    """``/_sandbox/info``'s ``hookFunctions`` and ``automationDocuments``."""
    return {"hookFunctions": [hook_function.NAME], "automationDocuments": list(ssm_automation.DOCUMENTS)}


def deploy_function() -> None:
    """Create ``drs-chatops-hook-sandbox`` (and a role for it), as an operator deploys a hook function
    in a plan's account. The sandbox's moto keeps every resource in the deployment's account whatever
    the credentials (``MOTO_ACCOUNT_ID``, :mod:`sandbox.runtime.embedded_aws`), so this one function is what
    ``GetFunction`` finds from every demo account, and the Lambda Invoke API runs it by name for any
    caller. The runtime runs it from the sandbox package (its ``Handler``), not from its zip."""
    import boto3

    role = boto3.client("iam").create_role(
        RoleName=ROLE_NAME,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    boto3.client("lambda").create_function(
        FunctionName=hook_function.NAME,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler=hook_function.HANDLER,
        Code={"ZipFile": _placeholder_zip()},
        Timeout=TIMEOUT_SECONDS,
        Description="drs-chatops sandbox: a wave hook function (simulated)",
        Tags={"sandbox:simulated": "true"},
    )
    log.info("deployed the hook function %s", hook_function.NAME)


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "The sandbox runs sandbox.runtime.hook_function from its own package.\n"
        )
    return buffer.getvalue()
