"""The embedded cluster in a process of its own, driven by a parent over its standard streams.

    python -m chainsaw_py.embedded.child

A run's client and the cluster then use two cores instead of sharing one interpreter (docs/embedded.md,
*The cluster's process*). The conversation is one JSON document per line:

- the child starts by loading the cluster's modules, then reads its settings from stdin:
  ``{"plugins": [paths], "images": [ImageProgram fields], "s3": bool}``;
- it starts the cluster, loads the plugins (in that order, as the in-process cluster does) and writes
  ``{"ready": {"server_url", "kubeconfig", "s3": S3Endpoint fields or null, "images": count, "notices": [...]}}``,
  or ``{"error": "<one line>"}`` and exits 1;
- it serves until stdin ends (the parent closed it, or is gone), then stops the cluster (containers, local S3,
  its kubeconfig) and exits 0.

It never outlives its parent: on Linux it asks for SIGKILL when the parent dies (``PR_SET_PDEATHSIG``) before
anything else, and stdin's end stops it elsewhere. It ignores SIGINT (Ctrl-C belongs to the parent, whose
first Ctrl-C still needs the cluster to clean up); SIGTERM is the parent's second Ctrl-C: the containers and
what they started are killed and the kubeconfig removed at once (``LEFTOVERS.abandon``), then it exits.
Its log lines go to stderr, which the parent forwards.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1
PARENT_VARIABLE = "CHAINSAW_PY_EMBEDDED_PARENT"
"""The parent's pid: a child whose parent is already another process (the run died while it started) exits."""
ABANDON_SECONDS = 0.8
"""What the SIGTERM handler may spend killing containers and removing files (the parent waits ~1 s)."""


def bind_to_parent(parent: int) -> None:
    """SIGKILL when the parent goes (Linux); exit at once if it is already gone."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(137)


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _abandon(signum: int, frame: Any) -> None:
    from chainsaw_py.util.leftovers import LEFTOVERS

    LEFTOVERS.abandon(budget=ABANDON_SECONDS)
    os._exit(128 + signum)


def _settings(line: str) -> tuple[list[Path], list[Any], bool]:
    from chainsaw_py.embedded.runtime.images import ImageProgram

    settings = json.loads(line)
    images = [ImageProgram(image=str(item["image"]), entrypoint=tuple(item["entrypoint"]),
                           args=tuple(item.get("args") or ()), working_dir=item.get("working_dir"),
                           env=dict(item.get("env") or {}))
              for item in settings.get("images") or []]
    return [Path(path) for path in settings.get("plugins") or []], images, bool(settings.get("s3"))


def serve(stdin: IO[str], stdout: IO[str]) -> int:
    from chainsaw_py.embedded.cluster import EmbeddedCluster
    from chainsaw_py.embedded.schemas import builtin_definitions
    from chainsaw_py.embedded.store import serving_collector
    from chainsaw_py.errors import ChainsawError

    builtin_definitions()   # loaded while the parent still loads its tests
    line = stdin.readline()
    if not line:
        return 0
    plugins, images, s3 = _settings(line)
    cluster = EmbeddedCluster(s3=s3, images=images)
    try:
        cluster.start()
        notices = [notice for plugin in plugins for notice in cluster.load_plugin(plugin).notices]
    except ChainsawError as err:
        cluster.stop()
        _send(stdout, {"error": str(err).splitlines()[0] if str(err) else type(err).__name__})
        return 1
    try:
        if cluster.s3 is not None:   # the containers' environment, as the in-process cluster's
            os.environ["AWS_ENDPOINT_URL"] = cluster.s3.endpoint_url
        _send(stdout, {"ready": {"server_url": cluster.server_url, "kubeconfig": str(cluster.kubeconfig_path),
                                 "s3": asdict(cluster.s3) if cluster.s3 is not None else None,
                                 "images": len(cluster.images), "notices": notices}})
        with serving_collector():
            while stdin.readline():
                pass
    finally:
        cluster.stop()
    return 0


def _exit_now(code: int) -> None:
    """Exit without the interpreter's teardown of ~1,000 modules (0.2-0.4 s the parent would wait for):
    everything this process owns is stopped by then."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main() -> int:
    bind_to_parent(int(os.environ.pop(PARENT_VARIABLE, None) or os.getppid()))   # not the containers' business
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _abandon)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())   # a plugin's print() must not break the conversation
    code = serve(sys.stdin, protocol)
    protocol.close()
    return code


if __name__ == "__main__":
    _exit_now(main())
