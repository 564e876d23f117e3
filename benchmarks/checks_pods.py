"""An assertion tree with two JMESPath filters checked against many pods, next to ``json.loads`` of the
same pods, in one run (issue 14: goal <= 2x).

    python benchmarks/checks_pods.py [--pods 10000] [--rounds 5] [--lean] [--profile] [--json out.json]

The pods are what ``kubectl get pods -o json`` returns for a busy namespace (no managedFields); the tree
filters the running ``web`` pods (first filter, iterated with ``~.``) and checks, per pod, plain fields
and the Ready condition found by a second filter. The tree matches, so no error is built. ``--lean`` keeps
only the fields the tree reads (the hardest case: json.loads has the least to do). Prints the
medians and their ratio; ``--profile`` prints the top of a cProfile of one check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
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


def median_seconds(function: Callable[[], Any], rounds: int) -> float:
    function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(pods: int, rounds: int, lean: bool = False) -> dict[str, float]:
    """Median seconds of json.loads and of the tree check, and their ratio."""
    from chainsaw_py.checks import compile_tree

    value = pod_list(pods, lean)
    text = json.dumps(value)
    tree = compile_tree(TREE, "jp")
    errors = tree.check(value)
    if errors:
        raise SystemExit(f"the tree should match: {errors[0]}")
    loads = median_seconds(lambda: json.loads(text), rounds)
    check = median_seconds(lambda: tree.check(value), rounds)
    return {"json_loads_s": loads, "check_s": check, "ratio": check / loads, "megabytes": len(text) / 1e6}


def profile(pods: int) -> None:
    import cProfile
    import pstats

    from chainsaw_py.checks import compile_tree

    value = pod_list(pods)
    tree = compile_tree(TREE, "jp")
    profiler = cProfile.Profile()
    profiler.runcall(tree.check, value)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--lean", action="store_true", help="pods with only the fields the tree reads")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.pods)
    figures = measure(args.pods, args.rounds, args.lean)
    print(f"{args.pods}{' lean' if args.lean else ''} pods ({figures['megabytes']:.1f} MB of JSON): json.loads {figures['json_loads_s'] * 1000:.1f} ms,"
          f" assertion tree {figures['check_s'] * 1000:.1f} ms, ratio {figures['ratio']:.2f}x (goal <= 2x)")
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
