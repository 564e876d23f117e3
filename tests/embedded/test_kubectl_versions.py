"""Every kubectl build from 1.27 to 1.33 found next to the kubectl on PATH passes the same battery (issue 11,
item 2: kubectl 1.27/1.28 need /openapi/v2 in gnostic protobuf form)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.embedded import EmbeddedCluster


def _kubectl_builds() -> list[Path]:
    import shutil

    found = shutil.which("kubectl")
    if found is None:
        return []
    folder = Path(found).resolve().parent
    return [folder / f"kubectl.1.{minor}" for minor in range(27, 34) if (folder / f"kubectl.1.{minor}").exists()]


BATTERY_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: main, image: IMAGE, ports: [{containerPort: 80}]}]}
"""


@pytest.mark.parametrize("binary", _kubectl_builds(), ids=lambda path: path.name)
def test_kubectl_battery_for_every_version(binary: Path, cluster: EmbeddedCluster, namespace: str,
                                           tmp_path: Path) -> None:
    import os
    import subprocess

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig_path)}
        return subprocess.run([str(binary), "--cache-dir", str(tmp_path / "cache"), "-n", namespace, *args],
                              input=stdin, env=env, capture_output=True, text=True, timeout=60, check=False)

    def ok(*args: str, stdin: str | None = None) -> str:
        result = run(*args, stdin=stdin)
        assert result.returncode == 0, (binary.name, args, result.stderr)
        return result.stdout

    first, second = (BATTERY_DEPLOYMENT.replace("IMAGE", image) for image in ("nginx", "nginx:2"))
    assert ok("apply", "-f", "-", stdin=first).strip() == "deployment.apps/web created"
    difference = run("diff", "-f", "-", stdin=second)
    assert difference.returncode == 1 and "+      - image: nginx:2" in difference.stdout, difference.stderr
    assert ok("apply", "-f", "-", stdin=second).strip() == "deployment.apps/web configured"
    assert "replicas" in ok("explain", "deployment.spec.replicas")
    assert ok("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}") == "nginx:2"
    assert ok("create", "configmap", "settings", "--from-literal=a=b").strip() == "configmap/settings created"
    ok("patch", "configmap", "settings", "-p", '{"data":{"c":"d"}}')
    assert ok("get", "configmap", "settings", "-o", "jsonpath={.data.c}") == "d"
    invalid = run("apply", "--validate=strict", "-f", "-",
                  stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\nbogus: 1\n")
    assert invalid.returncode != 0 and 'unknown field "bogus"' in invalid.stderr
    conflict = run("apply", "--server-side", "-f", "-", stdin=first)
    assert conflict.returncode == 1 and ('conflict with "kubectl-client-side-apply" using apps/v1: '
                                         '.spec.template.spec.containers[name="main"].image') in conflict.stderr
    assert ok("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=first).strip() == \
        "deployment.apps/web serverside-applied"
    assert ok("delete", "configmap", "settings").strip() == 'configmap "settings" deleted'


