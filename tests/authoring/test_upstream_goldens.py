"""Differential tests against upstream Chainsaw's own golden files (``../shared/reference/chainsaw-testdata``,
upstream's ``testdata/``).

Upstream's command tests (``pkg/commands/**/command_test.go``) run each command over that folder from the
command's package directory and compare the output byte for byte; these tests run chainsaw_py the same way,
from the same relative place, with the same arguments. Differences that are chainsaw_py's on purpose are
named where they are normalised: the version line, the program name (``chainsaw-py``), the command path in
usage lines (upstream's tests attach a sub-command straight to a bare root), and chainsaw_py's own flags and
commands (``--embedded``, ``cluster``, ``report``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.authoring.conftest import Cli
from tests.shared import TESTDATA, requires_shared

pytestmark = requires_shared("reference", "chainsaw-testdata")
COMMANDS = TESTDATA / "commands"
CHAINSAW_PY_ONLY = ("--embedded", "--sut-config", "--map-image", "cluster  ", "report  ")


@pytest.fixture
def upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of upstream's tree: ``testdata/`` beside the package directories the commands run from, and its
    kubeconfig in use (so ``test`` runs find a cluster configured, as upstream's do, without contacting it)."""
    shutil.copytree(TESTDATA, tmp_path / "testdata")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "testdata" / ".kube" / "config"))
    return tmp_path


def _package(root: Path, package: str) -> Path:
    folder = root / "pkg" / "commands" / package
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _golden(path: str) -> str:
    return (COMMANDS / path).read_text(encoding="utf-8")


def test_migrate_kuttl_tests(upstream: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "tests", "../../../../../testdata/kuttl", cwd=_package(upstream, "migrate/kuttl/tests"))
    assert (result.code, result.out) == (0, _golden("migrate/kuttl/tests/out.txt"))


def test_migrate_kuttl_tests_save(upstream: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "tests", "../../../../../testdata/kuttl", "--save",
                 cwd=_package(upstream, "migrate/kuttl/tests"))
    assert (result.code, result.out) == (0, _golden("migrate/kuttl/tests/out-save.txt"))
    assert (upstream / "testdata" / "kuttl" / "chainsaw-test.yaml").is_file()


def test_migrate_kuttl_config(upstream: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "config", "../../../../../testdata/kuttl/kuttl-test.yaml",
                 cwd=_package(upstream, "migrate/kuttl/config"))
    assert (result.code, result.out) == (0, _golden("migrate/kuttl/config/out.txt"))


def test_migrate_kuttl_config_save(upstream: Path, cli: Cli) -> None:
    result = cli("migrate", "kuttl", "config", "../../../../../testdata/kuttl/kuttl-test.yaml", "--save",
                 cwd=_package(upstream, "migrate/kuttl/config"))
    assert (result.code, result.out) == (0, _golden("migrate/kuttl/config/out-save.txt"))
    saved = (upstream / "testdata" / "kuttl" / ".chainsaw.yaml").read_text(encoding="utf-8")
    assert _golden("migrate/kuttl/config/out.txt").split("\n", 1)[1] == saved.split("\n", 1)[1] + "\n"


@pytest.mark.parametrize("file", ["multiple-config.yaml", "02-step.yaml", "invalid-config.yaml", "configmap.yaml",
                                  "unknown.yaml"])
def test_migrate_kuttl_config_errors(upstream: Path, cli: Cli, file: str) -> None:
    result = cli("migrate", "kuttl", "config", f"../../../../../testdata/kuttl/{file}",
                 cwd=_package(upstream, "migrate/kuttl/config"))
    assert result.code == 1 and result.out == ""
    assert result.err.count("Error: ") == 1


@pytest.mark.parametrize(("file", "golden"), [("default.yaml", "v1alpha1-default.txt"),
                                              ("custom-config.yaml", "v1alpha1-custom.txt")])
def test_renovate_config(upstream: Path, cli: Cli, file: str, golden: str) -> None:
    result = cli("renovate", "config", f"../../../../testdata/config/v1alpha1/{file}",
                 cwd=_package(upstream, "renovate/config"))
    assert (result.code, result.out) == (0, _golden(f"renovate/config/{golden}"))


