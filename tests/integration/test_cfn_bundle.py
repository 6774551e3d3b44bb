"""scripts/package.sh builds a Lambda bundle that imports its entry points in a clean interpreter.

Offline, so the test packages for this host from the installed dependencies (``--from-installed``):
the Lambda build (``pip --platform manylinux2014_aarch64``) needs a package index. The import check
runs ``python -I -S`` with only the bundle and the AWS SDK the Lambda runtime provides on sys.path.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

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
    # And the bundle holds the code and dependencies, and nothing else of the repository
    names = zipfile.ZipFile(bundle).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {"handlers", "bot", "templates", "pydantic_core", "slack_bolt", "aws_lambda_powertools"} <= tops
    assert not tops & {"tests", "sandbox", "scripts", "benchmarks", "cfn", "boto3", "botocore"}
    assert (bundle.parent / "bundle.zip.sha256").read_text().strip()


def test_the_bundle_is_reproducible(tmp_path: Path) -> None:
    source = tmp_path / "src"
    lambda_bundle.copy_code(source)
    first = lambda_bundle.write_zip(source, tmp_path / "a.zip")
    second = lambda_bundle.write_zip(source, tmp_path / "b.zip")
    assert first == second


def test_the_lambda_target_comes_from_the_templates() -> None:
    assert lambda_bundle.target() == ("3.12", "arm64")
    assert not any(r.startswith("boto3") for r in lambda_bundle.requirements(with_sdk=False))
    assert any(r.startswith("boto3") for r in lambda_bundle.requirements(with_sdk=True))


def test_a_foreign_platform_bundle_is_checked_by_its_extensions(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so", b"")
    assert lambda_bundle.check(bundle, [], "3.12", "arm64") == 1
