"""The create pipeline's cached and shared pieces behave as the uncached ones did: compiled schema walks give the
same results and errors on every call, one JSON decoder serves every thread's duplicate-key reports, admission
asks each plugin once per request, uids are version-4 UUIDs, filtered store listeners see only their kinds, and
the serving process's collector settings are restored."""

from __future__ import annotations

import gc
import json
import threading
import uuid
from typing import Any

import pytest

from chainsaw_py.embedded.admission import AdmissionAttributes, AdmissionChain
from chainsaw_py.embedded.apiserver import new_uid
from chainsaw_py.embedded.apply import field_set, record_update
from chainsaw_py.embedded.auth.identity import ADMIN
from chainsaw_py.embedded.bodies import load_json
from chainsaw_py.embedded.decoding import DecodeError, decode_builtin
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.schemas import builtin_definitions
from chainsaw_py.embedded.serialization import serialize_as_go
from chainsaw_py.embedded.store import SERVING_GC_THRESHOLDS, Store, serving_collector

_DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                   "metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "main", "image": "nginx", "ports": [{"containerPort": 80}],
                                            "resources": {"limits": {"cpu": "0.5"}}, "bogus": 1}]}}}}


def _decode(obj: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    definitions = builtin_definitions()
    schema = definitions.for_kind("apps", "v1", "Deployment")
    assert schema is not None
    return decode_builtin(definitions, schema, "Deployment", obj).unknown, obj


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    return load_json(json.dumps(obj).encode(), 200)


def test_a_compiled_decoding_walk_answers_alike_every_time() -> None:
    first, second = _decode(_copy(_DEPLOYMENT)), _decode(_copy(_DEPLOYMENT))
    assert first == second
    assert first[0] == ["spec.template.spec.containers[0].bogus"]
    assert first[1]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "500m"
    wrong = _copy(_DEPLOYMENT)
    wrong["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"
    for _ in range(2):
        with pytest.raises(DecodeError, match="json: cannot unmarshal string into Go struct field "
                                              r"ContainerPort\.spec\.template\.spec\.containers\.ports\.containerPort "
                                              "of type int32"):
            _decode(_copy(wrong))
    labels = _copy(_DEPLOYMENT)
    labels["metadata"]["labels"] = {"app": None, "tier": 3}
    with pytest.raises(DecodeError, match=r"Go struct field ObjectMeta\.metadata\.labels of type string"):
        _decode(labels)


def test_managed_fields_and_go_serialization_of_a_deployment() -> None:
    rt = ResourceRegistry().lookup("apps", "v1", "deployments")
    assert rt is not None
    obj = _decode(_copy(_DEPLOYMENT))[1]
    serialize_as_go(obj, "io.k8s.api.apps.v1.Deployment")
    assert list(obj) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert obj["spec"]["template"]["metadata"]["creationTimestamp"] is None and obj["status"] == {}
    paths = field_set(obj, _schema(rt))
    assert (("f", "spec"), ("f", "template"), ("f", "spec"), ("f", "containers"), ("k", '{"name":"main"}'),
            ("f", "image")) in paths
    record_update(rt, None, obj, "kubectl", "", "2026-01-01T00:00:00Z")
    entry = obj["metadata"]["managedFields"][0]
    assert entry["manager"] == "kubectl" and "f:status" not in entry["fieldsV1"]
    containers = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers['k:{"name":"main"}']["f:ports"]['k:{"containerPort":80}'] == {".": {}, "f:containerPort": {}}


def _schema(rt: Any) -> Any:
    from chainsaw_py.embedded.apply import _schema_for

    return _schema_for(rt)


def test_duplicate_keys_are_reported_to_the_decoding_thread_only() -> None:
    found: dict[int, list[str]] = {}

    def decode(index: int) -> None:
        duplicates: list[str] = []
        for _ in range(200):
            body = b'{"a": 1, "a": 2, "b": {"c": 1, "c": 2}}' if index else b'{"a": 1, "b": 2}'
            load_json(body, 200, duplicates)
        found[index] = duplicates

    threads = [threading.Thread(target=decode, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found[0] == [] and found[1] == ["c", "a"] * 200
    assert load_json(b'{"a": 1, "a": 2}', 200) == {"a": 2}


class _Plugin:
    def __init__(self, name: str, calls: list[str], active: bool = True) -> None:
        self.name, self.calls, self._active = name, calls, active

    def active(self) -> bool:
        self.calls.append(f"{self.name}.active")
        return self._active

    def mutate(self, attrs: AdmissionAttributes) -> None:
        self.calls.append(f"{self.name}.mutate")

    def validate(self, attrs: AdmissionAttributes) -> None:
        self.calls.append(f"{self.name}.validate")


def test_admission_asks_each_plugin_once_then_runs_the_active_ones_in_order() -> None:
    calls: list[str] = []
    chain = AdmissionChain([_Plugin("a", calls), _Plugin("idle", calls, active=False), _Plugin("b", calls)])
    rt = ResourceRegistry().lookup("", "v1", "configmaps")
    assert rt is not None
    attrs = AdmissionAttributes("CREATE", rt, "default", "x", {}, None, ADMIN)
    plugins = chain.active_plugins()
    chain.mutate(attrs, plugins)
    chain.validate(attrs, plugins)
    assert calls == ["a.active", "idle.active", "b.active", "a.mutate", "b.mutate", "a.validate", "b.validate"]
    calls.clear()
    chain.validate(attrs)     # without a snapshot: asked as it goes
    assert calls == ["a.active", "a.validate", "idle.active", "b.active", "b.validate"]


def test_uids_are_canonical_version_4_uuids() -> None:
    uids = {new_uid() for _ in range(500)}
    assert len(uids) == 500
    for text in uids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_filtered_listener_sees_only_its_kinds_and_before_the_others() -> None:
    store = Store()
    seen: list[str] = []
    store.add_listener(lambda event: seen.append(f"all {event.plural}"))
    store.add_listener(lambda event: seen.append(f"cm {event.plural}"), [("", "configmaps")])
    store.create("", "secrets", {"metadata": {"name": "s", "namespace": "default"}})
    store.create("", "configmaps", {"metadata": {"name": "c", "namespace": "default"}})
    assert seen == ["all secrets", "cm configmaps", "all configmaps"]


def test_the_serving_collector_settings_are_restored() -> None:
    before = gc.get_threshold()
    with serving_collector():
        assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
