"""Finding and ending what child processes leave running (``nohup setsid sleep 301 &`` in a script).

Every process the runner starts carries an environment mark, ``CHAINSAW_PY_PROCESS=<token>``, that its
descendants inherit even when they leave its process group and session; :func:`kill_marked` finds them
through ``/proc`` and kills them. While a run is open the runner is a *child subreaper* on Linux
(:func:`subreaper`): orphans re-parent to it instead of to init, so that the killed ones are reaped
here and do not linger as zombies where init does not reap. Elsewhere (no ``/proc``, no ``prctl``)
both are no-ops and process-group kills are all there is.
"""

from __future__ import annotations

import ctypes
import os
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
