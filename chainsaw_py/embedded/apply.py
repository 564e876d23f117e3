"""Server-side apply (``application/apply-patch+yaml``) with field managers.

Each applier's owned fields are recorded in ``metadata.managedFields`` (FieldsV1, operation ``Apply``).
Applying merges the configuration into the live object (associative lists by their keys, sets as sets,
everything else replaced), removes fields the same manager applied before but no longer does, and reports
conflicts with other managers' differing values unless ``force=true``. Repeated applies of the same
configuration by one manager are no-ops. As in structured-merge-diff, only changed leaf values conflict: an
associative list item both sides keep (``k:{"name":"main"}``) is not itself a conflict.

Non-apply writes (create, update, patch) with a field manager are recorded as ``Update`` entries owning the
fields the write changed (per API version and subresource); those fields leave the other managers' sets, and
a later apply that changes them conflicts with the updater.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from chainsaw_py.embedded.apierrors import BadRequest, Conflict
from chainsaw_py.embedded.patch import SchemaCursor
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.schemas import Definitions, builtin_definitions
from chainsaw_py.embedded.store import StoreConflict
from chainsaw_py.embedded.writes import ObjectServer, Result, WriteOptions

PathElement = tuple[str, str]
FieldPath = tuple[PathElement, ...]
_SKIP_TOP = ("apiVersion", "kind")
_SKIP_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
              "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")


class _Schema:
    """List semantics for structured merge: associative (keys), set, or atomic.

    Built-in kinds' nodes are compiled once (see :func:`_builtin`): a node's answers and children are kept, so
    that walking an object costs dictionary lookups, not schema resolution. A custom resource's schema is read
    as it is (it changes with its CRD)."""

    __slots__ = ("_additional", "_atomic", "_children", "_items", "_semantics", "cursor", "custom")

    def __init__(self, cursor: SchemaCursor | None, custom: dict[str, Any] | None) -> None:
        self.cursor = cursor
        self.custom = custom
        self._children: dict[str, _Schema] = {}
        self._additional: _Schema | None = None
        self._items: _Schema | None = None
        self._atomic: bool | None = None
        self._semantics: tuple[str, list[str]] | None = None

    def child(self, key: str) -> _Schema:
        cursor = self.cursor
        if cursor is not None and cursor.definitions is not None:
            known = self._children.get(key)
            if known is not None:
                return known
            properties = cursor.resolved().get("properties")
            if isinstance(properties, dict) and key in properties:
                known = self._children[key] = _builtin(cursor.definitions, properties[key])
                return known
            if self._additional is None:
                self._additional = _builtin(cursor.definitions, cursor.child(key).node)
            return self._additional
        if cursor is not None:
            return _Schema(cursor.child(key), None)
        node = self.custom or {}
        properties = node.get("properties") or {}
        additional = node.get("additionalProperties")
        nxt = properties.get(key) or (additional if isinstance(additional, dict) else None)
        return _Schema(None, nxt)

    def items(self) -> _Schema:
        if self._items is not None:
            return self._items
        cursor = self.cursor
        if cursor is not None and cursor.definitions is not None:
            self._items = _builtin(cursor.definitions, cursor.items().node)
            return self._items
        if cursor is not None:
            return _Schema(cursor.items(), None)
        items = (self.custom or {}).get("items")
        return _Schema(None, items if isinstance(items, dict) else None)

    def list_semantics(self) -> tuple[str, list[str]]:
        if self._semantics is None:
            self._semantics = self._list_semantics()
        return self._semantics

    def _list_semantics(self) -> tuple[str, list[str]]:
        if self.cursor is not None:
            node = self.cursor.node
            resolved = self.cursor.definitions.resolve(node) if self.cursor.definitions else node
            list_type = node.get("x-kubernetes-list-type") or (resolved or {}).get("x-kubernetes-list-type")
            keys = node.get("x-kubernetes-list-map-keys") or (resolved or {}).get("x-kubernetes-list-map-keys")
            if list_type == "map" and keys:
                return "map", list(keys)
            if list_type == "set":
                return "set", []
            merge_key = self.cursor.merge_key()
            if "merge" in self.cursor.strategy():
                return ("map", [merge_key]) if merge_key else ("set", [])
            return "atomic", []
        node = self.custom or {}
        if node.get("x-kubernetes-list-type") == "map" and node.get("x-kubernetes-list-map-keys"):
            return "map", list(node["x-kubernetes-list-map-keys"])
        if node.get("x-kubernetes-list-type") == "set":
            return "set", []
        return "atomic", []

    def atomic_map(self) -> bool:
        """A map or struct owned as a whole (``x-kubernetes-map-type: atomic``, e.g. LabelSelector)."""
        if self._atomic is None:
            if self.cursor is not None:
                node = self.cursor.node
                resolved = self.cursor.definitions.resolve(node) if self.cursor.definitions else node
                self._atomic = "atomic" in (node.get("x-kubernetes-map-type"),
                                            (resolved or {}).get("x-kubernetes-map-type"))
            else:
                self._atomic = (self.custom or {}).get("x-kubernetes-map-type") == "atomic"
        return self._atomic


_NO_NODE: dict[str, Any] = {}


def _builtin(definitions: Definitions, node: dict[str, Any]) -> _Schema:
    """The compiled :class:`_Schema` of a node of the built-in definitions, one per node (so a bounded number:
    a recursive definition's nodes are shared by every depth)."""
    if not node:
        node = _NO_NODE
    entry = definitions.compiled.get(("apply", id(node)))
    if entry is None or entry[0] is not node:    # the node is kept with its compilation: its id stays its own
        entry = definitions.compiled[("apply", id(node))] = (node, _Schema(SchemaCursor(definitions, node), None))
    schema: _Schema = entry[1]
    return schema


def _schema_for(rt: ResourceType) -> _Schema:
    if rt.builtin:
        definitions = builtin_definitions()
        return _builtin(definitions, definitions.for_kind(rt.group, rt.version, rt.kind) or _NO_NODE)
    return _Schema(None, rt.schema or {})


def _item_key(item: Any, keys: list[str]) -> str:
    return json.dumps({key: item.get(key) for key in keys if isinstance(item, dict) and key in item},
                      separators=(",", ":"), sort_keys=True)


# --- field sets ---------------------------------------------------------------------------------------------


def field_set(value: Any, schema: _Schema, prefix: FieldPath = ()) -> set[FieldPath]:
    """The leaf fields (and list items) a configuration sets."""
    paths: set[FieldPath] = set()
    _collect_fields(value, schema, prefix, paths)
    return paths


_METADATA: FieldPath = (("f", "metadata"),)


def _collect_fields(value: Any, schema: _Schema, prefix: FieldPath, paths: set[FieldPath]) -> None:
    if isinstance(value, dict) and value and not schema.atomic_map():
        skip = _SKIP_TOP if not prefix else _SKIP_META if prefix == _METADATA else ()
        for key, child in value.items():
            if key in skip:
                continue
            path = (*prefix, ("f", key))
            if child.__class__ is str or not isinstance(child, (dict, list)):   # a leaf: no schema needed
                paths.add(path)
            else:
                _collect_fields(child, schema.child(key), path, paths)
        return
    if isinstance(value, list):
        semantics, keys = schema.list_semantics()
        if semantics == "map":
            items = schema.items()
            for item in value:
                item_path = (*prefix, ("k", _item_key(item, keys)))
                paths.add(item_path)
                _collect_fields(item, items, item_path, paths)
            return
        if semantics == "set":
            paths.update((*prefix, ("v", json.dumps(item, separators=(",", ":"), sort_keys=True))) for item in value)
            return
    if prefix:
        paths.add(prefix)


def _lookup(value: Any, path: FieldPath) -> tuple[bool, Any]:
    current = value
    for kind, key in path:
        if kind == "f":
            if not isinstance(current, dict) or key not in current:
                return False, None
            current = current[key]
        elif kind == "k":
            if not isinstance(current, list):
                return False, None
            wanted = json.loads(key)
            match = next((i for i in current if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())),
                         None)
            if match is None:
                return False, None
            current = match
        else:
            if not isinstance(current, list):
                return False, None
            wanted = json.loads(key)
            return (wanted in current), wanted
    return True, current


