"""Pods whose images map to local programs run them as processes (the process runtime)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster, Timing
from chainsaw_py.embedded.runtime.images import ImageProgram

PY = sys.executable
SERVER = textwrap.dedent("""
    import http.server, os, signal, sys
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (os.environ.get("GREETING", "hello") + " from " + os.environ["HOSTNAME"] + "\\n").encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args): pass
    signal.signal(signal.SIGTERM, lambda *_: (print("terminating", flush=True), sys.exit(0)))
    print("serving on", os.environ["POD_IP"], flush=True)
    http.server.ThreadingHTTPServer((os.environ["POD_IP"], 8080), Handler).serve_forever()
""")
PROGRAMS = [
    ImageProgram("example.com/server:*", (PY, "-u", "-c", SERVER)),
    ImageProgram("example.com/tool", (PY, "-u", "-c")),
]


@pytest.fixture(scope="module", params=["view", "rewrite"])
def cluster(request: pytest.FixtureRequest) -> Iterator[EmbeddedCluster]:
    """Both ways of giving containers their files: a mount namespace per container where the platform allows
    it, and the fallback that rewrites paths."""
    from chainsaw_py.embedded.runtime.containers import views_supported

    if request.param == "view" and not views_supported():
        pytest.skip("mount namespaces are not available here")
    with EmbeddedCluster(tls=False, images=PROGRAMS, timing=Timing(restart_backoff=0.3)) as running:
        assert running.processes is not None
        running.processes.views = request.param == "view"
        yield running


def _create(cluster: EmbeddedCluster, obj: dict[str, Any]) -> dict[str, Any]:
    from chainsaw_py.embedded.apiserver import WriteOptions

    rt = cluster.registry.by_api_version_kind(obj["apiVersion"], obj["kind"])
    assert rt is not None
    return cluster.api.create(rt, obj["metadata"].get("namespace", ""), obj, WriteOptions()).obj


def _pod(cluster: EmbeddedCluster, name: str, namespace: str = "default") -> dict[str, Any]:
    stored = cluster.store.get("", "pods", namespace, name)
    assert stored is not None
    return stored.obj


def _until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _server_pod(name: str, **extra: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "example.com/server:v1",
                 "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                 "ports": [{"name": "http", "containerPort": 8080}],
                 "readinessProbe": {"httpGet": {"port": "http", "path": "/"}, "periodSeconds": 1}}
    container.update(extra.pop("container", {}))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container], **extra}}


def _condition(pod: dict[str, Any], kind: str) -> str:
    return next((c["status"] for c in pod["status"].get("conditions") or [] if c["type"] == kind), "")


def _logs(cluster: EmbeddedCluster, name: str, container: str = "main") -> str:
    return "\n".join(line.text for line in cluster.logs.read(("default", name, container)))


def test_two_pods_on_the_same_port_run_side_by_side(cluster: EmbeddedCluster) -> None:
    import urllib.request

    for name in ("web-a", "web-b"):
        _create(cluster, _server_pod(name))
    ips = []
    for name in ("web-a", "web-b"):
        pod = _until(lambda name=name: (p := _pod(cluster, name)) and _condition(p, "Ready") == "True" and p)
        assert pod["status"]["phase"] == "Running"
        assert pod["status"]["containerStatuses"][0]["state"]["running"]
        ip = pod["status"]["podIP"]
        assert ip.startswith("127.") and not ip.startswith("127.0.")
        with urllib.request.urlopen(f"http://{ip}:8080/", timeout=5) as response:
            assert response.read().decode() == f"hello from {name}\n"
        ips.append(ip)
    assert ips[0] != ips[1]
    assert "serving on" in _logs(cluster, "web-a")


def test_env_value_from_and_env_from_and_volumes(cluster: EmbeddedCluster) -> None:
    _create(cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"},
                      "data": {"greeting": "hi", "app.yaml": "level: debug\n"}})
    _create(cluster, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "default"},
                      "data": {"password": base64.b64encode(b"s3cr3t").decode()}})
    script = textwrap.dedent("""
        import os, pathlib, sys
        print("args", sys.argv[1:])
        for key in ("GREETING", "PASSWORD", "CFG_greeting", "NS", "CPU", "KUBERNETES_SERVICE_HOST"):
            print(key, os.environ.get(key))
        print("config", open("/etc/app/app.yaml").read().strip() if os.path.exists("/etc/app/app.yaml")
              else pathlib.Path(sys.argv[1]).read_text().strip())
        print("ns-file", pathlib.Path(sys.argv[2]).read_text())
        print("podname", pathlib.Path(sys.argv[3]).read_text())
        print("kubeconfig", os.path.isfile(os.environ["KUBECONFIG"]))
        print("cwd", os.getcwd() == sys.argv[4])
    """)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "envs", "namespace": "default"},
           "spec": {"restartPolicy": "Never", "containers": [{
               "name": "main", "image": "example.com/tool", "args": [
                   script, "/etc/app/app.yaml", "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
                   "/etc/info/name", "/work"],
               "workingDir": "/work",
               "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "greeting"}}},
                       {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
                       {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                       {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu",
                                                                          "divisor": "1m"}}}],
               "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
               "resources": {"limits": {"cpu": "500m"}},
               "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "info", "mountPath": "/etc/info"},
                                {"name": "work", "mountPath": "/work"}]}],
               "volumes": [{"name": "config", "configMap": {"name": "settings"}},
                           {"name": "info", "downwardAPI": {"items": [{"path": "name",
                                                                        "fieldRef": {"fieldPath": "metadata.name"}}]}},
                           {"name": "work", "emptyDir": {}}]}}
    _create(cluster, pod)
    done = _until(lambda: _pod(cluster, "envs")["status"].get("phase") in ("Succeeded", "Failed") and _pod(cluster, "envs"))
    output = _logs(cluster, "envs")
    assert done["status"]["phase"] == "Succeeded", (output, done["status"])
    for expected in ("GREETING hi", "PASSWORD s3cr3t", "CFG_greeting hi", "NS default", "CPU 500",
                     "KUBERNETES_SERVICE_HOST 127.0.0.1", "config level: debug", "ns-file default",
                     "podname envs", "kubeconfig True", "cwd True"):
        assert expected in output
    terminated = done["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"


def test_missing_secret_is_a_create_container_config_error(cluster: EmbeddedCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nosecret", "namespace": "default"},
           "spec": {"containers": [{"name": "main", "image": "example.com/tool", "args": ["print(1)"],
                                    "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k"}}}]}]}}
    _create(cluster, pod)
    def waiting() -> dict[str, Any]:
        state = (_pod(cluster, "nosecret")["status"].get("containerStatuses") or [{}])[0].get("state", {})
        assert state.get("waiting", {}).get("reason") in (None, "ContainerCreating", "CreateContainerConfigError")
        return dict(state["waiting"]) if state.get("waiting", {}).get("reason") == "CreateContainerConfigError" \
            else {}

    waiting_state = _until(waiting)
    assert waiting_state == {"reason": "CreateContainerConfigError", "message": 'secret "absent" not found'}


def test_crash_loop_back_off_and_previous_logs(cluster: EmbeddedCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crasher", "namespace": "default"},
           "spec": {"containers": [{"name": "main", "image": "example.com/tool",
                                    "args": ["import sys; print('crashing'); sys.exit(4)"]}]}}
    _create(cluster, pod)
    status = _until(lambda: (s := (_pod(cluster, "crasher")["status"].get("containerStatuses") or [{}])[0])
                    .get("restartCount", 0) >= 2 and s)
    assert status["lastState"]["terminated"]["exitCode"] == 4
    assert status["lastState"]["terminated"]["reason"] == "Error"
    _until(lambda: (_pod(cluster, "crasher")["status"]["containerStatuses"][0]["state"].get("waiting") or {})
           .get("reason") == "CrashLoopBackOff")
    assert _pod(cluster, "crasher")["status"]["phase"] == "Running"
    previous = cluster.logs.read(("default", "crasher", "main"), previous=True)
    assert [line.text for line in previous] == ["crashing"]


def test_job_fails_from_the_exit_code(cluster: EmbeddedCluster) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "default"},
           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "main", "image": "example.com/tool", "args": ["import sys; sys.exit(1)"]}]}}}}
    _create(cluster, job)
    ok = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fine", "namespace": "default"},
          "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
              {"name": "main", "image": "example.com/tool", "args": ["print('done')"]}]}}}}
    _create(cluster, ok)

    def job_condition(name: str) -> str:
        stored = cluster.store.get("batch", "jobs", "default", name)
        conditions = (stored.obj.get("status") or {}).get("conditions") or [] if stored else []
        return next((c["type"] for c in conditions if c["type"] in ("Complete", "Failed") and c["status"] == "True"), "")

    assert _until(lambda: job_condition("once")) == "Failed"
    assert _until(lambda: job_condition("fine")) == "Complete"


def test_backoff_limit_per_index_gives_up_one_index_and_runs_the_others(cluster: EmbeddedCluster) -> None:
    """Index 1 always fails: it is tried 1 + backoffLimitPerIndex times, then listed in failedIndexes; the other
    indexes complete, and the Job fails with FailedIndexes once every index is settled."""
    code = "import os, sys; sys.exit(3 if os.environ['JOB_COMPLETION_INDEX'] == '1' else 0)"
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "per-index", "namespace": "default"},
           "spec": {"completionMode": "Indexed", "completions": 3, "parallelism": 3, "backoffLimitPerIndex": 1,
                    "template": {"spec": {"restartPolicy": "Never", "containers": [
                        {"name": "main", "image": "example.com/tool", "args": [code]}]}}}}
    _create(cluster, job)

    def finished() -> dict[str, Any] | None:
        stored = cluster.store.get("batch", "jobs", "default", "per-index")
        status = (stored.obj.get("status") or {}) if stored else {}
        done = any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in status.get("conditions", []))
        return status if done else None

    status = _until(finished, timeout=60)
    failed = next(c for c in status["conditions"] if c["type"] == "Failed")
    assert (failed["reason"], failed["message"]) == ("FailedIndexes", "Job has failed indexes")
    assert (status["completedIndexes"], status["failedIndexes"]) == ("0,2", "1")
    assert (status["succeeded"], status["failed"]) == (2, 2)
    pods = [item.obj for item in cluster.store.list("", "pods", "default")[0]
            if item.obj["metadata"].get("labels", {}).get("job-name") == "per-index"]
    tries = sorted(pod["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for pod in pods
                   if pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "1")
    assert tries == ["0", "1"]


def test_graceful_deletion_sends_sigterm(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    from chainsaw_py.embedded.apiserver import DeleteOptions

    marker = tmp_path / "terminated"
    script = (f"import signal, sys, time, pathlib\n"
              f"def stop(*_):\n    pathlib.Path({str(marker)!r}).write_text('SIGTERM')\n    sys.exit(0)\n"
              f"signal.signal(signal.SIGTERM, stop)\nprint('up', flush=True)\ntime.sleep(60)\n")
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stopper", "namespace": "default"},
                      "spec": {"containers": [{"name": "main", "image": "example.com/tool", "args": [script]}]}})
    _until(lambda: "up" in _logs(cluster, "stopper"))
    rt = cluster.registry.lookup("", "v1", "pods")
    assert rt is not None
    started = time.monotonic()
    cluster.api.delete(rt, "default", "stopper", DeleteOptions(grace_period=30))
    _until(lambda: cluster.store.get("", "pods", "default", "stopper") is None)
    assert time.monotonic() - started < 10   # gone when the process exits, not after the grace period
    assert marker.read_text() == "SIGTERM"


def test_unmapped_pods_keep_the_simulation(cluster: EmbeddedCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sim", "namespace": "default"},
           "spec": {"containers": [{"name": "a", "image": "example.com/server:v1"}, {"name": "b", "image": "nginx"}]}}
    _create(cluster, pod)
    running = _until(lambda: _pod(cluster, "sim")["status"].get("phase") == "Running" and _pod(cluster, "sim"))
    assert running["status"]["podIP"].startswith("10.244.")


def test_liveness_failure_restarts_the_container(cluster: EmbeddedCluster) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unhealthy", "namespace": "default"},
           "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
               "name": "main", "image": "example.com/tool", "args": ["import time; time.sleep(60)"],
               "livenessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 1, "failureThreshold": 1}}]}}
    _create(cluster, pod)
    _until(lambda: (_pod(cluster, "unhealthy")["status"].get("containerStatuses") or [{}])[0]
           .get("restartCount", 0) >= 1, timeout=20)


def test_kubectl_logs_on_a_mapped_pod() -> None:
    with EmbeddedCluster(images=PROGRAMS) as running:
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker", "namespace": "default"},
                          "spec": {"containers": [{"name": "main", "image": "example.com/tool", "args": [
                              "import time\nfor i in range(3): print('line', i, flush=True)\ntime.sleep(60)"]}]}})
        _until(lambda: "line 2" in _logs(running, "talker"))
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        tail = subprocess.run(kubectl + ["logs", "talker", "--tail", "1"], capture_output=True, text=True,
                              timeout=30, check=False)
        assert tail.stdout == "line 2\n", tail.stderr
        pods = json.loads(subprocess.run(kubectl + ["get", "pods", "-o", "json"], capture_output=True, text=True,
                                         timeout=30, check=True).stdout)
        assert pods["items"][0]["status"]["phase"] == "Running"


def test_kubectl_exec_proxy_and_follow_on_mapped_pods(tmp_path: Any) -> None:
    marker = tmp_path / "pids"
    recorder = ImageProgram("example.com/recorder", (PY, "-u", "-c", textwrap.dedent(f"""
        import os, time
        with open({str(marker)!r}, "a") as out:
            out.write(f"{{os.getpid()}}\\n")
        print("recorded", flush=True)
        time.sleep(120)
    """)))
    with EmbeddedCluster(images=[*PROGRAMS, recorder]) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        pod = _server_pod("web")
        pod["metadata"]["labels"] = {"app": "web"}
        pod["spec"]["containers"][0]["env"].append({"name": "GREETING", "value": "salut"})
        _create(running, pod)
        _create(running, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                          "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80,
                                                                          "targetPort": "http"}]}})
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "rec", "namespace": "default"},
                          "spec": {"containers": [{"name": "main", "image": "example.com/recorder"}]}})
        _until(lambda: _condition(_pod(running, "web"), "Ready") == "True")

        def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
            return subprocess.run(kubectl + list(args), input=stdin, capture_output=True, text=True, timeout=30,
                                  check=False)

        failed = run("exec", "web", "--", "sh", "-c", "echo $GREETING; echo oops >&2; exit 3")
        assert (failed.returncode, failed.stdout) == (3, "salut\n")
        assert "oops" in failed.stderr
        assert run("exec", "-i", "web", "-c", "main", "--", "cat", stdin="piped\n").stdout == "piped\n"
        assert run("get", "--raw", "/api/v1/namespaces/default/pods/web:8080/proxy/").stdout == "salut from web\n"
        assert run("get", "--raw", "/api/v1/namespaces/default/services/web:http/proxy/x").stdout == "salut from web\n"
        follow = subprocess.Popen(kubectl + ["logs", "-f", "rec"], stdout=subprocess.PIPE, text=True)
        assert follow.stdout is not None
        assert follow.stdout.readline() == "recorded\n"
        follow.kill()
        follow.wait()
        _until(lambda: marker.exists())
    pids = [int(line) for line in marker.read_text().split()]
    assert len(pids) == 1
    time.sleep(0.2)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


def test_exec_into_an_unmapped_pod_is_refused() -> None:
    with EmbeddedCluster(images=PROGRAMS) as running:
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sim", "namespace": "default"},
                          "spec": {"containers": [{"name": "a", "image": "nginx"}]}})
        _until(lambda: _pod(running, "sim")["status"].get("phase") == "Running")
        result = subprocess.run(["kubectl", "--kubeconfig", str(running.kubeconfig_path), "exec", "sim", "--", "true"],
                                capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode != 0


def test_plugin_maps_images(tmp_path: Any) -> None:
    plugin = tmp_path / "chainsaw_embedded.py"
    plugin.write_text(textwrap.dedent(f"""
        def register(registry):
            registry.map_image("example.com/from-plugin:*", [{PY!r}, "-u", "-c", "print('from plugin')"])
    """))
    with EmbeddedCluster(tls=False) as running:
        running.load_plugin(plugin)
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                          "spec": {"restartPolicy": "Never",
                                   "containers": [{"name": "main", "image": "example.com/from-plugin:2"}]}})
        _until(lambda: _pod(running, "p")["status"].get("phase") == "Succeeded")
        assert _logs(running, "p") == "from plugin"


def test_benchmark_smoke() -> None:
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "process_pods_bench.py"
    result = subprocess.run([sys.executable, str(script), "--single", "1", "--many", "3"], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "3 pods at once: all Running" in result.stdout and "processes left behind: 0" in result.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("websockets", ["false", "true"])
def test_spdy_exec_and_port_forward(websockets: str) -> None:
    import os
    import urllib.request

    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        _create(running, _server_pod("web"))
        _until(lambda: _condition(_pod(running, "web"), "Ready") == "True")
        # KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false: exec over SPDY, as kubectl 1.27-1.29 does.
        # KUBECTL_PORT_FORWARD_WEBSOCKETS: SPDY directly (false) or tunnelled in a WebSocket (true, 1.31+).
        env = dict(os.environ, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=websockets,
                   KUBECTL_PORT_FORWARD_WEBSOCKETS=websockets)
        result = subprocess.run(kubectl + ["exec", "-i", "web", "--", "sh", "-c", "cat; echo err >&2; exit 5"],
                                input="in\n", capture_output=True, text=True, timeout=30, env=env, check=False)
        assert (result.returncode, result.stdout) == (5, "in\n")
        assert result.stderr.startswith("err\n")
        port = _free_port()
        forward = subprocess.Popen(kubectl + ["port-forward", "pod/web", f"{port}:8080"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert forward.stdout is not None
            assert "Forwarding from 127.0.0.1" in forward.stdout.readline()
            for _ in range(2):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    assert response.read() == b"hello from web\n"
        finally:
            forward.terminate()
            forward.communicate(timeout=10)


def test_lifecycle_hooks_run(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    from chainsaw_py.embedded.apiserver import DeleteOptions

    started, stopping = tmp_path / "post-start", tmp_path / "pre-stop"
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hooked", "namespace": "default"},
                      "spec": {"terminationGracePeriodSeconds": 5, "containers": [{
                          "name": "main", "image": "example.com/tool", "args": ["import time; time.sleep(60)"],
                          "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", f"echo up > {started}"]}},
                                        "preStop": {"exec": {"command": ["sh", "-c", f"echo down > {stopping}"]}}}}]}})
    _until(lambda: _pod(cluster, "hooked")["status"].get("phase") == "Running")
    assert started.read_text() == "up\n"
    rt = cluster.registry.lookup("", "v1", "pods")
    assert rt is not None
    cluster.api.delete(rt, "default", "hooked", DeleteOptions(grace_period=5))
    _until(lambda: cluster.store.get("", "pods", "default", "hooked") is None)
    assert stopping.read_text() == "down\n"


def test_immediate_exit_kills_every_container(tmp_path: Path) -> None:
    """A second Ctrl-C exits at once (no graceful stop): what it abandons includes the pods' process groups."""
    from chainsaw_py.util.leftovers import LEFTOVERS

    marker = tmp_path / "pid"
    program = ImageProgram("example.com/pid", (PY, "-c", f"import os, time; open({str(marker)!r}, 'w').write("
                                                         f"str(os.getpid())); time.sleep(60)"))
    with EmbeddedCluster(tls=False, images=[program]) as running:
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                          "spec": {"containers": [{"name": "main", "image": "example.com/pid"}]}})
        pid = int(_until(lambda: marker.exists() and marker.read_text()))
        LEFTOVERS.abandon(budget=1.0)
        time.sleep(0.2)
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_kubectl_cp_out_of_a_mounted_volume(tmp_path: Path) -> None:
    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        _create(running, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
                          "data": {"a.txt": "content A\n"}})
        pod = _server_pod("web")
        pod["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "cfg"}}]
        pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/cfg"}]
        _create(running, pod)
        _until(lambda: _condition(_pod(running, "web"), "Ready") == "True")
        for source, target in (("web:/etc/cfg/a.txt", tmp_path / "a.txt"), ("web:/etc/cfg", tmp_path / "dir")):
            result = subprocess.run(kubectl + ["cp", source, str(target)], capture_output=True, text=True, timeout=30,
                                    check=False)
            assert result.returncode == 0, result.stderr
        assert (tmp_path / "a.txt").read_text() == "content A\n"
        assert (tmp_path / "dir" / "a.txt").read_text() == "content A\n"


def test_an_empty_dir_at_tmp_leaves_the_runtime_paths_alone(cluster: EmbeddedCluster) -> None:
    """Operators often mount an emptyDir at /tmp: the pod's own KUBECONFIG (under the host's temporary folder)
    must not be rewritten into it, while /tmp paths of the container's arguments are."""
    script = ("import os, sys; print('kubeconfig', os.path.isfile(os.environ['KUBECONFIG'])); "
              "open(sys.argv[1], 'w').write('x')")
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tmpdir", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "volumes": [{"name": "scratch", "emptyDir": {}}],
                               "containers": [{"name": "main", "image": "example.com/tool",
                                               "args": [script, "/tmp/out.txt"],
                                               "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}]}]}})
    done = _until(lambda: _pod(cluster, "tmpdir")["status"].get("phase") in ("Succeeded", "Failed")
                  and _pod(cluster, "tmpdir"))
    output = _logs(cluster, "tmpdir")
    assert done["status"]["phase"] == "Succeeded", output
    assert "kubeconfig True" in output
    assert cluster.processes is not None
    assert [path.read_text() for path in cluster.processes.folder.glob("default_tmpdir_*/volumes/scratch/out.txt")] \
        == ["x"]


def test_cluster_serve_maps_images(tmp_path: Path) -> None:
    import os
    import signal

    kubeconfig = tmp_path / "kubeconfig"
    serve = subprocess.Popen([sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--kubeconfig", str(kubeconfig),
                              "--map-image", "busybox=sh -c 'echo from busybox; sleep 60'"],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        assert serve.stdout is not None and "ready" in serve.stdout.readline()
        kubectl = ["kubectl", "--kubeconfig", str(kubeconfig)]
        subprocess.run(kubectl + ["run", "bb", "--image=busybox"], check=True, capture_output=True, timeout=30)
        _until(lambda: subprocess.run(kubectl + ["logs", "bb"], capture_output=True, text=True, timeout=30,
                                      check=False).stdout == "from busybox\n")
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)
    assert serve.returncode == 0


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_exec_with_a_terminal(websockets: str) -> None:
    import fcntl
    import os
    import pty
    import struct
    import termios

    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        _create(running, _server_pod("web"))
        _until(lambda: _condition(_pod(running, "web"), "Ready") == "True")
        env = dict(os.environ, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=websockets)
        pid, terminal = pty.fork()
        if pid == 0:   # the child: kubectl on a terminal of 30 rows and 100 columns
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
                os.execvpe("kubectl", kubectl + ["exec", "-it", "web", "--", "sh", "-c",
                                                 "tty >/dev/null && echo IS-TTY; stty size; read x; echo got $x"], env)
            finally:
                os._exit(127)
        output = b""
        deadline = time.monotonic() + 20
        sent = False
        import select

        while time.monotonic() < deadline:
            if not select.select([terminal], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(terminal, 1000)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if b"IS-TTY" in output and not sent:
                os.write(terminal, b"hello\n")
                sent = True
        try:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, 9)
            status: int | None = os.waitpid(pid, 0)[1]
        except ChildProcessError:   # already reaped: SIGCHLD is ignored in pytest-xdist workers
            status = None
        os.close(terminal)
    assert status in (0, None), output
    assert b"IS-TTY\r\n" in output and b"got hello" in output


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_kubectl_attach_streams_the_output(websockets: str) -> None:
    import os

    ticker = "import time\nfor i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.1)"
    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ticker", "namespace": "default"},
                          "spec": {"containers": [{"name": "main", "image": "example.com/tool", "args": [ticker]}]}})
        _until(lambda: "tick 1" in _logs(running, "ticker"))
        attach = subprocess.Popen(kubectl + ["attach", "ticker"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=dict(os.environ, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=websockets))
        try:
            assert attach.stdout is not None
            first = attach.stdout.readline()
            second = attach.stdout.readline()
        finally:
            attach.terminate()
            attach.communicate(timeout=10)
    assert first.startswith("tick ") and second.startswith("tick ")
    assert int(second.split()[1]) == int(first.split()[1]) + 1


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_kubectl_run_attaches_stdin(websockets: str) -> None:
    """``kubectl run -i`` makes a ``stdin: true, stdinOnce: true`` pod and attaches to it with stdin: the input
    reaches the program, whose end of input comes when the client's does."""
    import os

    echo = "import sys\nfor line in sys.stdin:\n    print('got', line.strip(), flush=True)\nprint('eof', flush=True)"
    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        run = subprocess.run(kubectl + ["run", "echo", "-i", "--restart=Never", "--image=example.com/tool", "--",
                                        echo], input="one\ntwo\n", capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=websockets), check=False)
        assert run.returncode == 0, run.stderr
        _until(lambda: _pod(running, "echo")["status"].get("phase") == "Succeeded")
        assert _logs(running, "echo", "echo").splitlines() == ["got one", "got two", "eof"]
        assert run.stdout.endswith("got one\ngot two\neof\n"), run.stdout


@pytest.mark.parametrize("websockets", ["true", "false"])
def test_attach_streams_output_as_it_comes_and_terminals(websockets: str) -> None:
    """A prompt without a newline reaches the attached client before its answer is typed; a ``tty: true``
    container runs on a terminal."""
    import os

    asker = ("import os, sys\nprint('tty', os.isatty(0), flush=True)\nfor line in sys.stdin:\n"
             "    sys.stdout.write('hello ' + line.strip() + '\\n> '); sys.stdout.flush()")
    with EmbeddedCluster(images=PROGRAMS) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        for name, tty in (("piped", False), ("terminal", True)):
            _create(running, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                              "spec": {"containers": [{"name": "main", "image": "example.com/tool", "args": [asker],
                                                       "stdin": True, "tty": tty}]}})
        for name in ("piped", "terminal"):
            _until(lambda name=name: "tty" in _logs(running, name))
            attach = subprocess.Popen(kubectl + ["attach", "-i", name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL,
                                      env=dict(os.environ, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=websockets))
            received = bytearray()

            def read(stream: Any = attach.stdout, into: bytearray = received) -> None:
                while chunk := stream.read1(1024):
                    into.extend(chunk)

            threading.Thread(target=read, daemon=True).start()
            try:
                assert attach.stdin is not None
                time.sleep(0.5)
                attach.stdin.write(b"bob\n")
                attach.stdin.flush()
                _until(lambda seen=received: b"hello bob\n> " in seen.replace(b"\r\n", b"\n"))
            finally:
                attach.kill()
                attach.wait()
        assert _logs(running, "piped").splitlines()[0] == "tty False"
        assert _logs(running, "terminal").splitlines()[0] == "tty True"


def test_kubectl_debug_starts_an_ephemeral_container() -> None:
    debug = ImageProgram("example.com/debug", (PY, "-c", "print('no command given')"))
    with EmbeddedCluster(images=[*PROGRAMS, debug]) as running:
        kubectl = ["kubectl", "--kubeconfig", str(running.kubeconfig_path)]
        _create(running, _server_pod("web"))
        _until(lambda: _condition(_pod(running, "web"), "Ready") == "True")

        def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
            return subprocess.run(kubectl + list(args), input=stdin, capture_output=True, text=True, timeout=60,
                                  check=False)

        made = run("debug", "web", "--image=example.com/debug", "-c", "dbg", "--", "sh", "-c", "echo debug $HOSTNAME")
        assert made.returncode == 0, made.stderr
        status = _until(lambda: [s for s in _pod(running, "web")["status"].get("ephemeralContainerStatuses") or []
                                 if (s.get("state") or {}).get("terminated")])
        assert status[0]["name"] == "dbg" and status[0]["state"]["terminated"]["exitCode"] == 0
        logs = run("logs", "web", "-c", "dbg")
        assert logs.stdout == "debug web\n", logs.stderr
        talk = run("debug", "web", "-i", "--image=example.com/debug", "-c", "reader", "--", "sh", "-c",
                   "read line; echo got $line", stdin="hello\n")
        assert talk.returncode == 0 and "got hello" in talk.stdout, talk.stderr
        run("debug", "web", "--image=unmapped:1", "-c", "nope")
        waiting = _until(lambda: [s for s in _pod(running, "web")["status"].get("ephemeralContainerStatuses") or []
                                  if s["name"] == "nope"])
        assert waiting[0]["state"]["waiting"]["message"] == 'image "unmapped:1" is not mapped to a local program'
        assert _pod(running, "web")["status"]["phase"] == "Running"


def test_exec_into_a_mapped_pod_goes_through_connect_admission(cluster: EmbeddedCluster) -> None:
    """A webhook on CONNECT pods/exec refuses the exec before the upgrade, as for a simulated pod."""
    import http.client
    import urllib.parse

    from tests.embedded.webhook_server import WebhookServer, deny

    seen: list[dict[str, Any]] = []

    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        seen.append(review["request"])
        return deny(review, "no exec here")

    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "guarded", "namespace": "default"},
                      "spec": {"containers": [{"name": "main", "image": "example.com/server:1"}]}})
    _until(lambda: (cluster.store.get("", "pods", "default", "guarded").obj.get("status") or {})
           .get("phase") == "Running")
    with WebhookServer(respond) as server:
        _create(cluster, {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                          "metadata": {"name": "no-exec"},
                          "webhooks": [{"name": "exec.example.com", "sideEffects": "None",
                                        "admissionReviewVersions": ["v1"],
                                        "clientConfig": {"url": server.url("/"), "caBundle": server.ca_bundle},
                                        "rules": [{"operations": ["CONNECT"], "apiGroups": [""],
                                                   "apiVersions": ["v1"], "resources": ["pods/exec"]}]}]})
        try:
            url = urllib.parse.urlsplit(cluster.server_url)
            connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=15)
            connection.request("GET", "/api/v1/namespaces/default/pods/guarded/exec?command=true&stdout=true",
                               headers={"Authorization": f"Bearer {cluster.token}", "Connection": "Upgrade",
                                        "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
                                        "Sec-WebSocket-Protocol": "v4.channel.k8s.io"})
            response = connection.getresponse()
            body = json.loads(response.read())
            connection.close()
        finally:
            rt = cluster.registry.lookup("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations")
            assert rt is not None
            from chainsaw_py.embedded.writes import DeleteOptions

            cluster.api.delete(rt, "", "no-exec", DeleteOptions())
    assert response.status == 403, body
    assert "no exec here" in body["message"]
    assert seen and seen[0]["operation"] == "CONNECT" and seen[0]["object"]["command"] == ["true"]


