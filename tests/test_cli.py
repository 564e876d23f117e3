"""The command line as a whole: fast help that imports no heavy dependency, every sub-command registered,
one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("kubernetes", "boto3", "botocore", "moto", "jsonschema", "cel")


def python(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("argv", [["--help"], ["test", "--help"]])
def test_help_imports_no_heavy_dependency(argv: list[str]) -> None:
    probe = (f"import sys, runpy; sys.argv = ['chainsaw_py', *{argv!r}]\n"
             "try:\n    runpy.run_module('chainsaw_py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    result = python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_is_registered() -> None:
    result = python("-m", "chainsaw_py", "--help")
    for command in ("test", "assert", "lint", "export", "cluster", "migrate", "build", "create", "renovate",
                    "version", "completion", "docs", "help"):
        assert f"\n  {command} " in result.stdout, result.stdout


def test_missing_test_dir_is_one_line(tmp_path: Path) -> None:
    result = python("-m", "chainsaw_py", "test", str(tmp_path / "nope"), "--no-cluster", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: ") and "nope" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr


BAD_TESTS = {
    "malformed YAML": ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x\n", "chainsaw-test.yaml:"),
    "schema violation": ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\n"
                         "spec:\n  steps:\n  - try:\n    - sleep:\n        duration: 1s\n      bogus: 1\n",
                         "chainsaw-test.yaml:"),
    "unknown operation": ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\n"
                          "spec:\n  steps:\n  - try:\n    - sleeep:\n        duration: 1s\n", "sleeep"),
    "bad expression": ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\n"
                       "spec:\n  steps:\n  - try:\n    - assert:\n        resource:\n          (foo(@): 1\n",
                       "chainsaw-test.yaml:"),
}


@pytest.mark.parametrize("case", sorted(BAD_TESTS))
def test_bad_test_files_give_one_line_and_exit_1(case: str, tmp_path: Path) -> None:
    content, expected = BAD_TESTS[case]
    (tmp_path / "chainsaw-test.yaml").write_text(content)
    result = python("-m", "chainsaw_py", "test", str(tmp_path), "--no-cluster", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: ") and expected in errors[0], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("flag", [["--config", "missing.yaml"], ["--values", "missing.yaml"]])
def test_missing_files_give_one_line_and_exit_1(flag: list[str], tmp_path: Path) -> None:
    result = python("-m", "chainsaw_py", "test", str(tmp_path), "--no-cluster", *flag, cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "missing.yaml" in errors[0], result.stderr


def test_pause_on_failure_waits_for_enter_and_forces_one_test_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "chainsaw-test.yaml").write_text(
        "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\n"
        "spec:\n  steps:\n  - try:\n    - script:\n        content: exit 1\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(tmp_path), "--no-cluster",
                             "--pause-on-failure"], cwd=tmp_path, env=env, input="\n" * 5,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Failure detected, press ENTER to continue..." in result.stderr
    assert "- Parallel 1" in result.stdout and "- PauseOnFailure true" in result.stdout


SLEEP_TEST = ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: nap}\n"
              "spec:\n  steps:\n  - try:\n    - sleep:\n        duration: 1ms\n")


@pytest.mark.parametrize(("flags", "environment", "coloured"), [
    ([], {}, True),  # forced, as Chainsaw does, although the output is a pipe
    (["--no-color"], {}, False),
    ([], {"NO_COLOR": "1"}, False),
])
def test_test_command_colours(tmp_path: Path, flags: list[str], environment: dict[str, str],
                              coloured: bool) -> None:
    (tmp_path / "nap").mkdir()
    (tmp_path / "nap" / "chainsaw-test.yaml").write_text(SLEEP_TEST)
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", "--no-cluster", "nap", *flags],
                            cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO), **environment},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "SLEEP" in line and "DONE" in line)
    if coloured:
        assert "| \x1b[32;1mSLEEP\x1b[0m        | \x1b[32;1mDONE\x1b[0m     |" in line
    else:
        assert "\x1b" not in result.stdout and "| SLEEP     | DONE  |" in line
