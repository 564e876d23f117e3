"""A network namespace per pod that runs as processes: programs binding 0.0.0.0 on the same port do not clash,
each pod is reached by its own IP, Service, proxy and port-forward, a pod reaches the API server, the local S3,
Services and other pods, and nothing outlives its pod or the cluster."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime.images import ImageProgram
from chainsaw_py.embedded.runtime.netns import networks_supported
from chainsaw_py.embedded.runtime.pods import ProcessRuntime
from tests.embedded.process_pods import (
    cluster_fixture,
    create,
    delete_pod,
    finished,
    get_pod,
    logs,
    process_cluster,
    until,
)

pytestmark = pytest.mark.skipif(not networks_supported(), reason="network namespaces cannot be made here (not root)")

PY = sys.executable
SERVER = textwrap.dedent("""
    import http.server, os
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ("hello from " + os.environ["HOSTNAME"] + "\\n").encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args): pass
    print("serving", flush=True)
    http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
""")
CLIENT = textwrap.dedent("""
    import json, os, ssl, sys, urllib.error, urllib.request
    targets = json.loads(sys.argv[1])
    insecure = ssl.create_default_context(); insecure.check_hostname = False; insecure.verify_mode = ssl.CERT_NONE
    server = json.load(open(os.environ["KUBECONFIG"]))["clusters"][0]["cluster"]["server"]
    assert server.endswith(f"//{os.environ['KUBERNETES_SERVICE_HOST']}:{os.environ['KUBERNETES_SERVICE_PORT']}")
    print("api", json.load(urllib.request.urlopen(server + "/version", timeout=10, context=insecure))["major"])
    for name, url in targets.items():
        try:
            print(name, urllib.request.urlopen(url, timeout=10).read().decode().strip())
        except urllib.error.HTTPError as err:   # an answer all the same (moto refuses anonymous requests)
            print(name, "status", err.code)
    print("netns", os.readlink("/proc/self/ns/net"))