def _remove(value: Any, path: FieldPath) -> None:
    found, parent = _lookup(value, path[:-1])
    if not found:
        return
    kind, key = path[-1]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(key, None)
    elif kind in ("k", "v") and isinstance(parent, list):
        wanted = json.loads(key)
        for index, item in enumerate(parent):
            hit = (kind == "v" and item == wanted) or (
                kind == "k" and isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()))
            if hit:
                del parent[index]
                return


def _remove_disowned(merged: dict[str, Any], disowned: set[FieldPath], owned: set[FieldPath]) -> None:
    """Remove the fields this manager applied before, no longer applies and nobody else owns: a whole subtree
    (a list item with its fields) at once, unless something inside it is owned (by another manager, or by this
    apply: an empty map applied before, entries applied now); the key fields of a list item that stays are kept."""
    owned_inside = {path[:index] for path in owned for index in range(1, len(path))}
    for path in sorted(disowned, key=len):
        if path in owned_inside or _is_item_key(path):
            continue
        _remove(merged, path)


def _is_item_key(path: FieldPath) -> bool:
    if len(path) < 2 or path[-1][0] != "f" or path[-2][0] != "k":
        return False
    return path[-1][1] in json.loads(path[-2][1])


def render_path(path: FieldPath) -> str:
    out = []
    for kind, key in path:
        if kind == "f":
            out.append(f".{key}")
        elif kind == "k":
            fields = json.loads(key)
            out.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in fields.items()) + "]")
        else:
            out.append(f"[={key}]")
    return "".join(out)


