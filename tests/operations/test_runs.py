"""Whole runs against the embedded cluster (through its kubeconfig, as against any cluster): test
namespaces, cleanup order, --skip-delete, outputs visibility, the failure output, clusters, and a run
interrupted with Ctrl-C that still leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.api import Outcome, TestOptions, run_to_string
from chainsaw_py.client import ConnectedCluster
from chainsaw_py.embedded import EmbeddedCluster

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kubeconfig(embedded: EmbeddedCluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KUBECONFIG", str(embedded.kubeconfig_path))
    yield Path(embedded.kubeconfig_path)


def suite(tmp_path: Path, body: str, name: str = "suite") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chainsaw-test.yaml").write_text(textwrap.dedent(body))
    return folder


def run(folder: Path, **options: Any) -> tuple[Outcome, str]:
    return run_to_string(TestOptions(test_dirs=[str(folder)], no_color=True, **options))


def created_namespace(output: str) -> str:
    match = re.search(r"v1/Namespace @ (chainsaw-[a-z]+-[a-z]+)", output)
    assert match is not None, output
    return match.group(1)


def rows(output: str) -> list[str]:
    """``step OP STATUS obj`` for every log line."""
    out = []
    for line in output.splitlines():
        match = re.match(r"^    \| \d\d:\d\d:\d\d \| [^|]+ \| ([^|]+) \| (\S+)\s*\| (\S+)\s*\|(.*)$", line)
        if match:
            out.append(" ".join(part.strip() for part in match.groups()).strip())
    return out


def live_chainsaw_namespaces(cluster_handle: ConnectedCluster) -> set[str]:
    return {ns["metadata"]["name"] for ns in cluster_handle.client.list("v1", "Namespace")["items"]
            if ns["metadata"]["name"].startswith("chainsaw-")
            and not (ns["metadata"].get("deletionTimestamp"))}


TWO_STEPS = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: order
spec:
  steps:
  - name: first
    try:
    - apply:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: a1}}
    - apply:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: a2}}
  - name: second
    try:
    - create:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: b1}}
    - apply:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: b2}}
    - assert:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: b2}}
"""


def test_cleanup_order_and_nothing_left(tmp_path: Path, kubeconfig: Path, cluster_handle: ConnectedCluster) -> None:
    before = live_chainsaw_namespaces(cluster_handle)
    outcome, output = run(suite(tmp_path, TWO_STEPS))
    assert outcome.ok, output
    namespace = created_namespace(output)
    deletes = [row.split(" @ ")[1] for row in rows(output) if " DELETE OK " in row]
    assert deletes == [f"{namespace}/b2", f"{namespace}/b1", f"{namespace}/a2", f"{namespace}/a1", namespace]
    assert live_chainsaw_namespaces(cluster_handle) == before


def test_skip_delete_keeps_everything(tmp_path: Path, kubeconfig: Path, cluster_handle: ConnectedCluster) -> None:
    outcome, output = run(suite(tmp_path, TWO_STEPS), skip_delete=True)
    assert outcome.ok, output
    namespace = created_namespace(output)
    try:
        assert "CLEANUP SKIP" in " ".join(rows(output))
        names = {cm["metadata"]["name"] for cm in cluster_handle.client.list("v1", "ConfigMap", namespace)["items"]}
        assert {"a1", "a2", "b1", "b2"} <= names
    finally:
        cluster_handle.client.delete("v1", "Namespace", "", namespace)


def test_fixed_namespace_and_templates(tmp_path: Path, kubeconfig: Path, cluster_handle: ConnectedCluster) -> None:
    folder = suite(tmp_path, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: fixed
        spec:
          steps:
          - try:
            - assert:
                resource:
                  apiVersion: v1
                  kind: Namespace
                  metadata:
                    name: ($namespace)
                    labels:
                      team: (join('-', ['t', $namespace]))
            - apply:
                resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}
            - assert:
                resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: fixed-ns}}
    """)
    config = tmp_path / "config.yaml"
    config.write_text(textwrap.dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata: {name: c}
        spec:
          namespace:
            template:
              metadata:
                labels:
                  team: (join('-', ['t', $namespace]))
    """))
    outcome, output = run(folder, namespace="fixed-ns", config=str(config))
    assert outcome.ok, output
    assert "@chainsaw | CREATE    | OK    | v1/Namespace @ fixed-ns" in output
    assert "fixed-ns" not in {n["metadata"]["name"] for n in cluster_handle.client.list("v1", "Namespace")["items"]
                              if not n["metadata"].get("deletionTimestamp")}


