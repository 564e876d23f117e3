"""Running a child process for ``command`` and ``script``: environment, timeout, cancellation.

The child runs in its own session, so that a timeout or an interrupt kills its whole process group
(a shell script's children included), and errors read like Go's ``os/exec`` errors (``exit status 1``,
``signal: killed``), which is what ``$error`` holds in Chainsaw. It also carries an environment mark
(``util.processes``) so that what it starts in another session is found and killed as well: at a
timeout or interrupt at once, otherwise when the run ends (a background server started by one step
may serve the next ones, as with Chainsaw). Its output is captured with bounded memory (``capture``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from chainsaw_py.golang.fmt import quote
from chainsaw_py.operations.base import CancelToken
from chainsaw_py.operations.internal.capture import Captured
from chainsaw_py.util.environment import with_interpreter_first
from chainsaw_py.util.leftovers import LEFTOVERS
from chainsaw_py.util.processes import MARK, kill_marked, new_mark

_POLL_SECONDS = 0.05
_READER_GRACE_SECONDS = 1.0


class ProcessResult:
    """What a child (or a native helper standing in for one) produced. ``stdout`` / ``stderr`` are the
    decoded texts; a real child's streams are :class:`Captured` (spilled to disk when large), read whole
    only when asked for."""

    def __init__(self, stdout: str | Captured, stderr: str | Captured, error: str | None) -> None:
        self.streams = (stdout, stderr)
        self.error = error

    @property
    def stdout(self) -> str:
        return _text(self.streams[0])

    @property
    def stderr(self) -> str:
        return _text(self.streams[1])

    @property
    def ok(self) -> bool:
        return self.error is None


def _text(stream: str | Captured) -> str:
    return stream if isinstance(stream, str) else stream.text()


def resolve_executable(name: str, env: dict[str, str]) -> str | None:
    if os.sep in name:
        return name
    if "\0" in name:  # Go's LookPath: every stat of it fails (EINVAL), so it is not found
        return None
    return shutil.which(name, path=env.get("PATH"))


def _start_error(executable: str | None, argv: list[str], env: dict[str, str], cwd: Path) -> str | None:
    """What Go's ``exec.Cmd.Start`` answers before any process exists, in its order: the executable's
    look-up, an environment entry holding NUL (``dedupEnv``), the working folder (``os.StartProcess``
    stats it), then NUL in the path or an argument (``syscall.BytePtrFromString``: EINVAL)."""
    if executable is None:
        return f"exec: {quote(argv[0])}: executable file not found in $PATH"
    if any("\0" in name or "\0" in value for name, value in env.items()):
        return "exec: environment variable contains NUL"
    if "\0" in str(cwd):
        return f"chdir {cwd}: invalid argument"
    if not cwd.is_dir():
        return f"chdir {cwd}: no such file or directory"
    if "\0" in executable or any("\0" in argument for argument in argv[1:]):
        return f"fork/exec {executable}: invalid argument"
    return None


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


def _kill(process: subprocess.Popen[bytes], mark: str) -> None:
    """Kill the child's process group, then whatever it started elsewhere (``setsid``, ``nohup``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()  # reaped by Popen first: the marked sweep must not take its exit status
    kill_marked([mark])


def run_process(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float | None,
                cancel: CancelToken) -> ProcessResult:
    """Run ``argv`` to completion (the child exited and its output pipes closed), killing its process
    group and marked descendants on timeout or cancellation. Output memory is bounded (``Captured``)."""
    executable = resolve_executable(argv[0], env)
    refused = _start_error(executable, argv, env, cwd)
    if refused is not None:
        return ProcessResult("", "", refused)
    assert executable is not None
    mark = new_mark()
    try:
        process = subprocess.Popen([executable, *argv[1:]], cwd=cwd, env={**env, MARK: mark},
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
    except OSError as err:
        return ProcessResult("", "", f"fork/exec {executable}: {err.strerror}")
    LEFTOVERS.add_process(process.pid, mark)
    try:
        outputs = (Captured(), Captured())
        readers = [threading.Thread(target=output.drain, args=(pipe,), daemon=True, name="chainsaw-output")
                   for output, pipe in zip(outputs, (process.stdout, process.stderr), strict=True)]
        for reader in readers:
            reader.start()
        cut_short = _wait(process, readers, mark, timeout, cancel)
    finally:
        LEFTOVERS.discard_process(process.pid)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    error = _exit_error(process.returncode)
    if error is None and cut_short:  # it exited, but what it left running held its output past the deadline
        error = "context deadline exceeded"
    return ProcessResult(outputs[0], outputs[1], error)


def _wait(process: subprocess.Popen[bytes], readers: list[threading.Thread], mark: str, timeout: float | None,
          cancel: CancelToken) -> bool:
    """Wait for the exit and the end of output (like Go's ``Cmd.Wait``) until the deadline or a cancel;
    True when cut short."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while process.poll() is None or any(reader.is_alive() for reader in readers):
        if cancel.cancelled or (deadline is not None and time.monotonic() >= deadline):
            _kill(process, mark)
            for reader in readers:  # a holder of the pipes that escaped the mark (env -i) is not waited for
                reader.join(_READER_GRACE_SECONDS)
            return True
        slice_seconds = _POLL_SECONDS
        if deadline is not None:
            slice_seconds = min(slice_seconds, max(deadline - time.monotonic(), 0.0))
        # The readers end when the child closes its output (usually as it exits) and wake a join at once;
        # Popen.wait(timeout) polls with sleeps of up to 50 ms, so it only waits for the exit that follows.
        reading = [reader for reader in readers if reader.is_alive()]
        if reading:
            reading[0].join(slice_seconds)
        elif process.returncode is None:
            try:
                process.wait(timeout=slice_seconds)
            except subprocess.TimeoutExpired:
                pass
    return False
