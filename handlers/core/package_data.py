"""Where the folders of data the code reads at run time are: ``templates/`` (emails, pages, reports)
and, for the sandbox, ``cfn/``. They sit beside the Python packages in every layout the project
ships in: the source tree, the Lambda bundle (``scripts/lambda_bundle.py`` copies ``templates/``) and
an installed wheel (``pyproject.toml`` packages them as data of the namespace packages ``templates``
and ``cfn``). Each is found through the import system, so it is the one the code was installed with."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parents[1]


class MissingPackageDataError(RuntimeError):
    """A data folder the installation should carry is not there (a broken or partial install)."""


@functools.cache
def data_dir(name: str, marker: str) -> Path:
    """The folder ``name`` that holds ``marker`` (a file inside it, proving it is ours), or a
    one-line :class:`MissingPackageDataError` saying what is missing."""
    candidates = [_SOURCE_TREE / name]
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        candidates[:0] = [Path(location) for location in spec.submodule_search_locations]
    for candidate in candidates:
        if (candidate / marker).is_file():
            return candidate
    raise MissingPackageDataError(
        f"drs-chatops is installed without its {name}/ folder ({name}/{marker} not found beside the "
        f"packages): reinstall it from a wheel built by this version's pyproject.toml"
    )