def to_fields_v1(paths: set[FieldPath]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for kind, key in path:
            node = node.setdefault(f"{kind}:{key}", {})
        if path and path[-1][0] == "k":
            node.setdefault(".", {})
    return root


def from_fields_v1(tree: Any, prefix: FieldPath = ()) -> set[FieldPath]:
    paths: set[FieldPath] = set()
    if not isinstance(tree, dict):
        return paths
    if (not tree or "." in tree) and prefix:
        paths.add(prefix)
    for name, child in tree.items():
        if name == ".":
            continue
        kind, _, key = name.partition(":")
        paths |= from_fields_v1(child, (*prefix, (kind, key)))
    return paths


# --- merging ------------------------------------------------------------------------------------------------


def merge(current: Any, applied: Any, schema: _Schema) -> Any:
    if isinstance(applied, dict) and isinstance(current, dict) and not schema.atomic_map():
        result = dict(current)
        for key, value in applied.items():
            result[key] = merge(current.get(key), value, schema.child(key))
        return result
    if isinstance(applied, list) and isinstance(current, list):
        semantics, keys = schema.list_semantics()
        if semantics == "map":
            result_list = list(current)
            for item in applied:
                key = _item_key(item, keys)
                index = next((i for i, existing in enumerate(result_list) if _item_key(existing, keys) == key), None)
                if index is None:
                    result_list.append(copy.deepcopy(item))
                else:
                    result_list[index] = merge(result_list[index], item, schema.items())
            return result_list
        if semantics == "set":
            return list(current) + [copy.deepcopy(item) for item in applied if item not in current]
    return copy.deepcopy(applied)


# --- the operation ------------------------------------------------------------------------------------------


def _managers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(entry) for entry in obj.get("metadata", {}).get("managedFields") or [] if isinstance(entry, dict)]


def _conflicts(live: dict[str, Any], applied: dict[str, Any], wanted: set[FieldPath], manager: str,
               entries: list[dict[str, Any]]) -> list[tuple[str, FieldPath]]:
    found: list[tuple[str, FieldPath]] = []
    for entry in entries:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            continue
        owned = from_fields_v1(entry.get("fieldsV1"))
        for path in sorted(owned & wanted):
            if _changed(live, applied, path):
                found.append((_manager_label(entry), path))
    return found


def _changed(old: Any, new: Any, path: FieldPath) -> bool:
    """Whether ``path`` differs: a leaf by value, a list item or set member by presence only."""
    if path and path[-1][0] in ("k", "v"):
        return _lookup(old, path)[0] != _lookup(new, path)[0]
    return _lookup(old, path) != _lookup(new, path)


def _writable(rt: ResourceType, paths: set[FieldPath], subresource: str) -> set[FieldPath]:
    """The fields a write through ``subresource`` can set (the strategies reset the others)."""
    if not rt.has_status():
        return paths
    return {path for path in paths if (path[:1] == (("f", "status"),)) == (subresource == "status")}


