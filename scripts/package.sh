#!/usr/bin/env bash
# Build the Lambda bundle: handlers/, bot/, templates/ and the runtime dependencies from
# pyproject.toml, for the runtime and architecture the templates declare. No tests, sandbox,
# scripts or benchmarks. Prints the zip's path, size and sha256.
#
#   scripts/package.sh [--from-installed] [--with-sdk] [--out FILE] [--no-compile] [--no-check]
#
#   (default)          pip downloads manylinux wheels for the Lambda platform (needs a package index)
#   --from-installed   offline: copy the dependencies installed in this interpreter (host platform;
#                      for tests and --validate-only, not for upload unless the host matches Lambda)
#   --with-sdk         bundle boto3/botocore too (by default the Lambda runtime's own are used)
#   --out FILE         where the zip goes (default build/lambda/bundle.zip)
#   --no-compile       ship sources without bytecode (by default every module is compiled for the
#                      runtime's Python, which needs that interpreter: /var/task is read-only, so a
#                      bundle without bytecode compiles what it imports at every cold start)
#   --no-check         skip the clean-interpreter import check
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"
OUT="$ROOT/build/lambda/bundle.zip"
FROM_INSTALLED=0 WITH_SDK="" CHECK=1 COMPILE=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --from-installed) FROM_INSTALLED=1 ;;
    --with-sdk) WITH_SDK="--with-sdk" ;;
    --out) OUT="$2"; shift ;;
    --no-check) CHECK=0 ;;
    --no-compile) COMPILE=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

helper() { (cd "$ROOT" && "$PYTHON" -m scripts.lambda_bundle "$@"); }

read -r PY_VERSION ARCH < <(helper target)
case "$ARCH" in
  arm64) PLATFORM=manylinux2014_aarch64 ;;
  x86_64) PLATFORM=manylinux2014_x86_64 ;;
  *) echo "package.sh: unsupported architecture $ARCH" >&2; exit 1 ;;
esac
if [[ $FROM_INSTALLED == 1 ]]; then
  PY_VERSION="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  case "$(uname -m)" in aarch64) ARCH=arm64 ;; *) ARCH=x86_64 ;; esac
fi

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/drs-chatops-bundle.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

if [[ $FROM_INSTALLED == 1 ]]; then
  echo "dependencies: copied from $PYTHON's installation (python$PY_VERSION, $ARCH; offline)"
  helper copy-installed $WITH_SDK "$STAGE"
else
  echo "dependencies: pip wheels for python$PY_VERSION on $PLATFORM"
  mapfile -t REQUIREMENTS < <(helper requirements $WITH_SDK)
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile \
    --target "$STAGE" --platform "$PLATFORM" --implementation cp --python-version "$PY_VERSION" \
    --only-binary=:all: "${REQUIREMENTS[@]}"
  rm -rf "$STAGE/bin"
fi
helper copy-code "$STAGE"
COMPILED=""
if [[ $COMPILE == 1 ]]; then
  helper compile "$STAGE" --python "$PY_VERSION"
  COMPILED="--compiled"
  echo "bytecode: compiled for python$PY_VERSION (unchecked-hash .pyc)"
fi

mkdir -p "$(dirname "$OUT")"
SHA256="$(helper zip "$STAGE" "$OUT")"
BYTES="$(wc -c <"$OUT" | tr -d ' ')"
UNZIPPED="$(du -sk "$STAGE" | cut -f1)"
echo "bundle: $OUT"
echo "size: $((BYTES / 1024)) KiB zipped, ${UNZIPPED} KiB unzipped (Lambda limits: 50 MiB zipped upload, 250 MiB unzipped)"
echo "sha256: $SHA256"
echo "$SHA256" >"$OUT.sha256"

if [[ $CHECK == 1 ]]; then
  RUNTIME_SDK="--runtime-sdk"
  [[ -n "$WITH_SDK" ]] && RUNTIME_SDK=""
  helper check "$OUT" --python "$PY_VERSION" --arch "$ARCH" $RUNTIME_SDK $COMPILED
fi
