"""Running a child process for ``command`` and ``script``: environment, timeout, cancellation.

The child runs in its own session, so that a timeout or an interrupt kills its whole process group
(a shell script's children included), and errors read like Go's ``os/exec`` errors (``exit status 1``,
``signal: killed``), which is what ``$error`` holds in Chainsaw.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from chainsaw_py.operations.base import CancelToken
from chainsaw_py.util.environment import with_interpreter_first

_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ProcessResult:
    stdout: str
    stderr: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def resolve_executable(name: str, env: dict[str, str]) -> str | None:
    if os.sep in name:
        return name
    return shutil.which(name, path=env.get("PATH"))


def command_string(argv: list[str], env: dict[str, str]) -> str:
    """Go's ``exec.Cmd.String()``: the resolved executable path, then the arguments."""
    resolved = resolve_executable(argv[0], env)
    return " ".join([resolved or argv[0], *argv[1:]])


def base_environment(extra: dict[str, str]) -> dict[str, str]:
    """The process environment plus ``extra``; the runner's own interpreter comes first on PATH so that
    ``python``/``python3`` in scripts is the one chainsaw_py runs on (a chainsaw_py addition)."""
    env = with_interpreter_first(dict(os.environ))
    env.update(extra)
    return env


def _exit_error(code: int) -> str | None:
    if code == 0:
        return None
    if code < 0:
        try:
            return f"signal: {_signal_name(-code)}"
        except ValueError:
            return f"signal: {-code}"
    return f"exit status {code}"


_GO_SIGNAL_NAMES = {
    signal.SIGKILL: "killed", signal.SIGTERM: "terminated", signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup", signal.SIGQUIT: "quit", signal.SIGABRT: "aborted",
    signal.SIGSEGV: "segmentation fault", signal.SIGPIPE: "broken pipe", signal.SIGALRM: "alarm clock",
    signal.SIGUSR1: "user defined signal 1", signal.SIGUSR2: "user defined signal 2",
}


def _signal_name(number: int) -> str:
    return _GO_SIGNAL_NAMES.get(signal.Signals(number), signal.Signals(number).name.lower())


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def run_process(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float | None,
                cancel: CancelToken) -> ProcessResult:
    """Run ``argv`` to completion, killing its process group on timeout or cancellation."""
    if not cwd.is_dir():
        return ProcessResult("", "", f"chdir {cwd}: no such file or directory")
    executable = resolve_executable(argv[0], env)
    if executable is None:
        return ProcessResult("", "", f'exec: "{argv[0]}": executable file not found in $PATH')
    try:
        process = subprocess.Popen([executable, *argv[1:]], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as err:
        return ProcessResult("", "", f"fork/exec {executable}: {err.strerror}")
    deadline = None if timeout is None else time.monotonic() + timeout
    stdout, stderr = b"", b""
    while True:
        slice_seconds = _POLL_SECONDS
        if deadline is not None:
            slice_seconds = min(slice_seconds, max(deadline - time.monotonic(), 0.0))
        try:
            stdout, stderr = process.communicate(timeout=slice_seconds)
            break
        except subprocess.TimeoutExpired:
            if cancel.cancelled or (deadline is not None and time.monotonic() >= deadline):
                _kill_group(process)
                stdout, stderr = process.communicate()
                break
    return ProcessResult(stdout.decode(errors="replace"), stderr.decode(errors="replace"),
                         _exit_error(process.returncode))
