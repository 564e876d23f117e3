"""Issue 17: a watch (any streaming response) ends the moment its client goes, and so does every connection
when the client leaves mid-request or the server stops.

An asyncio HTTP client (aiohttp, as kopf uses) opens watches and closes them; within 50 ms the server must
have released the watches and closed its side of every connection (no socket left in CLOSE_WAIT on the
server, none waiting for the server's FIN on the client), over plain HTTP and TLS.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
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
ATTEMPTS = 3    # the machine may be loaded: one attempt of three must be within PROMPT (a polling server
                # misses every one), and every attempt must end within 2 s


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


def prompt_in_one_of_attempts(attempt: Callable[[], float | None], port: int) -> None:
    timings: list[float] = []
    for _ in range(ATTEMPTS):
        elapsed = attempt()
        assert elapsed is not None, f"still open after 2 s: {lingering(port)}"
        timings.append(elapsed)
        if elapsed <= PROMPT:
            return
    raise AssertionError(f"the server took {', '.join(f'{t * 1000:.1f}' for t in timings)} ms")


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


@pytest.fixture(scope="module", params=["tls", "plain"])
def served(request: pytest.FixtureRequest) -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tls=request.param == "tls") as cluster:
        yield cluster


def _client_ssl(cluster: EmbeddedCluster) -> ssl.SSLContext | bool:
    if cluster.ca_pem is None:
        return False
    return ssl.create_default_context(cadata=cluster.ca_pem.decode())


def _headers(cluster: EmbeddedCluster) -> dict[str, str]:
    return {"Authorization": f"Bearer {cluster.token}"}


def _run_quietly(coroutine: Any) -> list[str]:
    """Run the coroutine on a fresh event loop; return the 'unclosed ...' warnings it left behind."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(coroutine)
        gc.collect()
    return [str(item.message) for item in caught if "unclosed" in str(item.message).lower()]


def _port(cluster: EmbeddedCluster) -> int:
    return int(cluster.server_url.rsplit(":", 1)[1])


def test_closed_watches_are_released_and_closed_by_the_server_at_once(served: EmbeddedCluster) -> None:
    port = _port(served)
    baseline = served.store.watcher_count()

    def attempt() -> float | None:
        timings: dict[str, float | None] = {}

        async def scenario() -> None:
            connector = aiohttp.TCPConnector(ssl=_client_ssl(served), limit=0)
            async with aiohttp.ClientSession(connector=connector, headers=_headers(served)) as session:
                responses = []
                for path in ("/api/v1/namespaces", "/api/v1/configmaps", "/apis/apps/v1/deployments",
                             "/api/v1/namespaces/default/pods", "/api/v1/nodes"):
                    response = await session.get(f"{served.server_url}{path}?watch=true&allowWatchBookmarks=true"
                                                 "&timeoutSeconds=300")
                    assert response.status == 200
                    responses.append(response)
                await responses[0].content.readline()      # the initial ADDED events are streaming
                assert await asyncio.to_thread(wait_for, lambda: served.store.watcher_count() >= baseline + 5)
                await asyncio.to_thread(served.wait_idle)
                for response in responses:
                    response.close()
                timings["released"] = await asyncio.to_thread(
                    settled_within, lambda: served.store.watcher_count() == baseline and not lingering(port), 2.0)

        assert _run_quietly(scenario()) == []
        return timings["released"]

    prompt_in_one_of_attempts(attempt, port)


def test_a_client_leaving_mid_request_is_closed_at_once(served: EmbeddedCluster) -> None:
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

        prompt_in_one_of_attempts(attempt, port)


def test_a_followed_log_ends_when_its_client_goes(served: EmbeddedCluster) -> None:
    port = _port(served)
    pods = served.registry.lookup("", "v1", "pods")
    assert pods is not None
    name = f"follow-{id(served) % 10000}"
    served.api.create(pods, "default", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                        "spec": {"containers": [{"name": "main", "image": "busybox"}]}})
    wait_for(lambda: "running" in (((served.api.get(pods, "default", name).obj.get("status") or {})
                                    .get("containerStatuses") or [{}])[0].get("state") or {}))
    served.logs.write("default", name, "main", "first line")

    def attempt() -> float | None:
        timings: dict[str, float | None] = {}

        async def scenario() -> None:
            connector = aiohttp.TCPConnector(ssl=_client_ssl(served))
            async with aiohttp.ClientSession(connector=connector, headers=_headers(served)) as session:
                url = f"{served.server_url}/api/v1/namespaces/default/pods/{name}/log?follow=true&tailLines=1"
                response = await session.get(url)
                assert response.status == 200
                assert (await response.content.readline()).strip() == b"first line"
                await asyncio.to_thread(served.wait_idle)      # the simulated kubelet is done with the pod
                response.close()
                timings["closed"] = await asyncio.to_thread(settled_within, lambda: not lingering(port), 2.0)

        assert _run_quietly(scenario()) == []
        return timings["closed"]

    prompt_in_one_of_attempts(attempt, port)


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
