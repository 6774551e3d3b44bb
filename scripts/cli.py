"""``drs-chatops``: one command, a subcommand per tool. Each subcommand lives in its own module and
is imported only when used, so ``drs-chatops --help`` stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module with add_arguments(parser) and run(args) -> int, help text)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "config": ("scripts.config_cli", "export or import groups and plans as versioned JSON"),
    "sandbox": ("sandbox.entry.cli", "run the whole system locally on an embedded AWS emulator"),
    "demo": ("sandbox.entry.demo", "play the demo story against a fresh sandbox; exit 0 only if it worked"),
    "doctor": (
        "scripts.doctor",
        "self-check a deployment (--stack) or a sandbox (--sandbox): PASS/WARN/FAIL",
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drs-chatops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        if name in (argv or sys.argv[1:])[:1]:
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(sub_parser)
    args = parser.parse_args(argv)
    return int(modules[args.command].run(args))


if __name__ == "__main__":
    sys.exit(main())
