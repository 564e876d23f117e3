"""What a reconcile function can do: typed in-process access to the API, events, logs, S3, requeueing.

:class:`ReconcileContext` is the public face of the runtime for built-in controllers and plugins alike.
Every write goes through the same API semantics as HTTP requests (validation, defaults, resourceVersion
conflicts, watch events), with ``fieldValidation=Strict`` so a controller's mistake surfaces at once.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists, ApiError, BadRequest, Conflict, NotFound
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.logs import LogStore
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.runtime.pods import ProcessRuntime
from chainsaw_py.embedded.s3 import S3Endpoint
from chainsaw_py.embedded.timing import Timing
from chainsaw_py.embedded.writes import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, DeleteOptions, WriteOptions
from chainsaw_py.util.labels import Selector, SelectorError, parse_selector, selector_from_label_selector

_MAX_TRACKED_EVENTS = 10_000
_STRICT = WriteOptions(field_validation="Strict", field_manager="embedded-controller")


@dataclass
class Runtime:
    """Shared by all controllers of one cluster."""

    server: ApiServer
    logs: LogStore
    timing: Timing
    node_name: str
    s3: S3Endpoint | None = None
    processes: ProcessRuntime | None = None
    """The process runtime for pods whose images map to local programs (None: every pod is simulated)."""
    recorder: EventRecorder = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = EventRecorder(self.server)

    def resource(self, api_version: str, kind: str) -> ResourceType:
        rt = self.server.registry.by_api_version_kind(api_version, kind)
        if rt is None:
            raise NotFound(f'the server doesn\'t have a resource type for kind "{kind}" in "{api_version}"',
                           details={})
        return rt


class ReconcileContext:
    """Handed to every reconcile call. Methods raise :class:`ApiError` subclasses on failure
    (``NotFound``, ``Conflict``, ``AlreadyExists``, ``Invalid``, ``BadRequest``)."""

    def __init__(self, runtime: Runtime, controller: str) -> None:
        self.runtime = runtime
        self.controller = controller
        self.log = logging.getLogger(f"chainsaw_py.embedded.controllers.{controller}")
        self.requeue_delay: float | None = None

    # --- environment ------------------------------------------------------------------------------------

    @property
    def s3(self) -> S3Endpoint | None:
        """The local S3 endpoint when the cluster was started with ``s3=True``, else None."""
        return self.runtime.s3

    @property
    def timing(self) -> Timing:
        return self.runtime.timing

    @property
    def node_name(self) -> str:
        return self.runtime.node_name

    def now(self) -> str:
        return self.runtime.server.now()

    def requeue_after(self, seconds: float) -> None:
        """Run this reconcile again after ``seconds`` (the shortest request of one call wins)."""
        if self.requeue_delay is None or seconds < self.requeue_delay:
            self.requeue_delay = max(0.0, float(seconds))

    # --- reads ------------------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        rt = self.runtime.resource(api_version, kind)
        stored = self.runtime.server.store.get(*rt.group_resource, namespace or "" if rt.namespaced else "", name)
        return self.runtime.server.present(rt, stored).copy() if stored is not None else None

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | dict[str, Any] | Selector | None = None) -> builtins.list[dict[str, Any]]:
        """Objects of a kind (in one namespace or all), optionally filtered by a label selector given as a
        string (``app=web``), a plain label map (``{"app": "web"}``), a metav1.LabelSelector dict
        (``{"matchLabels": ...}``) or a parsed Selector."""
        rt = self.runtime.resource(api_version, kind)
        selector = _as_selector(label_selector)
        items, _rv = self.runtime.server.store.list(*rt.group_resource, namespace if rt.namespaced else None)
        return [self.runtime.server.present(rt, item).copy() for item in items
                if selector is None or selector.matches(item.obj["metadata"].get("labels") or {})]

    def owned_by(self, owner: dict[str, Any], api_version: str, kind: str) -> builtins.list[dict[str, Any]]:
        """Objects of a kind that carry an ownerReference to ``owner`` (by uid)."""
        rt = self.runtime.resource(api_version, kind)
        result = []
        for group, plural, namespace, name in self.runtime.server.store.dependents(owner["metadata"]["uid"]):
            if (group, plural) == rt.group_resource:
                stored = self.runtime.server.store.get(group, plural, namespace, name)
                if stored is not None:
                    result.append(self.runtime.server.present(rt, stored).copy())
        return result

    # --- writes -----------------------------------------------------------------------------------------

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        rt = self.runtime.resource(obj.get("apiVersion", ""), obj.get("kind", ""))
        namespace = obj.get("metadata", {}).get("namespace", "")
        return _copy(self.runtime.server.create(rt, namespace, _copy(obj), _STRICT).obj)

    def update(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Replace the object; its ``metadata.resourceVersion`` (if set) must be current, else Conflict."""
        return self._update(obj, "")

    def update_status(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Write ``obj['status']`` through the status subresource (or the object itself when it has none)."""
        rt = self.runtime.resource(obj.get("apiVersion", ""), obj.get("kind", ""))
        return self._update(obj, "status" if rt.has_status() else "")

    def _update(self, obj: dict[str, Any], subresource: str) -> dict[str, Any]:
        rt = self.runtime.resource(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.get("metadata", {})
        return _copy(self.runtime.server.update(rt, meta.get("namespace", ""), meta.get("name", ""), _copy(obj),
                                                _STRICT, subresource).obj)

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create the object, or merge the given fields into the live one (JSON merge patch semantics)."""
        try:
            return self.create(obj)
        except AlreadyExists:
            meta = obj.get("metadata", {})
            patch = {key: value for key, value in obj.items() if key not in ("status",)}
            patch["metadata"] = {k: v for k, v in meta.items() if k not in ("resourceVersion", "uid")}
            return self.patch(obj["apiVersion"], obj["kind"], meta.get("name", ""), patch, meta.get("namespace"))

    def patch(self, api_version: str, kind: str, name: str, patch: Any, namespace: str | None = None,
              patch_type: str = "merge", subresource: str = "") -> dict[str, Any]:
        """Patch with ``merge`` (RFC 7386), ``json`` (RFC 6902) or ``strategic`` semantics."""

        content_type = {"merge": MERGE_PATCH, "json": JSON_PATCH, "strategic": STRATEGIC_PATCH}.get(patch_type)
        if content_type is None:
            raise BadRequest(f"unknown patch type {patch_type!r} (use merge, json or strategic)")
        rt = self.runtime.resource(api_version, kind)
        return _copy(self.runtime.server.patch(rt, namespace or "", name, content_type, _copy(patch), _STRICT,
                                               subresource).obj)

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               propagation: str = "Background", grace_period: int | None = None) -> bool:
        """Delete an object; False when it was already gone."""
        rt = self.runtime.resource(api_version, kind)
        try:
            self.runtime.server.delete(rt, namespace or "", name, DeleteOptions(propagation, grace_period))
        except NotFound:
            return False
        return True

    # --- helpers ----------------------------------------------------------------------------------------

    @staticmethod
    def owner_reference(owner: dict[str, Any], controller: bool = True,
                        block_owner_deletion: bool = True) -> dict[str, Any]:
        meta = owner["metadata"]
        return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
                "controller": controller, "blockOwnerDeletion": block_owner_deletion}

    def set_owner(self, obj: dict[str, Any], owner: dict[str, Any], controller: bool = True) -> dict[str, Any]:
        """Add (or refresh) an ownerReference to ``owner`` on ``obj`` and return ``obj``."""
        refs = [ref for ref in obj.setdefault("metadata", {}).get("ownerReferences") or []
                if ref.get("uid") != owner["metadata"]["uid"]]
        refs.append(self.owner_reference(owner, controller))
        obj["metadata"]["ownerReferences"] = refs
        return obj

    def set_condition(self, obj: dict[str, Any], type_: str, status: str, reason: str = "", message: str = "",
                      observed_generation: bool = False) -> bool:
        """Upsert ``status.conditions[type]``; lastTransitionTime changes only when the status does.
        Returns True when anything changed."""
        conditions = obj.setdefault("status", {}).setdefault("conditions", [])
        existing = next((c for c in conditions if c.get("type") == type_), None)
        wanted = {"type": type_, "status": status, "reason": reason, "message": message}
        if observed_generation:
            wanted["observedGeneration"] = obj["metadata"].get("generation", 0)
        if existing is not None and all(existing.get(k) == v for k, v in wanted.items()):
            return False
        transition = existing.get("lastTransitionTime") if existing and existing.get("status") == status else None
        wanted["lastTransitionTime"] = transition or self.now()
        if existing is not None:
            conditions[conditions.index(existing)] = wanted
        else:
            conditions.append(wanted)
        return True

    def event(self, obj: dict[str, Any], reason: str, message: str, type_: str = "Normal",
              component: str | None = None) -> None:
        """Record a core/v1 Event about ``obj`` (repeats are aggregated into ``count``)."""
        self.runtime.recorder.record(obj, reason, message, type_, component or self.controller)

    def write_log(self, pod: dict[str, Any], container: str, text: str) -> None:
        """Append lines to a container's log (served by ``kubectl logs``)."""
        meta = pod["metadata"]
        self.runtime.logs.write(meta.get("namespace", ""), meta["name"], container, text)


