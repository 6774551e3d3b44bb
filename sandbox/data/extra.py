"""The ``sandbox`` extra: ``drs-chatops sandbox`` and ``demo`` check for it before anything else.

``pip install drs-chatops`` installs what the Lambda functions need; the sandbox also needs moto's
server and PyYAML (``pip install 'drs-chatops[sandbox]'``, see pyproject.toml). Without them the
sandbox would die half-started on an ``ImportError``; instead it names the extra. Modules are
looked up, not imported: moto must not be imported before the sandbox sets ``MOTO_PORT``.
"""

from __future__ import annotations

import importlib.util

# import name -> the distribution it comes with (all installed by the extra)
MODULES = {
    "moto": "moto[server]",
    "flask": "moto[server]",
    "flask_cors": "moto[server]",
    "antlr4": "moto[server]",
    "jsonpath_ng": "moto[server]",
    "yaml": "pyyaml",
}


def missing_message(command: str) -> str | None:
    """What to tell the user when the extra is not installed; None when it is."""
    absent = missing()
    if not absent:
        return None
    packages = ", ".join(sorted({MODULES[m] for m in absent}))
    return (
        f"drs-chatops {command} needs the sandbox extra, which is not installed here "
        f"(missing: {packages}). Install it with: pip install 'drs-chatops[sandbox]' "
        "(from a clone: pip install -e '.[sandbox]', or make run)"
    )


def missing() -> list[str]:
    absent = []
    for module in MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # ValueError: a module blocked in sys.modules
            found = False
        if not found:
            absent.append(module)
    return absent
