"""NUL bytes in what a script or a command is started with (issue 10): Python's ``embedded null byte``
becomes the error Go's ``exec.Cmd.Start`` gives for the same operation, one line, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainsaw_py.api import TestOptions, run_to_string
from chainsaw_py.operations.base import CancelToken
from chainsaw_py.operations.internal.process import run_process

from .runner_support import write_suite


def start(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str | None:
    return run_process(argv, cwd=cwd, env={"PATH": os.environ["PATH"], **(env or {})}, timeout=5,
                       cancel=CancelToken()).error


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["sh", "-c", "echo a\0b"], {}, "fork/exec {sh}: invalid argument"),
    (["echo", "x\0y"], {}, "fork/exec {echo}: invalid argument"),
    (["sh", "-c", "echo $X"], {"X": "a\0b"}, "exec: environment variable contains NUL"),
    (["sh", "-c", "echo"], {"X\0Y": "b"}, "exec: environment variable contains NUL"),
    (["ec\0ho", "x"], {}, 'exec: "ec\\x00ho": executable file not found in $PATH'),
    (["/bin/ec\0ho"], {}, "fork/exec /bin/ec\0ho: invalid argument"),
    # Go's order: the look-up first, then the environment, then the arguments.
    (["no-such-program\0", "a\0"], {"X": "\0"}, 'exec: "no-such-program\\x00": executable file not found in $PATH'),
    (["sh", "-c", "a\0"], {"X": "\0"}, "exec: environment variable contains NUL"),
])
def test_nul_bytes_give_gos_start_errors(tmp_path: Path, argv: list[str], env: dict[str, str],
                                         expected: str) -> None:
    import shutil

    paths = {"sh": shutil.which("sh"), "echo": shutil.which("echo")}
    assert start(argv, tmp_path, env) == expected.format(**paths)


def test_a_nul_byte_in_the_working_folder(tmp_path: Path) -> None:
    assert start(["sh", "-c", "true"], tmp_path / "a\0b") == f"chdir {tmp_path}/a\0b: invalid argument"
    assert start(["sh", "-c", "true"], tmp_path / "missing") == f"chdir {tmp_path}/missing: no such file or directory"


SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: nul
spec:
  steps:
  - try:
    - script:
        content: "echo a\\0b"
    catch:
    - script:
        env:
        - name: X
          value: "a\\0b"
        content: echo $X
    - command:
        entrypoint: echo
        args: ["x\\0y"]
"""


def test_a_run_reports_them_as_operation_errors(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", SUITE)
    outcome, output = run_to_string(TestOptions(test_dirs=[str(suite)], no_cluster=True, no_color=True))
    assert not outcome.ok
    assert "embedded null byte" not in output and "Traceback" not in output
    assert "=== ERROR\n        fork/exec " in output and ": invalid argument" in output
    assert "exec: environment variable contains NUL" in output
    assert output.count("invalid argument") == 2
