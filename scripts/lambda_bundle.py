"""The Lambda bundle's steps, for ``scripts/package.sh`` (which runs them in order).

- ``target``: the runtime and architecture the templates declare (``python3.12 arm64``); every
  function must agree, since all four share one bundle.
- ``requirements``: the runtime dependencies from ``pyproject.toml``, minus the AWS SDK (boto3 and
  botocore come with the Lambda Python runtime) unless ``--with-sdk``.
- ``copy-installed DIR``: the offline alternative to a cross-platform ``pip install``: copy those
  distributions, and what they require, as installed in *this* interpreter (host platform).
- ``compile DIR --python X.Y``: bytecode for every module, compiled by an interpreter of the
  runtime's Python (this one when it is that version, else ``pythonX.Y`` on ``PATH``). Lambda's
  ``/var/task`` is read-only: a bundle without bytecode compiles every module it imports at every
  cold start and can never cache the result. The ``.pyc`` files are unchecked-hash based (PEP 552):
  valid whatever timestamps the unzipped files get, and identical from build to build.
- ``zip DIR OUT``: a reproducible zip (sorted entries, fixed timestamps), so an unchanged bundle keeps
  its sha256 and its content-addressed S3 key.
- ``check ZIP``: unzip read-only, then import every entry point in a clean interpreter (``python -I -S``)
  whose ``sys.path`` holds only the bundle (and, with ``--runtime-sdk``, the SDK the runtime
  provides), and check that every module it loaded from the bundle came with its bytecode.
  For a bundle built for another platform it checks the compiled extensions' platform instead.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("handlers", "bot", "templates")
ENTRY_POINTS = ("handlers.api", "handlers.orchestrator", "bot.app", "bot.notifier")
# The AWS SDK: the Lambda Python runtime has it on its path (/var/runtime), with its dependencies.
SDK = ("boto3", "botocore", "s3transfer")
RUNTIME_SDK = (*SDK, "jmespath", "python-dateutil", "six", "urllib3")
MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the bundle


def target() -> tuple[str, str]:
    runtimes, architectures = set(), set()
    for path in sorted((ROOT / "cfn").glob("*.yaml")):
        text = path.read_text()
        runtimes |= set(re.findall(r"^\s+Runtime:\s*(python[0-9.]+)\s*$", text, re.M))
        architectures |= set(re.findall(r"^\s+Architectures:\s*\[\s*(\w+)\s*\]\s*$", text, re.M))
    if len(runtimes) != 1 or len(architectures) != 1:
        raise SystemExit(f"functions disagree on runtime/architecture: {runtimes} {architectures}")
    return runtimes.pop().removeprefix("python"), architectures.pop()


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirements(with_sdk: bool) -> list[str]:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [r for r in declared if with_sdk or _name(r) not in SDK]


def _packaging() -> tuple[type, type]:
    try:
        from packaging.markers import Marker
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    return Requirement, Marker


def copy_installed(destination: Path, with_sdk: bool) -> list[str]:
    """Copy the installed distributions the requirements need (transitively) into ``destination``."""
    requirement_type, _ = _packaging()
    pending = [(r, "") for r in requirements(with_sdk)]
    seen: dict[str, importlib.metadata.Distribution] = {}
    while pending:
        text, extra = pending.pop()
        requirement = requirement_type(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = _name(requirement.name)
        if name in seen or (not with_sdk and name in SDK):
            continue
        seen[name] = distribution = importlib.metadata.distribution(requirement.name)
        for extra_name in ["", *sorted(requirement.extras)]:
            pending += [(r, extra_name) for r in distribution.requires or []]
    for distribution in seen.values():
        base = Path(str(distribution.locate_file(""))).resolve()
        for file in distribution.files or []:
            source = Path(str(distribution.locate_file(file))).resolve()
            if not source.is_relative_to(base) or "__pycache__" in source.parts or source.suffix == ".pyc":
                continue  # console scripts outside site-packages, bytecode
            copied = destination / source.relative_to(base)
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copied)
    return sorted(seen)


def copy_code(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in CODE:
        shutil.copytree(ROOT / name, destination / name, ignore=ignore, dirs_exist_ok=True)


class NoCompilerError(SystemExit):
    """No interpreter of the runtime's Python version to compile the bundle's bytecode with."""


def compiler_for(python_version: str) -> str:
    """An interpreter of ``python_version`` (``3.12``): bytecode is specific to one version."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    found = shutil.which(f"python{python_version}")
    if found is None:
        raise NoCompilerError(
            f"compiling the bundle's bytecode needs python{python_version} (the functions' runtime) on "
            f"PATH; install it, or pass --no-compile to ship sources only (every cold start then "
            "compiles the modules it imports)"
        )
    return found