def test_services_are_reachable_by_address_and_by_name(cluster: EmbeddedCluster) -> None:
    """A Service of process pods gets a loopback address forwarding to its ready pods: ``<SVC>_SERVICE_HOST``
    gives it, and (with a mount namespace) ``/etc/hosts`` resolves the Service's names to it."""
    pod = _server_pod("routed")
    pod["metadata"]["labels"] = {"app": "routed"}
    pod["spec"]["containers"][0]["env"].append({"name": "GREETING", "value": "routed"})
    _create(cluster, pod)
    _create(cluster, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "routed", "namespace": "default"},
                      "spec": {"selector": {"app": "routed"}, "ports": [{"name": "http", "port": 8081,
                                                                         "targetPort": "http"}]}})
    _until(lambda: _condition(_pod(cluster, "routed"), "Ready") == "True")
    client = textwrap.dedent("""
        import os, socket, sys, time, urllib.request
        host = os.environ["ROUTED_SERVICE_HOST"]
        print("host", host.startswith("127."), os.environ["ROUTED_SERVICE_PORT"])
        print("by address", urllib.request.urlopen(f"http://{host}:8081/", timeout=5).read().decode().strip())
        if sys.argv[1] == "True":
            for name in ("routed", "routed.default", "routed.default.svc.cluster.local"):
                print(name, socket.gethostbyname(name) == host)
            print("by name", urllib.request.urlopen("http://routed:8081/", timeout=5).read().decode().strip())
    """)
    assert cluster.processes is not None
    views = cluster.processes.views_available()
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "example.com/tool",
                                                                         "args": [client, str(views)]}]}})
    done = _until(lambda: _pod(cluster, "client")["status"].get("phase") in ("Succeeded", "Failed")
                  and _pod(cluster, "client"))
    output = _logs(cluster, "client")
    assert done["status"]["phase"] == "Succeeded", output
    expected = ["host True 8081", "by address routed from routed"]
    if views:
        expected += ["routed True", "routed.default True", "routed.default.svc.cluster.local True",
                     "by name routed from routed"]
    assert output.splitlines() == expected


