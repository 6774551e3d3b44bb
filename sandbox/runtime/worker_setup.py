"""What runs inside every Lambda worker process before the function's handler is imported.

This is the one place for sandbox code that must run *inside* a worker (a fault-injection hook, a
botocore event handler): :mod:`sandbox.runtime.worker_main` calls :func:`setup` once per worker, after the
worker's environment is fixed and before the handler module is imported, as Lambda's init phase
would. Workers reach every AWS service, the sandbox's own Lambda Invoke API and the simulated DRS
over HTTP, through the ``AWS_ENDPOINT_URL*`` variables :mod:`sandbox.runtime.lambdas` gives them, so no
botocore hook is needed for those.
"""

from __future__ import annotations

import warnings

from sandbox.emulators import faults


def setup() -> None:
    """Install the worker-side sandbox hooks."""
    # Powertools warns on every invocation that publishes no metric; the sandbox log says it never
    # (as `drs-chatops sandbox` does for its own process).
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    faults.install_worker_hooks()  # SNS publish fails here while the sns fault is on
