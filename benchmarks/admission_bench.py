"""Create latency of the embedded API server with admission configured but not matching, against a checkout
without admission (e.g. main), alternating between the two so that machine load affects both alike.

    python benchmarks/admission_bench.py [--baseline /path/to/other/checkout] [--creates 400] [--rounds 4] [--cel]

Each round starts ``cluster serve`` from each checkout in turn, installs a ValidatingWebhookConfiguration and a
MutatingWebhookConfiguration whose namespaceSelector matches no namespace plus a ValidatingAdmissionPolicy
bound to another namespace (stored only, where admission is not enforced), then times sequential ConfigMap
creates on one keep-alive HTTPS connection (``--cel``: the policy is bound everywhere, so that its CEL, a macro
over the ConfigMap's keys, is evaluated on every create). Printed: median and p95 latency per checkout, and the ratio of the
medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import embedded_bench

REPO = Path(__file__).resolve().parents[1]

_RULES = [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]}]
_ELSEWHERE = {"matchLabels": {"kubernetes.io/metadata.name": "no-such-namespace"}}


def _configuration(kind: str) -> dict[str, Any]:
    hook = {"name": f"{kind.lower()}.bench.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"url": "https://127.0.0.1:1/never"}, "rules": _RULES, "namespaceSelector": _ELSEWHERE}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": "bench"},
            "webhooks": [hook]}


_POLICY = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
           "metadata": {"name": "bench"},
           "spec": {"matchConstraints": {"resourceRules": _RULES}, "validations": [{"expression": "false"}]}}
_BINDING = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "bench"},
            "spec": {"policyName": "bench", "validationActions": ["Deny"],
                     "matchResources": {"namespaceSelector": _ELSEWHERE}}}


_EVALUATED_POLICY = {**_POLICY, "spec": {**_POLICY["spec"], "validations": [
    {"expression": "object.data.all(k, size(k) > 0) && size(object.metadata.name) > 0"}]}}
_EVERYWHERE_BINDING = {**_BINDING, "spec": {"policyName": "bench", "validationActions": ["Deny"]}}


def _install(pool: Any, served: embedded_bench.Served, evaluated: bool = False) -> None:
    """The configurations that match nothing; with ``evaluated``, the policy is bound everywhere and its CEL
    (a macro over the ConfigMap's keys) runs on every create."""
    base = "/apis/admissionregistration.k8s.io/v1/"
    policy, binding = (_EVALUATED_POLICY, _EVERYWHERE_BINDING) if evaluated else (_POLICY, _BINDING)
    for path, body in ((base + "validatingwebhookconfigurations", _configuration("ValidatingWebhookConfiguration")),
                       (base + "mutatingwebhookconfigurations", _configuration("MutatingWebhookConfiguration")),
                       (base + "validatingadmissionpolicies", policy),
                       (base + "validatingadmissionpolicybindings", binding)):
        response = pool.request("POST", path, body=json.dumps(body).encode(), headers=served.headers)
        assert response.status == 201, response.data


def create_latencies(checkout: Path, creates: int, round_index: int, evaluated: bool = False) -> list[float]:
    saved = embedded_bench.REPO
    embedded_bench.REPO = checkout
    try:
        with tempfile.TemporaryDirectory() as directory:
            served = embedded_bench.Served(Path(directory), tls=True)
            try:
                pool = embedded_bench._pool(served.url, served.ca_file)
                _install(pool, served, evaluated)
                latencies = []
                for index in range(creates):
                    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": f"bench-{round_index}-{index}"},
                                       "data": {"key": "value"}}).encode()
                    start = time.perf_counter()
                    response = pool.request("POST", "/api/v1/namespaces/default/configmaps", body=body,
                                            headers=served.headers)
                    latencies.append(time.perf_counter() - start)
                    assert response.status == 201, response.data
                return latencies
            finally:
                served.stop()
    finally:
        embedded_bench.REPO = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with (e.g. /work/main)")
    parser.add_argument("--creates", type=int, default=400, help="creates per round and checkout")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, alternating between the checkouts")
    parser.add_argument("--cel", action="store_true", help="bind the policy everywhere: its CEL runs on each create")
    args = parser.parse_args()
    checkouts = {"this checkout": REPO}
    if args.baseline is not None:
        checkouts["baseline"] = args.baseline.resolve()
    samples: dict[str, list[float]] = {name: [] for name in checkouts}
    for round_index in range(args.rounds):
        for name, checkout in checkouts.items():
            samples[name] += create_latencies(checkout, args.creates, round_index, args.cel)
    print(f"{'checkout':<16}{'creates':>9}{'median ms':>11}{'p95 ms':>9}")
    medians = {}
    for name, values in samples.items():
        ordered = sorted(values)
        medians[name] = statistics.median(ordered)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"{name:<16}{len(values):>9}{medians[name] * 1000:>11.3f}{p95 * 1000:>9.3f}")
    if "baseline" in medians:
        print(f"median ratio (this / baseline): {medians['this checkout'] / medians['baseline']:.3f}")


if __name__ == "__main__":
    main()
