"""Issue 17: a watch (any streaming response) ends the moment its client goes, and so does every connection
when the client leaves mid-request or the server stops.

An asyncio HTTP client (aiohttp, as kopf uses) opens watches and closes them; within 50 ms the server must
have closed its side of every connection (no socket left in CLOSE_WAIT on the server, none waiting for the
server's FIN on the client), over plain HTTP and TLS. The timed tests run the server as `cluster serve` in its
own process, as an operator's suite does (in-process, other test threads compete for the GIL); an in-process
test checks that the watches themselves are released.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import wait_for

aiohttp = pytest.importorskip("aiohttp")

CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, ESTABLISHED, LISTEN = "08", "04", "05", "01", "0A"
PROMPT = 0.05   # seconds: the bound for the server to close its side
ATTEMPTS = 5    # one attempt of five must be prompt (a polling server misses every one); each ends within 2 s

# On a loaded machine no server closes within 50 ms: "prompt" is then "no slower than three times a minimal
# server (a thread blocked in recv that closes on EOF) measured in the same moment".
REFERENCE_SERVER = r"""
import socket, sys, threading
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
def serve(conn):
    while conn.recv(65536):
        pass
    conn.close()
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def tcp_states(port: int) -> list[tuple[str, str]]:
    """(side, state) of every loopback TCP socket on ``port``: side "server" (local port) or "client"."""
    found: list[tuple[str, str]] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] != LISTEN:
                found.append(("server", fields[3]))
            elif remote_port == port:
                found.append(("client", fields[3]))
    return found


def lingering(port: int) -> list[tuple[str, str]]:
    """Sockets that show a side not closed: the server in CLOSE_WAIT, a client still waiting for the FIN,
    or a connection still established."""
    return [(side, state) for side, state in tcp_states(port)
            if state in (CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, ESTABLISHED)]


@pytest.fixture(scope="module")
def reference_port() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", REFERENCE_SERVER], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()


def reference_close(port: int) -> float:
    """How long the minimal server takes to close its side after the client closes, right now."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"x")
    settled_within(lambda: ("server", ESTABLISHED) in tcp_states(port), 2.0)
    sock.close()
    return settled_within(lambda: not lingering(port), 2.0) or 2.0


def prompt_in_one_of_attempts(attempt: Callable[[], float | None], port: int, reference: int) -> None:
    timings: list[str] = []
    for _ in range(ATTEMPTS):
        elapsed = attempt()
        assert elapsed is not None, f"still open after 2 s: {lingering(port)}"
        if elapsed <= PROMPT:
            return
        baseline = reference_close(reference)
        timings.append(f"{elapsed * 1000:.1f} (minimal server {baseline * 1000:.1f})")
        if elapsed <= 3 * baseline:
            return
    raise AssertionError(f"the server took {', '.join(timings)} ms")


def settled_within(condition: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until ``condition()`` held (checked in a tight loop), None when it did not within ``seconds``."""
    start = time.perf_counter()
    while True:
        if condition():
            return time.perf_counter() - start
        if time.perf_counter() - start > seconds:
            return None
        time.sleep(0.002)


pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")


class Served:
    """``cluster serve`` in its own process: server URL, token and CA from its kubeconfig."""

    def __init__(self, directory: Path, tls: bool) -> None:
        import yaml

        kubeconfig = directory / f"{'tls' if tls else 'plain'}.kubeconfig"
        command = [sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--kubeconfig", str(kubeconfig)]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        self.process = subprocess.Popen(command + ([] if tls else ["--insecure-http"]), stdout=subprocess.PIPE,
                                        text=True, env=env)
        assert self.process.stdout is not None and "ready" in self.process.stdout.readline()
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.server_url: str = cluster["server"]
        self.token: str = config["users"][0]["user"]["token"]
        data = cluster.get("certificate-authority-data")
        self.ca_pem: bytes | None = base64.b64decode(data) if data else None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module", params=["tls", "plain"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process = Served(tmp_path_factory.mktemp("served"), tls=request.param == "tls")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module", params=["tls", "plain"])
def in_process(request: pytest.FixtureRequest) -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tls=request.param == "tls") as cluster:
        yield cluster


def _client_ssl(cluster: EmbeddedCluster | Served) -> ssl.SSLContext | bool:
    if cluster.ca_pem is None:
        return False
    return ssl.create_default_context(cadata=cluster.ca_pem.decode())


