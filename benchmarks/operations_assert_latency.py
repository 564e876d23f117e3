"""How promptly assertions notice a change, and how many apply+assert pairs run per second, on the
embedded cluster.

- Detection latency: an ``assert`` waits on a ConfigMap; another thread changes it; the latency is the
  time from the change being acknowledged by the server to the assertion returning. Measured with the
  watch-based waking (the default) and with plain 50 ms polling (Chainsaw's behaviour).
- Throughput: ``apply`` of a new ConfigMap followed by an ``assert`` on it, sequentially and from several
  threads (as parallel tests do). Operations make their first attempt at once (Chainsaw waits one 50 ms
  interval first: ``PollUntilContextCancel(immediate=false)``); ``--chainsaw-first-wait`` measures that
  behaviour too, in the same run, for the ratio.

    python benchmarks/operations_assert_latency.py [--rounds 40] [--seconds 5] [--threads 4]
                                                   [--chainsaw-first-wait] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
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


def with_first_wait(run: Callable[[], Any]) -> Any:
    """``run`` with Chainsaw's first wait: every poll pauses one interval before its first attempt."""
    from chainsaw_py.operations.internal import polling

    original = polling._poll

    def delayed(condition: Callable[[], bool], *args: Any) -> bool:
        time.sleep(polling.POLL_INTERVAL)
        return original(condition, *args)

    polling._poll = delayed  # type: ignore[assignment]
    try:
        return run()
    finally:
        polling._poll = original  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--chainsaw-first-wait", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures: dict[str, float] = {}
    with EmbeddedCluster() as server:
        cluster = connect(Path(server.kubeconfig_path))
        cluster.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        try:
            print("assert detection latency (change acknowledged -> assert returns)")
            watched = detection_latencies(cluster, args.rounds)
            figures["watch_latency_median_ms"] = statistics.median(watched) * 1000
            print(summary("  watch-based waking", watched))
            print(summary("  50 ms polling only", without_watches(
                cluster, lambda: detection_latencies(cluster, args.rounds))))
            print("apply+assert pairs per second")
            figures["pairs_per_s_1"] = pairs_per_second(cluster, args.seconds, 1)
            print(f"  1 thread                       {figures['pairs_per_s_1']:6.1f} /s")
            if args.chainsaw_first_wait:
                figures["pairs_per_s_1_first_wait"] = with_first_wait(
                    lambda: pairs_per_second(cluster, args.seconds, 1))
                print(f"  1 thread, Chainsaw's first wait {figures['pairs_per_s_1_first_wait']:5.1f} /s")
            figures[f"pairs_per_s_{args.threads}"] = pairs_per_second(cluster, args.seconds, args.threads)
            print(f"  {args.threads} threads                      {figures[f'pairs_per_s_{args.threads}']:6.1f} /s")
            print(f"({os.cpu_count()} CPUs)")
        finally:
            cluster.close()
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