""")
PROGRAMS = [ImageProgram("example.com/server:*", (PY, "-u", "-c", SERVER)),
            ImageProgram("example.com/tool", (PY, "-u", "-c"))]


def _ready(cluster: EmbeddedCluster, name: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        pod = get_pod(cluster, name)
        conditions = (pod or {}).get("status", {}).get("conditions") or []
        return pod if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions) else None
    return until(check)


def _server(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                            "labels": {"app": "web", "pod": name}},
            "spec": {"containers": [{"name": "main", "image": "example.com/server:v1",
                                     "ports": [{"name": "http", "containerPort": 8080}],
                                     "readinessProbe": {"httpGet": {"port": "http"}, "periodSeconds": 1}}]}}


def _service(name: str, selector: dict[str, str], port: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": selector, "ports": [{"port": port, "targetPort": "http"}]}}


def _get(cluster: EmbeddedCluster, path: str) -> str:
    request = urllib.request.Request(cluster.server_url + path, headers={"Authorization": f"Bearer {cluster.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode().strip())


def _network_descriptors() -> set[str]:
    """The network namespaces this process holds descriptors of, other than its own."""
    own = os.readlink("/proc/thread-self/ns/net")
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("net:[") and target != own:
            found.add(target)
    return found


cluster = cluster_fixture(PROGRAMS, needs=lambda running: bool(running.processes
                                                                and running.processes.networks_available()),
                          tls=False, s3=True)


def test_two_pods_binding_every_address_on_one_port_are_each_reachable(cluster: EmbeddedCluster) -> None:
    for name in ("web-a", "web-b"):
        create(cluster, _server(name))
        create(cluster, _service(name, {"pod": name}, 80))
    for name in ("web-a", "web-b"):
        pod = _ready(cluster, name)   # the readiness probe (httpGet) reached it in its namespace
        ip = pod["status"]["podIP"]
        with urllib.request.urlopen(f"http://{ip}:8080/", timeout=10) as response:   # by pod IP, from the host
            assert response.read() == f"hello from {name}\n".encode()
        assert _get(cluster, f"/api/v1/namespaces/default/pods/{name}:8080/proxy/") == f"hello from {name}"
        assert _get(cluster, f"/api/v1/namespaces/default/services/{name}:80/proxy/") == f"hello from {name}"
        assert cluster.processes is not None
        address = cluster.processes.router.address("default", name)
        assert address is not None
        with urllib.request.urlopen(f"http://{address}:80/", timeout=10) as response:   # the userspace kube-proxy
            assert response.read() == f"hello from {name}\n".encode()
        worker = cluster.processes.worker("default", name)
        assert worker is not None and worker.network is not None
        process = worker.container("main")
        assert process is not None
        code, output = process.run_command(   # a command exec'd in the container shares the pod's network
            [PY, "-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/').read())"], 10)
        assert (code, output.strip()) == (0, repr(f"hello from {name}\n".encode()))


def test_a_service_port_does_not_take_the_port_of_the_pods_it_selects(cluster: EmbeddedCluster) -> None:
    """Pods that declare no port and have no probe, behind a Service whose port is its target port: the Service's
    forwarder in their own namespaces would hold the port their programs bind on every address."""
    create(cluster, _service("bare", {"app": "bare"}, 8090) | {"spec": {"selector": {"app": "bare"},
                                                                         "ports": [{"port": 8090}]}})
    for name in ("bare-a", "bare-b"):
        create(cluster, {"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": name, "namespace": "default", "labels": {"app": "bare"}},
                          "spec": {"containers": [{"name": "main", "image": "example.com/server:v1",
                                                   "env": [{"name": "PORT", "value": "8090"}]}]}})
    for name in ("bare-a", "bare-b"):
        until(lambda name=name: "serving" in logs(cluster, name))
        answer = until(lambda name=name: _try(lambda: _get(cluster, f"/api/v1/namespaces/default/pods/{name}:8090"
                                                                     "/proxy/")))
        assert answer == f"hello from {name}"
        pod = get_pod(cluster, name)
        assert pod is not None and pod["status"]["containerStatuses"][0]["restartCount"] == 0


def _try(call: Callable[[], str]) -> str:
    try:
        return call()
    except OSError:
        return ""


def test_a_pod_reaches_the_api_server_the_local_s3_services_and_other_pods(cluster: EmbeddedCluster) -> None:
    create(cluster, _server("peer"))
    create(cluster, _service("peer", {"pod": "peer"}, 8081))
    peer = _ready(cluster, "peer")
    assert cluster.s3 is not None and cluster.processes is not None
    targets = {"service": "http://peer:8081/" if cluster.processes.views_available() else
               f"http://{cluster.processes.router.address('default', 'peer')}:8081/",
               "pod": f"http://{peer['status']['podIP']}:8080/",
               "s3": cluster.s3.endpoint_url + "/"}
    client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "default"},
              "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "example.com/tool",
                                                                 "args": [CLIENT, json.dumps(targets)]}]}}
    create(cluster, client)
    done = finished(cluster, "client")
    output = logs(cluster, "client")
    assert done == "Succeeded", output
    lines = dict(line.split(" ", 1) for line in output.splitlines())
    assert lines["api"] == "1" and lines["service"] == "hello from peer" and lines["pod"] == "hello from peer"
    assert lines["s3"].startswith("status ") or lines["s3"].startswith("<?xml")
    assert lines["netns"] != os.readlink("/proc/self/ns/net")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_port_forward_reaches_the_pod_in_its_namespace() -> None:
    with EmbeddedCluster(images=PROGRAMS) as running:   # kubectl sends its token over HTTPS only
        create(running, _server("forwarded"))
        _ready(running, "forwarded")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        forward = subprocess.Popen(["kubectl", "--kubeconfig", str(running.kubeconfig_path), "port-forward",
                                    "pod/forwarded", f"{port}:8080"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            assert forward.stdout is not None
            assert "Forwarding from 127.0.0.1" in forward.stdout.readline()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                assert response.read() == b"hello from forwarded\n"
        finally:
            forward.terminate()
            forward.communicate(timeout=10)


def test_a_pods_network_goes_with_it() -> None:
    before_threads, before = threading.active_count(), _network_descriptors()   # other clusters' pods
    interfaces, settings = socket.if_nameindex(), _host_settings()
    with EmbeddedCluster(tls=False, images=PROGRAMS) as running:
        assert running.processes is not None
        node = 1 if running.processes.routes_available() else 0   # the node network, held until the cluster stops
        create(running, _server("short"))
        pod = _ready(running, "short")
        assert len(_network_descriptors() - before) == 1 + node
        assert socket.if_nameindex() == interfaces   # the veth pairs are in the cluster's namespaces only
        assert _host_settings() == settings           # and so are the routes and sysctls
        ip = pod["status"]["podIP"]
        urllib.request.urlopen(f"http://{ip}:8080/", timeout=10).close()
        delete_pod(running, "short")
        until(lambda: get_pod(running, "short") is None)
        until(lambda: len(_network_descriptors() - before) == node)
        with pytest.raises(OSError):
            socket.create_connection((ip, 8080), timeout=2).close()   # the host's listener for it is gone too
        with pytest.raises(OSError):
            running.processes.dial(ip, 8080, 2.0).close()
        create(running, _server("long"))
        _ready(running, "long")
        assert len(_network_descriptors() - before) == 1 + node
    assert not _network_descriptors() - before
    assert socket.if_nameindex() == interfaces and _host_settings() == settings
    until(lambda: threading.active_count() <= before_threads + 2, timeout=10)


def test_the_switch_keeps_pods_in_the_hosts_network(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainsaw_py.embedded.logs import LogStore
    from chainsaw_py.embedded.runtime.images import ImageMap
    from chainsaw_py.embedded.runtime.pods import RuntimeServices

    monkeypatch.setenv("CHAINSAW_PY_POD_NETNS", "0")
    services = RuntimeServices(lambda *_: None, lambda _ns: [], lambda _pod: None, lambda: ("127.0.0.1", 1),
                               lambda: "")
    runtime = ProcessRuntime(ImageMap(), LogStore(), services)
    try:
        assert runtime.networks_available() is False
    finally:
        runtime.stop_all()


def test_known_ports_and_the_listener_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from chainsaw_py.embedded.runtime.pods import MAX_LISTENERS_PER_POD, listener_budget, listening_ports

    pod = {"spec": {"initContainers": [{"ports": [{"containerPort": 9000}]}],
                    "containers": [{"ports": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}],
                                    "readinessProbe": {"httpGet": {"port": 8081}},
                                    "livenessProbe": {"tcpSocket": {"port": "http"}},
                                    "startupProbe": {"httpGet": {"port": 7000, "host": "10.0.0.1"}},
                                    "lifecycle": {"preStop": {"httpGet": {"port": "8082"}}}}]}}
    assert listening_ports(pod) == {9000, 8080, 8081, 8082}
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (1024, 4096))
    assert listener_budget(50) == 8 and listener_budget(1) == 256
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (1 << 20, 1 << 20))
    assert listener_budget(50) == MAX_LISTENERS_PER_POD


def _query(name: str, qtype: int) -> bytes:
    import struct

    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split("."))
    return struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def test_cluster_names_answer_a_srv_and_nxdomain() -> None:
    import struct

    from chainsaw_py.embedded.runtime.dns import ClusterNames, answer, resolv_conf

    services = [{"metadata": {"name": "web", "namespace": "ns"},
                 "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
                {"metadata": {"name": "peers", "namespace": "ns"},
                 "spec": {"clusterIP": "None", "selector": {"app": "db"},
                          "ports": [{"name": "db", "port": 5432, "targetPort": "db"}]}}]
    db = {"metadata": {"name": "db-0", "labels": {"app": "db"}},
          "spec": {"hostname": "db-0", "subdomain": "peers", "containers": [{"ports": [{"name": "db",
                                                                                        "containerPort": 15432}]}]}}
    pods = [("127.3.0.1", db, True), ("127.3.0.2", {"metadata": {"name": "x", "labels": {"app": "db"}}}, False)]
    names = ClusterNames(lambda ns: services if ns == "ns" else [], lambda _ns, name: "127.9.0.1" if name == "web"
                         else None, lambda ns: pods if ns == "ns" else [])

    def records(name: str, qtype: int) -> tuple[int, int, bytes]:
        response = answer(_query(name, qtype), names)
        assert response is not None
        ident, flags, _questions, count = struct.unpack("!HHHH", response[:8])
        assert ident == 7 and flags & 0x8000
        return flags & 0xF, count, response

    rcode, count, response = records("web.ns.svc.cluster.local", 1)
    assert (rcode, count) == (0, 1) and response.endswith(socket.inet_aton("127.9.0.1"))
    assert records("peers.ns.svc.cluster.local", 1)[:2] == (0, 1)           # ready members only
    rcode, count, response = records("db-0.peers.ns.svc.cluster.local", 1)
    assert (rcode, count) == (0, 1) and response.endswith(socket.inet_aton("127.3.0.1"))
    rcode, count, response = records("_db._tcp.peers.ns.svc.cluster.local", 33)
    assert (rcode, count) == (0, 1) and struct.pack("!HHH", 0, 100, 15432) in response and b"\x04db-0\x05peers" in response
    rcode, count, response = records("_http._tcp.web.ns.svc.cluster.local", 33)
    assert (rcode, count) == (0, 1) and struct.pack("!HHH", 0, 100, 80) in response
    assert records("127-1-2-3.ns.pod.cluster.local", 1)[2].endswith(socket.inet_aton("127.1.2.3"))
    assert records("web.ns.svc.cluster.local", 28)[:2] == (0, 0)             # known name, no AAAA
    assert records("nothing.ns.svc.cluster.local", 1)[:2] == (3, 0)
    assert records("example.com", 1)[:2] == (3, 0)
    assert answer(b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab", names) is not None   # FORMERR
    assert resolv_conf("ns", {}) == ("nameserver 127.0.0.10\nsearch ns.svc.cluster.local svc.cluster.local "
                                     "cluster.local\noptions ndots:5\n")
    assert resolv_conf("ns", {"dnsPolicy": "Default"}) is None
    assert resolv_conf("ns", {"dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"]}}) == "nameserver 1.1.1.1\n"


def test_pods_resolve_cluster_names(cluster: EmbeddedCluster) -> None:
    assert cluster.processes is not None
    if not cluster.processes.views_available():
        pytest.skip("the pod's /etc/resolv.conf needs a mount namespace")
    create(cluster, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "members", "namespace": "default"},
                      "spec": {"clusterIP": "None", "selector": {"member": "yes"},
                               "ports": [{"name": "http", "port": 8080}]}})
    member = _server("member-0")
    member["metadata"]["labels"]["member"] = "yes"
    member["spec"] |= {"hostname": "member-0", "subdomain": "members"}
    create(cluster, member)
    ip = _ready(cluster, "member-0")["status"]["podIP"]
    script = textwrap.dedent("""
        import socket, urllib.request
        print("headless", socket.gethostbyname("members"))
        print("member", socket.gethostbyname("member-0.members.default.svc.cluster.local"))
        print("http", urllib.request.urlopen("http://member-0.members:8080/", timeout=10).read().decode().strip())
        try:
            socket.gethostbyname("nothing-here")
        except socket.gaierror:
            print("unknown", "fails")
    """)
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "resolver", "namespace": "default"},
                      "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "example.com/tool",
                                                                         "args": [script]}]}})
    done = finished(cluster, "resolver")
    output = logs(cluster, "resolver")
    assert done == "Succeeded", output
    assert output.splitlines() == [f"headless {ip}", f"member {ip}", "http hello from member-0", "unknown fails"]


def _host_settings() -> tuple[str, ...]:
    """This process's network's routes and the sysctls the node and pod networks set in theirs."""
    keys = ("ipv4/conf/all/forwarding", "ipv4/conf/all/route_localnet", "ipv4/conf/all/rp_filter",
            "ipv4/conf/default/rp_filter")
    return (Path("/proc/self/net/route").read_text(),
            *(Path(f"/proc/sys/net/{key}").read_text() for key in keys))


@pytest.fixture(scope="module")
def forwarding_cluster() -> Iterator[EmbeddedCluster]:
    """A cluster whose pods are not routed to each other: the fallback without iproute2's ``ip``."""
    with process_cluster(PROGRAMS, tls=False, s3=True) as running:
        assert running.processes is not None
        running.processes.routes = False   # before its first pod
        yield running