def _copy(obj: Any) -> Any:
    """A private deep copy: what a controller is handed or hands over is never the stored object itself (a
    controller that changed a returned object in place would change the store behind its own next update,
    which then looked like a no-op)."""
    import json

    return json.loads(json.dumps(obj))


def _as_selector(selector: str | dict[str, Any] | Selector | None) -> Selector | None:
    if selector is None or isinstance(selector, Selector):
        return selector
    try:
        if isinstance(selector, str):
            return parse_selector(selector)
        if selector and not set(selector) <= {"matchLabels", "matchExpressions"}:
            # A plain label map ({"app": "web"}) means equality on every label, not an empty LabelSelector.
            return selector_from_label_selector({"matchLabels": selector})
        return selector_from_label_selector(selector)
    except SelectorError as err:
        raise BadRequest(str(err)) from None


class EventRecorder:
    """Writes core/v1 Events, aggregating repeats of the same (object, reason, message) into ``count``."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}

    def record(self, obj: dict[str, Any], reason: str, message: str, type_: str, component: str) -> None:
        rt = self.server.registry.lookup("", "v1", "events")
        assert rt is not None
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        key = hashlib.sha1(f"{meta.get('uid')}|{reason}|{message}|{component}".encode()).hexdigest()
        now = self.server.now()
        with self._lock:
            existing_name = self._seen.get(key)
        if existing_name is not None and self._bump(rt, namespace, existing_name, now):
            return
        name = f"{meta.get('name', '')}.{time.time_ns():x}"
        event: dict[str, Any] = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"),
                               "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                               "resourceVersion": meta.get("resourceVersion")},
            "reason": reason, "message": message, "type": type_, "count": 1,
            "source": {"component": component}, "firstTimestamp": now, "lastTimestamp": now,
            "reportingComponent": component, "reportingInstance": "",
        }
        if not meta.get("namespace"):
            event["involvedObject"].pop("namespace")
        try:
            self.server.create(rt, namespace, event, WriteOptions(field_validation="Ignore"))
        except ApiError:
            return
        with self._lock:
            if len(self._seen) >= _MAX_TRACKED_EVENTS:
                self._seen.clear()   # aggregation is best effort, like the real recorder's LRU cache
            self._seen[key] = name

    def _bump(self, rt: ResourceType, namespace: str, name: str, now: str) -> bool:
        stored = self.server.store.get("", "events", namespace, name)
        if stored is None:
            return False
        event = stored.copy()
        event["count"] = int(event.get("count", 1)) + 1
        event["lastTimestamp"] = now
        try:
            self.server.update(rt, namespace, name, event, WriteOptions(field_validation="Ignore"))
        except (Conflict, NotFound):
            return False
        return True