def test_renovate_config_save(upstream: Path, cli: Cli) -> None:
    """Upstream's case is commented out in its test table; its golden (nothing on standard output) still holds,
    and the file then holds what the command prints without ``--save``, less the last newline."""
    result = cli("renovate", "config", "../../../../testdata/config/v1alpha1/default.yaml", "--save",
                 cwd=_package(upstream, "renovate/config"))
    assert (result.code, result.out) == (0, _golden("renovate/config/out-save.txt"))
    saved = (upstream / "testdata" / "config" / "v1alpha1" / "default.yaml").read_text(encoding="utf-8")
    assert saved + "\n" == _golden("renovate/config/v1alpha1-default.txt")  # printing adds Println's newline


@pytest.mark.parametrize("file", ["unknown.yaml", "multiple.yaml", "v1alpha1/bad-catch.yaml", "configmap.yaml"])
def test_renovate_config_errors(upstream: Path, cli: Cli, file: str) -> None:
    path = f"../../../../testdata/config/{file}"
    result = cli("renovate", "config", path, cwd=_package(upstream, "renovate/config"))
    assert result.code == 1 and result.out == ""
    assert result.err.startswith(f"Error: failed to load configuration file {path}: ")


def test_create_test(upstream: Path, cli: Cli) -> None:
    result = cli("create", "test", ".", cwd=_package(upstream, "create/test"))
    assert (result.code, result.out) == (0, _golden("create/test/out.txt"))


def test_version_lines(cli: Cli) -> None:
    golden = _golden("version/out.txt").splitlines()
    lines = cli("version").out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [line.split(": ", 1)[0] for line in golden]


@pytest.mark.parametrize(("kind", "file"), [("test", "test.json"), ("test", "test.yaml"),
                                            ("configuration", "configuration.json"),
                                            ("configuration", "configuration.yaml")])
def test_lint_passes(upstream: Path, cli: Cli, kind: str, file: str) -> None:
    result = cli("lint", kind, "--file", f"../../../testdata/commands/lint/{kind}/{file}",
                 cwd=_package(upstream, "lint"))
    assert (result.code, result.out) == (0, _golden(f"lint/{kind}/pass.txt"))


@pytest.mark.parametrize(("kind", "file"), [("test", "wrong-test.json"), ("test", "wrong-test.yaml"),
                                            ("test", "txt.txt"), ("configuration", "wrong-configuration.json"),
                                            ("configuration", "wrong-configuration.yaml")])
def test_lint_fails(upstream: Path, cli: Cli, kind: str, file: str) -> None:
    result = cli("lint", kind, "--file", f"../../../testdata/commands/lint/{kind}/{file}",
                 cwd=_package(upstream, "lint"))
    assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1


def _version_free(text: str) -> str:
    return re.sub(r"^Version: .*\n", "Version: (devel)\n", text, count=1)


TEST_RUNS: list[tuple[list[str], str]] = [
    ([], "default.txt"),
    (["--apply-timeout", "10s"], "with_timeout.txt"),
    (["--repeat-count", "3"], "with_repeat_count.txt"),
    (["--test-dir", "..", "--test-dir", "."], "with_test_dirs.txt"),
    (["--include-test-regex", "test[4-6]", "--exclude-test-regex", "test[1-3]"], "with_regex.txt"),
    (["--config", "../../../testdata/commands/test/config/config_all_fields.yaml", "--report-path",
      "../../../.temp"], "config_all_fields.txt"),
    (["--test-file=custom-test.yaml", "--apply-timeout=100s", "--assert-timeout=100s", "--error-timeout=100s",
      "--delete-timeout=100s", "--cleanup-timeout=100s", "--exec-timeout=100s", "--test-dir=.",
      "--skip-delete=false", "--fail-fast=false", "--parallel=24", "--repeat-count=12", "--report-format=XML",
      "--report-path", "../../../.temp", "--report-name=foo", "--namespace=bar", "--full-name=true",
      "--include-test-regex=^.*$", "--exclude-test-regex=^.*$", "--force-termination-grace-period=5s",
      "--set=env=prod", "--set-string=image.tag=01"], "all_flags.txt"),
]