def record_update(rt: ResourceType, old: dict[str, Any] | None, new: dict[str, Any], manager: str,
                  subresource: str, now: str) -> None:
    """Record a non-apply write in ``new``'s managedFields: ``manager`` (operation Update) gains the fields the
    write changed, which every other manager loses; fields the write removed leave every set."""
    schema = _schema_for(rt)
    new_fields = _writable(rt, field_set(new, schema), subresource)
    old_fields = _writable(rt, field_set(old, schema), subresource) if old is not None else set()
    changed = {path for path in new_fields if old is None or _changed(old, new, path)}
    removed = old_fields - new_fields
    taken = changed | removed
    if not taken:
        return
    meta = new["metadata"]
    entries: list[dict[str, Any]] = []
    mine: dict[str, Any] | None = None
    for entry in _managers(new):
        if (entry.get("manager"), entry.get("operation"), entry.get("apiVersion"), entry.get("subresource", "")) \
                == (manager, "Update", rt.api_version, subresource):
            mine = entry
            continue
        remaining = from_fields_v1(entry.get("fieldsV1")) - taken
        if remaining:
            entries.append(dict(entry, fieldsV1=to_fields_v1(remaining)))
    owned = (from_fields_v1(mine.get("fieldsV1")) if mine else set()) - removed | changed
    if owned:
        entry = {"manager": manager, "operation": "Update", "apiVersion": rt.api_version, "time": now,
                 "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(owned)}
        if subresource:
            entry["subresource"] = subresource
        entries.append(entry)
    meta["managedFields"] = entries


def _manager_label(entry: dict[str, Any]) -> str:
    name = json.dumps(entry.get("manager", ""))
    if entry.get("operation") == "Update":
        return f"{name} using {entry.get('apiVersion', '')}"
    return name


def conflict_error(rt: ResourceType, name: str, conflicts: list[tuple[str, FieldPath]]) -> Conflict:
    if len(conflicts) == 1:
        label, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {label}: {render_path(path)}"
    else:
        grouped: dict[str, list[FieldPath]] = {}
        for label, path in conflicts:
            grouped.setdefault(label, []).append(path)
        message = f"Apply failed with {len(conflicts)} conflicts:"
        for label, paths in grouped.items():
            message += f" conflicts with {label}:" + "".join(f"\n- {render_path(p)}" for p in paths)
    error = Conflict(message, details={"causes": [{"reason": "FieldManagerConflict",
                                                   "message": f"conflict with {label}", "field": render_path(path)}
                                                  for label, path in conflicts]})
    return error


def server_side_apply(server: ObjectServer, rt: ResourceType, namespace: str, name: str, patch: Any,
                      options: WriteOptions, subresource: str) -> Result:
    if not options.field_manager:
        raise BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set")
    options = dataclasses.replace(options, applying=True)
    if not isinstance(patch, dict):
        raise BadRequest("error decoding YAML: the apply configuration must be an object")
    applied = copy.deepcopy(patch)
    if applied.get("apiVersion") != rt.api_version or applied.get("kind") != rt.kind:
        raise BadRequest(f"invalid object type: {applied.get('apiVersion', '')}, Kind={applied.get('kind', '')}")
    schema = _schema_for(rt)
    wanted = field_set(applied, schema)
    key_ns = namespace if rt.namespaced else ""
    for _attempt in range(20):
        current = server.store.get(*rt.group_resource, key_ns, name)
        if current is None:
            return _create(server, rt, namespace, name, applied, wanted, options)
        live = server.present(rt, current).copy()
        entries = _managers(live)
        conflicts = _conflicts(live, applied, wanted, options.field_manager, entries)
        if conflicts and not options.force:
            raise conflict_error(rt, name, conflicts)
        merged = merge(live, applied, schema)
        previous = next((from_fields_v1(e.get("fieldsV1")) for e in entries
                         if e.get("manager") == options.field_manager and e.get("operation") == "Apply"), set())
        others = set().union(*[from_fields_v1(e.get("fieldsV1")) for e in entries
                               if not (e.get("manager") == options.field_manager and e.get("operation") == "Apply")])
        _remove_disowned(merged, previous - wanted - others, others | wanted)
        taken = {path for _label, path in conflicts}
        merged["metadata"]["managedFields"] = _updated_entries(entries, rt, options, wanted, taken, server.now())
        try:
            return server.commit_prepared(rt, merged, current, options, subresource, name, namespace)
        except StoreConflict:
            continue
    raise Conflict.modified(rt.group, rt.plural, name)


def _updated_entries(entries: list[dict[str, Any]], rt: ResourceType, options: WriteOptions, wanted: set[FieldPath],
                     taken: set[FieldPath], now: str) -> list[dict[str, Any]]:
    """The new managedFields: this manager's Apply entry (in place; an unchanged one keeps its timestamp, so a
    repeated apply changes nothing), other managers losing the conflicting fields a forced apply took (fields
    applied with the same value stay shared)."""
    fields = to_fields_v1(wanted)
    mine = {"manager": options.field_manager, "operation": "Apply", "apiVersion": rt.api_version, "time": now,
            "fieldsType": "FieldsV1", "fieldsV1": fields}
    result: list[dict[str, Any]] = []
    placed = False
    for entry in entries:
        if entry.get("manager") == options.field_manager and entry.get("operation") == "Apply":
            if entry.get("fieldsV1") == fields and entry.get("apiVersion") == rt.api_version:
                mine["time"] = entry.get("time", now)
            result.append(mine)
            placed = True
            continue
        if taken:
            remaining = from_fields_v1(entry.get("fieldsV1")) - taken
            if not remaining:
                continue
            entry = dict(entry, fieldsV1=to_fields_v1(remaining))
        result.append(entry)
    if not placed:
        result.append(mine)
    return result


def _create(server: ObjectServer, rt: ResourceType, namespace: str, name: str, applied: dict[str, Any],
            wanted: set[FieldPath], options: WriteOptions) -> Result:
    obj = copy.deepcopy(applied)
    meta = obj.setdefault("metadata", {})
    if meta.get("name") and meta["name"] != name:
        raise BadRequest(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
    meta["name"] = name
    meta["managedFields"] = [{"manager": options.field_manager, "operation": "Apply", "apiVersion": rt.api_version,
                              "time": server.now(), "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(wanted)}]
    return server.create(rt, namespace, obj, options)
