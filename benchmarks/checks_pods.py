"""An assertion tree with two JMESPath filters checked against many pods, next to ``json.loads`` of the
same pods, in one run (issue 14: goal <= 2x).

    python benchmarks/checks_pods.py [--pods 10000] [--rounds 5] [--lean | --both] [--profile] [--json out.json]
                                     [--baseline /path/to/other/checkout [--runs 3]]

The pods are what ``kubectl get pods -o json`` returns for a busy namespace (no managedFields); the tree
filters the running ``web`` pods (first filter, iterated with ``~.``) and checks, per pod, plain fields
and the Ready condition found by a second filter. The tree matches, so no error is built. ``--lean`` keeps
only the fields the tree reads (the hardest case: json.loads has the least to do); ``--both`` measures the
realistic pods, then the lean ones (``lean_*`` figures). Both sides are measured in CPU seconds of this thread
(``time.thread_time``: other processes on a shared machine do not count), rounds alternating between them;
the medians and their ratio are printed. ``--profile`` prints the top of a cProfile of one check.
``--baseline`` measures another checkout's chainsaw_py (e.g. ``/work/main``) and this one alternately, each
run in a process of its own, and prints both checkouts' medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TREE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "List",
    "~.(items[?status.phase == 'Running' && metadata.labels.app == 'web'])": {
        "metadata": {"namespace": "bench", "labels": {"tier": "frontend"}},
        "spec": {"restartPolicy": "Always", "(length(containers))": 2},
        "status": {
            "(conditions[?type == 'Ready'] | [0].status)": "True",
            "qosClass": "Burstable",
        },
    },
}


def pod(index: int) -> dict[str, Any]:
    name = f"web-7d9f8c6b5-{index:05d}"
    started = "2026-01-01T00:00:00Z"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": "bench", "uid": f"0c3e7c1a-{index:04x}-4f1e-9d5c-2a6b8e0f{index % 10000:04d}",
            "resourceVersion": str(100000 + index), "creationTimestamp": started,
            "generateName": "web-7d9f8c6b5-",
            "labels": {"app": "web", "tier": "frontend", "pod-template-hash": "7d9f8c6b5"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": started},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8c6b5",
                                 "uid": "5f0e2d3c-1111-4f1e-9d5c-2a6b8e0f0000", "controller": True,
                                 "blockOwnerDeletion": True}],
        },
        "spec": {
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "nodeName": f"node-{index % 16}", "schedulerName": "default-scheduler",
            "containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                 "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log"},
                {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"],
                 "resources": {}, "imagePullPolicy": "IfNotPresent"},
            ],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
        },
        "status": {
            "phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.1", "podIP": f"10.244.{index // 256 % 256}.{index % 256}",
            "startTime": started,
            "conditions": [{"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
                           for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                        "PodScheduled")],
            "containerStatuses": [
                {"name": name_, "ready": True, "restartCount": 0, "started": True, "image": image,
                 "imageID": f"docker.io/library/{image}@sha256:{'ab' * 32}", "containerID": f"containerd://{'cd' * 32}",
                 "state": {"running": {"startedAt": started}}}
                for name_, image in (("web", "nginx:1.27"), ("sidecar", "busybox:1.36"))],
        },
    }


def lean_pod(index: int) -> dict[str, Any]:
    """Only what the tree reads: the hardest case for the ratio (json.loads has least to do)."""
    full = pod(index)
    return {"metadata": {key: full["metadata"][key] for key in ("name", "namespace", "labels")},
            "spec": {"restartPolicy": "Always", "containers": [{"name": "web"}, {"name": "sidecar"}]},
            "status": {"phase": "Running", "qosClass": "Burstable",
                       "conditions": [{"type": c["type"], "status": "True"} for c in full["status"]["conditions"]]}}


def pod_list(count: int, lean: bool = False) -> dict[str, Any]:
    make = lean_pod if lean else pod
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": [make(index) for index in range(count)]}


def median_cpu_seconds(functions: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """The median CPU seconds of each function, called in turn each round (after one unmeasured call)."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()
    for _ in range(rounds):
        for name, function in functions.items():
            start = time.thread_time()
            function()
            times[name].append(time.thread_time() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(pods: int, rounds: int, lean: bool = False) -> dict[str, float]:
    """Median CPU seconds of json.loads and of the tree check, and their ratio."""
    from chainsaw_py.checks import compile_tree

    value = pod_list(pods, lean)
    text = json.dumps(value)
    tree = compile_tree(TREE, "jp")
    errors = tree.check(value)
    if errors:
        raise SystemExit(f"the tree should match: {errors[0]}")
    medians = median_cpu_seconds({"loads": lambda: json.loads(text), "check": lambda: tree.check(value)}, rounds)
    return {"json_loads_s": medians["loads"], "check_s": medians["check"],
            "ratio": medians["check"] / medians["loads"], "megabytes": len(text) / 1e6}


def profile(pods: int, lean: bool) -> None:
    import cProfile
    import pstats

    from chainsaw_py.checks import compile_tree

    value = pod_list(pods, lean)
    tree = compile_tree(TREE, "jp")
    profiler = cProfile.Profile()
    profiler.runcall(tree.check, value)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def _line(pods: int, lean: bool, figures: dict[str, float]) -> str:
    return (f"{pods}{' lean' if lean else ''} pods ({figures['megabytes']:.1f} MB of JSON): json.loads"
            f" {figures['json_loads_s'] * 1000:.1f} ms, assertion tree {figures['check_s'] * 1000:.1f} ms of CPU,"
            f" ratio {figures['ratio']:.2f}x (goal <= 2x)")


def compare(baseline: Path, runs: int, forwarded: list[str]) -> dict[str, Any]:
    """This checkout and ``baseline`` measured alternately, ``runs`` processes each; their figures by name."""
    from childenv import REPO, child_environment

    checkouts = {"this checkout": REPO, "baseline": baseline.resolve()}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "figures.json"
        for _ in range(runs):
            for name, checkout in checkouts.items():
                subprocess.run([sys.executable, __file__, "--import-from", str(checkout), "--json", str(output),
                                *forwarded], env=child_environment(Path(scratch), repo=checkout), check=True,
                               stdout=subprocess.DEVNULL)
                figures[name].append(json.loads(output.read_text()))
    for name, results in figures.items():
        print(f"{name} ({checkouts[name]}):")
        for result in results:
            keys = [key for key in ("", "lean_") if key + "ratio" in result]
            print("  " + "; ".join(f"{'lean ' if key else ''}check {result[key + 'check_s'] * 1000:.1f} ms vs loads "
                                   f"{result[key + 'json_loads_s'] * 1000:.1f} ms = {result[key + 'ratio']:.2f}x"
                                   for key in keys))
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    cases = parser.add_mutually_exclusive_group()
    cases.add_argument("--lean", action="store_true", help="pods with only the fields the tree reads")
    cases.add_argument("--both", action="store_true", help="realistic pods, then lean ones")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--baseline", type=Path, help="another checkout of chainsaw_py, measured alternately")
    parser.add_argument("--runs", type=int, default=3, help="processes per checkout with --baseline")
    parser.add_argument("--import-from", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline is not None:
        forwarded = ["--pods", str(args.pods), "--rounds", str(args.rounds)]
        forwarded += ["--lean"] if args.lean else ["--both"] if args.both else []
        compared = compare(args.baseline, args.runs, forwarded)
        if args.json:
            args.json.write_text(json.dumps(compared))
        return compared
    if args.import_from is not None:
        sys.path.insert(0, str(args.import_from))
    if args.profile:
        profile(args.pods, args.lean)
    figures: dict[str, Any] = {}
    for lean in ([False, True] if args.both else [args.lean]):
        measured = measure(args.pods, args.rounds, lean)
        print(_line(args.pods, lean, measured))
        figures.update({("lean_" if lean and args.both else "") + key: figure for key, figure in measured.items()})
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
