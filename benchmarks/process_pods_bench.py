"""How fast pods whose images map to local programs start, one at a time and many at once.

    python benchmarks/process_pods_bench.py [--single 10] [--many 50] [--port 8080]

An embedded cluster (plain HTTP, in this process) maps ``bench/sleeper`` to a Python program that prints one
line and sleeps. Printed figures: for ``--single`` pods created one after the other, the time from the create
request until the pod's status says Running (and until its first log line arrives); then ``--many`` pods
created at once: time until all are Running, and until all are Ready; every process is checked to be gone
after the cluster stops. ``--port`` makes every pod declare that container port: where pods get network namespaces
of their own, each pod then gets a forwarder to every other pod's port (the most listeners there can be);
``CHAINSAW_PY_POD_NETNS=0`` measures without namespaces, ``CHAINSAW_PY_POD_ROUTES=0`` with namespaces that are not
routed to each other (a veth pair per pod costs its start two ``ip`` runs). The line ``pod networks`` says which.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.apiserver import WriteOptions
from chainsaw_py.embedded.runtime.images import ImageProgram

PROGRAM = ImageProgram("bench/sleeper", (sys.executable, "-u", "-c",
                                         "import os, time; print('started', os.getpid(), flush=True); time.sleep(600)"))


def _pod(name: str, port: int) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": "bench/sleeper"}
    if port:
        container["ports"] = [{"containerPort": port}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}


def _phase(cluster: EmbeddedCluster, name: str) -> tuple[str, bool]:
    stored = cluster.store.get("", "pods", "default", name)
    status = (stored.obj.get("status") or {}) if stored else {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return str(status.get("phase", "")), ready


def _wait(check: Any, timeout: float) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise SystemExit("timed out")
        time.sleep(0.002)
    return time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--single", type=int, default=10)
    parser.add_argument("--many", type=int, default=50)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    pids: list[int] = []
    with EmbeddedCluster(tls=False, images=[PROGRAM]) as cluster:
        pods = cluster.registry.lookup("", "v1", "pods")
        assert pods is not None and cluster.processes is not None
        routed = cluster.processes.networks_available() and cluster.processes.routes_available()
        print("pod networks: " + ("the host" if not cluster.processes.networks_available() else
                                  "a namespace per pod, routed" if routed else "a namespace per pod, forwarders"))
        to_running, to_log = [], []
        for index in range(options.single):
            name = f"single-{index}"
            created = time.monotonic()
            cluster.api.create(pods, "default", _pod(name, options.port), WriteOptions())
            running = _wait(lambda name=name: _phase(cluster, name)[0] == "Running", 30)
            logged = _wait(lambda name=name: cluster.logs.size(("default", name, "main")) > 0, 30)
            to_running.append(running - created)
            to_log.append(logged - created)
        print(f"one pod at a time ({options.single}): created -> Running p50 {statistics.median(to_running):.3f}s "
              f"max {max(to_running):.3f}s; created -> first log line p50 {statistics.median(to_log):.3f}s "
              f"max {max(to_log):.3f}s")
        started = time.monotonic()
        names = [f"many-{index}" for index in range(options.many)]
        for name in names:
            cluster.api.create(pods, "default", _pod(name, options.port), WriteOptions())
        all_running = _wait(lambda: all(_phase(cluster, name)[0] == "Running" for name in names), 120)
        all_ready = _wait(lambda: all(_phase(cluster, name)[1] for name in names), 120)
        print(f"{options.many} pods at once: all Running after {all_running - started:.2f}s, all Ready after "
              f"{all_ready - started:.2f}s")
        runtime = cluster.processes
        assert runtime is not None
        for name in names + [f"single-{index}" for index in range(options.single)]:
            worker = runtime.worker("default", name)
            if worker is not None and worker.containers[0].pid() is not None:
                pids.append(int(worker.containers[0].pid() or 0))
        stop_started = time.monotonic()
    print(f"cluster stopped with {len(pids)} running pods in {time.monotonic() - stop_started:.2f}s")
    alive = [pid for pid in pids if _alive(pid)]
    print(f"processes left behind: {len(alive)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


if __name__ == "__main__":
    main()
