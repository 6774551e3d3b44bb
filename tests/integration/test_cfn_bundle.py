"""scripts/package.sh builds a Lambda bundle that imports its entry points in a clean interpreter.

Offline, so the test packages for this host from the installed dependencies (``--from-installed``):
the Lambda build (``pip --platform manylinux2014_aarch64``) needs a package index. The import check
runs ``python -I -S`` with only the bundle and the AWS SDK the Lambda runtime provides on sys.path.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import lambda_bundle

ROOT = Path(__file__).resolve().parents[2]


def test_package_builds_a_bundle_that_imports_its_entry_points(tmp_path: Path) -> None:
    # Given an offline build for this host
    bundle = tmp_path / "bundle.zip"
    # When package.sh runs (it ends with the clean-interpreter import check)
    result = subprocess.run(
        [str(ROOT / "scripts" / "package.sh"), "--from-installed", "--out", str(bundle)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then the check passed and the size is reported
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported handlers.api, handlers.orchestrator, bot.app, bot.notifier" in result.stdout
    assert "KiB zipped" in result.stdout
    # And it ships bytecode for the runtime's Python: the read-only import loaded no module without it
    assert "bytecode for all" in result.stdout
    # And the bundle holds the code and dependencies, and nothing else of the repository
    names = zipfile.ZipFile(bundle).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {"handlers", "bot", "templates", "pydantic_core", "slack_bolt", "aws_lambda_powertools"} <= tops
    assert not tops & {"tests", "sandbox", "scripts", "benchmarks", "cfn", "boto3", "botocore"}
    assert (bundle.parent / "bundle.zip.sha256").read_text().strip()


def test_the_bundle_is_reproducible_bytecode_included(tmp_path: Path) -> None:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    hashes = []
    for build in ("a", "b"):
        source = tmp_path / build
        lambda_bundle.copy_code(source)
        lambda_bundle.compile_bytecode(source, python)
        hashes.append(lambda_bundle.write_zip(source, tmp_path / f"{build}.zip"))
    assert hashes[0] == hashes[1]
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert f"handlers/__pycache__/api.cpython-{python.replace('.', '')}.pyc" in names


def test_the_check_refuses_a_bundle_whose_modules_have_no_bytecode(tmp_path: Path) -> None:
    # Given a bundle built with --no-compile
    bundle = tmp_path / "bundle.zip"
    subprocess.run(
        [
            str(ROOT / "scripts" / "package.sh"),
            "--from-installed",
            "--no-compile",
            "--no-check",
            "--out",
            str(bundle),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    machine = {"aarch64": "arm64"}.get(platform.machine(), "x86_64")
    # When it is checked as a compiled bundle must be, Then the check fails
    assert lambda_bundle.check(bundle, [], python, machine, compiled=True) == 1


def test_bytecode_for_another_python_needs_that_interpreter() -> None:
    with pytest.raises(lambda_bundle.NoCompilerError, match=r"needs python3\.99 .*--no-compile"):
        lambda_bundle.compiler_for("3.99")


def test_the_lambda_target_comes_from_the_templates() -> None:
    assert lambda_bundle.target() == ("3.12", "arm64")
    assert not any(r.startswith("boto3") for r in lambda_bundle.requirements(with_sdk=False))
    assert any(r.startswith("boto3") for r in lambda_bundle.requirements(with_sdk=True))


def test_a_foreign_platform_bundle_is_checked_by_its_extensions(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so", b"")
    assert lambda_bundle.check(bundle, [], "3.12", "arm64") == 1
