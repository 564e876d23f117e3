"""What a run must not leave behind, even when a second Ctrl-C cuts it short.

Every layer registers what it makes while it exists and forgets it once it is cleaned up the normal
way: temporary files and folders (the scripts' kubeconfigs, the embedded cluster's kubeconfig and pod
files), child processes (by process group and environment mark: scripts, the suite's processes, pods'
containers and the commands exec'd in them) and last actions (send the deletes of the test namespaces,
write the report marked interrupted). :meth:`Leftovers.abandon` does all of it within a time budget,
for the moment the process exits at once. The registry is process-wide: the exit is too.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from chainsaw_py.util.processes import kill_marked
from chainsaw_py.util.threads import Batch

_SENDERS = 16


class Leftovers:
    def __init__(self) -> None:
        self._lock = threading.RLock()  # abandon() runs in a signal handler, maybe inside a registration
        self._files: set[Path] = set()
        self._folders: set[Path] = set()
        self._processes: dict[int, str] = {}
        self._marks: set[str] = set()
        self._sends: dict[int, Callable[[], None]] = {}
        self._finals: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------------------ registration

    def add_file(self, path: Path) -> None:
        with self._lock:
            self._files.add(path)

    def discard_file(self, path: Path) -> None:
        with self._lock:
            self._files.discard(path)

    def add_folder(self, path: Path) -> None:
        """A temporary folder removed with its content (the embedded cluster's pod files hold tokens)."""
        with self._lock:
            self._folders.add(path)

    def discard_folder(self, path: Path) -> None:
        with self._lock:
            self._folders.discard(path)

    def add_process(self, group: int, mark: str) -> None:
        """A running child: its process group and the environment mark its descendants inherit."""
        with self._lock:
            self._processes[group] = mark
            self._marks.add(mark)

    def discard_process(self, group: int) -> None:
        """The child ended; what it started in the background stays marked until :meth:`sweep`."""
        with self._lock:
            self._processes.pop(group, None)

    def sweep(self) -> int:
        """Kill what ended children left running (the end of a run); returns how many were killed.
        Children still running are left alone (another run in this process may own them)."""
        with self._lock:
            marks = self._marks - set(self._processes.values())
            self._marks -= marks
        return kill_marked(marks) if marks else 0

    def add_send(self, action: Callable[[], None]) -> int:
        """A request to fire without waiting for its outcome (a namespace delete); returns its id."""
        with self._lock:
            key = next(self._ids)
            self._sends[key] = action
            return key

    def add_final(self, action: Callable[[], None]) -> int:
        """An action to complete before exiting (writing the report); returns its id."""
        with self._lock:
            key = next(self._ids)
            self._finals[key] = action
            return key

    def discard_action(self, key: int) -> None:
        with self._lock:
            self._sends.pop(key, None)
            self._finals.pop(key, None)

    @property
    def pending_actions(self) -> int:
        with self._lock:
            return len(self._sends) + len(self._finals)

    # ------------------------------------------------------------------------------ the last moment

    def abandon(self, budget: float) -> None:
        """Kill the children, send the deletes, run the final actions, remove the files — all within
        about ``budget`` seconds (sends that have not answered by then are left to the server)."""
        deadline = time.monotonic() + budget
        with self._lock:
            processes = dict(self._processes)
            marks = set(self._marks)
            sends = list(self._sends.values())
            finals = list(self._finals.values())
            files = set(self._files)
            folders = set(self._folders)
        for group in processes:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        pending = Batch(_quietly, sends, _SENDERS, "chainsaw-abandon")
        for final in finals:
            _quietly(final)
        for path in files:
            path.unlink(missing_ok=True)
        kill_marked(marks)  # it scans /proc and may wait a little to reap
        for folder in folders:  # after the kills: nothing writes there any more
            shutil.rmtree(folder, ignore_errors=True)
        pending.wait(timeout=max(deadline - time.monotonic(), 0.0))
        pending.cancel()


def _quietly(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # the process is exiting: nothing left to report it to
        pass


LEFTOVERS = Leftovers()
