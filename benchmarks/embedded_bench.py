"""Throughput and latency of the embedded API server, next to a bare Python HTTP server in the same run.

    python benchmarks/embedded_bench.py [--seconds 3] [--rounds 20] [--get-seconds 6] [--clients 4] [--baseline PATH]

Servers run in their own processes (``python -m chainsaw_py cluster serve`` and a minimal ThreadingHTTPServer
that answers every GET with a fixed body in one send). Two kinds of figures:

- sequential (latency-bound): this process is the single urllib3 client on one keep-alive connection, as the
  kubernetes Python client would be: GET/s, create/s and watch-event latency, over HTTPS (the default, which
  kubectl needs) and plain HTTP (``--insecure-http``), plus the bare server's GET/s over both. One connection
  waits for each answer, so these rates are bounded by the client's and the loopback's latency too;
- server capacity (HTTPS): ``--clients`` client processes, each with its own keep-alive connection, send
  ConfigMap creates (to the embedded server) or GETs (to both servers) for ``--seconds`` at once. Two kinds of
  client: urllib3 (the kubernetes Python client's transport, which writes a body after its head) and a lean
  one that sends each request in one write, as client-go (kubectl) does, and parses no more of the answer than
  its status and length -- a load generator that leaves the machine's cores to the server, as wrk or ab
  would. Printed: the aggregate rate, and the server process's CPU time per request (utime+stime of
  ``/proc/<pid>/stat`` before and after); its inverse is what the server does per CPU second. With
  ``--baseline`` the create rounds alternate with a ``cluster serve`` of that checkout.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

BARE_SERVER = r'''
import http.server, socket, ssl, sys
BODY = sys.argv[1].encode()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)).encode()
        self.wfile.write(head + BODY)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 2:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


def _pool(url: str, ca_file: str | None) -> Any:
    import urllib3

    if url.startswith("https"):
        return urllib3.HTTPSConnectionPool("127.0.0.1", int(url.rsplit(":", 1)[1]), maxsize=1, ca_certs=ca_file,
                                           cert_reqs="CERT_REQUIRED", assert_hostname=False)
    return urllib3.HTTPConnectionPool("127.0.0.1", int(url.rsplit(":", 1)[1]), maxsize=1)


def _rate(action: Any, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        action(count)
        count += 1
    return count / (time.perf_counter() - start)


class Served:
    """``cluster serve`` in a subprocess, with its kubeconfig decoded."""

    def __init__(self, directory: Path, tls: bool, checkout: Path | None = None, label: str = "") -> None:
        self.kubeconfig = directory / f"{label}{'tls' if tls else 'http'}.kubeconfig"
        command = [sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--kubeconfig", str(self.kubeconfig)]
        if not tls:
            command.append("--insecure-http")
        env = {**os.environ, "PYTHONPATH": str(checkout or REPO)}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        if "ready" not in self.process.stdout.readline():
            raise SystemExit("the embedded cluster did not start")
        import yaml

        config = yaml.safe_load(self.kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.url = cluster["server"]
        self.headers = {"Authorization": f"Bearer {config['users'][0]['user']['token']}",
                        "Content-Type": "application/json"}
        self.ca_file: str | None = None
        if "certificate-authority-data" in cluster:
            self.ca_file = str(directory / f"{label}ca.crt")
            Path(self.ca_file).write_bytes(base64.b64decode(cluster["certificate-authority-data"]))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def cluster_get(served: Served) -> Any:
    """A GET of one ConfigMap on a keep-alive connection (the object is created first)."""
    pool = _pool(served.url, served.ca_file)
    base = "/api/v1/namespaces/default/configmaps"
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bench"},
                       "data": {"key": "value"}}).encode()
    pool.request("POST", base, body=body, headers=served.headers)

    def get(_index: int) -> None:
        response = pool.request("GET", f"{base}/bench", headers=served.headers)
        assert response.status == 200

    return get


def measure_writes(served: Served, seconds: float) -> dict[str, float]:
    pool = _pool(served.url, served.ca_file)
    base = "/api/v1/namespaces/default/configmaps"

    def create(index: int) -> None:
        payload = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c-{index}"},
                              "data": {"key": "value"}}).encode()
        response = pool.request("POST", base, body=payload, headers=served.headers)
        assert response.status == 201, response.data

    results = {"create_per_s": _rate(create, seconds)}
    results.update(_watch_latency(served))
    return results


def _watch_latency(served: Served, events: int = 200) -> dict[str, float]:
    """Time from sending a create to receiving its ADDED event on an open watch."""
    watch_pool, write_pool = _pool(served.url, served.ca_file), _pool(served.url, served.ca_file)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    ready = threading.Event()

    def reader() -> None:
        response = watch_pool.request("GET", "/api/v1/namespaces/kube-public/configmaps?watch=true&timeoutSeconds=60",
                                      headers=served.headers, preload_content=False)
        ready.set()
        buffer = b""
        for chunk in response.stream(65536):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                name = json.loads(line)["object"]["metadata"]["name"]
                if name in sent:
                    latencies.append(time.perf_counter() - sent[name])
                if len(latencies) >= events:
                    response.close()   # the server's watch ends with the connection (else it keeps streaming)
                    return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.2)
    for index in range(events):
        name = f"w-{index}"
        payload = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}).encode()
        sent[name] = time.perf_counter()
        write_pool.request("POST", "/api/v1/namespaces/kube-public/configmaps", body=payload, headers=served.headers)
        time.sleep(0.002)
    thread.join(timeout=30)
    watch_pool.close()
    write_pool.close()
    time.sleep(0.5)   # the server notices the closed watch before anything else is measured
    ordered = sorted(latencies)
    return {"watch_latency_median_ms": statistics.median(ordered) * 1000,
            "watch_latency_p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000}


def bare_server(directory: Path, body: bytes, tls: bool) -> tuple[subprocess.Popen[str], str, str | None]:
    """The bare server in its own process: the process, its URL and the CA file to trust (HTTPS)."""
    args = [sys.executable, "-c", BARE_SERVER, body.decode()]
    ca_file = None
    if tls:
        sys.path.insert(0, str(REPO))
        from chainsaw_py.embedded.tls import generate_certificates

        certificates = generate_certificates()
        (directory / "bare.crt").write_bytes(certificates.cert_pem + certificates.ca_pem)
        (directory / "bare.key").write_bytes(certificates.key_pem)
        ca_file = str(directory / "bare-ca.crt")
        Path(ca_file).write_bytes(certificates.ca_pem)
        args += [str(directory / "bare.crt"), str(directory / "bare.key")]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, f"{'https' if tls else 'http'}://127.0.0.1:{port}", ca_file


def start_bare(directory: Path, body: bytes, tls: bool) -> tuple[subprocess.Popen[str], Any]:
    """The bare server in its own process, and a GET function against it (``get.url``, ``get.ca_file``: where)."""
    process, url, ca_file = bare_server(directory, body, tls)
    pool = _pool(url, ca_file)

    def get(_index: int) -> None:
        assert pool.request("GET", "/").status == 200

    get.url, get.ca_file = url, ca_file  # type: ignore[attr-defined]
    return process, get


# --- server capacity: several client processes at once ---------------------------------------------------

# A capacity client is a script run with ``python -c``: its transport (defining ``create`` and ``get`` from the
# job), then the driver, which times the job's action.
_DRIVER = r'''
action = create if job["action"] == "create" else get
action("warm")
time.sleep(max(0.0, job["start_at"] - time.time()))
count, deadline = 0, job["start_at"] + job["seconds"]
while time.time() < deadline:
    action(count)
    count += 1
print(json.dumps({"count": count}))
'''

_URLLIB3_TRANSPORT = r'''
import json, sys, time, urllib3
job = json.loads(sys.argv[1])
port = int(job["url"].rsplit(":", 1)[1])
if job["url"].startswith("https"):
    pool = urllib3.HTTPSConnectionPool("127.0.0.1", port, maxsize=1, ca_certs=job["ca_file"],
                                       cert_reqs="CERT_REQUIRED", assert_hostname=False)
else:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1)
headers = job["headers"]
def create(index):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{job['prefix']}-{index}"},
                       "data": {"key": "value"}}).encode()
    response = pool.request("POST", job["path"], body=body, headers=headers)
    assert response.status == 201, response.data
def get(index):
    response = pool.request("GET", job["path"], headers=headers)
    assert response.status == 200, response.data
'''

# one write per request and a minimal reading of the answer (see the module's docstring)
_LEAN_TRANSPORT = r'''
import json, socket, ssl, sys, time
job = json.loads(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", int(job["url"].rsplit(":", 1)[1])))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if job["url"].startswith("https"):
    context = ssl.create_default_context(cafile=job["ca_file"])
    context.check_hostname = False
    sock = context.wrap_socket(sock)
fields = "".join(f"{name}: {value}\r\n" for name, value in job["headers"].items())
post_head = f"POST {job['path']} HTTP/1.1\r\nHost: 127.0.0.1\r\n{fields}Content-Length: %d\r\n\r\n".encode()
get_request = f"GET {job['path']} HTTP/1.1\r\nHost: 127.0.0.1\r\n{fields}\r\n".encode()
expected = b"HTTP/1.1 201 " if job["action"] == "create" else b"HTTP/1.1 200 "
pending = b""
def exchange(request):
    global pending
    sock.sendall(request)
    while True:
        end = pending.find(b"\r\n\r\n")
        if end >= 0:
            start = pending.find(b"\r\nContent-Length: ", 0, end)
            assert pending.startswith(expected) and start > 0, pending[:300]
            start += 18
            length = int(pending[start:pending.index(b"\r\n", start)])
            if len(pending) >= end + 4 + length:
                pending = pending[end + 4 + length:]
                return
        data = sock.recv(65536)
        assert data, "the server closed the connection"
        pending += data
def create(index):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{job['prefix']}-{index}"},
                       "data": {"key": "value"}}).encode()
    exchange(post_head % len(body) + body)
def get(index):
    exchange(get_request)
'''
CLIENTS = {"urllib3": _URLLIB3_TRANSPORT + _DRIVER, "lean": _LEAN_TRANSPORT + _DRIVER}


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def capacity(server_pid: int, url: str, ca_file: str | None, headers: dict[str, str], action: str, path: str,
             clients: int, seconds: float, prefix: str, client: str = "urllib3") -> dict[str, float]:
    """``clients`` processes (of the kind ``client``: a key of CLIENTS) send ``action`` requests at once for
    ``seconds``: the aggregate rate and the server process's CPU per request."""
    start_at = time.time() + 1.5 + 0.25 * clients    # the clients' start-up (imports, TLS handshake) is not timed
    processes = []
    for index in range(clients):
        job = {"url": url, "ca_file": ca_file, "headers": headers, "action": action, "path": path,
               "prefix": f"{prefix}-{index}", "start_at": start_at, "seconds": seconds}
        processes.append(subprocess.Popen([sys.executable, "-c", CLIENTS[client], json.dumps(job)],
                                          stdout=subprocess.PIPE, text=True))
    time.sleep(max(0.0, start_at - time.time()))
    before = process_cpu_seconds(server_pid)
    counts = []
    for process in processes:
        out, _ = process.communicate(timeout=seconds + 120)
        if process.returncode != 0:
            raise SystemExit(f"a capacity client failed ({client}: {action} {url})")
        counts.append(int(json.loads(out)["count"]))
    cpu = process_cpu_seconds(server_pid) - before
    total = sum(counts)
    return {"per_s": total / seconds, "cpu_us": cpu / max(total, 1) * 1e6, "requests": total}