def compile_bytecode(directory: Path, python_version: str) -> None:
    """Write ``__pycache__/*.cpython-XY.pyc`` beside every module under ``directory``."""
    subprocess.run(
        [
            compiler_for(python_version),
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            # tracebacks name the files where Lambda unpacks the bundle, and the build's own
            # temporary folder stays out of the bytecode (so two builds are byte for byte the same)
            "-s",
            str(directory),
            "-p",
            LAMBDA_TASK_ROOT,
            str(directory),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def write_zip(source: Path, output: Path) -> str:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())
    return hashlib.sha256(output.read_bytes()).hexdigest()


def _foreign_extensions(root: Path, architecture: str) -> list[str]:
    others = [m for a, m in MACHINE.items() if a != architecture]
    return [str(p.relative_to(root)) for p in root.rglob("*.so") if any(m in p.name for m in others)]


CHECK = """
import importlib, importlib.util, sys
bundle = sys.argv[1]
sys.path[:0] = sys.argv[1:]
for forbidden in ("sandbox", "tests", "scripts", "benchmarks"):
    assert importlib.util.find_spec(forbidden) is None, forbidden + " is in the bundle"
for name in {entry_points!r}:
    module = importlib.import_module(name)
    assert module.__file__.startswith(bundle), (name, module.__file__)
    assert callable(module.lambda_handler), name
for name in ("pydantic_core", "aws_lambda_powertools", "slack_bolt", "jinja2"):
    assert importlib.import_module(name).__file__.startswith(bundle), name
if {compiled!r}:
    import os
    sources = [m.__file__ for m in list(sys.modules.values())
               if (getattr(m, "__file__", None) or "").startswith(bundle) and m.__file__.endswith(".py")]
    missing = [f for f in sources if not os.path.exists(importlib.util.cache_from_source(f))]
    assert not missing, f"{{len(missing)}} of {{len(sources)}} modules have no bytecode, e.g. {{missing[:3]}}"
    print("bytecode for all", len(sources), "modules imported from the bundle")
print("imported", ", ".join({entry_points!r}), "from", bundle)
"""


def check(
    bundle: Path, runtime_sdk: list[Path], python_version: str, architecture: str, *, compiled: bool = False
) -> int:
    host_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory(prefix="lambda-bundle-") as unpacked:
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(unpacked)
        read_only(Path(unpacked))  # as /var/task is: nothing can be compiled and cached there
        foreign = [n for n in ("sandbox", "tests", "scripts", "benchmarks") if (Path(unpacked) / n).exists()]
        if foreign:
            print(f"the bundle contains {', '.join(foreign)}", file=sys.stderr)
            return 1
        if MACHINE[architecture] != platform.machine() or python_version != host_python:
            wrong = _foreign_extensions(Path(unpacked), architecture)
            if wrong:
                print(f"extensions not built for {architecture}: {wrong}", file=sys.stderr)
                return 1
            print(
                f"import check skipped: the bundle is for python{python_version}/{architecture}, this host "
                f"runs python{host_python}/{platform.machine()}; its compiled extensions are {architecture}"
            )
            return 0
        code = CHECK.format(entry_points=ENTRY_POINTS, compiled=compiled)
        paths = [unpacked, *(str(p) for p in runtime_sdk)]
        env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
        try:
            result = subprocess.run([sys.executable, "-I", "-S", "-c", code, *paths], env=env, check=False)
        finally:
            writable(Path(unpacked))  # so the temporary directory can be removed
        return result.returncode


def read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)


def writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


def runtime_sdk_dir(destination: Path) -> Path:
    """The SDK the Lambda runtime provides, linked from this interpreter's installation."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_SDK:
        distribution = importlib.metadata.distribution(name)
        for top in (distribution.read_text("top_level.txt") or "").split() or [name]:
            source = Path(str(distribution.locate_file(top)))
            for candidate in (source, source.with_suffix(".py")):
                if candidate.exists() and not (destination / candidate.name).exists():
                    (destination / candidate.name).symlink_to(candidate)
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("target")
    for name in ("requirements", "copy-installed"):
        step = sub.add_parser(name)
        step.add_argument("--with-sdk", action="store_true")
        if name == "copy-installed":
            step.add_argument("destination", type=Path)
    sub.add_parser("copy-code").add_argument("destination", type=Path)
    compile_step = sub.add_parser("compile")
    compile_step.add_argument("directory", type=Path)
    compile_step.add_argument("--python", required=True, help="the runtime's version, e.g. 3.12")
    zip_step = sub.add_parser("zip")
    zip_step.add_argument("source", type=Path)
    zip_step.add_argument("output", type=Path)
    check_step = sub.add_parser("check")
    check_step.add_argument("bundle", type=Path)
    check_step.add_argument("--python", required=True)
    check_step.add_argument("--arch", required=True, choices=sorted(MACHINE))
    check_step.add_argument("--runtime-sdk", action="store_true", help="add the SDK the runtime provides")
    check_step.add_argument("--compiled", action="store_true", help="every imported module has bytecode")
    args = parser.parse_args(argv)

    if args.step == "target":
        print(*target())
    elif args.step == "requirements":
        print("\n".join(requirements(args.with_sdk)))
    elif args.step == "copy-installed":
        print("copied:", " ".join(copy_installed(args.destination, args.with_sdk)))
    elif args.step == "copy-code":
        copy_code(args.destination)
    elif args.step == "compile":
        compile_bytecode(args.directory, args.python)
    elif args.step == "zip":
        print(write_zip(args.source, args.output))
    else:
        with tempfile.TemporaryDirectory(prefix="lambda-runtime-") as sdk:
            extra = [runtime_sdk_dir(Path(sdk))] if args.runtime_sdk else []
            return check(args.bundle, extra, args.python, args.arch, compiled=args.compiled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