def test_without_routes_a_pod_still_reaches_everything_through_forwarders(forwarding_cluster: EmbeddedCluster) -> None:
    test_a_pod_reaches_the_api_server_the_local_s3_services_and_other_pods(forwarding_cluster)


CALL = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())"


def _call_from(cluster: EmbeddedCluster, name: str, url: str) -> str:
    """What ``url`` answers to a command exec'd in the pod ``name``."""
    assert cluster.processes is not None
    worker = cluster.processes.worker("default", name)
    process = worker.container("main") if worker is not None else None
    assert process is not None
    code, output = process.run_command([PY, "-c", CALL, url], 20)
    assert code == 0, output
    return output.strip()


def _routed(cluster: EmbeddedCluster) -> None:
    assert cluster.processes is not None
    if not cluster.processes.routes_available():
        pytest.skip("pods are not routed to each other here (iproute2's ip is missing)")


def test_two_pods_serving_one_port_call_each_other_by_service_and_pod_ip(cluster: EmbeddedCluster,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """Replays two apps that both serve 8080 and call each other: through forwarders, a pod that serves 8080
    reached its own server at the other pod's IP or Service on 8080 (and a Service's cluster IP not at all)."""
    _routed(cluster)
    assert cluster.processes is not None
    caplog.set_level(logging.WARNING, logger="chainsaw_py.embedded.runtime")
    for name in ("ping", "pong"):
        create(cluster, _server(name))
        create(cluster, _service(name, {"pod": name}, 8080))
    ips = {name: _ready(cluster, name)["status"]["podIP"] for name in ("ping", "pong")}
    for name in ("ping", "pong"):
        worker = cluster.processes.worker("default", name)
        assert worker is not None and worker.routed and not worker.unrouted()
    for here, there in (("ping", "pong"), ("pong", "ping")):
        assert _call_from(cluster, here, f"http://{ips[there]}:8080/") == f"hello from {there}"
        assert _call_from(cluster, here, f"http://{cluster.processes.router.address('default', there)}:8080/") \
            == f"hello from {there}"
        if cluster.processes.views_available():   # the name, through /etc/hosts
            assert _call_from(cluster, here, f"http://{there}:8080/") == f"hello from {there}"
        stored = cluster.store.get("", "services", "default", there)
        assert stored is not None   # its cluster IP (10.96.x.y), as the API gave it
        assert _call_from(cluster, here, f"http://{stored.obj['spec']['clusterIP']}:8080/") == f"hello from {there}"
        assert _call_from(cluster, here, "http://127.0.0.1:8080/") == f"hello from {here}"
        assert _call_from(cluster, here, f"http://{ips[here]}:8080/") == f"hello from {here}"
    # the node network never tried to listen at a routed pod's IP (one being connected looked unrouted)
    assert not [record.getMessage() for record in caplog.records if "cannot listen" in record.getMessage()]


def test_a_program_binding_an_undeclared_port_finds_it_free(cluster: EmbeddedCluster) -> None:
    """Replays a container listening on a port it does not declare, on which another pod and a Service are
    reached: the forwarders to them, made in its namespace first, held the port, and its program crash-looped
    (address already in use)."""
    _routed(cluster)
    assert cluster.processes is not None
    declared = _server("declared")
    declared["spec"]["containers"][0] |= {"ports": [{"name": "http", "containerPort": 8095}],
                                          "env": [{"name": "PORT", "value": "8095"}]}
    create(cluster, declared)
    create(cluster, _service("declared", {"pod": "declared"}, 8095))
    ip = _ready(cluster, "declared")["status"]["podIP"]
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "undeclared", "namespace": "default"},
                     "spec": {"containers": [{"name": "main", "image": "example.com/server:v1",
                                              "env": [{"name": "PORT", "value": "8095"}]}]}})
    until(lambda: "serving" in logs(cluster, "undeclared"))
    answer = until(lambda: _try(lambda: _get(cluster, "/api/v1/namespaces/default/pods/undeclared:8095/proxy/")))
    assert answer == "hello from undeclared"
    assert _call_from(cluster, "undeclared", f"http://{ip}:8095/") == "hello from declared"
    address = cluster.processes.router.address("default", "declared")
    assert _call_from(cluster, "undeclared", f"http://{address}:8095/") == "hello from declared"
    pod = get_pod(cluster, "undeclared")
    assert pod is not None and pod["status"]["containerStatuses"][0]["restartCount"] == 0


