"""``version``: what can be known about this chainsaw_py, ``---`` for the rest."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chainsaw_py import __version__
from chainsaw_py.authoring import version
from tests.authoring.conftest import Cli

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-03-04T05:06:07Z", "GIT_COMMITTER_DATE": "2024-03-04T05:06:07Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@requires_git
def test_revision_of_a_tracked_package(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "one")
    assert version.git_revision(package) == (_git(tmp_path, "rev-parse", "HEAD"), "2024-03-04T05:06:07Z")


@requires_git
def test_no_revision_for_an_untracked_package(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "__init__.py").write_text("")
    assert version.git_revision(tmp_path) is None


def test_no_revision_outside_git(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("")
    assert version.git_revision(tmp_path) is None


def test_unknown_parts_are_dashes(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setattr(version, "_installed_distribution", lambda: None)
    monkeypatch.setattr(version, "git_revision", lambda _directory: None)
    result = cli("version")
    assert result.code == 0
    assert result.out == f"Version: {__version__}\nTime: ---\nGit commit ID: ---\n"


def test_source_tree_revision_is_reported(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setattr(version, "_installed_distribution", lambda: None)
    monkeypatch.setattr(version, "git_revision", lambda _directory: ("abc123", "2024-03-04T05:06:07Z"))
    assert cli("version").out == f"Version: {__version__}\nTime: 2024-03-04T05:06:07Z\nGit commit ID: abc123\n"


class _Distribution:
    def __init__(self, direct_url: str | None) -> None:
        self.version = "9.9.9"
        self._direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return self._direct_url if name == "direct_url.json" else None


@pytest.mark.parametrize(("direct_url", "commit"), [
    (None, "---"),
    ('{"url": "file:///src", "dir_info": {}}', "---"),
    ('{"url": "https://example.com/r.git", "vcs_info": {"vcs": "git", "commit_id": "f00d"}}', "f00d"),
    ("not json", "---"),
])
def test_installed_distribution(monkeypatch: pytest.MonkeyPatch, direct_url: str | None, commit: str) -> None:
    monkeypatch.setattr(version, "_installed_distribution", lambda: _Distribution(direct_url))
    monkeypatch.setattr(version, "git_revision", lambda _directory: ("should not be used", "x"))
    assert version.version_info() == version.VersionInfo("9.9.9", "---", commit)


def test_editable_installation_reads_the_work_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    editable = _Distribution('{"url": "file:///src", "dir_info": {"editable": true}}')
    monkeypatch.setattr(version, "_installed_distribution", lambda: editable)
    monkeypatch.setattr(version, "git_revision", lambda _directory: ("abc", "2024-01-01T00:00:00Z"))
    assert version.version_info() == version.VersionInfo("9.9.9", "2024-01-01T00:00:00Z", "abc")


def test_rejects_arguments(cli: Cli) -> None:
    result = cli("version", "extra")
    assert (result.code, result.err) == (1, 'Error: unknown command "extra" for "chainsaw-py version"\n')
