"""Differential tests against upstream Chainsaw's own golden files, read from the local upstream mirror.

Upstream's command tests run each command over its ``testdata`` and compare the output byte for byte; these
tests do the same with chainsaw_py. They skip when the mirror (a bare git directory beside the repository)
or git is not available.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.authoring.conftest import Cli

MIRROR = Path(__file__).resolve().parents[2] / ".." / ".mirror" / "kyverno+chainsaw" / "repo"

pytestmark = pytest.mark.skipif(not MIRROR.is_dir() or shutil.which("git") is None,
                                reason="the upstream Chainsaw mirror is not available")


def _show(path: str) -> str:
    return subprocess.run(["git", "-C", str(MIRROR), "show", f"HEAD:{path}"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def testdata(tmp_path: Path) -> Path:
    """Upstream's ``testdata/kuttl`` and ``testdata/config`` extracted under tmp_path."""
    archive = subprocess.run(["git", "-C", str(MIRROR), "archive", "HEAD", "testdata/kuttl", "testdata/config"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "testdata"


def test_migrate_kuttl_tests(testdata: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "tests", "kuttl", cwd=testdata)
    assert result.code == 0
    assert result.out == _show("testdata/commands/migrate/kuttl/tests/out.txt")


def test_migrate_kuttl_config(testdata: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "config", "kuttl/kuttl-test.yaml", cwd=testdata)
    assert result.code == 0
    assert result.out == _show("testdata/commands/migrate/kuttl/config/out.txt")
    assert result.out.split("\n", 1)[1] == (testdata / "kuttl" / ".chainsaw.yaml").read_text().split("\n", 1)[1] + "\n"


@pytest.mark.parametrize("file", ["multiple-config.yaml", "02-step.yaml", "invalid-config.yaml", "configmap.yaml",
                                  "unknown.yaml"])
def test_migrate_kuttl_config_errors(testdata: Path, cli: Cli, file: str) -> None:
    result = cli("migrate", "kuttl", "config", f"kuttl/{file}", cwd=testdata)
    assert result.code == 1 and result.out == ""
    assert result.err.count("Error: ") == 1


@pytest.mark.parametrize(("file", "golden"), [("default.yaml", "v1alpha1-default.txt"),
                                              ("custom-config.yaml", "v1alpha1-custom.txt")])
def test_renovate_config(testdata: Path, cli: Cli, file: str, golden: str) -> None:
    result = cli("renovate", "config", f"config/v1alpha1/{file}", cwd=testdata)
    assert result.code == 0
    assert result.out == _show(f"testdata/commands/renovate/config/{golden}")


@pytest.mark.parametrize("file", ["unknown.yaml", "multiple.yaml", "v1alpha1/bad-catch.yaml", "configmap.yaml"])
def test_renovate_config_errors(testdata: Path, cli: Cli, file: str) -> None:
    result = cli("renovate", "config", f"config/{file}", cwd=testdata)
    assert result.code == 1 and result.out == ""
    assert result.err.startswith(f"Error: failed to load configuration file config/{file}: ")


def test_create_test(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "test"
    folder.mkdir()
    result = cli("create", "test", ".", cwd=folder)
    assert result.code == 0
    assert result.out == _show("testdata/commands/create/test/out.txt")


def test_version_lines(cli: Cli) -> None:
    golden = _show("testdata/commands/version/out.txt").splitlines()
    lines = cli("version").out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [line.split(": ", 1)[0] for line in golden]
