"""Operator tools: the ``drs-chatops`` command line and its subcommands."""
