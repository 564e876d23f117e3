"""Hostile clients against ``cluster serve`` (issue 10): what they cost the server and whether others are served.

    python benchmarks/embedded_hostile_clients.py [--half-sent 3000] [--big-bodies 3]

Runs the server in its own process (plain HTTP) and prints, for each scenario, the server's threads and RSS
and the time a well-behaved client needs for ``GET /version`` meanwhile:
- N connections that each send half a request line and then nothing (slowloris);
- M unauthenticated clients that declare a 600 MB body and start sending it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _status(pid: int) -> tuple[int, float]:
    """(threads, RSS in MB) of a process."""
    threads, rss = 0, 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            threads = int(line.split()[1])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return threads, rss


def _get_version(port: int) -> float:
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-sent", type=int, default=3000)
    parser.add_argument("--big-bodies", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-") as directory:
        kubeconfig = Path(directory) / "kubeconfig"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--insecure-http",
                                    "--kubeconfig", str(kubeconfig)], stdout=subprocess.PIPE, text=True, env=env)
        try:
            assert process.stdout is not None and "ready" in process.stdout.readline()
            port = int(kubeconfig.read_text().split("http://127.0.0.1:")[1].split()[0])
            print(f"{'scenario':<44}{'threads':>8}{'RSS MB':>9}{'GET /version ms':>17}")
            threads, rss = _status(process.pid)
            print(f"{'idle':<44}{threads:>8}{rss:>9.0f}{_get_version(port):>17.1f}")
            slow = []
            for index in range(args.half_sent):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nX-Slow-%d" % index)
                slow.append(sock)
            threads, rss = _status(process.pid)
            label = f"{args.half_sent} half-sent requests open"
            print(f"{label:<44}{threads:>8}{rss:>9.0f}{_get_version(port):>17.1f}")
            for sock in slow:
                sock.close()
            big = []
            head = b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json" \
                   b"\r\nContent-Length: 629145600\r\n\r\n"
            for _ in range(args.big_bodies):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(head)
                sock.settimeout(0.5)
                try:
                    for _ in range(64):
                        sock.sendall(b"x" * 1024 * 1024)
                except OSError:
                    pass
                big.append(sock)
            threads, rss = _status(process.pid)
            label = f"{args.big_bodies} unauthenticated 600 MB bodies"
            print(f"{label:<44}{threads:>8}{rss:>9.0f}{_get_version(port):>17.1f}")
            for sock in big:
                sock.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
