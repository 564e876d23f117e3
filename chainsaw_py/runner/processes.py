"""Processes of the system under test run alongside a suite (an operator, a webhook server, ...).

Started after the cluster is up and before the tests, with ``KUBECONFIG`` pointing at the cluster in use;
each waits for its readiness checks; a process that exits while the suite runs aborts the run at once (the
running operations fail with its exit code and last log lines); all are stopped after the run — SIGTERM to
the process group, ``stopTimeout``, then SIGKILL — also on Ctrl-C.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.sut import ProcessSpec, Readiness, ResourceCondition, command_line
from chainsaw_py.report.model import ProcessLog, now
from chainsaw_py.util.environment import with_interpreter_first
from chainsaw_py.util.leftovers import LEFTOVERS
from chainsaw_py.util.processes import MARK, bound_to_parent, new_mark

TAIL_LINES = 20
REPORT_LINES = 1000
"""Last log lines of each process kept, with their times, for the HTML report."""
REPORT_LINE_CHARS = 2000
_READY_POLL = 0.05

class ProcessFailed(ChainsawError):
    """A process of the system under test did not start, never got ready, or exited."""

    def __init__(self, message: str, tail: list[str]) -> None:
        self.lines = [message] + (["last log lines of the process:"] + [f"  {line}" for line in tail] if tail else [])
        super().__init__("\n".join(self.lines))


class ManagedProcess:
    """One running process: its output goes to a log file and a bounded tail; lines are matched against the
    readiness regular expression as they arrive."""

    def __init__(self, spec: ProcessSpec, log_path: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self.tail: collections.deque[str] = collections.deque(maxlen=200)
        self.timed_tail: collections.deque[tuple[datetime, str]] = collections.deque(maxlen=REPORT_LINES)
        self._log_seen = threading.Event()
        self._pattern = re.compile(spec.ready.log) if spec.ready.log else None
        self._popen: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stopping = False

    @property
    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    def last_lines(self, count: int = TAIL_LINES) -> list[str]:
        with self._lock:
            return list(self.tail)[-count:]

    def start(self, env: dict[str, str]) -> None:
        log_file = self.log_path.open("ab")
        try:
            argv = bound_to_parent(list(self.spec.command), env, self.spec.working_dir)
            mark = new_mark()
            self._popen = subprocess.Popen(argv, cwd=self.spec.working_dir, env={**env, MARK: mark},
                                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as err:
            log_file.close()
            raise ProcessFailed(f"process {self.spec.name}: cannot start {command_line(self.spec.command)}: "
                                f"{err.strerror or err}", []) from None
        LEFTOVERS.add_process(self._popen.pid, mark)
        assert self._popen.stdout is not None
        self._reader = threading.Thread(target=self._pump, args=(self._popen.stdout, log_file),
                                        name=f"process-{self.spec.name}", daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[bytes], log_file: IO[bytes]) -> None:
        with log_file, stream:
            for raw in iter(stream.readline, b""):
                log_file.write(raw)
                log_file.flush()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self.tail.append(line)
                    self.timed_tail.append((now(), line[:REPORT_LINE_CHARS]))
                if self._pattern is not None and self._pattern.search(line):
                    self._log_seen.set()

    def report_log(self) -> ProcessLog:
        """The process and its last lines with their times, for the HTML report."""
        with self._lock:
            lines = list(self.timed_tail)
        return ProcessLog(self.spec.name, command_line(self.spec.command), str(self.log_path), lines,
                          self.returncode)

    def log_matched(self) -> bool:
        return self._log_seen.is_set()

    def wait(self, timeout: float) -> int | None:
        if self._popen is None:
            return None
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """SIGTERM to the process group, ``stop_timeout``, then SIGKILL to the group."""
        self.stopping = True
        popen = self._popen
        if popen is None:
            return
        if popen.poll() is None:
            _signal_group(popen.pid, signal.SIGTERM)
            try:
                popen.wait(self.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children left in the group (a shell's grand-children) go too.
        _signal_group(popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(5)
        LEFTOVERS.discard_process(popen.pid)
        if self._reader is not None:
            self._reader.join(timeout=5)

    def exit_error(self, during: str) -> ProcessFailed:
        code = self.returncode
        how = f"exited with code {code}" if code is not None and code >= 0 else \
            f"was killed by signal {-(code or 0)}"
        return ProcessFailed(f"process {self.spec.name} {how} {during} (log: {self.log_path})", self.last_lines())


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class ProcessSupervisor:
    """Starts the processes in order (each ready before the next starts), watches them while the suite
    runs, stops them in reverse order."""

    def __init__(self, specs: tuple[ProcessSpec, ...], log_dir: Path, kubeconfig: Path | None,
                 resource_client: Any = None, announce: Callable[[str], None] = lambda _line: None,
                 cancelled: Callable[[], bool] = lambda: False) -> None:
        self.specs = specs
        self.cancelled = cancelled
        self.log_dir = log_dir
        self.kubeconfig = kubeconfig
        self.resource_client = resource_client
        self.announce = announce
        self.processes: list[ManagedProcess] = []
        self.failure: ProcessFailed | None = None
        self._on_exit: Callable[[ProcessFailed], None] = lambda _error: None
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, on_exit: Callable[[ProcessFailed], None]) -> None:
        """Start every process and wait until it is ready; raises ``ProcessFailed`` (after stopping those
        already started) when one cannot start, exits, or is not ready in time."""
        self._on_exit = on_exit
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for spec in self.specs:
                process = ManagedProcess(spec, self.log_dir / f"process-{spec.name}.log")
                self.processes.append(process)
                self.announce(f"Starting process {spec.name}: {command_line(spec.command)} (log: {process.log_path})")
                process.start(self._environment(spec))
                started = time.monotonic()
                self._wait_ready(process)
                self.announce(f"Process {spec.name} is ready ({time.monotonic() - started:.2f}s)")
        except BaseException:
            self.stop()
            raise
        self._watcher = threading.Thread(target=self._watch, name="process-watcher", daemon=True)
        self._watcher.start()

    def _environment(self, spec: ProcessSpec) -> dict[str, str]:
        env = with_interpreter_first(dict(os.environ))
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(spec.env)
        return env

    def _wait_ready(self, process: ManagedProcess) -> None:
        ready = process.spec.ready
        deadline = time.monotonic() + ready.timeout
        while True:
            if process.returncode is not None:
                raise process.exit_error("before it was ready")
            pending = self._pending_checks(process, ready)
            if not pending:
                return
            if self.cancelled():
                raise ProcessFailed(f"interrupted while waiting for process {process.spec.name} to be ready", [])
            if time.monotonic() >= deadline:
                raise ProcessFailed(f"process {process.spec.name} was not ready within {ready.timeout:g}s: "
                                    f"still waiting for {', '.join(pending)} (log: {process.log_path})",
                                    process.last_lines())
            process.wait(_READY_POLL)

    def _pending_checks(self, process: ManagedProcess, ready: Readiness) -> list[str]:
        pending = []
        if ready.log and not process.log_matched():
            pending.append(f"a log line matching {ready.log!r}")
        if ready.tcp and not _tcp_open(ready.tcp):
            pending.append(f"TCP {ready.tcp}")
        if ready.http and not _http_ok(ready.http):
            pending.append(f"HTTP {ready.http}")
        if ready.resource is not None and not self._resource_ready(ready.resource):
            pending.append(_describe_resource(ready.resource))
        return pending

    def _resource_ready(self, wanted: ResourceCondition) -> bool:
        if self.resource_client is None:
            raise ChainsawError("a resource readiness check needs a cluster (not with --no-cluster)")
        return resource_ready(self.resource_client, wanted)

    def failure_notes(self, count: int = TAIL_LINES) -> list[str]:
        """The last log lines of every process, for a failing operation's log and report."""
        notes: list[str] = []
        for process in self.processes:
            notes.append(f"process {process.spec.name} (last lines of {process.log_path}):")
            notes.extend(f"  {line}" for line in process.last_lines(count))
        return notes

    def report_logs(self) -> list[ProcessLog]:
        return [process.report_log() for process in self.processes]

    def _watch(self) -> None:
        while not self._stopping.is_set():
            for process in self.processes:
                if process.returncode is not None and not process.stopping and not self._stopping.is_set():
                    process.stopping = True
                    error = process.exit_error("while the tests were running")
                    self.failure = self.failure or error
                    self._on_exit(error)
            self._stopping.wait(0.05)

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2)
        for process in reversed(self.processes):
            process.stop()


