"""Where a GET's time goes in the embedded API server: rate, server CPU and client CPU per GET, next to a bare
Python server and (``--baseline``) another checkout's server, all in the same run.

    python benchmarks/embedded_get_path.py [--baseline /path/to/checkout] [--requests 1500] [--rounds 7]
                                           [--scheme https|http|both] [--same-request] [--transport]
                                           [--profile DIR]

Each server runs in its own process (``cluster serve`` with ``PYTHONPATH`` set to its checkout; the bare
server of ``embedded_bench.py``, answering with the cluster's body); this process drives each with one
sequential keep-alive urllib3 connection (a GET of one ConfigMap; the bare server's client GETs ``/`` without
headers, as in ``embedded_bench.py``, or with ``--same-request`` the same path and headers), ``--requests``
GETs per round, rounds alternating between the servers. ``--transport`` adds the embedded server's HTTP layer
alone (``HttpServer`` answering the same fixed body).

Printed per server, medians over the rounds: GET/s, the server process's CPU per GET (from
``/proc/<pid>/task/*/schedstat``: every thread, including the cluster's own background work) and the client's
CPU per GET (``time.thread_time``). On a shared machine the rates are noisy; CPU per GET much less so.

``--profile DIR`` runs this checkout's servers under cProfile (every thread: ``threading.setprofile`` starts
a profiler in each new thread) and writes ``DIR/<scheme>.pstats`` plus the top functions by own time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from embedded_bench import _pool, bare_server

REPO = Path(__file__).resolve().parents[1]

# run `cluster serve` with a cProfile profiler in every thread; dump them all at exit
_PROFILED_SERVE = r'''
import atexit, cProfile, pstats, sys, threading
profilers = []
output = sys.argv.pop(1)
def start(*_args):
    profiler = cProfile.Profile()
    profilers.append(profiler)
    profiler.enable()
threading.setprofile(start)
def dump():
    stats = None
    for profiler in profilers:
        try:
            profiler.disable()
        except Exception:
            pass
        stats = pstats.Stats(profiler) if stats is None else stats.add(profiler)
    if stats is not None:
        stats.dump_stats(output)
atexit.register(dump)
sys.argv[0] = "chainsaw-py"
from chainsaw_py.cli import main
sys.exit(main())
'''


def _serve(directory: Path, tls: bool, checkout: Path, profile: Path | None) -> Any:
    """Start ``cluster serve`` from ``checkout``; returns (process, url, headers, ca_file)."""
    import base64

    import yaml

    label = f"{checkout.name}-{'tls' if tls else 'http'}"
    kubeconfig = directory / f"{label}.kubeconfig"
    head = [sys.executable, "-c", _PROFILED_SERVE, str(profile)] if profile else [sys.executable, "-m", "chainsaw_py"]
    command = [*head, "cluster", "serve", "--kubeconfig", str(kubeconfig)]
    if not tls:
        command.append("--insecure-http")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=str(checkout))
    assert process.stdout is not None
    if "ready" not in process.stdout.readline():
        raise SystemExit(f"the embedded cluster of {checkout} did not start")
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    headers = {"Authorization": f"Bearer {config['users'][0]['user']['token']}", "Content-Type": "application/json"}
    ca_file = None
    if "certificate-authority-data" in cluster:
        ca_file = str(directory / f"{label}-ca.crt")
        Path(ca_file).write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    return process, cluster["server"], headers, ca_file


# the embedded server's HTTP layer alone (chainsaw_py.embedded.httpserver) answering every request with a fixed body
_TRANSPORT_SERVER = r'''
import sys, threading
from pathlib import Path
from chainsaw_py.embedded.httpserver import HttpServer, Response
from chainsaw_py.embedded.tls import generate_certificates
body = sys.argv[1].encode()
context = None
if len(sys.argv) > 2:
    certificates = generate_certificates()
    Path(sys.argv[2]).write_bytes(certificates.ca_pem)
    context = certificates.server_context()
server = HttpServer(lambda request: Response(200, body), ssl_context=context)
server.start()
print(server.port, flush=True)
threading.Event().wait()
'''


def _transport_target(label: str, directory: Path, tls: bool, checkout: Path, body: bytes,
                      request: tuple[str, dict[str, str]]) -> Target:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    ca_file = directory / f"transport-{label.replace(' ', '-')}-ca.crt"
    command = [sys.executable, "-c", _TRANSPORT_SERVER, body.decode()] + ([str(ca_file)] if tls else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    pool = _pool(f"{'https' if tls else 'http'}://127.0.0.1:{port}", str(ca_file) if tls else None)
    path, headers = request

    def get() -> None:
        assert pool.request("GET", path, headers=headers).status == 200

    return Target(label, process, get)


def _process_cpu(pid: int) -> float:
    """CPU seconds of every thread of ``pid`` so far (schedstat: nanoseconds, not clock ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass      # (a thread that ended meanwhile)
    return total / 1e9


class Target:
    def __init__(self, label: str, process: subprocess.Popen[str], get: Any) -> None:
        self.label = label
        self.process = process
        self.get = get
        self.body = b""
        self.headers: dict[str, str] = {}
        self.rates: list[float] = []
        self.server_us: list[float] = []
        self.client_us: list[float] = []

    def round(self, requests: int) -> None:
        server_before, client_before = _process_cpu(self.process.pid), time.thread_time()
        start = time.perf_counter()
        for _ in range(requests):
            self.get()
        wall = time.perf_counter() - start
        client = time.thread_time() - client_before
        server = _process_cpu(self.process.pid) - server_before
        self.rates.append(requests / wall)
        self.server_us.append(server / requests * 1e6)
        self.client_us.append(client / requests * 1e6)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


_PATH = "/api/v1/namespaces/default/configmaps/bench"


def _cluster_target(label: str, directory: Path, tls: bool, checkout: Path, profile: Path | None) -> Target:
    process, url, headers, ca_file = _serve(directory, tls, checkout, profile)
    pool = _pool(url, ca_file)
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bench"},
                       "data": {"key": "value"}}).encode()
    assert pool.request("POST", _PATH.rsplit("/", 1)[0], body=body, headers=headers).status == 201
    target = Target(label, process, lambda: None)
    target.body = pool.request("GET", _PATH, headers=headers).data
    target.headers = headers

    def get() -> None:
        response = pool.request("GET", _PATH, headers=headers)
        assert response.status == 200, response.status

    target.get = get
    return target


