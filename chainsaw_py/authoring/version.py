"""``version``: the version, time and commit of this chainsaw_py, from what can actually be known.

Upstream reads Go's build information: the module version (``(devel)`` for a local build) and the VCS
revision and commit time stamped into the binary, ``---`` when absent. chainsaw_py reads the equivalents:

- Version: the installed distribution's version when this very package is the installed one, else the
  package's ``__version__``;
- Git commit ID and Time: for a regular installation, the commit it was installed from when pip recorded
  one (PEP 610 ``direct_url.json``; no time is recorded); when running from a source tree (or an editable
  installation), the ``HEAD`` commit and its commit time (RFC 3339, UTC, like Go's ``vcs.time``) of the
  git work tree that tracks the package; ``---`` for whatever is not known.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import Distribution

NOT_FOUND = "---"
DISTRIBUTION = "chainsaw-py"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class VersionInfo:
    version: str
    time: str
    commit: str

    def lines(self) -> list[str]:
        return [f"Version: {self.version}", f"Time: {self.time}", f"Git commit ID: {self.commit}"]


def version_info() -> VersionInfo:
    from chainsaw_py import __version__

    distribution = _installed_distribution()
    version = distribution.version if distribution is not None else __version__
    if distribution is not None and not _is_editable(distribution):
        return VersionInfo(version, NOT_FOUND, _direct_url_commit(distribution) or NOT_FOUND)
    revision = git_revision(PACKAGE_DIR)
    if revision is None:
        return VersionInfo(version, NOT_FOUND, NOT_FOUND)
    return VersionInfo(version, revision[1], revision[0])


def _installed_distribution() -> Distribution | None:
    """The installed ``chainsaw-py`` distribution, when it is the one this package was imported from."""
    from importlib import metadata

    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    if _is_editable(distribution):
        return distribution
    try:
        installed = Path(str(distribution.locate_file("chainsaw_py/__init__.py"))).resolve()
    except OSError:
        return None
    return distribution if installed == PACKAGE_DIR / "__init__.py" else None


def _direct_url(distribution: Distribution) -> dict[str, Any]:
    text = distribution.read_text("direct_url.json")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_editable(distribution: Distribution) -> bool:
    return bool((_direct_url(distribution).get("dir_info") or {}).get("editable"))


def _direct_url_commit(distribution: Distribution) -> str | None:
    commit = (_direct_url(distribution).get("vcs_info") or {}).get("commit_id")
    return commit if isinstance(commit, str) and commit else None


def git_revision(directory: Path) -> tuple[str, str] | None:
    """``(commit, commit time)`` of ``HEAD`` when ``directory``'s package is tracked in a git work tree."""
    tracked = _git(directory, "ls-files", "--error-unmatch", "__init__.py")
    head = _git(directory, "log", "-1", "--format=%H %ct")
    if tracked is None or head is None:
        return None
    fields = head.split()
    if len(fields) != 2 or not fields[1].isdigit():
        return None
    moment = datetime.fromtimestamp(int(fields[1]), tz=UTC)
    return fields[0], moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(directory: Path, *args: str) -> str | None:
    """The output of a git command run in ``directory``, or None when git is missing or fails."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run([git, "-C", str(directory), *args], capture_output=True, text=True,
                                timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None