def test_without_ip_pods_keep_the_forwarders_and_say_so_once(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from chainsaw_py.embedded.logs import LogStore
    from chainsaw_py.embedded.runtime import nodenet, pods
    from chainsaw_py.embedded.runtime.images import ImageMap
    from chainsaw_py.embedded.runtime.netns import NetworkError

    monkeypatch.setattr(nodenet.shutil, "which", lambda _name: None)
    with pytest.raises(NetworkError, match="iproute2's ip is not installed"):
        nodenet.NodeNetwork.create()
    monkeypatch.setattr(pods, "routing_unavailable", lambda: "iproute2's ip is not installed")
    services = pods.RuntimeServices(lambda *_: None, lambda _ns: [], lambda _pod: None, lambda: ("127.0.0.1", 1),
                                    lambda: "")
    runtime = ProcessRuntime(ImageMap(), LogStore(), services)
    switched = ProcessRuntime(ImageMap(), LogStore(), services)
    try:
        with caplog.at_level(logging.INFO, logger="chainsaw_py.embedded.runtime"):
            assert runtime.routes_available() is False and runtime.routes_available() is False
            monkeypatch.setenv("CHAINSAW_PY_POD_ROUTES", "0")
            assert switched.routes_available() is False
        assert [record.getMessage() for record in caplog.records] == [
            "pod networks: no routes between pods (iproute2's ip is not installed): pods reach other pods and "
            "Services through forwarders at their known ports only"]
    finally:
        runtime.stop_all()
        switched.stop_all()


HOLDER = textwrap.dedent("""
    import os, sys, time
    from chainsaw_py.embedded import EmbeddedCluster
    from chainsaw_py.embedded.runtime.images import ImageProgram
    cluster = EmbeddedCluster(tls=False, images=[ImageProgram("example.com/sleeper", (sys.executable, "-c",
                                                                                      "import time; time.sleep(60)"))])
    cluster.start()
    own = os.readlink("/proc/self/ns/net")
    pod = {"metadata": {"name": "p", "namespace": "default", "uid": "u1"},
           "spec": {"containers": [{"name": "main", "image": "example.com/sleeper"}]}}
    worker = cluster.processes.ensure_started(pod)
    deadline = time.monotonic() + 30
    while worker.network is None and time.monotonic() < deadline:
        time.sleep(0.05)
    held = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}
    held = sorted(link for link in held if link.startswith("net:[") and link != own)
    assert len(held) == (2 if cluster.processes.routes else 1), held
    print(" ".join(held), flush=True)
    time.sleep(120)
""")


def _holders(namespaces: set[str]) -> set[int]:
    """The processes of this machine that hold one of ``namespaces`` (as theirs, or by a descriptor)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        links = [f"/proc/{entry}/ns/net"]
        with contextlib.suppress(OSError):
            links += [f"/proc/{entry}/fd/{fd}" for fd in os.listdir(f"/proc/{entry}/fd")]
        for link in links:
            with contextlib.suppress(OSError):
                if os.readlink(link) in namespaces:
                    found.add(int(entry))
    return found


def test_a_killed_cluster_leaves_no_network_behind() -> None:
    """SIGKILL to the cluster's process: its node and pods' namespaces (and the veth pairs in them) go with it
    and the pods' processes, since nothing else holds them."""
    holder = subprocess.Popen([PY, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert holder.stdout is not None
        namespaces = set(holder.stdout.readline().split())
        assert namespaces and holder.pid in _holders(namespaces)
    finally:
        holder.kill()
        holder.wait()
    until(lambda: not _holders(namespaces), timeout=10)


def test_a_pod_that_cannot_be_routed_gets_a_fresh_network_with_forwarders(cluster: EmbeddedCluster,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A pod whose connection to the node fails half-way keeps running, unrouted, in a namespace of its own that
    the failure left untouched (the half-configured one no longer held other pods' IPs as local)."""
    from chainsaw_py.embedded.runtime.netns import NetworkError
    from chainsaw_py.embedded.runtime.nodenet import NodeNetwork

    _routed(cluster)
    create(cluster, _server("target-h"))
    ip = _ready(cluster, "target-h")["status"]["podIP"]
    connect = NodeNetwork.connect

    def half_way(node: NodeNetwork, pod: Any, address: str) -> None:
        connect(node, pod, address)
        node.disconnect(address)
        raise NetworkError("ip: RTNETLINK answers: Operation not permitted")

    monkeypatch.setattr(NodeNetwork, "connect", half_way)
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "half", "namespace": "default"},
                     "spec": {"containers": [{"name": "main", "image": "example.com/tool",
                                              "args": ["import time; time.sleep(600)"]}]}})
    until(lambda: (get_pod(cluster, "half") or {}).get("status", {}).get("phase") == "Running")
    assert cluster.processes is not None
    worker = cluster.processes.worker("default", "half")
    assert worker is not None and worker.network is not None and not worker.routed and worker.unrouted()
    assert _call_from(cluster, "half", f"http://{ip}:8080/") == "hello from target-h"
    delete_pod(cluster, "half")
