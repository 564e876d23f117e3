"""Server-side apply: field managers, idempotence, removal of fields a manager stops applying, conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.embedded.apierrors import Conflict
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store
from chainsaw_py.embedded.writes import APPLY_PATCH, WriteOptions


@pytest.fixture
def server() -> ApiServer:
    api = ApiServer(ResourceRegistry(), Store(), StrategyRegistry())
    namespaces = api.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    return api


def _apply(server: ApiServer, manager: str, data: dict[str, str], force: bool = False,
           labels: dict[str, str] | None = None) -> dict[str, Any]:
    rt = server.registry.lookup("", "v1", "configmaps")
    assert rt is not None
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", **({"labels": labels} if labels
                                                                                      else {})}, "data": data}
    return server.patch(rt, "ns", "c", APPLY_PATCH, config, WriteOptions(field_manager=manager, force=force)).obj


def test_apply_creates_then_is_idempotent(server: ApiServer) -> None:
    first = _apply(server, "tool", {"a": "1"})
    assert first["data"] == {"a": "1"}
    entry = first["metadata"]["managedFields"][0]
    assert entry["manager"] == "tool" and entry["operation"] == "Apply"
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}}}
    again = _apply(server, "tool", {"a": "1"})
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_fields_no_longer_applied_are_removed(server: ApiServer) -> None:
    _apply(server, "tool", {"a": "1", "b": "2"}, labels={"x": "y"})
    after = _apply(server, "tool", {"a": "1"})
    assert after["data"] == {"a": "1"}
    assert not after["metadata"].get("labels")


def test_shared_fields_survive_and_conflicts_need_force(server: ApiServer) -> None:
    _apply(server, "one", {"a": "1"})
    both = _apply(server, "two", {"a": "1", "b": "2"})
    assert both["data"] == {"a": "1", "b": "2"}
    with pytest.raises(Conflict) as conflict:
        _apply(server, "two", {"a": "changed"})
    assert conflict.value.message == 'Apply failed with 1 conflict: conflict with "one": .data.a'
    forced = _apply(server, "two", {"a": "changed"}, force=True)
    assert forced["data"] == {"a": "changed"}
    managers = {entry["manager"] for entry in forced["metadata"]["managedFields"]}
    assert managers == {"two"}


def test_entries_applied_into_a_map_applied_empty_before_are_kept(server: ApiServer) -> None:
    """``data: {}`` owns ``.data`` itself; the next apply owns ``.data.a`` instead: structured-merge-diff prunes
    the old set, then adds back whatever a manager owns (with its parents), so ``.data`` stays with ``a``."""
    _apply(server, "tool", {"a": "1", "b": "2"})
    emptied = _apply(server, "tool", {})
    assert not emptied.get("data")
    assert emptied["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {}}
    refilled = _apply(server, "tool", {"a": "new"})
    assert refilled["data"] == {"a": "new"}
    assert refilled["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}
