"""Issue 10: fuzzing the API server's request decoding -- the HTTP head and chunked-body parsers, the body
codec, and whole requests against a running server. Every input ends in data or in the apiserver's 4xx
answer: never a 500, a traceback or a dropped connection; memory stays bounded."""

from __future__ import annotations

import json
import socket
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.bodies import BodyError, decode
from chainsaw_py.embedded.httpserver import _ChunkedBody, _ProtocolError, _TooLarge, parse_head
from chainsaw_py.embedded.limits import Limits

MEDIA = ["application/json", "application/yaml", "application/merge-patch+json", "application/apply-patch+yaml"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**65), 2**65) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)


@FUZZ
@given(body=st.binary(max_size=2048), content_type=st.sampled_from(MEDIA))
def test_any_bytes_decode_to_data_or_a_bad_request(body: bytes, content_type: str) -> None:
    try:
        decode(body, content_type, "ConfigMap", max_depth=20)
    except BodyError as err:
        assert err.status == 400
        assert err.message.startswith(("the object provided is unrecognized (must be of type ConfigMap): ",
                                       'ConfigMap in version "'))


def _as_apiserver_reads(value: Any) -> Any:
    """apimachinery decodes a JSON number to int64 when it fits, to float64 otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return float(value)
    if isinstance(value, list):
        return [_as_apiserver_reads(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_apiserver_reads(item) for key, item in value.items()}
    return value


@FUZZ
@given(value=json_values, depth=st.integers(min_value=0, max_value=60))
def test_json_values_round_trip_or_exceed_the_depth(value: Any, depth: int) -> None:
    for _ in range(depth):
        value = [value]
    text = json.dumps(value).encode()
    try:
        assert decode(text, "application/json", "ConfigMap", max_depth=40) == _as_apiserver_reads(value)
    except BodyError as err:
        assert "exceeded max depth" in err.message


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("ab:-&*[]{}, \n'\"!|>#%@`?.0123456789")), max_size=400))
def test_yaml_fragments_decode_or_are_refused(text: str) -> None:
    try:
        decode(text.encode(), "application/yaml", "ConfigMap", max_depth=20)
    except BodyError as err:
        assert err.status == 400


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_alias_bombs_cost_neither_time_nor_memory(levels: int) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    tracemalloc.start()
    try:
        with pytest.raises(BodyError, match="excessive aliasing"):
            decode("\n".join(lines).encode(), "application/yaml", "ConfigMap", max_depth=100)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


@FUZZ
@given(head=st.binary(max_size=600))
def test_any_request_head_parses_or_is_a_protocol_error(head: bytes) -> None:
    try:
        request, _keep_alive = parse_head(head)
    except _ProtocolError as err:
        assert err.status in (400, 501)
    else:
        assert request.body_length is None or request.body_length >= 0


@FUZZ
@given(data=st.binary(max_size=600), split=st.integers(min_value=0, max_value=600))
def test_any_chunked_body_decodes_or_is_refused_incrementally(data: bytes, split: int) -> None:
    parser = _ChunkedBody(limit=256)
    buffer = bytearray(data[:split])
    try:
        position = parser.feed(buffer, 0)
        buffer += data[split:]
        parser.feed(buffer, position)
    except (_ProtocolError, _TooLarge):
        return
    assert parser.size <= 256
    # ``size`` counts the declared chunk lengths: a body still arriving holds less than it
    if parser.done:
        assert len(parser.body()) == parser.size
    else:
        assert len(parser.body()) <= parser.size


# --- whole requests against a running server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    limits = Limits(max_body_bytes=16 * 1024, header_timeout=2.0, body_timeout=2.0, max_json_depth=30)
    with EmbeddedCluster(tls=False, limits=limits) as running:
        yield running


def _send(cluster: EmbeddedCluster, data: bytes) -> bytes:
    port = int(cluster.server_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=1024), json_values.map(lambda value: json.dumps(value).encode())),
       content_type=st.sampled_from(MEDIA + ["text/plain", "application/xml", ""]),
       method=st.sampled_from(["POST", "PUT", "PATCH"]))
def test_fuzzed_writes_get_an_api_answer_never_a_500(cluster: EmbeddedCluster, body: bytes, content_type: str,
                                                      method: str) -> None:
    path = "/api/v1/namespaces/default/configmaps" + ("" if method == "POST" else "/fuzzed")
    head = f"{method} {path}?fieldManager=fuzz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cluster.token}\r\n" \
           f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    answer = _send(cluster, head.encode() + b"\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    status = int(answer[9:12])
    assert status < 500, answer[:600]
    payload = answer.partition(b"\r\n\r\n")[2]
    if status >= 400:
        assert json.loads(payload)["kind"] == "Status"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=512))
def test_fuzzed_raw_requests_never_break_the_server(cluster: EmbeddedCluster, raw: bytes) -> None:
    answer = _send(cluster, raw)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 "), answer[:200]
    if answer:
        assert int(answer[9:12]) < 500, answer[:600]
    assert _send(cluster, b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200")