@pytest.mark.parametrize(("argv", "golden"), TEST_RUNS, ids=[golden for _, golden in TEST_RUNS])
def test_test_command(upstream: Path, cli: Cli, argv: list[str], golden: str) -> None:
    result = cli("test", *argv, cwd=_package(upstream, "test"))
    assert result.code == 0, result.err
    assert _version_free(result.out) == _golden(f"test/{golden}")


def test_test_command_wrong_kind_config(upstream: Path, cli: Cli) -> None:
    result = cli("test", "--config", "../../../testdata/commands/test/config/wrong_kind_config.yaml",
                 cwd=_package(upstream, "test"))
    assert result.code == 1
    assert _version_free(result.out) == _golden("test/wrong_kind_config.txt")
    assert result.err == _golden("test/wrong_kind_config_err.txt")


def test_test_command_wrong_format_config(upstream: Path, cli: Cli) -> None:
    result = cli("test", "--config", "../../../testdata/commands/test/config/wrong_format_config.yaml",
                 cwd=_package(upstream, "test"))
    assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1
    assert _version_free(result.out) == _golden("test/wrong_format_config.txt")


@pytest.mark.parametrize("argv", [["--config", "nonexistent.yaml"], ["--timeout", "invalid"],
                                  ["--config", "../../../testdata/commands/test/config/empty_config.yaml"]])
def test_test_command_errors(upstream: Path, cli: Cli, argv: list[str]) -> None:
    result = cli("test", *argv, cwd=_package(upstream, "test"))
    assert result.code == 1 and result.err.startswith("Error: ") and result.err.count("\n") == 1


HELP_GOLDENS = {
    (): "help.txt", ("assert",): "assert/help.txt", ("build",): "build/help.txt",
    ("build", "docs"): "build/docs/help.txt", ("create",): "create/help.txt",
    ("create", "test"): "create/test/help.txt", ("docs",): "docs/help.txt", ("export",): "export/help.txt",
    ("export", "schemas"): "export/schemas/help.txt", ("migrate",): "migrate/help.txt",
    ("migrate", "kuttl"): "migrate/kuttl/help.txt", ("migrate", "kuttl", "tests"): "migrate/kuttl/tests/help.txt",
    ("migrate", "kuttl", "config"): "migrate/kuttl/config/help.txt", ("renovate",): "renovate/help.txt",
    ("renovate", "config"): "renovate/config/help.txt", ("test",): "test/help.txt",
    ("version",): "version/help.txt",
}


def _comparable_help(text: str, path: tuple[str, ...]) -> str:
    """Help text with chainsaw_py's differences taken out: the program name, the command path of usage lines
    (upstream's tests may attach a command to a bare root), chainsaw_py's own flags and commands."""
    text = text.replace("chainsaw-py", "chainsaw")
    for length in range(len(path), 0, -1):
        text = text.replace("chainsaw " + " ".join(path[:length]), "chainsaw " + path[-1] if path else "chainsaw")
    text = re.sub(r"(?m)^  chainsaw (?=\S+ \[flags\]\.\.\.)", "  ", text)
    return "".join(line for line in text.splitlines(keepends=True)
                   if not any(marker in line for marker in CHAINSAW_PY_ONLY))


@pytest.mark.parametrize("path", list(HELP_GOLDENS), ids=lambda path: " ".join(path) or "root")
def test_help(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0
    golden = _golden(HELP_GOLDENS[path])
    assert _comparable_help(result.out, path) == _comparable_help(golden, path)


def test_docs_without_output_is_an_error(upstream: Path, cli: Cli) -> None:
    result = cli("docs", cwd=upstream)
    assert result.code == 1 and result.out == _golden("docs/invalid-output.txt")
    assert result.err == 'Error: required flag(s) "output" not set\n'
