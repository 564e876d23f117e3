"""Issue 10, the embedded API server: every bad request and hostile client of the campaign, replayed with
small limits. Each answer is kube-apiserver's (401 before the body, 413, 400, 415, 429), never a dropped
connection, a stored object or a traceback; slow clients hold no thread and lock nobody out."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.limits import Limits

LIMITS = Limits(max_body_bytes=64 * 1024, header_timeout=1.0, body_timeout=1.0, idle_timeout=1.0,
                max_connections=40, max_workers=4, max_streams=6, max_json_depth=50)
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
UNKNOWN_FORMAT = ("the body of the request was in an unknown format - accepted media types include: "
                  "application/json, application/yaml, application/vnd.kubernetes.protobuf")


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tls=False, limits=LIMITS) as running:
        yield running


def _port(cluster: EmbeddedCluster) -> int:
    return int(cluster.server_url.rsplit(":", 1)[1])


def _connect(cluster: EmbeddedCluster) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", _port(cluster)), timeout=10)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response (Content-Length or up to the close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed without a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body[:length]
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        body += chunk
    return status, headers, body


def _exchange(cluster: EmbeddedCluster, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with _connect(cluster) as sock:
        sock.sendall(data)
        return _read_response(sock)


def _head(method: str, path: str, headers: dict[str, str], token: str | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _post(cluster: EmbeddedCluster, body: bytes, content_type: str = "application/json",
          path: str = CONFIGMAPS) -> tuple[int, dict[str, Any]]:
    head = _head("POST", path, {"Content-Type": content_type, "Content-Length": str(len(body))}, cluster.token)
    status, _headers, payload = _exchange(cluster, head + body)
    return status, json.loads(payload)


def _status(payload: dict[str, Any]) -> tuple[str, str]:
    assert payload["kind"] == "Status", payload
    return payload["reason"], payload["message"]


def _configmap(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


def _stored(cluster: EmbeddedCluster, name: str) -> bool:
    return cluster.store.get("", "configmaps", "default", name) is not None


# --- authentication and body size ---------------------------------------------------------------------------


def test_an_unauthenticated_huge_body_is_refused_before_it_is_read(cluster: EmbeddedCluster) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Content-Length": str(600 * 1024 * 1024)},
                 token=None)
    with _connect(cluster) as sock:
        sock.sendall(head)                       # not a byte of the 600 MB body
        status, headers, payload = _read_response(sock)
    assert status == 401
    assert headers.get("connection") == "close"
    assert _status(json.loads(payload)) == ("Unauthorized", "Unauthorized")


def test_a_declared_body_over_the_limit_is_413_before_it_is_read(cluster: EmbeddedCluster) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Content-Length": str(100 * 1024 * 1024)},
                 cluster.token)
    with _connect(cluster) as sock:
        sock.sendall(head)
        status, _headers, payload = _read_response(sock)
    assert status == 413
    assert _status(json.loads(payload)) == ("RequestEntityTooLarge", "Request entity too large: limit is 65536")


def test_a_chunked_body_over_the_limit_is_413_and_not_kept(cluster: EmbeddedCluster) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                 cluster.token)
    chunk = b"x" * 16384
    with _connect(cluster) as sock:
        sock.sendall(head)
        for _ in range(5):                       # 80 KiB > 64 KiB
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, _headers, payload = _read_response(sock)
    assert status == 413
    assert _status(json.loads(payload))[0] == "RequestEntityTooLarge"


def test_a_one_terabyte_chunk_is_413_at_once(cluster: EmbeddedCluster) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                 cluster.token)
    status, _headers, payload = _exchange(cluster, head + b"e8d4a51000\r\n{")
    assert status == 413
    assert _status(json.loads(payload))[1] == "Request entity too large: limit is 65536"


@pytest.mark.parametrize("length", ["1e30", "-1", "0x10", "99999999999999999999999", "1, 2"])
def test_a_malformed_content_length_is_answered_400(cluster: EmbeddedCluster, length: str) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Content-Length": length}, cluster.token)
    status, headers, payload = _exchange(cluster, head + b"{}")
    assert status == 400
    assert headers["connection"] == "close"
    assert payload.startswith(b"400 Bad Request")


@pytest.mark.parametrize("size_line", [b"fffffffffffffffffffff", b"zz", b"-5"])
def test_a_malformed_chunk_size_is_answered_400(cluster: EmbeddedCluster, size_line: bytes) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                 cluster.token)
    status, _headers, payload = _exchange(cluster, head + size_line + b"\r\n{}\r\n0\r\n\r\n")
    assert status == 400
    assert payload.startswith(b"400 Bad Request")


def test_oversized_headers_are_431(cluster: EmbeddedCluster) -> None:
    small = EmbeddedCluster(tls=False, limits=Limits(max_header_bytes=4096)).start()
    try:
        status, _headers, payload = _exchange(small, b"GET /version HTTP/1.1\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
    finally:
        small.stop()
    assert status == 431
    assert payload == b"431 Request Header Fields Too Large"


def test_a_body_within_the_limit_is_served_and_stored(cluster: EmbeddedCluster) -> None:
    body = json.dumps(_configmap("near-limit", data={"k": "v" * (60 * 1024)})).encode()
    status, payload = _post(cluster, body)
    assert status == 201, payload
    assert _stored(cluster, "near-limit")


def test_a_chunked_body_within_the_limit_is_served(cluster: EmbeddedCluster) -> None:
    body = json.dumps(_configmap("chunked-ok", data={"k": "v"})).encode()
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                 cluster.token)
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
    status, _headers, payload = _exchange(cluster, head + chunks + b"0\r\nTrailer: x\r\n\r\n")
    assert status == 201, payload


# --- decoding -----------------------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nspec:\n"
            + "".join(f"  {line}\n" for line in lines)).encode()


def test_a_yaml_alias_bomb_is_refused_as_go_yaml_refuses_it(cluster: EmbeddedCluster) -> None:
    body = _alias_bomb()
    assert len(body) < 1024
    status, payload = _post(cluster, body, "application/yaml")
    assert status == 400
    reason, message = _status(payload)
    assert reason == "BadRequest"
    assert message.startswith("the object provided is unrecognized (must be of type ConfigMap): "
                              "yaml: document contains excessive aliasing (")
    assert not _stored(cluster, "bomb")


def test_moderate_yaml_aliases_still_work(cluster: EmbeddedCluster) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aliases, labels: &l {a: b}, annotations: *l}\n" \
           b"data: {x: &v hello, y: *v}\n"
    status, payload = _post(cluster, body, "application/yaml")
    assert status == 201, payload
    assert payload["data"] == {"x": "hello", "y": "hello"}
    assert payload["metadata"]["annotations"] == {"a": "b"}


@pytest.mark.parametrize("depth", [51, 10_000])
def test_json_nested_too_deep_is_400(cluster: EmbeddedCluster, depth: int) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":' + b"[" * depth + b"]" * depth + b"}"
    status, payload = _post(cluster, body)
    assert status == 400
    assert _status(payload) == ("BadRequest", "the object provided is unrecognized (must be of type ConfigMap): "
                                "couldn't get version/kind; json parse error: invalid character '[' exceeded max "
                                'depth ({"apiVersion":"v1","kind":"Con ...)')
    assert not _stored(cluster, "deep")


def test_yaml_nested_too_deep_is_400(cluster: EmbeddedCluster) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep-yaml}\nx: " + b"[" * 5000
    status, payload = _post(cluster, body, "application/yaml")
    assert status == 400
    assert "yaml: exceeded max depth of 50" in _status(payload)[1]


def test_nesting_within_the_limit_is_fine(cluster: EmbeddedCluster) -> None:
    value: Any = "leaf"
    for _ in range(40):
        value = {"n": value}
    body = json.dumps(_configmap("nested-ok", data={"k": json.dumps(value)}, metadata={"name": "nested-ok",
                                                                                        "annotations": {}})).encode()
    assert _post(cluster, body)[0] == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded",
                                          "text/yaml"])
def test_unsupported_media_types_are_415(cluster: EmbeddedCluster, content_type: str) -> None:
    body = json.dumps(_configmap("media")).encode()
    status, payload = _post(cluster, body, content_type)
    assert status == 415
    assert _status(payload) == ("UnsupportedMediaType", UNKNOWN_FORMAT)
    assert not _stored(cluster, "media")


def test_a_missing_content_type_is_json(cluster: EmbeddedCluster) -> None:
    body = json.dumps(_configmap("no-content-type")).encode()
    head = _head("POST", CONFIGMAPS, {"Content-Length": str(len(body))}, cluster.token)
    assert _exchange(cluster, head + body)[0] == 201


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_400_and_never_stored(cluster: EmbeddedCluster, number: bytes) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"inf"},"x":' + number + b"}"
    status, payload = _post(cluster, body)
    assert status == 400
    assert not _stored(cluster, "inf")
    message = _status(payload)[1]
    if number.lstrip(b"-")[:1].isdigit():
        assert message == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
                           f"number {number.decode()} into Go value of type float64")
    else:
        assert "json parse error: invalid character" in message


def test_yaml_infinity_is_400(cluster: EmbeddedCluster) -> None:
    status, payload = _post(cluster, b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yinf}\nx: .inf\n",
                            "application/yaml")
    assert status == 400
    assert "json: unsupported value: +Inf" in _status(payload)[1]


# --- slow and numerous clients ------------------------------------------------------------------------------


def test_half_sent_requests_hold_no_thread_and_lock_nobody_out(cluster: EmbeddedCluster) -> None:
    threads_before = threading.active_count()
    slow: list[socket.socket] = []
    try:
        for index in range(120):                 # three times the connection cap
            sock = _connect(cluster)
            sock.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Slow-" + str(index).encode())
            slow.append(sock)
        assert threading.active_count() <= threads_before + LIMITS.max_workers
        status, _headers, _payload = _exchange(cluster, b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 200
        assert cluster._http is not None and cluster._http.open_connections <= LIMITS.max_connections
    finally:
        for sock in slow:
            sock.close()


def test_a_half_sent_request_is_closed_after_the_header_timeout(cluster: EmbeddedCluster) -> None:
    with _connect(cluster) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(LIMITS.header_timeout * 10)
        assert sock.recv(100) == b""


def test_a_body_that_never_arrives_is_closed_after_the_body_timeout(cluster: EmbeddedCluster) -> None:
    head = _head("POST", CONFIGMAPS, {"Content-Type": "application/json", "Content-Length": "100"}, cluster.token)
    with _connect(cluster) as sock:
        sock.sendall(head + b"{")
        sock.settimeout(LIMITS.body_timeout * 10)
        assert sock.recv(100) == b""


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(cluster: EmbeddedCluster) -> None:
    with _connect(cluster) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
        sock.settimeout(LIMITS.idle_timeout * 10)
        assert sock.recv(100) == b""


def test_streams_beyond_the_cap_get_429(cluster: EmbeddedCluster) -> None:
    watches: list[socket.socket] = []
    head = _head("GET", "/api/v1/namespaces?watch=true&timeoutSeconds=30", {}, cluster.token)
    try:
        for _ in range(LIMITS.max_streams):
            sock = _connect(cluster)
            sock.sendall(head)
            assert sock.recv(12) == b"HTTP/1.1 200"
            watches.append(sock)
        status, headers, payload = _exchange(cluster, head)
        assert status == 429
        assert headers["retry-after"] == "1"
        assert _status(json.loads(payload))[0] == "TooManyRequests"
    finally:
        for sock in watches:
            sock.close()
    deadline = time.monotonic() + 10
    while cluster.store.watcher_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    status, _headers, _payload = _exchange(cluster, _head("GET", "/api/v1/namespaces?watch=true&timeoutSeconds=1",
                                                          {}, cluster.token))
    assert status == 200


# --- cluster serve --kubeconfig -----------------------------------------------------------------------------


def _serve(kubeconfig: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--insecure-http",
                           "--kubeconfig", str(kubeconfig), *extra], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_cluster_serve_refuses_to_overwrite_an_existing_kubeconfig(tmp_path: Path) -> None:
    existing = tmp_path / "config"
    existing.write_text("precious: true\n")
    result = _serve(existing)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: kubeconfig {existing} already exists: refusing to overwrite it "
                                     "(pass --overwrite-kubeconfig to replace it)")
    assert existing.read_text() == "precious: true\n"


def test_cluster_serve_never_follows_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real-config"
    target.write_text("precious: true\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert _serve(link).returncode == 1
    assert _serve(dangling).returncode == 1
    assert target.read_text() == "precious: true\n"
    assert not (tmp_path / "nowhere").exists()


def test_overwriting_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real-config"
    target.write_text("precious: true\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    with EmbeddedCluster(kubeconfig=link, tls=False, overwrite_kubeconfig=True) as running:
        assert running.kubeconfig_path == link
        assert not link.is_symlink()
        assert "clusters" in link.read_text()
        assert link.stat().st_mode & 0o777 == 0o600
    assert target.read_text() == "precious: true\n"


def test_a_new_kubeconfig_is_written_when_overwriting_is_not_allowed(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new-config"
    with EmbeddedCluster(kubeconfig=path, tls=False, overwrite_kubeconfig=False):
        assert path.stat().st_mode & 0o777 == 0o600
