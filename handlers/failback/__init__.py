"""Failback and re-protect: the way home after a real recovery (docs/failback.md).

``records`` writes the execution's ``failback`` object (conditional writes only), ``reversal``
reverses replication exactly once per recovery instance, ``cycle`` is the service the channels call
(view, start, stop, re-protect), ``launch`` is how a FAILBACK run's waves choose and launch their
servers (the one place a FAILBACK run differs from a recovery). This room imports ``runs``; ``runs``
never imports it (the orchestrator entry point routes a FAILBACK run's wave starts here)."""