def test_host_path_directory_or_create(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    made = tmp_path / "made" / "here"
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hostpath", "namespace": "default"},
                      "spec": {"restartPolicy": "Never",
                               "volumes": [{"name": "data", "hostPath": {"path": str(made), "type": "DirectoryOrCreate"}}],
                               "containers": [{"name": "main", "image": "example.com/tool",
                                               "args": ["import sys; open(sys.argv[1], 'w').write('x')", "/data/x"],
                                               "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}})
    done = _until(lambda: _pod(cluster, "hostpath")["status"].get("phase") in ("Succeeded", "Failed")
                  and _pod(cluster, "hostpath"))
    assert done["status"]["phase"] == "Succeeded", _logs(cluster, "hostpath")
    assert (made / "x").read_text() == "x"


def test_the_view_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainsaw_py.embedded.logs import LogStore
    from chainsaw_py.embedded.runtime.images import ImageMap
    from chainsaw_py.embedded.runtime.pods import ProcessRuntime, RuntimeServices

    services = RuntimeServices(lambda *_: None, lambda _ns: [], lambda _pod: None, lambda: ("127.0.0.1", 1),
                               lambda: "")
    monkeypatch.setenv("CHAINSAW_PY_POD_VIEW", "0")
    runtime = ProcessRuntime(ImageMap(), LogStore(), services)
    try:
        assert runtime.views_available() is False
    finally:
        runtime.stop_all()


def test_a_program_relative_to_the_image_folder(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    script = tmp_path / "hello.sh"
    script.write_text("#!/bin/sh\necho hello from $(basename $(pwd))\n")
    script.chmod(0o755)
    cluster.map_image(ImageProgram(f"example.com/relative-{tmp_path.name}", ("./hello.sh",), working_dir=str(tmp_path)))
    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "relative", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "containers": [
                          {"name": "main", "image": f"example.com/relative-{tmp_path.name}"}]}})
    done = _until(lambda: _pod(cluster, "relative")["status"].get("phase") in ("Succeeded", "Failed")
                  and _pod(cluster, "relative"))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert _logs(cluster, "relative") == f"hello from {tmp_path.name}"


ECHO = textwrap.dedent("""
    import os, socket, threading
    def serve(listener):
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()
    for port in (7001, 7002):
        listener = socket.create_server((os.environ["POD_IP"], port))
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
    print("echoing", flush=True)
    threading.Event().wait()
""")


def test_websocket_port_forward_without_spdy(cluster: EmbeddedCluster) -> None:
    """The kubelet's own WebSocket port-forward (``v4.channel.k8s.io``), which kube-apiserver relays when the
    client does not tunnel SPDY: what the ``kubernetes`` Python client's ``portforward`` speaks. Each port
    is announced on its data and error channels; a port nothing listens on gets its error, the others go on."""
    from kubernetes import client, config
    from kubernetes.stream import portforward

    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "echo", "namespace": "default"},
                      "spec": {"containers": [{
                          "name": "main", "image": "example.com/tool", "args": [ECHO],
                          "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                          "startupProbe": {"tcpSocket": {"port": 7002}, "periodSeconds": 1}}]}})
    _until(lambda: _condition(_pod(cluster, "echo"), "Ready") == "True")
    core = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig_path)))
    forward = portforward(core.connect_get_namespaced_pod_portforward, "echo", "default", ports="7001,7002,7003")
    try:
        refused = forward.socket(7003)
        refused.settimeout(10)
        assert refused.recv(1024) == b""
        assert "7003" in (forward.error(7003) or "")
        for port in (7001, 7002):
            sock = forward.socket(port)
            sock.settimeout(10)
            sock.sendall(f"to {port}".encode())
            assert _until(lambda s=sock: s.recv(1024)) == f"to {port}".encode()
        assert forward.connected and forward.error(7001) is None
    finally:
        forward.close()
    _until(lambda: not forward.connected)


def test_websocket_port_forward_refusals(cluster: EmbeddedCluster) -> None:
    """No ``ports`` is the kubelet's 400; an offered subprotocol the kubelet does not know is refused."""
    import http.client

    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "idle", "namespace": "default"},
                      "spec": {"containers": [{"name": "main", "image": "example.com/tool",
                                               "args": ["import time; time.sleep(600)"]}]}})
    _until(lambda: _pod(cluster, "idle")["status"].get("phase") == "Running")
    host, port = cluster.server_url.removeprefix("http://").split(":")
    upgrade = {"Authorization": f"Bearer {cluster.token}", "Connection": "Upgrade", "Upgrade": "websocket",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    answers = []
    for query, protocol in (("", "v4.channel.k8s.io"), ("?ports=0", "v4.channel.k8s.io"),
                            ("?ports=80", "v5.channel.k8s.io")):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", f"/api/v1/namespaces/default/pods/idle/portforward{query}",
                           headers={**upgrade, "Sec-WebSocket-Protocol": protocol})
        answer = connection.getresponse()
        answers.append((answer.status, answer.read().decode()))
        connection.close()
    assert answers == [(400, 'query parameter "port" is required'), (400, 'port "0" must be > 0'), (403, "")]


def test_websocket_port_forward_without_a_subprotocol_is_the_binary_form(cluster: EmbeddedCluster) -> None:
    """No ``Sec-WebSocket-Protocol`` offered (kr8s): the kubelet's binary channel form, no protocol answered."""
    import websocket

    _create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "default"},
                      "spec": {"containers": [{"name": "main", "image": "example.com/tool",
                                               "args": ["import time; time.sleep(600)"]}]}})
    _until(lambda: _pod(cluster, "bare")["status"].get("phase") == "Running")
    url = cluster.server_url.replace("http://", "ws://") + "/api/v1/namespaces/default/pods/bare/portforward?ports=9"
    connection = websocket.create_connection(url, header=[f"Authorization: Bearer {cluster.token}"], timeout=10)
    try:
        assert connection.getsubprotocol() is None
        frames = [connection.recv_data()[1] for _ in range(2)]
        assert frames == [b"\x00\x09\x00", b"\x01\x09\x00"]
        error = connection.recv_data()[1]   # nothing listens on port 9 of the pod
        assert error[:1] == b"\x01" and b"error forwarding port 9" in error
    finally:
        connection.close()
