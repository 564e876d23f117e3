"""Watch semantics: resourceVersion replay, 410 Expired, bookmarks, selector transitions, initial events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster, Timing
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store


def _stream(cluster: EmbeddedCluster, path: str, timeout: float = 5) -> Iterator[dict[str, Any]]:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    request = urllib.request.Request(f"{cluster.server_url}{path}",
                                     headers={"Authorization": f"Bearer {cluster.token}"})
    with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
        for line in response:
            yield json.loads(line)


def _configmap(cluster: EmbeddedCluster, namespace: str, name: str, labels: dict[str, str] | None = None) -> dict:
    rt = cluster.registry.lookup("", "v1", "configmaps")
    assert rt is not None
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}}
    return cluster.api.create(rt, namespace, body).obj


def test_replay_from_resource_version_in_order(cluster: EmbeddedCluster, namespace: str) -> None:
    labels = {"replay": "yes"}
    first = _configmap(cluster, namespace, "one", labels)
    _configmap(cluster, namespace, "two", labels)
    _configmap(cluster, namespace, "three", labels)
    path = (f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=1&labelSelector=replay%3Dyes"
            f"&resourceVersion={first['metadata']['resourceVersion']}")
    events = list(_stream(cluster, path))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "two"), ("ADDED", "three")]


def test_watch_without_resource_version_starts_with_current_state(cluster: EmbeddedCluster, namespace: str) -> None:
    _configmap(cluster, namespace, "existing")
    events = list(_stream(cluster, f"/api/v1/namespaces/{namespace}/configmaps?watch=1&timeoutSeconds=1"))
    assert ("ADDED", "existing") in [(e["type"], e["object"]["metadata"]["name"]) for e in events]


def test_label_selector_transitions_become_added_and_deleted(cluster: EmbeddedCluster, namespace: str) -> None:
    created = _configmap(cluster, namespace, "moving", {"stage": "a"})
    rt = cluster.registry.lookup("", "v1", "configmaps")
    assert rt is not None
    path = (f"/api/v1/namespaces/{namespace}/configmaps?watch=true&labelSelector=stage%3Db&timeoutSeconds=2"
            f"&resourceVersion={created['metadata']['resourceVersion']}")
    collected: list[tuple[str, str]] = []
    reader = threading.Thread(target=lambda: collected.extend(
        (e["type"], e["object"]["metadata"]["labels"]["stage"]) for e in _stream(cluster, path)))
    reader.start()  # the watch starts at the object's resourceVersion, so it replays what it has not seen yet
    for stage in ("b", "b2", "b"):
        cluster.api.patch(rt, namespace, "moving", "application/merge-patch+json",
                          {"metadata": {"labels": {"stage": stage}}})
    reader.join(timeout=10)
    assert collected == [("ADDED", "b"), ("DELETED", "b2"), ("ADDED", "b")]


def test_too_old_resource_version_is_an_expired_error_event() -> None:
    registry = ResourceRegistry()
    server = ApiServer(registry, Store(Limits(watch_history_min_events=3, watch_history_max_events=3)),
                       StrategyRegistry())
    namespaces = registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    for index in range(6):
        server.create(namespaces, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"n{index}"}})
    from chainsaw_py.embedded.apierrors import Gone

    with pytest.raises(Gone) as expired:
        server.watch(namespaces, 1, server.make_filter(namespaces, None, None, None))
    assert expired.value.status_body()["reason"] == "Expired"
    assert expired.value.code == 410
    # n3..n5 are kept (rv 4-6): kube-apiserver's watch cache names oldest - 1, the last resourceVersion it can
    # resume from
    assert expired.value.message == "too old resource version: 1 (3)"


def test_bookmarks_and_initial_events_end() -> None:
    with EmbeddedCluster(timing=Timing(bookmark_interval=0.1)) as cluster:
        path = ("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&sendInitialEvents=true"
                "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
        events = list(_stream(cluster, path))
    kinds = [event["type"] for event in events]
    first_bookmark = kinds.index("BOOKMARK")
    assert all(kind == "ADDED" for kind in kinds[:first_bookmark])
    initial_end = events[first_bookmark]["object"]["metadata"]
    assert initial_end["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert kinds.count("BOOKMARK") >= 3
    assert all(int(event["object"]["metadata"]["resourceVersion"]) > 0 for event in events)
