"""The kubectl-like helpers against the embedded cluster. Native output is compared with what the real
kubectl prints for the same command (when kubectl is on PATH); the log shows the command Chainsaw runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.loading.model import (
    Describe,
    Events,
    Get,
    PodLogs,
    Proxy,
    Wait,
    WaitFor,
    WaitForCondition,
    WaitForJsonPath,
)
from chainsaw_py.operations import describe, events, get, pod_logs, proxy, wait
from chainsaw_py.operations.base import OperationError
from chainsaw_py.operations.internal import kubectl as kubectl_module
from chainsaw_py.operations.internal.kubectl import target
from tests.operations.harness import Harness, configmap

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def real_kubectl(embedded: EmbeddedCluster, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(embedded.kubeconfig_path)}
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def native_get_output(h: Harness, kind: str, output: str, name: str = "", selector: str = "") -> str:
    ctx = h.ctx()
    tgt = target(ctx, "v1", kind, name=name, selector=selector)
    native = get.native_get(ctx, tgt, output)
    assert native is not None
    result = native({"NAMESPACE": h.namespace})
    return result if isinstance(result, str) else result.stdout


def stdout_of(h: Harness) -> str:
    """The ``=== STDOUT`` section of the last ``CMD LOG`` line."""
    log = h.output.getvalue()
    section = log.rsplit("=== STDOUT\n", 1)[1]
    return "\n".join(line[8:] for line in section.splitlines() if line.startswith("        ")
                     and not line.startswith("        === "))


@needs_kubectl
@pytest.mark.parametrize("output", ["yaml", "json", "name", "jsonpath={.data}"])
def test_get_by_name_prints_what_kubectl_prints(harness: Harness, embedded: EmbeddedCluster, output: str) -> None:
    harness.apply({**configmap("g", b="2", a="<&>"), "metadata": {"name": "g", "labels": {"x": "y"}}})
    expected = real_kubectl(embedded, "get", "configmaps", "g", "-n", harness.namespace, "-o", output)
    assert expected.returncode == 0, expected.stderr
    assert native_get_output(harness, "ConfigMap", output, name="g") == expected.stdout


@needs_kubectl
@pytest.mark.parametrize("output", ["yaml", "json", "name"])
def test_get_lists_print_what_kubectl_prints(harness: Harness, embedded: EmbeddedCluster, output: str) -> None:
    for name in ("l1", "l2"):
        harness.apply({**configmap(name, k=name), "metadata": {"name": name, "labels": {"app": "l"}}})
    expected = real_kubectl(embedded, "get", "configmaps", "-l", "app=l", "-n", harness.namespace, "-o", output)
    assert native_get_output(harness, "ConfigMap", output, selector="app=l") == expected.stdout


@needs_kubectl
def test_native_table_matches_kubectl(harness: Harness, embedded: EmbeddedCluster,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply(configmap("t1", a="1"))
    harness.apply(configmap("t22", a="1", b="2"))
    expected = real_kubectl(embedded, "get", "configmaps", "-n", harness.namespace).stdout
    monkeypatch.setattr(get, "kubectl_path", lambda: None)
    got = native_get_output(harness, "ConfigMap", "")
    assert re.sub(r"\d+s\n", "<age>\n", got) == re.sub(r"\d+s\n", "<age>\n", expected)


def test_get_runs_as_a_logged_command(harness: Harness) -> None:
    harness.apply(configmap("cmd", a="b"))
    get.run(Get(api_version="v1", kind="ConfigMap", name="cmd", format="jsonpath={.data.a}"), None, harness.ctx())
    lines = harness.lines()
    assert lines[0] == "test | step | CMD | RUN"
    assert lines[1] == "=== COMMAND"
    assert lines[2].endswith(f"kubectl get configmaps cmd -n {harness.namespace} -o jsonpath={{.data.a}}")
    assert lines[3:] == ["test | step | CMD | LOG", "=== STDOUT", "b", "test | step | CMD | DONE"]


def test_get_failures_read_like_kubectl(harness: Harness) -> None:
    with pytest.raises(OperationError, match="^exit status 1$"):
        get.run(Get(api_version="v1", kind="ConfigMap", name="nope", format="yaml"), None, harness.ctx())
    assert '=== STDERR\nError from server (NotFound): configmaps "nope" not found' in harness.log()
    assert "CMD | ERROR" in harness.log()


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "a", "selector": "b=c"}, "name cannot be provided when a selector is specified"),
    ({"kind": ""}, "failed to map resource, either kind or resource must be specified"),
    ({"kind": "Nope"}, 'no matches for kind "Nope" in version "v1"'),
])
def test_get_refuses_bad_input(harness: Harness, fields: dict[str, str], message: str) -> None:
    action = Get(**{"api_version": "v1", "kind": "ConfigMap", **fields})  # type: ignore[arg-type]
    with pytest.raises(OperationError, match=message):
        get.run(action, None, harness.ctx())
    assert harness.lines()[0] == "test | step | CMD | ERROR"


def test_get_without_cluster(harness: Harness) -> None:
    with pytest.raises(OperationError, match="cluster client not set"):
        get.run(Get(api_version="v1", kind="ConfigMap"), None, harness.ctx(cluster=None))


def test_events_yaml(harness: Harness) -> None:
    events.run(Events(format="yaml"), None, harness.ctx())
    assert harness.lines()[2].endswith(f"kubectl get events -n {harness.namespace} -o yaml")
    assert stdout_of(harness).startswith("apiVersion: v1\nitems:")


def test_describe_runs_kubectl_or_the_generic_describer(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply(configmap("d", a="b"))
    action = Describe(api_version="v1", kind="ConfigMap", name="d", show_events=False)
    if shutil.which("kubectl"):
        describe.run(action, None, harness.ctx())
        assert harness.lines()[2].endswith(f"kubectl describe configmaps d -n {harness.namespace} --show-events=false")
        assert "Name:         d" in stdout_of(harness)
    monkeypatch.setattr(describe, "kubectl_path", lambda: None)
    harness.output.truncate(0)
    harness.output.seek(0)
    describe.run(action, None, harness.ctx())
    text = stdout_of(harness)
    assert text.startswith(f"Name:         d\nNamespace:    {harness.namespace}\n")
    assert "Data:\n  A:  b" in text


def test_pod_logs(harness: Harness, embedded: EmbeddedCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "lp", "labels": {"app": "lp"}},
           "spec": {"containers": [{"name": "main", "image": "x"}, {"name": "side", "image": "y"}]}}
    harness.apply(pod)
    wait_for_pod_ready(harness, "lp")
    embedded.logs.write(harness.namespace, "lp", "main", "hello\nworld")
    embedded.logs.write(harness.namespace, "lp", "side", "sidecar")
    pod_logs.run(PodLogs(name="lp"), None, harness.ctx())
    assert harness.lines()[2].endswith(f"kubectl logs --prefix lp -n {harness.namespace} --all-containers")
    assert stdout_of(harness) == "[pod/lp/main] hello\n[pod/lp/main] world\n[pod/lp/side] sidecar"
    if shutil.which("kubectl"):
        expected = real_kubectl(embedded, "logs", "--prefix", "lp", "-n", harness.namespace, "--all-containers")
        # kubectl reads several containers concurrently: the same lines, interleaved in any order
        assert sorted(expected.stdout.splitlines()) == sorted(stdout_of(harness).splitlines())
    harness.output.truncate(0)
    harness.output.seek(0)
    pod_logs.run(PodLogs(selector="app=lp", container="main", tail=1), None, harness.ctx())
    assert stdout_of(harness) == "[pod/lp/main] world"


def test_pod_logs_needs_a_name_or_selector(harness: Harness) -> None:
    with pytest.raises(OperationError, match="a name or selector must be specified"):
        pod_logs.run(PodLogs(), None, harness.ctx())


def wait_for_pod_ready(h: Harness, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pod = h.client.get("v1", "Pod", h.namespace, name)
        if (pod.get("status") or {}).get("phase") == "Running":
            return pod
        time.sleep(0.05)
    raise AssertionError(f"pod {name} never ran")


# ------------------------------------------------------------------------------------------- wait


def run_wait(h: Harness, wait_for: WaitFor, *, timeout: float = 10, **fields: Any) -> None:
    action = Wait(**{"api_version": "v1", "kind": "Pod", "for_": wait_for, **fields})
    wait.run(action, None, h.ctx(timeout=timeout))


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "w"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_wait_for_a_condition(harness: Harness) -> None:
    harness.apply(pod("w1"))
    run_wait(harness, WaitFor(condition=WaitForCondition(name="Ready")), name="w1")
    assert harness.lines()[2].endswith(f"kubectl wait pods --for=condition=Ready w1 -n {harness.namespace} "
                                       "--timeout 10s")
    assert stdout_of(harness) == "pod/w1 condition met"


def test_wait_for_jsonpath_with_yaml_output(harness: Harness) -> None:
    harness.apply(pod("w2"))
    run_wait(harness, WaitFor(json_path=WaitForJsonPath(path="{.status.phase}", value="Running")), name="w2",
             format="yaml")
    assert "--for=jsonpath={.status.phase}=Running w2" in harness.log()
    assert stdout_of(harness).startswith("apiVersion: v1\nkind: Pod\n")


def test_wait_times_out_like_kubectl(harness: Harness) -> None:
    harness.apply(pod("w3"))
    with pytest.raises(OperationError, match="^exit status 1$"):
        run_wait(harness, WaitFor(condition=WaitForCondition(name="Ready", value="False")), name="w3", timeout=0.5)
    assert "=== STDERR\nerror: timed out waiting for the condition on pods/w3" in harness.log()


def test_wait_for_all_and_no_match(harness: Harness) -> None:
    with pytest.raises(OperationError):
        run_wait(harness, WaitFor(condition=WaitForCondition(name="Ready")), timeout=0.5)
    assert "--all" in harness.log() and "error: no matching resources found" in harness.log()


def test_wait_for_creation_and_deletion(harness: Harness) -> None:
    threading.Timer(0.3, lambda: harness.apply(pod("w4"))).start()
    run_wait(harness, WaitFor(creation={}), name="w4")
    assert stdout_of(harness) == "pod/w4 condition met"
    harness.client.patch({**pod("w4"), "metadata": {"name": "w4", "namespace": harness.namespace}},
                         {"metadata": {"finalizers": ["example.com/hold"]}})
    harness.client.delete("v1", "Pod", harness.namespace, "w4")
    threading.Timer(0.3, lambda: harness.client.patch(
        {**pod("w4"), "metadata": {"name": "w4", "namespace": harness.namespace}},
        {"metadata": {"finalizers": None}})).start()
    run_wait(harness, WaitFor(deletion={}), selector="app=w")
    assert not harness.exists("v1", "Pod", "w4")
    run_wait(harness, WaitFor(deletion={}), name="w4")  # already gone: nothing to wait for


@needs_kubectl
def test_native_wait_output_matches_kubectl(harness: Harness, embedded: EmbeddedCluster) -> None:
    harness.apply(pod("w5"))
    run_wait(harness, WaitFor(condition=WaitForCondition(name="Ready")), name="w5")
    expected = real_kubectl(embedded, "wait", "pods", "--for=condition=Ready", "w5", "-n", harness.namespace,
                            "--timeout", "10s")
    assert expected.stdout.strip() == stdout_of(harness)


def test_wait_needs_a_condition(harness: Harness) -> None:
    with pytest.raises(OperationError, match="either a deletion or a condition must be specified"):
        run_wait(harness, WaitFor(), name="x")


# ------------------------------------------------------------------------------------------- proxy


def test_proxy_command_and_error(harness: Harness) -> None:
    action = Proxy(api_version="v1", kind="Service", namespace=harness.namespace, name="svc", port="http",
                   path="/metrics")
    with pytest.raises(OperationError, match="exit status 1"):
        proxy.run(action, None, harness.ctx())
    assert harness.lines()[2].endswith(
        f"kubectl get --raw /api/v1/namespaces/{harness.namespace}/services/svc:http/proxy/metrics")
    assert "=== STDERR\nError from server (NotFound):" in harness.log()


def test_proxy_outputs_see_stdout(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded cluster has no service proxy: serve the path from another raw endpoint."""
    monkeypatch.setattr(proxy, "go_path_join", lambda *parts: "/version")
    from chainsaw_py.loading.model import Output

    action = Proxy(api_version="v1", kind="Service", name="svc", port="80",
                   outputs=[Output(name="version", value="(json_parse($stdout).major)")])
    assert proxy.run(action, None, harness.ctx()) == {"version": "1"}


def test_kubectl_module_finds_kubectl() -> None:
    assert (kubectl_module.kubectl_path() is None) == (shutil.which("kubectl") is None)