def measure_capacity(directory: Path, servers: dict[str, Served], bare: tuple[subprocess.Popen[str], Any],
                     baseline: Path | None, clients: int, seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    """Creates on the embedded server(s), GETs on the embedded and the bare server, HTTPS, alternating rounds."""
    targets: dict[str, Served] = {"this checkout": servers["https"]}
    extra: list[Served] = []
    if baseline is not None:
        targets["baseline"] = Served(directory, tls=True, checkout=baseline, label="baseline-")
        extra.append(targets["baseline"])
    bare_process, bare_get = bare
    base = "/api/v1/namespaces/default/configmaps"
    samples: dict[str, list[dict[str, float]]] = {}
    embedded = servers["https"]
    try:
        for round_index in range(rounds):
            for client in CLIENTS:
                order = list(targets.items())
                for label, served in order[::-1] if round_index % 2 else order:   # neither always measured first
                    samples.setdefault(f"creates, embedded ({label}), {client}", []).append(capacity(
                        served.process.pid, served.url, served.ca_file, served.headers, "create", base, clients,
                        seconds, f"cap{round_index}-{client}-{label.split()[0]}", client))
                samples.setdefault(f"GETs, embedded (this checkout), {client}", []).append(capacity(
                    embedded.process.pid, embedded.url, embedded.ca_file, embedded.headers, "get", f"{base}/bench",
                    clients, seconds, "get", client))
                samples.setdefault(f"GETs, bare server, {client}", []).append(capacity(
                    bare_process.pid, bare_get.url, bare_get.ca_file, {}, "get", "/", clients, seconds, "bare",
                    client))
    finally:
        for served in extra:
            served.stop()
    return {label: {key: statistics.median(sample[key] for sample in values) for key in ("per_s", "cpu_us")}
            for label, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput measurement")
    parser.add_argument("--rounds", type=int, default=20, help="GET rounds, alternating between the servers")
    parser.add_argument("--get-seconds", type=float, default=6.0,
                        help="sequential GETs: time per server over all rounds")
    parser.add_argument("--clients", type=int, default=4, help="client processes of the capacity measurement")
    parser.add_argument("--capacity-rounds", type=int, default=3, help="capacity rounds (medians are printed)")
    parser.add_argument("--baseline", type=Path, help="another checkout whose create capacity is measured alternately")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="embedded-bench-") as name:
        directory = Path(name)
        servers = {"https": Served(directory, tls=True), "http": Served(directory, tls=False)}
        bare: dict[str, subprocess.Popen[str]] = {}
        try:
            gets = {f"embedded {scheme}": cluster_get(served) for scheme, served in servers.items()}
            body = _pool(servers["http"].url, None).request(
                "GET", "/api/v1/namespaces/default/configmaps/bench", headers=servers["http"].headers).data
            for scheme, tls in (("https", True), ("http", False)):
                bare[scheme], gets[f"bare {scheme}"] = start_bare(directory, body, tls)
            for get in gets.values():
                get(0)
            # alternate short rounds (in the order A B B A ...) so that machine load drifts affect every server
            # alike; the ratio is the median of the rounds' ratios, each taken between neighbours in time
            samples: dict[str, list[float]] = {label: [] for label in gets}
            for round_index in range(args.rounds):
                order = list(gets.items())
                for label, get in order[::-1] if round_index % 2 else order:
                    samples[label].append(_rate(get, args.get_seconds / args.rounds))
            rates = {label: statistics.median(values) for label, values in samples.items()}
            ratios = {scheme: statistics.median(embedded / bare for embedded, bare in
                                                zip(samples[f"embedded {scheme}"], samples[f"bare {scheme}"]))
                      for scheme in ("https", "http")}
            writes = {scheme: measure_writes(served, args.seconds) for scheme, served in servers.items()}
            capacities = measure_capacity(directory, servers, (bare["https"], gets["bare https"]), args.baseline,
                                          args.clients, args.seconds, args.capacity_rounds)
        finally:
            for served in servers.values():
                served.stop()
            for process in bare.values():
                process.terminate()
                process.wait(timeout=10)
    print(f"{'server':<16}{'GET/s':>10}{'create/s':>10}{'watch p50 ms':>14}{'watch p95 ms':>14}{'GET vs bare':>13}")
    for scheme, figures in writes.items():
        ratio = ratios[scheme]
        print(f"{'embedded ' + scheme:<16}{rates['embedded ' + scheme]:>10.0f}{figures['create_per_s']:>10.0f}"
              f"{figures['watch_latency_median_ms']:>14.2f}{figures['watch_latency_p95_ms']:>14.2f}{ratio:>12.0%}")
    for scheme in ("https", "http"):
        print(f"{'bare ' + scheme:<16}{rates['bare ' + scheme]:>10.0f}{'-':>10}{'-':>14}{'-':>14}{'':>13}")
    print(f"(sequential, latency-bound: GET/s the median of {args.rounds} alternating rounds, GET vs bare the median "
          f"of the rounds' ratios; body of {len(body)} bytes; "
          f"one keep-alive urllib3 connection per server; {os.cpu_count()} CPUs)")
    print(f"\nserver capacity over HTTPS: {args.clients} client processes at once, one keep-alive connection each, "
          f"{args.seconds:g} s, median of {args.capacity_rounds} rounds")
    print(f"{'requests, client':<46}{'aggregate/s':>12}{'server CPU µs each':>20}{'per server CPU s':>18}")
    for label, figures in capacities.items():
        print(f"{label:<46}{figures['per_s']:>12.0f}{figures['cpu_us']:>20.0f}{1e6 / figures['cpu_us']:>18.0f}")
    print("(aggregate/s: what the clients got while sharing the machine's cores with the server; 'per server CPU s' "
          "is the inverse of the server's CPU per request -- a server uses more than one core for TLS and the "
          "kernel's share, so the lean clients' aggregate can exceed it)")
    lean = capacities["creates, embedded (this checkout), lean"]
    if args.json:
        args.json.write_text(json.dumps({
            "get_vs_bare_https": ratios["https"], "get_vs_bare_http": ratios["http"],
            "get_per_s_https": rates["embedded https"], "create_per_s_https": writes["https"]["create_per_s"],
            "create_aggregate_per_s_https": lean["per_s"], "create_cpu_us_https": lean["cpu_us"],
            "create_aggregate_urllib3_per_s_https":
                capacities["creates, embedded (this checkout), urllib3"]["per_s"],
            "get_vs_bare_lean_https": (capacities["GETs, embedded (this checkout), lean"]["per_s"]
                                       / capacities["GETs, bare server, lean"]["per_s"]),
            "capacity": capacities}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
