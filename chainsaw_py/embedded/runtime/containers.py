"""One container as a local process: started in its own process group, its output written to the pod's
log buffer line by line, stopped with SIGTERM, a grace period, then SIGKILL; probes (exec, httpGet,
tcpSocket) as the kubelet runs them."""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsaw_py.embedded.logs import LogStore
from chainsaw_py.embedded.runtime.netns import Dial, host_dial, http_connection
from chainsaw_py.util.leftovers import LEFTOVERS
from chainsaw_py.util.processes import MARK, bound_to_parent, resolve_program

PODVIEW = Path(__file__).with_name("podview.py")


@dataclass
class ContainerSpec:
    """What to run for one container, resolved by the runtime."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    container: dict[str, Any]   # the pod spec's container
    translate: Callable[[str], str] = field(default=lambda text: text)
    """Rewrites mount paths to where the files are."""
    translate_command: Callable[[list[str]], list[str]] = field(default=lambda words: list(words))
    """The same for a command run in the container (exec, probes, hooks)."""
    view: dict[str, Any] | None = None
    """The plan of the container's file system view (``podview.py``); None: paths are rewritten instead."""
    netns: int | None = None
    """The descriptor of the pod's network namespace (``netns.py``); None: the host's network."""


class OutputFanout:
    """A container's output: complete lines go to its log, raw chunks to the clients attached to it (None
    tells them the output has ended)."""

    def __init__(self, write_line: Callable[[str], None]) -> None:
        self._write_line = write_line
        self._listeners: set[queue.SimpleQueue[bytes | None]] = set()
        self._lock = threading.Lock()
        self.ended = False

    def subscribe(self) -> queue.SimpleQueue[bytes | None]:
        listener: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self.ended:
                listener.put(None)
            else:
                self._listeners.add(listener)
        return listener

    def unsubscribe(self, listener: queue.SimpleQueue[bytes | None]) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def _publish(self, chunk: bytes | None) -> None:
        with self._lock:
            listeners = list(self._listeners)
            if chunk is None:
                self.ended, self._listeners = True, set()
        for listener in listeners:
            listener.put(chunk)

    def pump(self, fd: int) -> None:
        """Read ``fd`` (a pipe, or a terminal that answers EIO once its process is gone) to its end."""
        pending = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            self._publish(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                self._write_line(line.decode("utf-8", "replace").rstrip("\r"))
        if pending:
            self._write_line(pending.decode("utf-8", "replace").rstrip("\r"))
        self._publish(None)


@dataclass
class Run:
    """One run of a container's process."""

    started_at: str
    popen: subprocess.Popen[bytes]
    container_id: str
    reader: threading.Thread
    output: OutputFanout
    terminal: int | None = None   # the pseudo-terminal's side of ``tty: true`` containers
    finished_at: str = ""
    exit_code: int | None = None
    reason: str = ""
    signal_sent: bool = False
    started_monotonic: float = field(default_factory=time.monotonic)


def signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def spawn(spec: ContainerSpec, argv: list[str], extra_env: dict[str, str] | None = None,
          **streams: Any) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the container's environment, in its own process group, bound to this process (it dies
    with it, even killed with SIGKILL) and registered in the run's leftovers (a second Ctrl-C kills it and what
    it started)."""
    mark = uuid.uuid4().hex
    env = {**spec.env, **(extra_env or {}), MARK: mark}
    passed = (spec.netns,) if spec.netns is not None else ()
    popen = subprocess.Popen(_launcher(spec, argv, env), cwd=spec.cwd, env=env, start_new_session=True,
                             pass_fds=passed, **streams)
    LEFTOVERS.add_process(popen.pid, mark)
    return popen


def _launcher(spec: ContainerSpec, argv: list[str], env: dict[str, str]) -> list[str]:
    """The command line that runs ``argv``: in the container's file system view when it has one. Raises
    FileNotFoundError (as Popen would) when the program does not exist."""
    if spec.view is None and spec.netns is None:
        return bound_to_parent(argv, env, spec.cwd)
    if spec.view is None:   # the host's files, the pod's network
        program = resolve_program(argv, env, spec.cwd)
        plan: dict[str, Any] = {"netns": spec.netns}
        return [sys.executable, "-S", str(PODVIEW), json.dumps(plan), str(os.getpid()), program, *argv[1:]]
    folder = spec.translate(str(spec.view.get("cwd") or "/"))   # where a relative program is, seen from here
    resolve_program([spec.translate(argv[0]) if argv else "", *argv[1:]], env, folder)
    plan = {**spec.view, "netns": spec.netns} if spec.netns is not None else spec.view
    return [sys.executable, "-S", str(PODVIEW), json.dumps(plan), str(os.getpid()), *argv]


def views_supported() -> bool:
    return view_mode() is not None


@functools.cache
def view_mode() -> str | None:
    """How file system views are assembled here: ``"mount"`` (a mount namespace, as root), ``"userns"`` (a user
    namespace too: not root, or root without the right to mount, as in some containers), or None (neither: paths
    are rewritten). Checked once, in child processes, without leaving anything on the host."""
    if not sys.platform.startswith("linux"):
        return None
    modes = ["mount", "userns"] if os.getuid() == 0 else ["userns"]
    return next((mode for mode in modes if _probe(mode == "userns")), None)


def _probe(userns: bool) -> bool:
    with tempfile.TemporaryDirectory(prefix="chainsaw-py-view-probe-") as folder:
        command = [sys.executable, "-S", str(PODVIEW), "--probe", folder, *(["userns"] if userns else [])]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0 and not os.path.lexists("/chainsaw-py-probe")


def _end(popen: subprocess.Popen[bytes]) -> None:
    """The process group of an ended ``spawn`` is killed (children too) and leaves the leftovers."""
    signal_group(popen.pid, signal.SIGKILL)
    LEFTOVERS.discard_process(popen.pid)


class ContainerProcess:
    def __init__(self, spec: ContainerSpec, log_key: tuple[str, str, str], logs: LogStore,
                 now: Callable[[], str]) -> None:
        self.spec = spec
        self.log_key = log_key
        self.logs = logs
        self.now = now
        self.current: Run | None = None
        self.last: Run | None = None
        self.restarts = 0
        self.ready = False
        self.started = False
        self.waiting_reason = "ContainerCreating"
        self.waiting_message = ""
        self.next_start = 0.0          # monotonic time of the next (re)start
        self.backoff = 0.0
        self._commands: set[subprocess.Popen[bytes]] = set()
        self._commands_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.exit_code is None

    def start(self, container_id: str) -> None:
        namespace, pod, name = self.log_key
        output = OutputFanout(lambda line: self.logs.write(namespace, pod, name, line))
        popen, out, terminal = self._spawn_main()
        reader = threading.Thread(target=output.pump, args=(out,), name=f"log-{namespace}/{pod}/{name}", daemon=True)
        if self.current is not None:
            self.last = self.current
            self.logs.restart(namespace, pod, name)
        self.current = Run(self.now(), popen, container_id, reader, output, terminal)
        self.ready = False
        self.started = True
        reader.start()

    def _spawn_main(self) -> tuple[subprocess.Popen[bytes], int, int | None]:
        """The container's process; (process, its output's descriptor, its terminal's when ``tty: true``)."""
        container = self.spec.container
        if container.get("tty"):
            popen, terminal = on_terminal(lambda side: spawn(
                self.spec, self.spec.argv, {"TERM": self.spec.env.get("TERM", "xterm")},
                stdin=side, stdout=side, stderr=side))
            return popen, terminal, terminal
        stdin = subprocess.PIPE if container.get("stdin") else subprocess.DEVNULL
        popen = spawn(self.spec, self.spec.argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert popen.stdout is not None
        return popen, popen.stdout.fileno(), None

    def write_stdin(self, data: bytes) -> bool:
        """Feed the container's standard input (``stdin: true`` containers); False when it is closed."""
        run = self.current
        if run is None or run.exit_code is not None or not self.spec.container.get("stdin"):
            return False
        try:
            if run.terminal is not None:
                os.write(run.terminal, data)
            elif run.popen.stdin is not None:
                run.popen.stdin.write(data)
                run.popen.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def end_stdin(self) -> None:
        """End of input for the container (``stdinOnce`` after the first attach): end-of-file on a terminal."""
        run = self.current
        if run is None or run.exit_code is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            if run.terminal is not None:
                os.write(run.terminal, b"\x04")
            elif run.popen.stdin is not None:
                run.popen.stdin.close()

    def resize(self, width: int, height: int) -> None:
        run = self.current
        if run is not None and run.terminal is not None and run.exit_code is None:
            import fcntl
            import termios

            with contextlib.suppress(OSError):
                fcntl.ioctl(run.terminal, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def poll(self) -> bool:
        """Record the exit of the current run; True when it has just exited."""
        run = self.current
        if run is None or run.exit_code is not None:
            return False
        code = run.popen.poll()
        if code is None:
            return False
        _end(run.popen)   # the container ends with its main process: its children and exec'd commands too
        self._end_commands()
        run.reader.join(timeout=1)
        with contextlib.suppress(OSError):
            if run.terminal is not None:
                os.close(run.terminal)
            elif run.popen.stdout is not None:
                run.popen.stdout.close()
        run.exit_code = code if code >= 0 else 128 - code
        run.finished_at = self.now()
        if not run.reason:
            run.reason = "Completed" if code == 0 else "Error"
        self.ready = False
        return True

    def kill(self, grace: float, reason: str = "") -> None:
        """SIGTERM to the process group, up to ``grace`` seconds, SIGKILL."""
        run = self.current
        if run is None or run.exit_code is not None:
            return
        if reason:
            run.reason = reason
        signal_group(run.popen.pid, signal.SIGTERM)
        run.signal_sent = True
        deadline = time.monotonic() + max(grace, 0.0)
        while time.monotonic() < deadline and run.popen.poll() is None:
            time.sleep(0.02)
        signal_group(run.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.popen.wait(5)
        self.poll()

    def pid(self) -> int | None:
        return self.current.popen.pid if self.running and self.current is not None else None

    # --- commands run in the container (exec, probes, hooks) ---------------------------------------------

    def spawn_command(self, command: list[str], extra_env: dict[str, str] | None = None,
                      **streams: Any) -> subprocess.Popen[bytes]:
        """Start ``command`` (mount paths rewritten) in the container's environment; it is killed when the
        container stops. Raises OSError when it cannot start (or the container is not running)."""
        with self._commands_lock:
            if not self.running:
                raise OSError(f"container {self.spec.name} is not running")
            popen = spawn(self.spec, self.spec.translate_command(command), extra_env, **streams)
            self._commands.add(popen)
        return popen

    def command_ended(self, popen: subprocess.Popen[bytes]) -> None:
        _end(popen)
        with self._commands_lock:
            self._commands.discard(popen)

    def _end_commands(self) -> None:
        with self._commands_lock:
            commands, self._commands = self._commands, set()
        for popen in commands:
            _end(popen)

    def run_command(self, command: list[str], timeout: float) -> tuple[int, str]:
        """Run ``command`` in the container to its end (an exec probe or hook); (exit code, output)."""
        if not command:
            return 126, "empty command"
        try:
            popen = self.spawn_command(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT)
        except OSError as err:
            return 126, f"exec: {err.strerror or err}"
        try:
            output, _ = popen.communicate(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            return 1, f"command timed out after {timeout:g}s"
        finally:
            self.command_ended(popen)
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.communicate(timeout=1)
        return popen.returncode, output.decode("utf-8", "replace")


# --------------------------------------------------------------------------------------- probes


@dataclass
class ProbeState:
    probe: dict[str, Any]
    kind: str                     # liveness | readiness | startup
    next_run: float = 0.0
    successes: int = 0
    failures: int = 0
    result: bool | None = None    # None until the thresholds decide
    last_message: str = ""
    started_at: float = field(default_factory=time.monotonic)

    def due(self, now: float, container_started: float) -> bool:
        if self.next_run == 0.0:
            self.next_run = container_started + float(self.probe.get("initialDelaySeconds") or 0)
        return now >= self.next_run

    def record(self, ok: bool, message: str, now: float) -> bool:
        """Count one result; returns True when the decided result changed."""
        self.next_run = now + float(self.probe.get("periodSeconds") or 10)
        self.last_message = message
        if ok:
            self.successes, self.failures = self.successes + 1, 0
            threshold = int(self.probe.get("successThreshold") or 1)
            decided = True if self.successes >= threshold else self.result
        else:
            self.failures, self.successes = self.failures + 1, 0
            threshold = int(self.probe.get("failureThreshold") or 3)
            decided = False if self.failures >= threshold else self.result
        changed = decided != self.result
        self.result = decided
        return changed


def run_probe(probe: dict[str, Any], host: str, ports: dict[str, int], exec_probe: Callable[[list[str], float],
              tuple[int, str]], dial: Dial = host_dial) -> tuple[bool, str]:
    """(succeeded, message) of one probe attempt; connections are opened with ``dial`` (into the pod)."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    if "exec" in probe:
        command = [str(word) for word in (probe["exec"] or {}).get("command") or []]
        code, output = exec_probe(command, timeout)
        return code == 0, output if code == 0 else f"command {command} exited with {code}: {output}"
    if "httpGet" in probe:
        return _http_probe(probe["httpGet"] or {}, host, ports, timeout, dial)
    if "tcpSocket" in probe:
        action = probe["tcpSocket"] or {}
        port = _port(action.get("port"), ports)
        target = str(action.get("host") or host)
        try:
            with dial(target, port, timeout):
                return True, ""
        except OSError as err:
            return False, f"dial tcp {target}:{port}: {err.strerror or err}"
    if "grpc" in probe:
        return _grpc_probe(probe["grpc"] or {}, host, timeout, dial)
    return True, ""


def _port(value: Any, ports: dict[str, int]) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isdigit() else ports.get(text, 0)


def _http_probe(action: dict[str, Any], host: str, ports: dict[str, int], timeout: float,
                dial: Dial) -> tuple[bool, str]:
    target = str(action.get("host") or host)
    port = _port(action.get("port"), ports)
    path = str(action.get("path") or "/")
    headers = {str(h.get("name")): str(h.get("value", "")) for h in action.get("httpHeaders") or []}
    headers.setdefault("User-Agent", "kube-probe/1.33")
    connection = http_connection(str(action.get("scheme") or "HTTP"), target, port, timeout, dial)
    try:
        connection.request("GET", path, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as err:
        return False, f'Get "http://{target}:{port}{path}": {err}'
    finally:
        connection.close()
    if 200 <= status < 400:
        return True, ""
    return False, f"HTTP probe failed with statuscode: {status}"


def _grpc_probe(action: dict[str, Any], host: str, timeout: float, dial: Dial) -> tuple[bool, str]:
    """gRPC health checking needs a gRPC client; without one the port must at least accept connections."""
    port = int(action.get("port") or 0)
    try:
        with dial(host, port, timeout):
            return True, ""
    except OSError as err:
        return False, f"dial tcp {host}:{port}: {err.strerror or err}"


def on_terminal(start: Callable[[int], subprocess.Popen[bytes]]) -> tuple[subprocess.Popen[bytes], int]:
    """Start a process (``start`` gets the terminal's child side for its standard streams) on a new
    pseudo-terminal; returns the process and the terminal's controlling side."""
    import pty

    terminal, child_side = pty.openpty()
    try:
        popen = start(child_side)
    except OSError:
        os.close(terminal)
        raise
    finally:
        os.close(child_side)
    return popen, terminal
