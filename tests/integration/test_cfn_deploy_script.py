"""scripts/deploy.sh: clear errors for missing arguments, parameters, AWS CLI and credentials, and a
--validate-only that works with no AWS CLI at all. Run as a subprocess with a PATH that has no ``aws``
(or a fake one that fails like the real CLI without credentials); nothing here reaches AWS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "scripts" / "deploy.sh"
EXAMPLE = ROOT / "docs" / "deploy-params.example.env"
PATH_WITHOUT_AWS = "/usr/bin:/bin"


def run(
    *args: str, path: str = PATH_WITHOUT_AWS, tmp: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(tmp or "/nonexistent"), "PYTHON": sys.executable}
    if tmp is not None:
        env["BUILD_DIR"] = str(tmp / "build")
    return subprocess.run(
        ["bash", str(DEPLOY), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture(autouse=True)
def _no_aws_on_the_test_path() -> None:
    assert shutil.which("aws", path=PATH_WITHOUT_AWS) is None


def _params(tmp_path: Path, text: str) -> str:
    file = tmp_path / "params.env"
    file.write_text(text)
    return str(file)


def test_an_environment_is_required() -> None:
    result = run()
    assert result.returncode == 2
    assert "name the environment" in result.stderr


def test_a_bad_environment_name_is_refused() -> None:
    result = run("Prod_1")
    assert result.returncode == 2 and "use 1-16 of a-z, 0-9, -" in result.stderr


def test_a_missing_parameters_file_says_where_to_start(tmp_path: Path) -> None:
    result = run("dev", "--params", str(tmp_path / "absent.env"))
    assert result.returncode == 2
    assert "no parameters file" in result.stderr and "deploy-params.example.env" in result.stderr


def test_missing_parameters_are_named(tmp_path: Path) -> None:
    result = run("dev", "--params", _params(tmp_path, "DEPLOY_BUCKET=b\nAlarmEmail=a@example.com\n"))
    assert result.returncode == 2
    assert "missing CognitoUserPoolArn SlackSecretArn" in result.stderr


def test_an_unknown_parameter_is_refused(tmp_path: Path) -> None:
    text = EXAMPLE.read_text() + "EnablePauseResumee=false\n"
    result = run("dev", "--params", _params(tmp_path, text))
    assert result.returncode == 2
    assert "EnablePauseResumee is not a parameter of cfn/root.yaml" in result.stderr


def test_no_aws_cli_is_a_clear_error(tmp_path: Path) -> None:
    result = run("dev", "--params", str(EXAMPLE), tmp=tmp_path)
    assert result.returncode == 3
    assert "the AWS CLI is not on PATH" in result.stderr and "--validate-only" in result.stderr


def test_no_credentials_is_a_clear_error(tmp_path: Path) -> None:
    # Given an aws CLI that fails the way the real one does without credentials
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "aws").write_text("#!/bin/sh\necho 'Unable to locate credentials' >&2\nexit 255\n")
    (fake / "aws").chmod(0o755)
    # When deploying
    result = run("dev", "--params", str(EXAMPLE), path=f"{fake}:{PATH_WITHOUT_AWS}", tmp=tmp_path)
    # Then it stops before anything else, saying what to do
    assert result.returncode == 3
    assert "no usable AWS credentials" in result.stderr and "aws configure" in result.stderr
    assert "cfn-lint" not in result.stdout


def test_validate_only_works_without_aws(tmp_path: Path) -> None:
    result = run("dev", "--validate-only", "--params", str(EXAMPLE), tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for step in (
        "cfn-lint cfn/*.yaml",
        "template checks",
        "imported handlers.api",
        "Nothing was sent to AWS",
    ):
        assert step in result.stdout
    assert (tmp_path / "build" / "validate" / "bundle.zip").is_file()


def test_the_example_parameters_cover_every_required_root_parameter() -> None:
    from tests.support.cfn import load_template

    required = {k for k, v in load_template("root.yaml")["Parameters"].items() if "Default" not in v}
    given = {
        line.split("=")[0] for line in EXAMPLE.read_text().splitlines() if "=" in line and line[0] != "#"
    }
    assert required - {"Environment", "CodeBucket", "CodeKey"} <= given
    assert os.access(DEPLOY, os.X_OK)


def _script_in_a_fresh_clone(tmp_path: Path) -> Path:
    """deploy.sh in a checkout that has no .venv yet (it finds the project from its own place)."""
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(DEPLOY, clone / "scripts" / "deploy.sh")
    return clone / "scripts" / "deploy.sh"


def test_a_fresh_clone_creates_its_venv_before_validating(tmp_path: Path) -> None:
    # Given a clone without .venv and a make that records its arguments (and fails: no index here)
    script = _script_in_a_fresh_clone(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/make-args\nexit 1\n')
    (bin_dir / "make").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{PATH_WITHOUT_AWS}", "HOME": str(tmp_path)}

    # When validating without naming a Python
    result = subprocess.run(
        ["bash", str(script), "dev", "--validate-only"], capture_output=True, text=True, env=env, check=False
    )

    # Then it asked make for the venv, and says what failed and what to run
    assert (tmp_path / "make-args").read_text().split() == ["-C", str(script.parents[1]), ".venv/.installed"]
    assert "no .venv yet" in result.stdout
    assert result.returncode == 1 and "make validate" in result.stderr
    assert "PackageNotFoundError" not in result.stderr


def test_a_python_without_the_dependencies_says_to_run_make_validate(tmp_path: Path) -> None:
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')  # no site-packages
    bare.chmod(0o755)
    env = {"PATH": PATH_WITHOUT_AWS, "HOME": str(tmp_path), "PYTHON": str(bare)}

    result = subprocess.run(
        ["bash", str(DEPLOY), "dev", "--validate-only"], capture_output=True, text=True, env=env, check=False
    )

    assert result.returncode == 1
    assert "lacks the project's dependencies: run make validate" in result.stderr
    assert "PackageNotFoundError" not in result.stderr
