"""Issue 10, the embedded API server's query parameters: malformed integers (``?limit=1e23``) are
kube-apiserver's 400 with apimachinery's conversion message, malformed resource versions its 500 (watch
cache) or 400 (etcd), and a negative ``timeoutSeconds`` ends a watch at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.codec import watch_timeout
from chainsaw_py.golang.strconv import parse_int, parse_uint

from .test_server_limits import _exchange, _head

PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tls=False) as running:
        yield running


def get(cluster: EmbeddedCluster, path: str, method: str = "GET") -> tuple[int, dict[str, Any] | bytes]:
    status, _, body = _exchange(cluster, _head(method, path, {}, cluster.token))
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


@pytest.mark.parametrize(("query", "message"), [
    ("limit=1e23", 'strconv.ParseInt: parsing "1e23": invalid syntax'),
    ("limit=99999999999999999999", 'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    ("limit=1_000", 'strconv.ParseInt: parsing "1_000": invalid syntax'),
    ("limit=%205", 'strconv.ParseInt: parsing " 5": invalid syntax'),
    ("limit=", 'strconv.ParseInt: parsing "": invalid syntax'),
    ("limit=%D9%A5", 'strconv.ParseInt: parsing "٥": invalid syntax'),
    ("timeoutSeconds=0.1s", 'strconv.ParseInt: parsing "0.1s": invalid syntax'),
    ("watch=true&timeoutSeconds=1e3", 'strconv.ParseInt: parsing "1e3": invalid syntax'),
])
def test_malformed_integers_are_400_with_the_conversion_message(cluster: EmbeddedCluster, query: str,
                                                                message: str) -> None:
    status, body = get(cluster, f"{PODS}?{query}")
    assert status == 400
    assert isinstance(body, dict) and (body["reason"], body["message"]) == ("BadRequest", message)


def test_other_integer_parameters(cluster: EmbeddedCluster) -> None:
    status, body = get(cluster, "/api/v1/namespaces/default/configmaps/x?gracePeriodSeconds=1.5", "DELETE")
    assert (status, body["message"]) == (400, 'strconv.ParseInt: parsing "1.5": invalid syntax')  # type: ignore[index]
    status, body = get(cluster, f"{PODS}/x/log?tailLines=ten")
    assert (status, body["message"]) == (400, 'strconv.ParseInt: parsing "ten": invalid syntax')  # type: ignore[index]


def test_well_formed_integers_are_served(cluster: EmbeddedCluster) -> None:
    assert get(cluster, f"{PODS}?limit=%2B5")[0] == 200
    assert get(cluster, f"{PODS}?limit=5&limit=x")[0] == 200  # the first value, as url.Values conversion reads
    status, body = get(cluster, "/api/v1/namespaces?limit=-5")  # no limit (it was a 500 IndexError)
    assert status == 200 and isinstance(body, dict) and len(body["items"]) >= 4 and "continue" not in body["metadata"]


def test_malformed_resource_versions(cluster: EmbeddedCluster) -> None:
    field_error = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
    for path in (f"{PODS}?resourceVersion=abc", f"{PODS}?watch=true&resourceVersion=abc",
                 "/api/v1/namespaces/default?resourceVersion=abc"):
        status, body = get(cluster, path)  # the watch cache: an error the apiserver does not classify
        assert status == 500 and isinstance(body, dict)
        assert body["message"] == field_error and "reason" not in body
    status, body = get(cluster, f"{PODS}?resourceVersion=abc&limit=5")  # handed to etcd
    assert status == 400 and isinstance(body, dict)
    assert body["message"] == f"invalid resource version: {field_error}"
    status, body = get(cluster, f"{PODS}?watch=true&resourceVersion=-1")
    assert status == 500 and 'strconv.ParseUint: parsing "-1": invalid syntax' in body["message"]  # type: ignore[index]


@pytest.mark.parametrize("seconds", ["-1", "9223372036854775807"])  # the second wraps to -1s in Go
def test_a_negative_watch_timeout_ends_the_watch_at_once(cluster: EmbeddedCluster, seconds: str) -> None:
    path = f"/api/v1/namespaces?watch=true&timeoutSeconds={seconds}"
    status, _headers, body = _exchange(cluster, _head("GET", path, {}, cluster.token))  # a hang: the read times out
    assert status == 200
    assert body.strip() in (b"", b"0")  # the stream ends (the last chunk), without even the initial ADDED events


def test_watch_timeouts_are_computed_as_go_does() -> None:
    assert watch_timeout(5) == 5.0
    assert watch_timeout(-3) == -3.0
    assert watch_timeout(9223372036854775807) == -1.0  # int64 nanoseconds wrap
    assert 1800 <= watch_timeout(0) <= 3600


def test_go_parse_int_and_uint() -> None:
    assert parse_int("-9223372036854775808") == -(1 << 63)
    assert parse_int("0" * 5000 + "7") == 7
    assert parse_uint("18446744073709551615") == (1 << 64) - 1
    for bad, function in (("+", parse_int), ("-1", parse_uint), ("1" * 5000, parse_int), ("", parse_uint)):
        with pytest.raises(ValueError, match=r"^strconv\.Parse(U)?[Ii]nt: parsing "):
            function(bad)


def test_an_exact_list_at_a_malformed_resource_version_is_etcds_400(cluster: EmbeddedCluster) -> None:
    status, body = get(cluster, f"{PODS}?resourceVersionMatch=Exact&resourceVersion=99999999999999999999")
    assert status == 400 and isinstance(body, dict)
    assert body["message"] == ('invalid resource version: resourceVersion: Invalid value: "99999999999999999999": '
                               'strconv.ParseUint: parsing "99999999999999999999": value out of range')


@pytest.mark.parametrize(("options", "message"), [
    (b'{"gracePeriodSeconds": "x"}', "json: cannot unmarshal string into Go struct field "
                                     "DeleteOptions.gracePeriodSeconds of type int64"),  # was a ValueError traceback
    (b'{"gracePeriodSeconds": 1.5}', "json: cannot unmarshal number 1.5 into Go struct field "
                                     "DeleteOptions.gracePeriodSeconds of type int64"),
    (b'{"preconditions": {"uid": 5}}', "json: cannot unmarshal number into Go struct field "
                                       "Preconditions.preconditions.uid of type types.UID"),
    (b'{"dryRun": [1]}', "json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string"),
])
def test_delete_options_of_the_wrong_type(cluster: EmbeddedCluster, options: bytes, message: str) -> None:
    path = "/api/v1/namespaces/default/configmaps/anything"
    head = _head("DELETE", path, {"Content-Type": "application/json", "Content-Length": str(len(options))},
                 cluster.token)
    status, _headers, body = _exchange(cluster, head + options)
    payload = json.loads(body)
    assert status == 500 and payload["message"] == message and "reason" not in payload  # DeleteResource: unclassified


def test_a_created_object_with_a_non_numeric_resource_version_is_created(cluster: EmbeddedCluster) -> None:
    """etcd3 refuses a numeric resourceVersion on create; one it cannot parse is cleared."""
    for version, expected in (("abc", 201), ("0", 201), ("12", 500)):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"rv-{expected}-{version}", "resourceVersion": version}}).encode()
        head = _head("POST", "/api/v1/namespaces/default/configmaps",
                     {"Content-Type": "application/json", "Content-Length": str(len(body))}, cluster.token)
        status, _headers, payload = _exchange(cluster, head + body)
        assert status == expected, payload
