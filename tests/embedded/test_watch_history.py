"""The watch history: per resource type, sized like kube-apiserver's watch cache (a window of fresh events
between a lower and an upper capacity), bounded in bytes, kept as the JSON watchers are sent; resuming within
it replays, before it is kube-apiserver's ``410 Expired``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.apierrors import Gone
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import HistoryExpired, Store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _configmap(name: str, namespace: str = "ns", payload: str = "") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"payload": payload}}


def _limits(**fields: Any) -> Limits:
    defaults: dict[str, Any] = {"watch_history_min_events": 4, "watch_history_max_events": 16,
                                "watch_history_seconds": 75.0}
    return Limits(**{**defaults, **fields})


def _names(events: list[Any]) -> list[tuple[str, str]]:
    return [(event.type, event.obj["metadata"]["name"]) for event in events]


# --- resuming within and beyond the kept window --------------------------------------------------------------

def test_resuming_within_the_window_replays_every_later_event_of_that_type() -> None:
    store = Store(_limits(watch_history_min_events=3, watch_history_max_events=3))
    for index in range(5):
        store.create("", "configmaps", _configmap(f"c{index}"))   # rv 1..5; c2..c4 (rv 3-5) are kept
    watcher, replay = store.watch("", "configmaps", 2)             # oldest - 1: everything after it is kept
    assert _names(replay) == [("ADDED", "c2"), ("ADDED", "c3"), ("ADDED", "c4")]
    watcher.stop()
    watcher, replay = store.watch("", "configmaps", 4)
    assert _names(replay) == [("ADDED", "c4")] and replay[0].rv == 5
    watcher.stop()
    with pytest.raises(HistoryExpired) as expired:
        store.watch("", "configmaps", 1)
    assert str(expired.value) == "too old resource version: 1 (2)"


def test_an_unbroken_history_never_expires() -> None:
    store = Store(_limits())
    for index in range(4):
        store.create("", "configmaps", _configmap(f"c{index}"))
    watcher, replay = store.watch("", "configmaps", 0)
    assert len(replay) == 4
    watcher.stop()


def test_replayed_events_are_the_committed_ones_with_their_previous_versions() -> None:
    store = Store(_limits())
    created = store.create("", "configmaps", _configmap("c", payload="1"))
    updated = store.update("", "configmaps", {**_configmap("c", payload="2")})
    deleted = store.delete("", "configmaps", "ns", "c")
    watcher, replay = store.watch("", "configmaps", created.rv - 1)
    watcher.stop()
    assert [event.type for event in replay] == ["ADDED", "MODIFIED", "DELETED"]
    assert [event.stored.encoded() for event in replay] == [created.encoded(), updated.encoded(), deleted.encoded()]
    assert [event.rv for event in replay] == [created.rv, updated.rv, deleted.rv]
    assert replay[0].old is None
    assert replay[1].old is not None and replay[1].old.obj["data"] == {"payload": "1"}
    assert replay[2].old is not None and replay[2].old.obj["data"] == {"payload": "2"}


def test_other_resource_types_do_not_push_a_type_out_of_its_history() -> None:
    store = Store(_limits(watch_history_min_events=2, watch_history_max_events=2))
    first = store.create("", "configmaps", _configmap("kept"))
    for index in range(50):
        store.create("", "namespaces", {"metadata": {"name": f"n{index}"}})
    watcher, replay = store.watch("", "configmaps", first.rv - 1)
    watcher.stop()
    assert _names(replay) == [("ADDED", "kept")]
    with pytest.raises(HistoryExpired):
        store.watch("", "namespaces", 1)


def test_an_expired_watch_is_the_apiservers_status_in_one_error_event() -> None:
    limits = _limits(watch_history_min_events=2, watch_history_max_events=2)
    with EmbeddedCluster(limits=limits) as cluster:
        templates = cluster.registry.lookup("", "v1", "podtemplates")   # a type no controller writes
        assert templates is not None
        created = [cluster.api.create(templates, "default", {
            "apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": f"t{index}"},
            "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}).obj for index in range(4)]
        rvs = [int(obj["metadata"]["resourceVersion"]) for obj in created]   # t2 and t3 are kept
        too_old = rvs[2] - 2
        events = list(_stream(cluster, f"/api/v1/podtemplates?watch=true&resourceVersion={too_old}&timeoutSeconds=1"))
        assert events == [{"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": f"too old resource version: {too_old} ({rvs[2] - 1})", "reason": "Expired", "code": 410}}]
        resumed = list(_stream(cluster, f"/api/v1/namespaces/default/podtemplates?watch=true&resourceVersion="
                                        f"{rvs[2] - 1}&timeoutSeconds=1"))
        assert [(event["type"], event["object"]["metadata"]["name"]) for event in resumed] == [
            ("ADDED", "t2"), ("ADDED", "t3")]


def test_an_exact_list_before_the_history_is_gone() -> None:
    registry = ResourceRegistry()
    server = ApiServer(registry, Store(_limits(watch_history_min_events=2, watch_history_max_events=2)),
                       StrategyRegistry())
    configmaps = registry.lookup("", "v1", "configmaps")
    namespaces = registry.lookup("", "v1", "namespaces")
    assert configmaps is not None and namespaces is not None
    server.create(namespaces, "", {"metadata": {"name": "ns"}})
    rvs = [int(server.create(configmaps, "ns", _configmap(f"c{index}")).obj["metadata"]["resourceVersion"])
           for index in range(4)]
    assert [item.obj["metadata"]["name"] for item in server.list(configmaps, "ns", exact_rv=rvs[1]).items] == [
        "c0", "c1"]
    with pytest.raises(Gone):
        server.list(configmaps, "ns", exact_rv=rvs[0])


# --- sizing: a window of fresh events between two capacities -----------------------------------------------

def test_capacity_doubles_while_every_kept_event_is_fresh_up_to_the_upper_bound() -> None:
    clock = FakeClock()
    store = Store(_limits(), clock)
    for index in range(40):
        store.create("", "configmaps", _configmap(f"c{index}"))
        clock.now += 0.1
    history = store.history.get(("", "configmaps"))
    assert history is not None and history.capacity == 16 and len(history) == 16


def test_stale_events_are_not_kept_beyond_the_lower_bound() -> None:
    clock = FakeClock()
    store = Store(_limits(), clock)
    for index in range(16):
        store.create("", "configmaps", _configmap(f"c{index}"))
    history = store.history.get(("", "configmaps"))
    assert history is not None and history.capacity == 16
    clock.now += 76   # the newest quarter of the full history is now older than the window: halve
    store.create("", "configmaps", _configmap("late"))
    assert history.capacity == 8 and len(history) == 8
    clock.now += 76
    store.create("", "configmaps", _configmap("later"))
    store.create("", "configmaps", _configmap("latest"))
    assert history.capacity == 4 and len(history) == 4   # never below the lower bound
    names = [json.loads(entry.data)["metadata"]["name"] for entry in history.after(0)]
    assert names[-3:] == ["late", "later", "latest"]


def test_a_full_history_of_fresh_and_stale_events_keeps_its_capacity() -> None:
    clock = FakeClock()
    store = Store(_limits(), clock)
    for index in range(12):
        store.create("", "configmaps", _configmap(f"old{index}"))
    clock.now += 50
    for index in range(4):
        store.create("", "configmaps", _configmap(f"new{index}"))
    history = store.history.get(("", "configmaps"))
    assert history is not None and history.capacity == 16 and len(history) == 16
    clock.now += 50
    store.create("", "configmaps", _configmap("next"))   # the oldest 3/4 stale, the newest quarter fresh: keep
    assert history.capacity == 16 and len(history) == 16


# --- memory: bounded in bytes, kept compactly --------------------------------------------------------------

def test_a_types_history_is_bounded_in_bytes_and_keeps_its_newest_event() -> None:
    store = Store(_limits(watch_history_max_events=1000, watch_history_max_bytes=4000))
    for index in range(200):
        store.create("", "configmaps", _configmap(f"c{index}", payload="x" * 300))
    history = store.history.get(("", "configmaps"))
    assert history is not None
    assert history.bytes <= 4000 and history.bytes == sum(entry.size for entry in history.after(0))
    assert 5 <= len(history) < 200
    huge = store.create("", "configmaps", _configmap("huge", payload="y" * 10_000))
    assert [entry.rv for entry in history.after(0)] == [huge.rv]
    with pytest.raises(HistoryExpired):
        store.watch("", "configmaps", huge.rv - 2)
    watcher, replay = store.watch("", "configmaps", huge.rv - 1)
    watcher.stop()
    assert _names(replay) == [("ADDED", "huge")]


def test_all_histories_together_are_bounded_in_bytes() -> None:
    store = Store(_limits(watch_history_max_events=10_000, watch_history_max_bytes=1 << 20,
                          watch_history_total_bytes=20_000))
    for index in range(300):
        store.create("", "configmaps", _configmap(f"c{index}", payload="x" * 200))
        store.create("", "namespaces", {"metadata": {"name": f"n{index}"}})
    assert store.history.bytes <= 20_000
    configmaps, namespaces = store.history.get(("", "configmaps")), store.history.get(("", "namespaces"))
    assert configmaps is not None and namespaces is not None
    assert store.history.bytes == configmaps.bytes + namespaces.bytes
    assert len(namespaces) > len(configmaps) > 1   # the largest history gave way first


def test_the_history_keeps_the_json_that_watchers_are_sent() -> None:
    store = Store(_limits())
    created = store.create("", "configmaps", _configmap("c"))
    answered = created.encoded()   # as the server encodes it for the create's response
    updated = store.update("", "configmaps", _configmap("c", payload="2"))
    history = store.history.get(("", "configmaps"))
    assert history is not None
    entries = list(history.after(0))
    assert entries[0].data == created.encoded() and entries[0].old_data is None
    assert entries[1].data == updated.encoded() and entries[1].old_data is answered   # shared once cached
    assert all(isinstance(entry.data, bytes) for entry in entries)


def test_memory_of_a_long_run_is_bounded_by_the_limits() -> None:
    """What a suite of thousands of tests leaves: a few bounded histories, whatever the number of events."""
    limits = _limits(watch_history_max_events=64, watch_history_max_bytes=30_000, watch_history_total_bytes=50_000)
    store = Store(limits, FakeClock())
    for index in range(3000):
        namespace = f"chainsaw-{index}"
        store.create("", "namespaces", {"metadata": {"name": namespace}})
        store.create("", "configmaps", _configmap("c", namespace, payload="x" * 100))
        store.delete("", "configmaps", namespace, "c")
        store.delete("", "namespaces", "", namespace)
    assert store.history.event_count() <= 2 * 64
    assert store.history.bytes <= 50_000
    for resource in ("configmaps", "namespaces"):
        history = store.history.get(("", resource))
        assert history is not None and history.bytes <= 30_000


# --- configuration ------------------------------------------------------------------------------------------

def test_the_defaults_are_the_watch_caches_and_come_from_the_environment() -> None:
    assert (Limits().watch_history_seconds, Limits().watch_history_min_events,
            Limits().watch_history_max_events) == (75, 100, 102_400)
    code = ("from chainsaw_py.embedded.limits import Limits; limits = Limits(); print(limits.watch_history_seconds, "
            "limits.watch_history_max_events, limits.watch_history_max_bytes, limits.watch_history_total_bytes)")
    env = {**os.environ, "CHAINSAW_PY_WATCH_HISTORY_SECONDS": "10", "CHAINSAW_PY_WATCH_HISTORY_MAX_EVENTS": "500",
           "CHAINSAW_PY_WATCH_HISTORY_MAX_BYTES": "1000000", "CHAINSAW_PY_WATCH_HISTORY_TOTAL_BYTES": "nonsense"}
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert output.stdout.split() == ["10", "500", "1000000", str(64 << 20)]


def _stream(cluster: EmbeddedCluster, path: str) -> Iterator[dict[str, Any]]:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    request = urllib.request.Request(f"{cluster.server_url}{path}",
                                     headers={"Authorization": f"Bearer {cluster.token}"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        for line in response:
            yield json.loads(line)


# --- a write's response reuses the encoding the history keeps --------------------------------------------------

def test_commit_encoding_is_handed_once_to_the_thread_that_committed_that_object() -> None:
    store = Store(_limits())
    first = store.create("", "configmaps", _configmap("a", payload="<x>"))
    data = store.commit_encoding(first)
    assert data is not None and json.loads(data) == first.obj and b"\\u003cx\\u003e" in data
    assert store.commit_encoding(first) is None                     # taken once
    second = store.create("", "configmaps", _configmap("b"))
    assert store.commit_encoding(first) is None                     # not the last committed object
    assert store.commit_encoding(second) is None                    # the mismatched look-up cleared it


def test_a_create_response_is_the_object_as_committed_and_served_afterwards() -> None:
    with EmbeddedCluster(tls=False) as cluster:
        pool = urllib3.PoolManager()
        headers = {"Authorization": f"Bearer {cluster.token}", "Content-Type": "application/json"}
        url = f"{cluster.server_url}/api/v1/namespaces/default/configmaps"
        created = pool.request("POST", url, body=json.dumps(_configmap("c", "default", "<&>")), headers=headers)
        assert created.status == 201
        read = pool.request("GET", f"{url}/c", headers=headers)
        assert created.data == read.data
