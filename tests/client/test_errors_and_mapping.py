"""The client facade without a server: error shaping, retry classification, REST mapping, paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainsaw_py.client.client import Resource, RestMapper, api_error, connection_error, split_api_version
from chainsaw_py.client.errors import ApiError, NoKindMatchError, NotFoundError
from chainsaw_py.client.watch import _lines
from chainsaw_py.errors import ChainsawError


def status(code: int, reason: str, message: str) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                       "reason": reason, "message": message}).encode()


@pytest.mark.parametrize(("code", "body", "kind", "reason", "message"), [
    (404, status(404, "NotFound", 'configmaps "x" not found'), NotFoundError, "NotFound",
     'configmaps "x" not found'),
    (409, status(409, "AlreadyExists", 'configmaps "x" already exists'), ApiError, "AlreadyExists",
     'configmaps "x" already exists'),
    (400, status(400, "BadRequest", 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
                 'error: unknown field "bar"'), ApiError, "BadRequest",
     'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bar"'),
    (404, b"", NotFoundError, "NotFound", "the server could not find the requested resource"),
    (409, b"", ApiError, "Conflict", "the server reported a conflict"),
    (503, b"", ApiError, "ServiceUnavailable", "the server is currently unable to handle the request"),
    (500, b"boom", ApiError, "InternalError", "an error on the server (boom) has prevented the request from succeeding"),
    (418, b"", ApiError, "teapot", "the server responded with the status code 418 but did not return more information"),
])
def test_api_errors_read_like_go_status_errors(code: int, body: bytes, kind: type, reason: str,
                                               message: str) -> None:
    error = api_error(code, "teapot" if code == 418 else "", body)
    assert type(error) is kind
    assert (error.code, error.reason, str(error)) == (code, reason, message)
    assert isinstance(error, ChainsawError)  # one line for users, never a traceback


@pytest.mark.parametrize(("code", "reason", "retryable"), [
    (409, "Conflict", True),
    (409, "AlreadyExists", False),   # a known reason: not a conflict (apimachinery's IsConflict)
    (409, "SomethingNew", True),     # an unknown reason falls back to the code
    (504, "ServerTimeout", True),
    (504, "Timeout", False),
    (429, "TooManyRequests", True),
    (429, "Invalid", True),          # IsTooManyRequests also looks at the code
    (503, "ServiceUnavailable", True),
    (503, "", False),
    (404, "NotFound", False),
    (422, "Invalid", False),
    (400, "BadRequest", False),
])
def test_retryable_errors_follow_apimachinery(code: int, reason: str, retryable: bool) -> None:
    assert ApiError("x", code=code, reason=reason).retryable is retryable


def test_connection_errors_read_like_go_url_errors() -> None:
    err = connection_error("GET", "https://127.0.0.1:1/api/v1", OSError("connection refused"))
    assert str(err) == 'Get "https://127.0.0.1:1/api/v1": connection refused'
    assert err.code == 0 and not err.retryable


@pytest.mark.parametrize(("api_version", "expected"), [
    ("v1", ("", "v1")), ("apps/v1", ("apps", "v1")), ("example.example.com/v1alpha1", ("example.example.com", "v1alpha1")),
])
def test_split_api_version(api_version: str, expected: tuple[str, str]) -> None:
    assert split_api_version(api_version) == expected


def test_split_api_version_refuses_extra_slashes() -> None:
    with pytest.raises(ApiError, match="unexpected GroupVersion string: a/b/c"):
        split_api_version("a/b/c")


@pytest.mark.parametrize(("resource", "args", "path"), [
    (Resource("", "v1", "Pod", "pods", True), ("ns", "p", ""), "/api/v1/namespaces/ns/pods/p"),
    (Resource("", "v1", "Pod", "pods", True), ("ns", "p", "status"), "/api/v1/namespaces/ns/pods/p/status"),
    (Resource("", "v1", "Pod", "pods", True), ("", "", ""), "/api/v1/pods"),
    (Resource("", "v1", "Namespace", "namespaces", False), ("ignored", "n", ""), "/api/v1/namespaces/n"),
    (Resource("apps", "v1", "Deployment", "deployments", True), ("a b", "x/y", ""),
     "/apis/apps/v1/namespaces/a%20b/deployments/x%2Fy"),
])
def test_resource_paths(resource: Resource, args: tuple[str, str, str], path: str) -> None:
    assert resource.path(*args) == path


def test_kubectl_names_are_fully_qualified_for_groups() -> None:
    assert Resource("", "v1", "Pod", "pods", True).kubectl_name == "pods"
    assert Resource("apps", "v1", "Deployment", "deployments", True).kubectl_name == "deployments.v1.apps"


class FakeDiscovery:
    """Discovery documents that can change, as when a CRD is registered."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {
            "/api/v1": {"resources": [{"name": "pods", "kind": "Pod", "namespaced": True},
                                      {"name": "pods/status", "kind": "Pod", "namespaced": True},
                                      {"name": "namespaces", "kind": "Namespace", "namespaced": False}]},
        }
        self.calls: list[str] = []

    def __call__(self, path: str) -> dict[str, Any]:
        self.calls.append(path)
        if path not in self.documents:
            raise NotFoundError("the server could not find the requested resource")
        return self.documents[path]


def test_rest_mapper_caches_and_refreshes_on_unknown_kinds() -> None:
    discovery = FakeDiscovery()
    mapper = RestMapper(discovery)
    assert mapper.resource_for("v1", "Pod") == Resource("", "v1", "Pod", "pods", True)
    assert mapper.resource_for("v1", "Namespace").namespaced is False
    assert discovery.calls == ["/api/v1"]  # cached
    with pytest.raises(NoKindMatchError, match='no matches for kind "Issue" in version "example.com/v1"'):
        mapper.resource_for("example.com/v1", "Issue")
    discovery.documents["/apis/example.com/v1"] = {
        "resources": [{"name": "issues", "kind": "Issue", "namespaced": True}]}
    assert mapper.resource_for("example.com/v1", "Issue").plural == "issues"
    assert discovery.calls.count("/apis/example.com/v1") == 2


class FakeStream:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def stream(self, amt: Any = None, decode_content: bool = False) -> Any:
        return iter(self.chunks)


def test_watch_lines_are_split_across_chunks() -> None:
    chunks = [b'{"type":"ADDED"}\n{"type":', b'"MODIFIED"}\n\n', b'{"type":"DELETED"}']
    assert [json.loads(line)["type"] for line in _lines(FakeStream(chunks))] == ["ADDED", "MODIFIED", "DELETED"]


def test_request_deadlines_bound_requests() -> None:
    from chainsaw_py.client.deadline import MIN_REQUEST_SECONDS, bounded_timeout, request_deadline

    assert bounded_timeout(None) is None and bounded_timeout(7.0) == 7.0
    with request_deadline(30.0):
        bounded = bounded_timeout(None)
        assert bounded is not None and 29.0 < bounded <= 30.0
        assert bounded_timeout(5.0) == 5.0
        with request_deadline(0.0):
            assert bounded_timeout(None) == MIN_REQUEST_SECONDS
    assert bounded_timeout(None) is None
    with request_deadline(None):
        assert bounded_timeout(None) is None
