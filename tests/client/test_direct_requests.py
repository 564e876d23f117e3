"""Requests go straight to the API server's connection pool, encoded as the kubernetes package's REST client
encodes them; with a proxy the package's own path is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainsaw_py.client.client import _encoded_body
from chainsaw_py.client.clusters import connect
from chainsaw_py.client.errors import ApiError


def test_bodies_are_encoded_as_the_rest_client_encodes_them() -> None:
    headers = {"Content-Type": "application/json"}
    assert json.loads(_encoded_body({"a": 1}, headers)) == {"a": 1}
    assert _encoded_body(None, headers) is None
    patch = {"Content-Type": "application/json-patch+json"}
    assert json.loads(_encoded_body([{"op": "remove", "path": "/x"}], patch)) == [{"op": "remove", "path": "/x"}]
    assert patch["Content-Type"] == "application/json-patch+json"
    quirk = {"Content-Type": "application/json-patch+json"}
    _encoded_body({"x": 1}, quirk)   # the package sends a non-list JSON patch as a strategic merge patch
    assert quirk["Content-Type"] == "application/strategic-merge-patch+json"
    assert _encoded_body({"k": "v"}, {"Content-Type": "application/apply-patch+yaml"}) == '{"k": "v"}'
    assert _encoded_body("raw: text", {"Content-Type": "text/plain"}) == "raw: text"
    with pytest.raises(ApiError, match="cannot send a dict body as text/plain"):
        _encoded_body({"k": "v"}, {"Content-Type": "text/plain"})


def _kubeconfig(tmp_path: Path, proxy: str | None) -> Path:
    cluster = {"server": "http://127.0.0.1:1/base"}
    if proxy:
        cluster["proxy-url"] = proxy
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "c", "cluster": cluster}], "users": [{"name": "u", "user": {"token": "t"}}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


def test_the_pool_is_used_without_a_proxy_and_the_server_path_is_kept(tmp_path: Path) -> None:
    client = connect(_kubeconfig(tmp_path, None)).client
    assert client._direct_pool() is not None
    assert client._base_path == "/base"


def test_a_proxy_keeps_the_kubernetes_package_path(tmp_path: Path) -> None:
    client = connect(_kubeconfig(tmp_path, "http://127.0.0.1:3128")).client
    assert client._direct_pool() is None
