"""The embedded cluster in a child process (``chainsaw_py.embedded.child``), seen from the run.

``spawn()`` starts the process as early as a run knows it will use the embedded cluster, so that the
interpreter's start, the cluster's imports and its schemas load while the run still loads its tests;
``start(plugins, images, s3)`` hands it the suite's settings and waits until it serves. The child runs in a
session of its own (a terminal's Ctrl-C reaches only the run, whose first Ctrl-C still cleans up through the
cluster), dies with the run (``PR_SET_PDEATHSIG``), and is registered in the run's leftovers: a second Ctrl-C
asks it to kill its containers and remove its kubeconfig (SIGTERM), then kills its process group. Its stderr
is copied to the run's stderr line by line; the last lines explain a start that failed.
"""

from __future__ import annotations

import collections
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from chainsaw_py.embedded.child import PARENT_VARIABLE
from chainsaw_py.errors import ChainsawError
from chainsaw_py.util import limits
from chainsaw_py.util.leftovers import LEFTOVERS

STOP_SECONDS = 20.0
"""How long a normal stop waits for the cluster to stop its containers before killing the process group."""
ABANDON_WAIT_SECONDS = 1.0
"""How long a second Ctrl-C waits for the child's own abandon (SIGTERM) before SIGKILL."""
_STDERR_LINES = 20


@dataclass(frozen=True)
class EmbeddedReady:
    """What the child reports once it serves."""

    server_url: str
    kubeconfig: Path
    s3: Any
    """An ``S3Endpoint``, or None."""
    images: int
    notices: list[str] = field(default_factory=list)


class EmbeddedProcess:
    def __init__(self) -> None:
        self._popen: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._copier: threading.Thread | None = None
        self._abandon_key: int | None = None
        self.ready: EmbeddedReady | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def spawn(self) -> EmbeddedProcess:
        env = {**os.environ, PARENT_VARIABLE: str(os.getpid()), "PYTHONPATH": _python_path()}
        try:
            popen = subprocess.Popen([sys.executable, "-m", "chainsaw_py.embedded.child"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
                                     encoding="utf-8", errors="replace", env=env, start_new_session=True)
        except OSError as err:
            raise ChainsawError(f"cannot start the embedded cluster: {err}") from None
        self._popen = popen
        self._abandon_key = LEFTOVERS.add_final(self._abandon)
        self._copier = threading.Thread(target=self._copy_stderr, args=(popen.stderr,), daemon=True,
                                        name="embedded-stderr")
        self._copier.start()
        return self

    def start(self, plugins: Sequence[Path], images: Sequence[Any], s3: bool) -> EmbeddedReady:
        """Send the settings and wait until the cluster serves; a failure is one ``ChainsawError`` line."""
        popen = self._require()
        settings = {"plugins": [str(path) for path in plugins], "images": [_image_fields(image) for image in images],
                    "s3": s3}
        assert popen.stdin is not None and popen.stdout is not None
        try:
            popen.stdin.write(json.dumps(settings) + "\n")
            popen.stdin.flush()
        except OSError:
            pass   # it exited: its stdout ends and says why
        if not _readable(popen.stdout, limits.EMBEDDED_START_SECONDS):
            _kill_group(popen.pid, signal.SIGKILL)
            raise ChainsawError(f"cannot start the embedded cluster: its process did not answer within "
                                f"{limits.EMBEDDED_START_SECONDS} s (CHAINSAW_PY_EMBEDDED_START_SECONDS)")
        line = popen.stdout.readline()
        message = _decode(line)
        if "ready" in message:
            self.ready = _ready(message["ready"])
            return self.ready
        if "error" in message:
            raise ChainsawError(str(message["error"]))
        raise ChainsawError(f"cannot start the embedded cluster: {self._exit_reason()}")

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """End the child: stdin closed (the cluster stops its containers and removes its kubeconfig), then its
        process group killed if it has not exited in ``timeout`` seconds."""
        popen = self._popen
        if popen is None:
            return
        try:
            if popen.stdin is not None:
                try:
                    popen.stdin.close()
                except OSError:
                    pass
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(popen.pid, signal.SIGKILL)
                popen.wait()
        except BaseException:   # interrupted while waiting: it must not outlive the run
            _kill_group(popen.pid, signal.SIGKILL)
            raise
        finally:
            if self._abandon_key is not None:
                LEFTOVERS.discard_action(self._abandon_key)
            if self._copier is not None:
                self._copier.join(1.0)
            if popen.stdout is not None:
                popen.stdout.close()
            self._popen = None

    # ------------------------------------------------------------------------------ internals

    def _require(self) -> subprocess.Popen[str]:
        if self._popen is None:
            raise ChainsawError("the embedded cluster's process is not started")
        return self._popen

    def _copy_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line.rstrip("\n"))
            try:
                sys.stderr.write(line)
                sys.stderr.flush()
            except (OSError, ValueError):   # the run's stderr is closed: keep draining the pipe
                pass
        stream.close()

    def _exit_reason(self) -> str:
        popen = self._require()
        try:
            code = popen.wait(5.0)
        except subprocess.TimeoutExpired:
            return "its process stopped answering"
        if self._copier is not None:
            self._copier.join(1.0)
        last = next((line for line in reversed(self._stderr) if line.strip()), "")
        return f"its process exited with code {code}" + (f": {last.strip()}" if last else "")

    def _abandon(self) -> None:
        """The second Ctrl-C: the child kills its containers and removes its kubeconfig (its SIGTERM
        handler), then its process group is killed."""
        popen = self._popen
        if popen is None:
            return
        _kill_group(popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + ABANDON_WAIT_SECONDS
        while popen.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        _kill_group(popen.pid, signal.SIGKILL)


def _python_path() -> str:
    """The child's ``PYTHONPATH``: what this process can import from beyond the interpreter's own folders (a
    checkout, the folders pytest or a script put on ``sys.path``), so that the cluster and the suite's plugins
    import what they would import in-process. The interpreter's own folders keep their places."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    own = {os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    own |= {os.path.realpath(path) for path in [*site.getsitepackages(), site.getusersitepackages()]}
    package_root = str(Path(__file__).resolve().parents[2])   # where chainsaw_py itself is imported from
    entries = [package_root, *(path for path in sys.path if path and os.path.isdir(path))]
    extra = [path for path in entries
             if not any(os.path.realpath(path) == root or os.path.realpath(path).startswith(root + os.sep)
                        for root in own)]
    inherited = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    return os.pathsep.join(dict.fromkeys([*extra, *inherited]))


def _readable(stream: IO[str], seconds: float) -> bool:
    """Whether ``stream`` has something to read (or has ended) within ``seconds``."""
    readable, _, _ = select.select([stream], [], [], seconds)
    return bool(readable)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _image_fields(image: Any) -> dict[str, Any]:
    fields = asdict(image)
    fields["env"] = dict(fields.get("env") or {})
    return fields


def _decode(line: str) -> dict[str, Any]:
    if not line.strip():
        return {}
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _ready(fields: dict[str, Any]) -> EmbeddedReady:
    s3 = None
    if fields.get("s3"):
        from chainsaw_py.embedded.s3 import S3Endpoint

        s3 = S3Endpoint(**fields["s3"])
    return EmbeddedReady(str(fields["server_url"]), Path(fields["kubeconfig"]), s3, int(fields.get("images", 0)),
                         [str(notice) for notice in fields.get("notices") or []])
