"""How promptly assertions notice a change, and how many apply+assert pairs run per second, on the
embedded cluster.

- Detection latency: an ``assert`` waits on a ConfigMap; another thread changes it; the latency is the
  time from the change being acknowledged by the server to the assertion returning. Measured with the
  watch-based waking (the default) and with plain 50 ms polling (Chainsaw's behaviour).
- Throughput: ``apply`` of a new ConfigMap followed by an ``assert`` on it, sequentially and from several
  threads (as parallel tests do). Each operation makes its first attempt after one 50 ms interval, as
  Chainsaw's ``PollUntilContextCancel(immediate=false)`` does, so a sequential pair costs at least 100 ms.

    python benchmarks/operations_assert_latency.py [--rounds 40] [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chainsaw_py.client import ConnectedCluster, connect
from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.expressions import Bindings
from chainsaw_py.loading.model import Apply, Assert
from chainsaw_py.operations import apply, assert_
from chainsaw_py.operations.base import OperationContext
from chainsaw_py.report.console import Console, ConsoleStepLogger

NAMESPACE = "bench"


def context(cluster: ConnectedCluster) -> OperationContext:
    logger = ConsoleStepLogger(Console(io.StringIO()), "bench", "", "bench")
    return OperationContext(bindings=Bindings(), logger=logger, timeout=30.0, namespace=NAMESPACE, cluster=cluster)


def configmap(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NAMESPACE},
            "data": {"v": value}}


def detection_latencies(cluster: ConnectedCluster, rounds: int) -> list[float]:
    client = cluster.client
    live = client.create(configmap("latency", "0"))
    latencies = []
    for index in range(1, rounds + 1):
        expected = configmap("latency", str(index))
        changed_at: list[float] = []

        def change(obj: dict[str, Any] = live, value: str = str(index), stamps: list[float] = changed_at) -> None:
            time.sleep(random.uniform(0.06, 0.12))  # land at a random point of the poll interval
            client.patch(obj, {"data": {"v": value}})
            stamps.append(time.monotonic())

        writer = threading.Thread(target=change)
        writer.start()
        assert_.run(Assert(resource=expected), expected, context(cluster))
        done = time.monotonic()
        writer.join()
        latencies.append(max(done - changed_at[0], 0.0))
    client.delete("v1", "ConfigMap", NAMESPACE, "latency")
    return latencies


def pairs_per_second(cluster: ConnectedCluster, seconds: float, threads: int) -> float:
    counter = iter(range(10**9))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    done = [0]

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                name = f"pair-{next(counter)}"
            obj = configmap(name, "x")
            apply.run(Apply(resource=obj), obj, context(cluster))
            assert_.run(Assert(resource=obj), obj, context(cluster))
            with lock:
                done[0] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return done[0] / (time.monotonic() - started)


def summary(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return (f"{label:<32} median {statistics.median(ms):6.1f} ms   p90 {p90:6.1f} ms   max {ms[-1]:6.1f} ms"
            f"   ({len(ms)} rounds)")


def without_watches(cluster: ConnectedCluster, run: Callable[[], Any]) -> Any:
    client = cluster.client
    original = client.change_waiter
    client.change_waiter = lambda api_version, kind: None  # type: ignore[method-assign]
    try:
        return run()
    finally:
        client.change_waiter = original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with EmbeddedCluster() as server:
        cluster = connect(Path(server.kubeconfig_path))
        cluster.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        try:
            print("assert detection latency (change acknowledged -> assert returns)")
            print(summary("  watch-based waking", detection_latencies(cluster, args.rounds)))
            print(summary("  50 ms polling only", without_watches(
                cluster, lambda: detection_latencies(cluster, args.rounds))))
            print("apply+assert pairs per second")
            print(f"  1 thread                       {pairs_per_second(cluster, args.seconds, 1):6.1f} /s")
            print(f"  {args.threads} threads                      "
                  f"{pairs_per_second(cluster, args.seconds, args.threads):6.1f} /s")
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
