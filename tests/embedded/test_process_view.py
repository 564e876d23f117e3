"""Containers see their volumes at their ``mountPath`` where the platform allows a mount namespace per
container (root, or user namespaces), without anything appearing on the host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime import podview
from chainsaw_py.embedded.runtime.containers import view_mode, views_supported
from chainsaw_py.embedded.runtime.images import ImageProgram
from tests.embedded.process_pods import cluster_fixture, create, finished, get_pod, logs, until

pytestmark = pytest.mark.skipif(not views_supported(), reason="mount namespaces are not available here")

READER = textwrap.dedent("""
    import os
    print("config", open("/etc/chainsaw-py-test/app.yaml").read().strip())
    print("single", open("/opt/chainsaw-py-test/single.txt").read().strip())
    print("token", len(open("/var/run/secrets/kubernetes.io/serviceaccount/token").read()) > 20)
    print("namespace", open("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read())
    print("kubeconfig", os.environ["KUBECONFIG"], os.path.isfile(os.environ["KUBECONFIG"]))
    print("cwd", os.getcwd())
    try:
        open("/etc/chainsaw-py-test/new", "w")
    except OSError as err:
        print("read-only", err.errno == 30)
    print("passwd", os.path.isfile("/etc/passwd"))
    import time; time.sleep(60)
""")


IN_CLUSTER = textwrap.dedent("""
    import os
    from kubernetes import client, config
    config.load_incluster_config()
    try:
        client.CoreV1Api().list_namespaced_config_map(os.environ["NS"])
        print("allowed")
    except client.ApiException as err:
        print("status", err.status)
""")


cluster = cluster_fixture([ImageProgram("example.com/reader", (sys.executable, "-u", "-c", READER)),
                           ImageProgram("example.com/in-cluster", (sys.executable, "-u", "-c", IN_CLUSTER))],
                          needs=lambda running: bool(running.processes and running.processes.views_available()))


def test_volumes_are_at_their_mount_path_and_the_host_is_untouched(cluster: EmbeddedCluster) -> None:
    create(cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "default"},
                      "data": {"app.yaml": "level: debug", "single.txt": "one file"}})
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reader", "namespace": "default"},
                      "spec": {"volumes": [{"name": "app", "configMap": {"name": "app"}}],
                               "containers": [{"name": "main", "image": "example.com/reader",
                                               "workingDir": "/srv/chainsaw-py-test/work",
                                               "volumeMounts": [
                                                   # read-only without readOnly: a configMap volume
                                                   {"name": "app", "mountPath": "/etc/chainsaw-py-test"},
                                                   {"name": "app", "mountPath": "/opt/chainsaw-py-test/single.txt",
                                                    "subPath": "single.txt"}]}]}})
    until(lambda: "passwd" in logs(cluster, "reader"))
    assert logs(cluster, "reader").splitlines() == [
        "config level: debug", "single one file", "token True", "namespace default",
        "kubeconfig /var/run/secrets/chainsaw-py/kubeconfig True", "cwd /srv/chainsaw-py-test/work",
        "read-only True", "passwd True"]
    for host_path in ("/etc/chainsaw-py-test", "/opt/chainsaw-py-test", "/srv/chainsaw-py-test",
                      "/var/run/secrets/chainsaw-py", "/var/run/secrets/kubernetes.io"):
        assert not Path(host_path).exists(), host_path
    kubectl = ["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "exec", "reader", "--"]
    exec_d = subprocess.run(kubectl + ["sh", "-c", "pwd; cat /etc/chainsaw-py-test/app.yaml"], capture_output=True,
                            text=True, timeout=30, check=False)
    assert exec_d.stdout == "/srv/chainsaw-py-test/work\nlevel: debug", exec_d.stderr


def test_a_view_shadows_a_host_folder_to_add_a_mount_point(tmp_path: Path) -> None:
    """In a child process: the view's ``/etc`` keeps the host's entries and gains the new mount point."""
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "value").write_text("42")
    root = tmp_path / "root"
    root.mkdir()
    plan = {"root": str(root), "cwd": "/", "userns": view_mode() == "userns", "binds": [[str(volume), "/etc/chainsaw-py-x/y", False]]}
    script = ("import json, os, sys; from chainsaw_py.embedded.runtime import podview; "
              "podview.assemble(json.loads(sys.argv[1])); "
              "print(open('/etc/chainsaw-py-x/y/value').read(), os.path.isfile('/etc/passwd'), os.path.isdir('/proc/1'))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(plan)], capture_output=True, text=True,
                          timeout=30, check=False, env={**os.environ, "PYTHONPATH": str(Path(podview.__file__)
                                                                                         .parents[3])})
    assert done.stdout == "42 True True\n", done.stderr
    assert not Path("/etc/chainsaw-py-x").exists()


def test_in_cluster_configuration_works_and_rbac_applies(cluster: EmbeddedCluster) -> None:
    """client libraries' in-cluster configuration (token and CA at their paths, KUBERNETES_SERVICE_HOST/PORT)
    reaches the API server as the pod's ServiceAccount: the default one may not list ConfigMaps."""
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "in-cluster", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "containers": [{
                          "name": "main", "image": "example.com/in-cluster",
                          "env": [{"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]}]}})
    finished(cluster, "in-cluster", timeout=60)
    assert logs(cluster, "in-cluster") == "status 403"


def test_a_view_that_cannot_be_assembled_says_why(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "broken", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "volumes": [{"name": "h", "hostPath": {"path": str(missing)}}],
                               "containers": [{"name": "main", "image": "example.com/reader",
                                               "volumeMounts": [{"name": "h", "mountPath": "/data"}]}]}})

    def terminated() -> dict[str, Any]:
        statuses = ((get_pod(cluster, "broken") or {}).get("status") or {}).get("containerStatuses") or [{}]
        return dict((statuses[0].get("state") or {}).get("terminated") or {})

    assert until(terminated)["exitCode"] == 128
    assert logs(cluster, "broken").startswith("chainsaw_py: cannot assemble the pod's file system view: mount ")
    assert not missing.exists()


def test_a_volume_over_the_programs_installation_turns_the_view_off(tmp_path: Path) -> None:
    """Replays CI with a virtual environment under /tmp and a pod mounting an emptyDir at /tmp: in the view
    the program was hidden (RunContainerError, "No such file or directory"); its paths are rewritten instead."""
    from chainsaw_py.embedded.runtime.pods import volumes_hide_program

    tool = tmp_path / "env" / "bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert volumes_hide_program([("/volume", str(tmp_path), False)], str(tool))
    assert volumes_hide_program([("/volume", str(tmp_path / "env"), False)], str(tool))
    assert not volumes_hide_program([("/volume", str(tmp_path / "other"), False)], str(tool))
    assert volumes_hide_program([("/volume", sys.prefix, False)], sys.executable)
    assert not volumes_hide_program([("/volume", "/tmp", False)], "no-such-program-here")
