"""Finding and ending what child processes leave running (``nohup setsid sleep 301 &`` in a script).

Every process the runner starts carries an environment mark, ``CHAINSAW_PY_PROCESS=<token>``, that its
descendants inherit even when they leave its process group and session; :func:`kill_marked` finds them
through ``/proc`` and kills them. While a run is open the runner is a *child subreaper* on Linux
(:func:`subreaper`): orphans re-parent to it instead of to init, so that the killed ones are reaped
here and do not linger as zombies where init does not reap. Elsewhere (no ``/proc``, no ``prctl``)
both are no-ops and process-group kills are all there is.

Long-running children (the system under test's processes, the embedded cluster's containers) also die with
this process when it is killed with SIGKILL (no cleanup code runs then): :func:`bound_to_parent` wraps their
command so that, on Linux, the child asks the kernel for SIGKILL when its parent goes
(``prctl(PR_SET_PDEATHSIG)``) before it executes the real program. A short-lived ``python -S -c`` does it,
so no code runs between fork and exec in this (threaded) process.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MARK = "CHAINSAW_PY_PROCESS"
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_KILL_ROUNDS = 5
"""Kill passes per call: a marked process may fork between a scan and the kill."""
_REAP_SECONDS = 0.5

_subreaper_lock = threading.Lock()
_subreaper_users = 0
_subreaper_was_set = False


def new_mark() -> str:
    """A fresh token for :data:`MARK`: 128 random bits in hex (``uuid4().hex`` without importing ``uuid``, and
    ``platform`` with it, in every run)."""
    return os.urandom(16).hex()


def marked(tokens: Iterable[str]) -> list[int]:
    """Pids of live processes whose environment carries one of ``tokens``."""
    wanted = {f"{MARK}={token}".encode() for token in tokens}
    if not wanted or not os.path.isdir("/proc"):
        return []
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = Path(entry.path, "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if not wanted.isdisjoint(environment.split(b"\0")):
            found.append(int(entry.name))
    return found


def kill_marked(tokens: Iterable[str]) -> int:
    """SIGKILL every process carrying one of ``tokens`` (and reap those that are our children);
    returns how many were killed."""
    tokens = set(tokens)
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        pids = marked(tokens)  # a zombie's environment reads empty: only the living are found
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
        _reap(pids)
    return len(killed)


def _reap(pids: list[int]) -> None:
    """Collect the exit status of those of ``pids`` that are our children (subreaper orphans), by pid
    only: ``waitpid(-1)`` would steal the status of other code's children."""
    deadline = time.monotonic() + _REAP_SECONDS
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: init (or another reaper) collects it
                pending.discard(pid)
                continue
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.01)


def _prctl(option: int, value: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if option == _PR_GET_CHILD_SUBREAPER:
        flag = ctypes.c_int(0)
        if libc.prctl(option, ctypes.byref(flag), 0, 0, 0) != 0:
            return -1
        return flag.value
    return int(libc.prctl(option, value, 0, 0, 0))


@contextmanager
def subreaper() -> Iterator[None]:
    """Be the child subreaper of the process for this block (nested and concurrent uses share it; the
    attribute is restored when the last one ends, so embedding hosts get their process back as it was)."""
    global _subreaper_users, _subreaper_was_set
    if not sys.platform.startswith("linux"):
        yield
        return
    with _subreaper_lock:
        if _subreaper_users == 0:
            _subreaper_was_set = _prctl(_PR_GET_CHILD_SUBREAPER, 0) == 1
            if not _subreaper_was_set:
                _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        _subreaper_users += 1
    try:
        yield
    finally:
        with _subreaper_lock:
            _subreaper_users -= 1
            if _subreaper_users == 0 and not _subreaper_was_set:
                _prctl(_PR_SET_CHILD_SUBREAPER, 0)


def is_subreaper() -> bool:
    return sys.platform.startswith("linux") and _prctl(_PR_GET_CHILD_SUBREAPER, 0) == 1


_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(137)\n"
    "os.execve(sys.argv[2], sys.argv[3:], os.environ)\n"
)


def resolve_program(argv: list[str], env: dict[str, str], cwd: str | os.PathLike[str]) -> str:
    """The executable ``argv[0]`` names, searched on ``env``'s PATH (relative paths from ``cwd``); raises
    ``FileNotFoundError`` (an ``OSError``) as ``Popen`` would."""
    program = argv[0] if argv else ""
    if os.sep in program:
        candidate = program if os.path.isabs(program) else os.path.join(os.fspath(cwd), program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        raise FileNotFoundError(2, "No such file or directory", program)
    found = shutil.which(program, path=env.get("PATH", os.defpath)) if program else None
    if found is None:
        raise FileNotFoundError(2, "No such file or directory", program)
    return found


def bound_to_parent(argv: list[str], env: dict[str, str], cwd: str | os.PathLike[str]) -> list[str]:
    """``argv`` wrapped so that the program is killed when its parent goes (Linux); unchanged elsewhere.
    Raises ``FileNotFoundError`` when the program does not exist."""
    program = resolve_program(argv, env, cwd)
    if not sys.platform.startswith("linux"):
        return [program, *argv[1:]]
    return [sys.executable, "-S", "-c", _LAUNCHER, str(os.getpid()), program, *argv]