def _bare_target(label: str, directory: Path, tls: bool, body: bytes, request: tuple[str, dict[str, str]]) -> Target:
    """The bare server of embedded_bench.py; its client GETs ``request`` (path, headers)."""
    process, url, ca_file = bare_server(directory, body, tls)
    pool = _pool(url, ca_file)
    path, headers = request

    def get() -> None:
        assert pool.request("GET", path, headers=headers).status == 200

    return Target(label, process, get)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout whose server is measured alongside")
    parser.add_argument("--requests", type=int, default=1500, help="GETs per round and server")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scheme", choices=("https", "http", "both"), default="both")
    parser.add_argument("--transport", action="store_true",
                        help="also measure the HTTP layer alone (HttpServer answering a fixed body)")
    parser.add_argument("--same-request", action="store_true",
                        help="the bare server's client sends the embedded GET's path and headers (embedded_bench's "
                             "GETs / without headers)")
    parser.add_argument("--profile", type=Path, help="profile this checkout's servers; write the stats there")
    args = parser.parse_args(argv)
    schemes = ("https", "http") if args.scheme == "both" else (args.scheme,)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="embedded-get-") as name:
        directory = Path(name)
        try:
            for scheme in schemes:
                tls = scheme == "https"
                profile = args.profile / f"{scheme}.pstats" if args.profile else None
                targets.append(_cluster_target(f"this {scheme}", directory, tls, REPO, profile))
                if args.baseline:
                    targets.append(_cluster_target(f"baseline {scheme}", directory, tls, args.baseline.resolve(),
                                                   None))
                embedded = next(target for target in targets if target.label == f"this {scheme}")
                request = (_PATH, embedded.headers) if args.same_request else ("/", {})
                targets.append(_bare_target(f"bare {scheme}", directory, tls, embedded.body, request))
                if args.transport:
                    targets.append(_transport_target(f"transport {scheme}", directory, tls, REPO, embedded.body,
                                                     request))
            for target in targets:
                target.round(max(1, args.requests // 10))      # warm-up
            for _round in range(args.rounds):
                for target in targets:
                    target.round(args.requests)
        finally:
            for target in targets:
                target.stop()
    print(f"{'server':<16}{'GET/s':>8}{'server µs/GET':>15}{'client µs/GET':>15}{'vs bare':>9}")
    for target in targets:
        scheme = target.label.rsplit(" ", 1)[1]
        bare = next(t for t in targets if t.label == f"bare {scheme}")
        rate = statistics.median(target.rates)
        print(f"{target.label:<16}{rate:>8.0f}{statistics.median(target.server_us):>15.0f}"
              f"{statistics.median(target.client_us):>15.0f}{rate / statistics.median(bare.rates):>9.0%}")
    print(f"(medians of {args.rounds} alternating rounds of {args.requests} GETs; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f})")
    if args.profile:
        import pstats

        for scheme in schemes:
            path = args.profile / f"{scheme}.pstats"
            if path.exists():
                print(f"--- {scheme}: top functions by own time")
                pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