def resource_ready(client: Any, wanted: ResourceCondition) -> bool:
    from chainsaw_py.client.errors import ApiError

    try:
        obj = client.get(wanted.api_version, wanted.kind, wanted.namespace, wanted.name)
    except ApiError:
        return False
    if wanted.condition:
        conditions = (obj.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == wanted.condition and c.get("status") == "True" for c in conditions):
            return False
    if wanted.field:
        value: Any = obj
        for part in wanted.field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", [], {}):
            return False
    return True


def _describe_resource(wanted: ResourceCondition) -> str:
    where = f"{wanted.namespace}/{wanted.name}" if wanted.namespace else wanted.name
    what = f"{wanted.kind} {where}"
    if wanted.condition:
        what += f" condition {wanted.condition}=True"
    if wanted.field:
        what += f" with {wanted.field} set"
    return what


def _tcp_open(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    import urllib.error  # only readiness probes need http.client and email (~25 ms at start-up)
    import urllib.request

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return int(response.status) < 400
    except urllib.error.HTTPError as err:
        return err.code < 400
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def running_processes(specs: tuple[ProcessSpec, ...], cluster: Any, log_dir: Path | None,
                      on_exit: Callable[[ProcessFailed], None], announce: Callable[[str], None],
                      cancelled: Callable[[], bool] = lambda: False) -> Iterator[ProcessSupervisor | None]:
    """Run ``specs`` for the duration of the block (nothing when there are none). Logs go to
    ``log_dir/process-<name>.log``; with ``log_dir`` None to a temporary folder kept only when a process
    failed."""
    if not specs:
        yield None
        return
    private = Path(tempfile.mkdtemp(prefix="chainsaw-py-processes-"))
    folder = log_dir if log_dir is not None else private
    kubeconfig = None
    if cluster is not None:
        kubeconfig = private / "kubeconfig"
        cluster.write_kubeconfig(kubeconfig)
    supervisor = ProcessSupervisor(specs, folder, kubeconfig, getattr(cluster, "client", None), announce,
                                   cancelled)
    failed = True
    try:
        supervisor.start(on_exit)
        yield supervisor
        failed = supervisor.failure is not None
    finally:
        supervisor.stop()
        if kubeconfig is not None:
            kubeconfig.unlink(missing_ok=True)
        if log_dir is not None or not failed:
            shutil.rmtree(private, ignore_errors=True)