def test_outputs_are_visible_to_the_step_only(tmp_path: Path, kubeconfig: Path) -> None:
    outcome, output = run(suite(tmp_path, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: outputs
        spec:
          steps:
          - try:
            - apply:
                resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: o}, data: {k: v}}
                outputs:
                - name: cm
                  value: (@)
            - assert:
                resource:
                  ($cm.data.k): v
            finally:
            - script:
                env:
                - name: UID
                  value: ($cm.metadata.uid)
                content: test -n "$UID"
          - try:
            - assert:
                resource:
                  ($cm): null
    """))
    assert not outcome.ok
    assert "variable not defined: $cm" in output
    assert rows(output).count("step #1 SCRIPT DONE") == 1


def test_failure_output_shows_the_block_and_redacts_secrets(tmp_path: Path, kubeconfig: Path,
                                                            cluster_handle: ConnectedCluster) -> None:
    outcome, output = run(suite(tmp_path, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: failing
        spec:
          timeouts:
            assert: 300ms
          steps:
          - try:
            - apply:
                resource:
                  apiVersion: v1
                  kind: Secret
                  metadata: {name: creds}
                  stringData: {password: actual-password}
            - assert:
                resource:
                  apiVersion: v1
                  kind: Secret
                  metadata: {name: creds}
                  data: {password: d3JvbmctcGFzc3dvcmQ=}
    """))
    assert outcome.summary.failed == 1
    namespace = created_namespace(output)
    header = f"v1/Secret/{namespace}/creds"
    expected = "\n".join(f"        {line}" if line else "" for line in [
        "=== ERROR", "-" * len(header), header, "-" * len(header)])
    assert f"| ASSERT    | ERROR | v1/Secret @ {namespace}/creds\n{expected}\n        * data.password: Invalid value:" \
        in output
    assert "        --- expected\n        +++ actual\n" in output
    assert "d3JvbmctcGFzc3dvcmQ=" not in output and "YWN0dWFsLXBhc3N3b3Jk" not in output
    assert not cluster_handle.client.exists("v1", "Namespace", "", namespace)  # a failed run cleans up too


def test_clusters_client_and_config(tmp_path: Path, kubeconfig: Path) -> None:
    outcome, output = run(suite(tmp_path, f"""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: clusters
        spec:
          clusters:
            other:
              kubeconfig: {kubeconfig}
          bindings:
          - name: version
            value: (x_k8s_server_version($config))
          steps:
          - cluster: other
            try:
            - apply:
                resource: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: via-other, namespace: default}}}}
            - assert:
                resource:
                  (x_k8s_get($client, 'v1', 'ConfigMap', 'default', 'via-other').metadata.name): via-other
                  ($version.major): "1"
            - delete:
                ref: {{apiVersion: v1, kind: ConfigMap, name: via-other, namespace: default}}
    """))
    assert outcome.ok, output


def test_no_cluster_fails_resource_operations(tmp_path: Path) -> None:
    outcome, output = run(suite(tmp_path, TWO_STEPS), no_cluster=True)
    assert outcome.summary.failed == 1
    assert "cluster client not set" in output


def test_termination_grace_and_propagation_from_the_configuration(tmp_path: Path, kubeconfig: Path) -> None:
    folder = suite(tmp_path, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: grace
        spec:
          steps:
          - try:
            - apply:
                resource:
                  apiVersion: apps/v1
                  kind: Deployment
                  metadata: {name: web}
                  spec:
                    selector: {matchLabels: {app: web}}
                    template:
                      metadata: {labels: {app: web}}
                      spec: {containers: [{name: c, image: nginx}]}
            - assert:
                resource:
                  apiVersion: apps/v1
                  kind: Deployment
                  metadata: {name: web}
                  spec: {template: {spec: {terminationGracePeriodSeconds: 7}}}
    """)
    outcome, output = run(folder, force_termination_grace_period="7s", deletion_propagation_policy="Foreground")
    assert outcome.ok, output


INTERRUPTED = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: interrupted
spec:
  steps:
  - try:
    - apply:
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: left}}
    - script:
        content: touch "$MARKER"
        env:
        - name: MARKER
          value: (join('/', [$values.dir, 'started']))
    - assert:
        timeout: 2m
        resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: never}}
"""


def test_interrupted_run_cleans_up(tmp_path: Path, embedded: EmbeddedCluster, cluster_handle: ConnectedCluster) -> None:
    folder = suite(tmp_path, INTERRUPTED)
    before = live_chainsaw_namespaces(cluster_handle)
    env = {**os.environ, "PYTHONPATH": str(REPO), "KUBECONFIG": str(embedded.kubeconfig_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "chainsaw_py", "test", str(folder), "--no-color", "--set", f"dir={tmp_path}",
         "--report-format", "JSON", "--report-path", str(tmp_path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    namespaces = live_chainsaw_namespaces(cluster_handle) - before
    assert len(namespaces) == 1
    namespace = namespaces.pop()
    assert cluster_handle.client.exists("v1", "ConfigMap", namespace, "left")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in stdout + stderr
    assert f"DELETE    | OK    | v1/ConfigMap @ {namespace}/left" in stdout
    assert f"DELETE    | OK    | v1/Namespace @ {namespace}" in stdout
    assert not cluster_handle.client.exists("v1", "Namespace", "", namespace)
    report = json.loads((tmp_path / "chainsaw-report.json").read_text())
    assert report["tests"][0]["status"] == "failed"


def test_embedded_cluster_when_no_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    outcome, output = run(suite(tmp_path, TWO_STEPS))
    assert outcome.ok, output
    announcements = [line for line in output.splitlines() if line.startswith("Using an embedded cluster")]
    assert len(announcements) == 1
    assert f"(no kubeconfig file at KUBECONFIG={tmp_path / 'absent'})" in announcements[0]