def _headers(cluster: EmbeddedCluster | Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {cluster.token}"}


def _run_quietly(coroutine: Any) -> list[str]:
    """Run the coroutine on a fresh event loop; return the 'unclosed ...' warnings it left behind."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(coroutine)
        gc.collect()
    return [str(item.message) for item in caught if "unclosed" in str(item.message).lower()]


def _port(cluster: EmbeddedCluster | Served) -> int:
    return int(cluster.server_url.rsplit(":", 1)[1])


WATCHED = ("/api/v1/namespaces", "/api/v1/configmaps", "/apis/apps/v1/deployments",
           "/api/v1/namespaces/default/pods", "/api/v1/nodes")


async def _open_watches(session: Any, server_url: str) -> list[Any]:
    responses = []
    for path in WATCHED:
        response = await session.get(f"{server_url}{path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=300")
        assert response.status == 200
        responses.append(response)
    await responses[0].content.readline()      # the initial ADDED events are streaming
    return responses


def test_closed_watches_are_closed_by_the_server_at_once(served: Served, reference_port: int) -> None:
    port = _port(served)

    def attempt() -> float | None:
        timings: dict[str, float | None] = {}

        async def scenario() -> None:
            connector = aiohttp.TCPConnector(ssl=_client_ssl(served), limit=0)
            async with aiohttp.ClientSession(connector=connector, headers=_headers(served)) as session:
                responses = await _open_watches(session, served.server_url)
                await asyncio.sleep(0.2)
                for response in responses:
                    response.close()
                timings["closed"] = await asyncio.to_thread(settled_within, lambda: not lingering(port), 2.0)

        assert _run_quietly(scenario()) == []
        return timings["closed"]

    prompt_in_one_of_attempts(attempt, port, reference_port)


def test_closed_watches_are_released(in_process: EmbeddedCluster) -> None:
    baseline = in_process.store.watcher_count()

    async def scenario() -> None:
        connector = aiohttp.TCPConnector(ssl=_client_ssl(in_process), limit=0)
        async with aiohttp.ClientSession(connector=connector, headers=_headers(in_process)) as session:
            responses = await _open_watches(session, in_process.server_url)
            assert await asyncio.to_thread(wait_for, lambda: in_process.store.watcher_count() >= baseline + 5)
            for response in responses:
                response.close()
            await asyncio.to_thread(wait_for, lambda: in_process.store.watcher_count() == baseline, 2.0)

    assert _run_quietly(scenario()) == []


def test_a_client_leaving_mid_request_is_closed_at_once(served: Served, reference_port: int) -> None:
    port = _port(served)
    for partial in (b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthor",
                    b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + served.token.encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\""):

        def attempt(partial: bytes = partial) -> float | None:
            raw = socket.create_connection(("127.0.0.1", port))
            sock: socket.socket = raw
            if served.ca_pem is not None:
                context = ssl.create_default_context(cadata=served.ca_pem.decode())
                sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(partial)
            assert settled_within(lambda: ("server", ESTABLISHED) in tcp_states(port), 2.0) is not None
            time.sleep(0.05)                      # the server has read what was sent
            sock.close()
            return settled_within(lambda: not lingering(port), 2.0)

        prompt_in_one_of_attempts(attempt, port, reference_port)


def test_a_followed_log_ends_when_its_client_goes(served: Served, reference_port: int) -> None:
    port = _port(served)
    name = f"follow-{os.getpid()}"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "main", "image": "busybox"}]}}

    async def create_running_pod() -> None:
        connector = aiohttp.TCPConnector(ssl=_client_ssl(served))
        async with aiohttp.ClientSession(connector=connector, headers=_headers(served)) as session:
            url = f"{served.server_url}/api/v1/namespaces/default/pods"
            async with session.post(url, json=pod) as response:
                assert response.status == 201, await response.text()
            for _ in range(500):
                async with session.get(f"{url}/{name}") as response:
                    statuses = (await response.json()).get("status", {}).get("containerStatuses") or [{}]
                if "running" in (statuses[0].get("state") or {}):
                    return
                await asyncio.sleep(0.02)
            raise AssertionError("the pod never ran")

    assert _run_quietly(create_running_pod()) == []

    def attempt() -> float | None:
        timings: dict[str, float | None] = {}

        async def scenario() -> None:
            connector = aiohttp.TCPConnector(ssl=_client_ssl(served))
            async with aiohttp.ClientSession(connector=connector, headers=_headers(served)) as session:
                url = f"{served.server_url}/api/v1/namespaces/default/pods/{name}/log?follow=true"
                response = await session.get(url)
                assert response.status == 200
                assert response.headers.get("Transfer-Encoding") == "chunked"
                await asyncio.sleep(0.2)
                response.close()
                timings["closed"] = await asyncio.to_thread(settled_within, lambda: not lingering(port), 2.0)

        assert _run_quietly(scenario()) == []
        return timings["closed"]

    prompt_in_one_of_attempts(attempt, port, reference_port)


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_stopping_the_server_closes_every_connection(tls: bool) -> None:
    cluster = EmbeddedCluster(tls=tls).start()
    port = _port(cluster)
    ended: list[bool] = []

    async def scenario() -> None:
        connector = aiohttp.TCPConnector(ssl=_client_ssl(cluster), limit=0)
        async with aiohttp.ClientSession(connector=connector, headers=_headers(cluster)) as session:
            watch = await session.get(cluster.server_url + "/api/v1/namespaces?watch=true&timeoutSeconds=300")
            idle = await session.get(cluster.server_url + "/version")
            await idle.read()                       # an idle keep-alive connection stays in the pool
            await watch.content.readline()
            stopper = threading.Thread(target=cluster.stop)
            stopper.start()
            try:
                await asyncio.wait_for(watch.content.read(), 5)
                ended.append(True)
            except aiohttp.ClientPayloadError:
                ended.append(True)
            finally:
                watch.close()
            await asyncio.to_thread(stopper.join, 10)

    assert _run_quietly(scenario()) == []
    assert ended == [True]
    assert settled_within(lambda: not lingering(port), 2.0) is not None, lingering(port)
