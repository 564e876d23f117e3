"""Child processes: Go-style errors, timeouts killing the whole group, os.Expand for command args."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chainsaw_py.operations.base import CancelToken
from chainsaw_py.operations.command import expand
from chainsaw_py.operations.internal.process import base_environment, command_string, run_process


def run(argv: list[str], tmp_path: Path, timeout: float | None = 5.0, cancel: CancelToken | None = None):
    return run_process(argv, cwd=tmp_path, env=base_environment({}), timeout=timeout, cancel=cancel or CancelToken())


def test_exit_status(tmp_path: Path) -> None:
    result = run(["sh", "-c", "echo out; echo err >&2; exit 3"], tmp_path)
    assert (result.stdout, result.stderr, result.error) == ("out\n", "err\n", "exit status 3")


def test_the_exit_is_awaited_through_the_end_of_output_not_by_polling(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Popen.wait(timeout) sleeps up to 50 ms between checks (~20 ms per kubectl of a script): the output
    pipes closing wakes the wait instead, and the exit status is then collected at once."""
    import subprocess

    timed_waits: list[float | None] = []
    original = subprocess.Popen.wait

    def recording_wait(self: subprocess.Popen[bytes], timeout: float | None = None) -> int:
        timed_waits.append(timeout)
        return original(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", recording_wait)
    result = run(["sh", "-c", "sleep 0.3; echo done"], tmp_path)
    assert (result.stdout, result.error) == ("done\n", None)
    assert len(timed_waits) <= 1


def test_missing_executable(tmp_path: Path) -> None:
    assert run(["no-such-binary-xyz"], tmp_path).error == 'exec: "no-such-binary-xyz": executable file not found in $PATH'


def test_missing_work_dir(tmp_path: Path) -> None:
    result = run_process(["true"], cwd=tmp_path / "nope", env=base_environment({}), timeout=1, cancel=CancelToken())
    assert result.error == f"chdir {tmp_path / 'nope'}: no such file or directory"


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    started = time.monotonic()
    result = run(["sh", "-c", f"sleep 30 & echo $! > {marker}; wait"], tmp_path, timeout=0.5)
    assert result.error == "signal: killed"
    assert time.monotonic() - started < 10
    child = int(marker.read_text())
    assert _gone_within(child, seconds=5)


def _gone_within(pid: int, seconds: float) -> bool:
    """Whether the process is gone by the deadline (the kernel reaps a killed group asynchronously)."""
    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait for a reaper that this sandbox's init may not be)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_cancel_stops_the_process(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    assert run(["sleep", "30"], tmp_path, timeout=None, cancel=token).error == "signal: killed"


def test_interpreter_first_on_path() -> None:
    import sys

    assert base_environment({})["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_command_string_resolves_the_executable() -> None:
    env = base_environment({})
    assert command_string(["sh", "-c", "echo hi"], env).endswith("sh -c echo hi")
    assert command_string(["sh", "-c", "echo hi"], env).startswith("/")


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("$GREETINGS", {"GREETINGS": "hello"}, "hello"),
    ("${GREETINGS}!", {"GREETINGS": "hi"}, "hi!"),
    ("$UNKNOWN_XYZ", {}, "$UNKNOWN_XYZ"),
    ("${UNKNOWN_XYZ}", {}, "$UNKNOWN_XYZ"),
    ("$$", {}, "$"),
    ("a$", {}, "a$"),
    ("$.x", {}, "$.x"),
    ("${", {}, ""),
    ("$NAMESPACE/x", {"NAMESPACE": "ns"}, "ns/x"),
])
def test_expand(text: str, env: dict[str, str], expected: str) -> None:
    assert expand(text, env) == expected
