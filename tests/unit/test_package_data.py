"""The data folders an installation carries are found through the import system, and a missing one
is a one-line error that says what to do, not a traceback deep inside Jinja2 or CloudFormation."""

from __future__ import annotations

import pytest

from handlers.core.package_data import MissingPackageDataError, data_dir
from handlers.core.rendering import templates_dir


def test_the_templates_are_found_where_the_code_is_installed() -> None:
    assert (templates_dir() / "email" / "start.txt.j2").is_file()
    assert (data_dir("cfn", "data.yaml") / "statemachine").is_dir()


def test_a_missing_data_folder_is_one_line_saying_what_to_do() -> None:
    with pytest.raises(MissingPackageDataError) as raised:
        data_dir("templates", "email/no-such-template.txt.j2")
    message = str(raised.value)
    assert "\n" not in message
    assert "templates/email/no-such-template.txt.j2 not found" in message
    assert "reinstall" in message
