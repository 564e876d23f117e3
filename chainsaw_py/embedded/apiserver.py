"""The API server's storage semantics, independent of HTTP: create/get/list/update/patch/delete/watch.

This is where a request becomes a committed object: decoding and field validation, metadata (uid,
resourceVersion, generation, generateName), the kind's strategy (defaults, validation, status handling),
optimistic concurrency, finalizers and graceful deletion, namespace admission and dry runs. The HTTP
layer (``handlers.py``) and in-process callers (controllers, plugins) both go through :class:`ApiServer`.
"""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import json
import os
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chainsaw_py.embedded import crschema
from chainsaw_py.embedded.admission import (
    CONNECT,
    CREATE,
    DELETE,
    UPDATE,
    AdmissionAttributes,
    AdmissionChain,
    AdmissionPlugin,
)
from chainsaw_py.embedded.admission.conversion import Converter
from chainsaw_py.embedded.apierrors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    ContinueExpired,
    FieldErrors,
    Forbidden,
    Gone,
    InternalError,
    MethodNotAllowed,
    NotFound,
    UnsupportedMediaType,
    qualified_resource,
)
from chainsaw_py.embedded.apply import record_update, server_side_apply
from chainsaw_py.embedded.auth.identity import current_user
from chainsaw_py.embedded.bodies import as_json_numbers
from chainsaw_py.embedded.conversion import convert, validate_view
from chainsaw_py.embedded.decoding import DecodeError, decode_builtin, format_time, now_rfc3339
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.kinds.base import Strategy, validate_meta_update, validate_object_meta
from chainsaw_py.embedded.kinds.certificates import prepare_approval
from chainsaw_py.embedded.kinds.core import NODE_PORT_MAX, NODE_PORT_MIN
from chainsaw_py.embedded.patch import (
    SchemaCursor,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from chainsaw_py.embedded.resources import ResourceRegistry, ResourceType
from chainsaw_py.embedded.schemas import builtin_definitions
from chainsaw_py.embedded.selection import ObjectFilter, build_filter
from chainsaw_py.embedded.serialization import serialize_as_go
from chainsaw_py.embedded.store import (
    HistoryExpired,
    Store,
    StoreConflict,
    StoredObject,
    StoreExists,
    StoreNotFound,
)
from chainsaw_py.embedded.watch import WatchStream
from chainsaw_py.embedded.writes import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    DeleteOptions,
    ListResult,
    Result,
    WriteOptions,
)
from chainsaw_py.golang.strconv import parse_uint

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_RETRIES = 20
_VALIDATION_MODES = ("Strict", "Warn", "Ignore")
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")   # NamespaceLifecycle admission refuses deletion


class _Admitting:
    """A request under admission: its attributes and the plugins that admit it."""

    __slots__ = ("attrs", "plugins")

    def __init__(self, attrs: AdmissionAttributes, plugins: builtins.list[AdmissionPlugin]) -> None:
        self.attrs = attrs
        self.plugins = plugins

    def run(self, chain: AdmissionChain) -> builtins.list[str]:
        """Both phases at once (a request whose object nothing changes between them); the warnings."""
        chain.mutate(self.attrs, self.plugins)
        chain.validate(self.attrs, self.plugins)
        return self.attrs.warnings


class ApiServer:
    """Kubernetes object semantics over a :class:`Store`."""

    def __init__(self, registry: ResourceRegistry, store: Store, strategies: StrategyRegistry) -> None:
        self.registry = registry
        self.store = store
        self.strategies = strategies
        self.admission = AdmissionChain()
        self.conversion = Converter(store)
        self._rng = random.Random()
        self._ip_lock = threading.Lock()
        self._cluster_ips: set[str] = set()
        self._node_ports: set[int] = set()

    # --- StrategyContext --------------------------------------------------------------------------------

    def now(self) -> str:
        return now_rfc3339()

    def get_object(self, group: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        stored = self.store.get(group, plural, namespace, name)
        return stored.obj if stored else None

    def list_objects(self, group: str, plural: str) -> list[dict[str, Any]]:
        return [stored.obj for stored in self.store.list(group, plural)[0]]

    def random_suffix(self, length: int = 5) -> str:
        return "".join(self._rng.choice(_NAME_ALPHABET) for _ in range(length))

    def allocate_cluster_ip(self) -> str:
        with self._ip_lock:
            for index in range(10, 1 << 20):
                candidate = f"10.{96 + (index >> 16)}.{(index >> 8) & 255}.{index & 255}"
                if candidate not in self._cluster_ips:
                    self._cluster_ips.add(candidate)
                    return candidate
        raise InternalError("failed to allocate a serviceIP: range is full")

    def reserve_cluster_ip(self, ip: str) -> bool:
        return self._reserve(self._cluster_ips, ip)

    def allocate_node_port(self) -> int:
        with self._ip_lock:
            free = [port for port in range(NODE_PORT_MIN, NODE_PORT_MAX + 1) if port not in self._node_ports]
            if not free:
                raise InternalError("failed to allocate a nodePort: range is full")
            port = self._rng.choice(free)
            self._node_ports.add(port)
            return port

    def reserve_node_port(self, port: int) -> bool:
        return self._reserve(self._node_ports, port)

    def _reserve(self, taken: set[Any], value: Any) -> bool:
        """Take ``value`` for a Service; False when another one holds it."""
        with self._ip_lock:
            if value in taken:
                return False
            taken.add(value)
            return True

    def release_service(self, service: dict[str, Any]) -> None:
        spec = service.get("spec") or {}
        with self._ip_lock:
            for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
                self._cluster_ips.discard(ip)
            for port in spec.get("ports") or []:
                self._node_ports.discard(port.get("nodePort"))

    # --- reads ------------------------------------------------------------------------------------------

    def strategy(self, rt: ResourceType) -> Strategy:
        return self.strategies.for_type(rt)

    def get(self, rt: ResourceType, namespace: str, name: str) -> StoredObject:
        stored = self.store.get(*rt.group_resource, namespace if rt.namespaced else "", name)
        if stored is None:
            raise NotFound.for_object(rt.group, rt.plural, name)
        return self.present(rt, stored)

    def present(self, rt: ResourceType, stored: StoredObject) -> StoredObject:
        """The stored object as served at ``rt``'s version (CRD conversion: None or Webhook)."""
        if stored.obj.get("apiVersion") == rt.api_version:
            return stored
        if rt.builtin:
            converted = convert(stored.obj, rt.api_version)
            self.serialize_as_go(rt, converted)
            return StoredObject(converted, stored.rv)
        return StoredObject(self.conversion.convert(rt, stored.obj, rt.api_version), stored.rv)

    def present_all(self, rt: ResourceType, items: builtins.list[StoredObject]) -> builtins.list[StoredObject]:
        """``present`` for many objects: a webhook CRD's objects are converted in one ConversionReview."""
        if rt.builtin or all(item.obj.get("apiVersion") == rt.api_version for item in items):
            return [self.present(rt, item) for item in items]
        converted = self.conversion.convert_many(rt, [item.obj for item in items], rt.api_version)
        return [StoredObject(obj, item.rv) for obj, item in zip(converted, items, strict=True)]

    def storage_type(self, rt: ResourceType) -> ResourceType:
        """The resource type ``rt``'s objects are stored (and validated, defaulted) as."""
        if not rt.is_view:
            return rt
        group, _, version = rt.storage_api_version.rpartition("/")
        return self.registry.by_kind(group, version, rt.kind) or rt

    def _through_storage(self, rt: ResourceType, body: Any, options: WriteOptions,
                         write: Callable[[ResourceType, dict[str, Any], WriteOptions], Result]) -> Result:
        """A write at a view version: decode and check there, convert, write the storage version, convert back."""
        obj = self._as_object(rt, body)
        warnings = self._decode(rt, obj, options)
        validate_view(rt, obj)
        storage_rt = self.storage_type(rt)
        result = write(storage_rt, convert(obj, storage_rt.api_version), replace(options, duplicate_fields=[]))
        return self._viewed(rt, result, warnings)

    def _viewed(self, rt: ResourceType, result: Result, warnings: builtins.list[str]) -> Result:
        stored = self.present(rt, result.stored) if result.stored is not None else None
        obj = result.obj
        if obj.get("kind") == rt.kind:
            obj = convert(obj, rt.api_version)
            self.serialize_as_go(rt, obj)
        return Result(obj, result.code, warnings + result.warnings, stored)

    def _to_storage(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """What is committed: objects of a CRD with webhook conversion are stored at its storage version."""
        if rt.builtin or self.conversion.webhook_config(rt) is None:
            return obj
        return self.conversion.convert(rt, obj, self.conversion.storage_api_version(rt))

    def make_filter(self, rt: ResourceType, namespace: str | None, label_selector: str | None,
                    field_selector: str | None) -> ObjectFilter:
        strategy = self.strategy(rt)
        # which fields a kind supports does not depend on an object's content (a strategy may serve several kinds)
        sample_fields = strategy.selectable_fields({"apiVersion": rt.api_version, "kind": rt.kind, "metadata": {}})
        return build_filter(namespace if rt.namespaced else None, label_selector, field_selector,
                            strategy.selectable_fields, lambda name: name in sample_fields)

    def list(self, rt: ResourceType, namespace: str | None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str = "",
             exact_rv: int | None = None) -> ListResult:
        """A (page of a) list; ``exact_rv`` lists the state at that resourceVersion (resourceVersionMatch=Exact)."""
        selector = self.make_filter(rt, namespace, label_selector, field_selector)
        start_after, token_rv = _decode_continue(continue_token) if continue_token else ("", 0)
        scope = namespace if rt.namespaced else None
        if token_rv > 0:   # a page of the snapshot the first page was read from
            items = self._page_at(rt, scope, token_rv, start_after)
            rv = token_rv
        elif exact_rv is not None and token_rv == 0:
            rv = exact_rv
            items = self._list_at(rt, scope, rv)
        else:   # no token, or one that continues from the current state (resourceVersion -1)
            items, rv = self.store.list(*rt.group_resource, scope)
        selected = [item for item in items
                    if (not start_after or _key_of(item) > start_after) and selector.matches(item.obj)]
        if limit and len(selected) > limit:
            page = selected[:limit]
            token = _encode_continue(_key_of(page[-1]), rv)
            return ListResult(self.present_all(rt, page), rv, token, len(selected) - limit)
        return ListResult(self.present_all(rt, selected), rv)

    def _page_at(self, rt: ResourceType, namespace: str | None, rv: int,
                 start_after: str) -> builtins.list[StoredObject]:
        try:
            return self.store.list_at(*rt.group_resource, namespace, rv)
        except HistoryExpired:
            raise ContinueExpired(_encode_continue(start_after, -1)) from None
        except ValueError:
            raise BadRequest("invalid continue token: continue key is not valid: incorrect encoded start "
                             "resourceVersion (version meta.k8s.io/v1)") from None

    def _list_at(self, rt: ResourceType, namespace: str | None, rv: int) -> builtins.list[StoredObject]:
        try:
            return self.store.list_at(*rt.group_resource, namespace, rv)
        except HistoryExpired:
            raise Gone("The resourceVersion for the provided list is too old.") from None
        except ValueError:
            current = self.store.resource_version
            raise ApiError(f"Too large resource version: {rv}, current: {current}", code=504, reason="Timeout",
                           details={"causes": [{"reason": "ResourceVersionTooLarge",
                                                "message": "Too large resource version"}],
                                    "retryAfterSeconds": 1}) from None

    # --- create -----------------------------------------------------------------------------------------

    def create(self, rt: ResourceType, namespace: str, body: Any, options: WriteOptions | None = None) -> Result:
        options = options or WriteOptions()
        if rt.is_view:
            return self._through_storage(rt, body, options, lambda srt, obj, opts: self.create(srt, namespace, obj,
                                                                                                 opts))
        obj = self._as_object(rt, body)
        warnings = self._decode(rt, obj, options)
        meta = obj["metadata"]
        if _numeric_resource_version(meta.get("resourceVersion")):  # etcd3's check; "abc" or "0" is cleared
            raise InternalError("Internal error occurred: resourceVersion should not be set on objects to be created")
        self._set_namespace(rt, meta, namespace)
        strategy = self.strategy(rt)
        self._admit_create(rt, meta)
        admitting = self._admission_attributes(CREATE, rt, meta.get("namespace", ""), meta.get("name", ""), obj,
                                               None, options.dry_run, "", _write_options(options))
        if admitting is not None:
            self._mutate(rt, admitting)
            meta = obj["metadata"]
            self._set_namespace(rt, meta, namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + self.random_suffix()
        self._init_meta(meta, strategy)
        strategy.prepare_create(obj, rt, self)
        try:
            strategy.defaults(obj, self)
            _drop_empty_meta(meta)
            self.serialize_as_go(rt, obj)
            self._validate(rt, strategy, obj, None)
            if options.update_manager:
                record_update(rt, None, obj, options.update_manager, "", self.now())
            if admitting is not None:
                admitting.attrs.name = meta["name"]
                self.admission.validate(admitting.attrs, admitting.plugins)
                warnings = warnings + admitting.attrs.warnings
            if options.dry_run:
                strategy.release(obj, self)
                return Result(obj, 201, warnings)
            created = self.store.create(*rt.group_resource, self._to_storage(rt, obj))
            stored = self.present(rt, created)
            encoded = self.store.commit_encoding(created) if stored is created else None
        except StoreExists:
            strategy.release(obj, self)
            raise AlreadyExists.for_object(rt.group, rt.plural, meta["name"]) from None
        except BaseException:
            strategy.release(obj, self)
            raise
        return Result(stored.obj, 201, warnings, stored, encoded)

    def _admission_attributes(self, operation: str, rt: ResourceType, namespace: str, name: str,
                              obj: dict[str, Any] | None, old: dict[str, Any] | None, dry_run: bool,
                              subresource: str, options: dict[str, Any]) -> _Admitting | None:
        """The request as admission plugins see it, with the plugins that admit it (those active as it enters
        admission); None (nothing to do) when no plugin is active."""
        plugins = self.admission.active_plugins()
        if not plugins:
            return None
        return _Admitting(AdmissionAttributes(operation, rt, namespace, name, obj, old, current_user(), subresource,
                                              dry_run, options), plugins)

    def _mutate(self, rt: ResourceType, admitting: _Admitting) -> None:
        """The mutating phase; a custom resource a webhook changed is pruned and defaulted again, as when the
        apiserver decodes the patched object."""
        attrs = admitting.attrs
        before = json.dumps(attrs.obj, sort_keys=True) if not rt.builtin and rt.schema is not None else ""
        self.admission.mutate(attrs, admitting.plugins)
        if before and attrs.obj is not None and json.dumps(attrs.obj, sort_keys=True) != before:
            self._unknown_fields(rt, attrs.obj)

    def _as_object(self, rt: ResourceType, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest(f"Object '{rt.kind}' in body is not a JSON object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.api_version:
            raise BadRequest(f"the API version in the data ({api_version}) does not match the expected API "
                             f"version ({rt.api_version})")
        if kind and kind != rt.kind:
            raise BadRequest(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        body["apiVersion"], body["kind"] = rt.api_version, rt.kind
        metadata = body.setdefault("metadata", {})
        if metadata is None:
            body["metadata"] = {}
        elif not isinstance(metadata, dict):
            raise BadRequest(self._decode_prefix(rt) + "json: cannot unmarshal "
                             f"{type(metadata).__name__} into Go struct field {rt.kind}.metadata of type v1.ObjectMeta")
        return body

    def _decode_prefix(self, rt: ResourceType) -> str:
        return f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '

    def _decode(self, rt: ResourceType, obj: dict[str, Any], options: WriteOptions) -> builtins.list[str]:
        """Strict decoding (built-ins) or pruning (custom resources); returns fieldValidation warnings."""
        if options.field_validation not in _VALIDATION_MODES:
            raise BadRequest(f"fieldValidation must be one of Strict, Warn, Ignore; got {options.field_validation}")
        problems = [f'duplicate field "{key}"' for key in options.duplicate_fields]
        problems += [f'unknown field "{path}"' for path in self._unknown_fields(rt, obj)]
        if not problems or options.field_validation == "Ignore":
            return []
        if options.field_validation == "Strict":
            raise BadRequest(self._decode_prefix(rt) + f"strict decoding error: {', '.join(problems)}")
        return problems

    def _unknown_fields(self, rt: ResourceType, obj: dict[str, Any]) -> builtins.list[str]:
        definitions = builtin_definitions()
        if rt.builtin:
            schema = definitions.for_kind(rt.group, rt.version, rt.kind)
            if schema is None:
                return []
            try:
                return decode_builtin(definitions, schema, rt.kind, obj).unknown
            except DecodeError as err:
                raise BadRequest(self._decode_prefix(rt) + str(err)) from None
        folded = as_json_numbers(obj)   # unstructured: a whole float is encoded (and read back) as an integer
        obj.clear()
        obj.update(folded)
        meta_schema = definitions.definitions.get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") or {}
        try:
            unknown = [f"metadata.{path}" for path in
                       decode_builtin(definitions, meta_schema, "ObjectMeta", obj["metadata"]).unknown]
        except DecodeError as err:
            raise BadRequest(self._decode_prefix(rt) + str(err)) from None
        if rt.schema is not None and not rt.preserve_unknown:
            unknown += crschema.prune(obj, rt.schema)
        if rt.schema is not None:
            crschema.drop_nulls_and_default(obj, rt.schema)
        return unknown

    def _set_namespace(self, rt: ResourceType, meta: dict[str, Any], namespace: str) -> None:
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise BadRequest("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    def _admit_create(self, rt: ResourceType, meta: dict[str, Any]) -> None:
        """NamespaceLifecycle admission: the namespace must exist and not be terminating."""
        if not rt.namespaced:
            return
        namespace = meta.get("namespace", "")
        stored = self.store.get("", "namespaces", "", namespace)
        if stored is None:
            raise NotFound.for_object("", "namespaces", namespace)
        if stored.obj["metadata"].get("deletionTimestamp"):
            name = meta.get("name", "")
            raise Forbidden(
                f'{qualified_resource(rt.group, rt.plural)} "{name}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated",
                details={"name": name, **({"group": rt.group} if rt.group else {}), "kind": rt.plural,
                         "causes": [{"reason": "NamespaceTerminating",
                                     "message": f"namespace {namespace} is being terminated",
                                     "field": "metadata.namespace"}]})

    def _init_meta(self, meta: dict[str, Any], strategy: Strategy) -> None:
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = self.now()
        for transient in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "resourceVersion"):
            meta.pop(transient, None)
        if strategy.tracks_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)

    def _validate(self, rt: ResourceType, strategy: Strategy, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        errors = FieldErrors()
        meta = obj["metadata"]
        validate_object_meta(meta, rt.namespaced, strategy.name_rule, errors)
        if old is not None:
            validate_meta_update(meta, old["metadata"], errors)
        if rt.schema is not None:
            body = _rule_view(obj)
            previous = _rule_view(old) if old is not None else crschema.ABSENT
            crschema.validate(body, rt.schema, errors, old=previous)
        strategy.validate(obj, errors, self)
        if old is not None:
            strategy.validate_update(obj, old, errors)
        errors.raise_if_any(rt.kind, rt.group, meta.get("name", ""))

    def serialize_as_go(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        """Built-in objects carry the fields Go always encodes (see :mod:`serialization`)."""
        if not rt.builtin:
            return
        definition = builtin_definitions().name_for(rt.group, rt.version, rt.kind)
        if definition is not None:
            serialize_as_go(obj, definition)

    # --- update -----------------------------------------------------------------------------------------

    def update(self, rt: ResourceType, namespace: str, name: str, body: Any, options: WriteOptions | None = None,
               subresource: str = "") -> Result:
        options = options or WriteOptions()
        if rt.is_view:
            return self._through_storage(rt, body, options, lambda srt, obj, opts: self.update(
                srt, namespace, name, obj, opts, subresource))
        obj = self._as_object(rt, body)
        warnings = self._decode(rt, obj, options)
        meta = obj["metadata"]
        self._check_url_identity(rt, meta, namespace, name)
        requested_rv = meta.get("resourceVersion") or ""
        pristine = json.dumps(obj)
        for _attempt in range(_MAX_RETRIES):
            current = self.store.get(*rt.group_resource, meta.get("namespace", ""), name)
            if current is None:
                if self.strategy(rt).allow_create_on_update and not subresource and not requested_rv:
                    return self.create(rt, namespace, obj, options)
                raise NotFound.for_object(rt.group, rt.plural, name)
            if requested_rv and requested_rv != str(current.rv):
                raise Conflict.modified(rt.group, rt.plural, name)
            new = json.loads(pristine) if _attempt else obj
            try:
                result = self._commit_update(rt, new, current, options, subresource)
            except StoreConflict:
                if requested_rv:
                    raise Conflict.modified(rt.group, rt.plural, name) from None
                continue
            except StoreNotFound:   # deleted between the read and the write
                raise NotFound.for_object(rt.group, rt.plural, name) from None
            result.warnings = warnings + result.warnings
            return result
        raise Conflict.modified(rt.group, rt.plural, name)

    def _check_url_identity(self, rt: ResourceType, meta: dict[str, Any], namespace: str, name: str) -> None:
        if not meta.get("name"):
            meta["name"] = name
        elif meta["name"] != name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        self._set_namespace(rt, meta, namespace)

    def _commit_update(self, rt: ResourceType, new: dict[str, Any], current: StoredObject, options: WriteOptions,
                       subresource: str) -> Result:
        old = self.present(rt, current).obj
        strategy = self.strategy(rt)
        admitting = self._admission_attributes(UPDATE, rt, old["metadata"].get("namespace", ""),
                                               old["metadata"]["name"], new, old, options.dry_run, subresource,
                                               _write_options(options))
        if admitting is not None:
            self._mutate(rt, admitting)
        self._merge_with_old(rt, strategy, new, old, subresource)
        strategy.defaults(new, self)
        self.serialize_as_go(rt, new)
        # Compared after defaulting: an update that only restates defaults changes nothing (no new generation,
        # no event), as on a real apiserver — otherwise controllers that re-apply their objects would loop.
        if strategy.tracks_generation and subresource != "status" and strategy.spec_changed(new, old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        _drop_empty_meta(new["metadata"])
        self._validate(rt, strategy, new, old)
        if "managedFields" not in new["metadata"] and old["metadata"].get("managedFields"):
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"]
        if options.update_manager:
            record_update(rt, old, new, options.update_manager, subresource if subresource == "status" else "",
                          self.now())
        warnings: builtins.list[str] = []
        if admitting is not None:
            self.admission.validate(admitting.attrs, admitting.plugins)
            warnings = admitting.attrs.warnings
        if new == old:
            return Result(self.present(rt, current).obj, 200, warnings, self.present(rt, current))
        if options.dry_run:
            return Result(new, 200, warnings)
        meta = new["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not _graceful_pending(new) \
                and not strategy.blocks_deletion(new):
            self.store.update(*rt.group_resource, self._to_storage(rt, new), expected_rv=current.rv)
            stored = self.present(rt, self._remove(rt, meta.get("namespace", ""), meta["name"]))
            return Result(stored.obj, 200, warnings, stored)
        stored = self.present(rt, self.store.update(*rt.group_resource, self._to_storage(rt, new),
                                                    expected_rv=current.rv))
        return Result(stored.obj, 200, warnings, stored)

    def _merge_with_old(self, rt: ResourceType, strategy: Strategy, new: dict[str, Any], old: dict[str, Any],
                        subresource: str) -> None:
        meta, old_meta = new["metadata"], old["metadata"]
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta["resourceVersion"] = old_meta.get("resourceVersion", "")
        if subresource == "status":
            _keep_all_but_status(new, old)
        elif subresource == "approval":
            _keep_all_but_status(new, old)
            prepare_approval(new, old, self.now())
        elif subresource == "ephemeralcontainers":
            containers = (new.get("spec") or {}).get("ephemeralContainers")
            version = meta.get("resourceVersion", "")
            new.clear()
            new.update(json.loads(json.dumps(old)))
            new["metadata"]["resourceVersion"] = version
            new["spec"].pop("ephemeralContainers", None)
            if containers is not None:
                new["spec"]["ephemeralContainers"] = containers
        elif subresource == "finalize":
            finalizers = (new.get("spec") or {}).get("finalizers") or []
            new.clear()
            new.update(json.loads(json.dumps(old)))
            new.setdefault("spec", {})["finalizers"] = finalizers
            new["metadata"]["resourceVersion"] = old_meta.get("resourceVersion", "")
        else:
            strategy.prepare_update(new, old, rt)

    # --- patch ------------------------------------------------------------------------------------------

    def patch(self, rt: ResourceType, namespace: str, name: str, content_type: str, patch: Any,
              options: WriteOptions | None = None, subresource: str = "") -> Result:
        options = options or WriteOptions()
        if content_type == APPLY_PATCH:
            return server_side_apply(self, rt, namespace, name, patch, options, subresource)
        refuse_strategic_patch_of_custom_resource(rt, content_type)
        key_ns = namespace if rt.namespaced else ""
        for _attempt in range(_MAX_RETRIES):
            current = self.store.get(*rt.group_resource, key_ns, name)
            if current is None:
                raise NotFound.for_object(rt.group, rt.plural, name)
            patched = self._apply_patch(rt, self.present(rt, current).copy(), content_type, patch)
            try:
                return self.commit_prepared(rt, patched, current, options, subresource, name, namespace)
            except StoreConflict:
                continue
        raise Conflict.modified(rt.group, rt.plural, name)

    def commit_prepared(self, rt: ResourceType, candidate: Any, current: StoredObject, options: WriteOptions,
                        subresource: str, name: str, namespace: str) -> Result:
        """Validate and commit a patched/applied version of ``current`` (raises StoreConflict on a race)."""
        obj = self._as_object(rt, candidate)
        warnings = self._decode(rt, obj, options)
        self._check_url_identity(rt, obj["metadata"], namespace, name)
        if obj["metadata"].get("resourceVersion", "") not in ("", str(current.rv)):
            raise Conflict.modified(rt.group, rt.plural, name)
        if rt.is_view:
            validate_view(rt, obj)
            storage_rt = self.storage_type(rt)
            stored_result = self._commit_update(storage_rt, convert(obj, storage_rt.api_version), current, options,
                                                subresource)
            return self._viewed(rt, stored_result, warnings)
        result = self._commit_update(rt, obj, current, options, subresource)
        result.warnings = warnings + result.warnings
        return result

    def _apply_patch(self, rt: ResourceType, current: dict[str, Any], content_type: str, patch: Any) -> Any:
        return apply_patch_document(current, content_type, patch, rt)

    def assign_node(self, namespace: str, name: str, node: str) -> StoredObject:
        """What a pods/binding does: set spec.nodeName and the PodScheduled condition."""
        for _attempt in range(_MAX_RETRIES):
            current = self.store.get("", "pods", namespace, name)
            if current is None:
                raise NotFound.for_object("", "pods", name)
            pod = current.copy()
            pod.setdefault("spec", {})["nodeName"] = node
            status = pod.setdefault("status", {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastTransitionTime": self.now()})
            status["conditions"] = conditions
            serialize_as_go(pod, "io.k8s.api.core.v1.Pod")
            try:
                return self.store.update("", "pods", pod, expected_rv=current.rv)
            except StoreConflict:
                continue
            except StoreNotFound:   # deleted meanwhile
                raise NotFound.for_object("", "pods", name) from None
        raise Conflict.modified("", "pods", name)

    # --- delete -----------------------------------------------------------------------------------------

    def delete(self, rt: ResourceType, namespace: str, name: str, options: DeleteOptions | None = None) -> Result:
        options = options or DeleteOptions()
        if rt.group == "" and rt.plural == "namespaces" and name in IMMORTAL_NAMESPACES:
            raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                            details={"name": name, "kind": "namespaces"})
        key_ns = namespace if rt.namespaced else ""
        for _attempt in range(_MAX_RETRIES):
            current = self.store.get(*rt.group_resource, key_ns, name)
            if current is None:
                raise NotFound.for_object(rt.group, rt.plural, name)
            self._check_preconditions(rt, current, options)
            warnings = self._admit_delete(rt, current, options)
            try:
                result = self._delete_once(rt, current, options)
                result.warnings = warnings + result.warnings
                return result
            except StoreConflict:
                continue
            except StoreNotFound:   # deleted meanwhile by someone else
                raise NotFound.for_object(rt.group, rt.plural, name) from None
        raise Conflict.modified(rt.group, rt.plural, name)

    def _admit_delete(self, rt: ResourceType, current: StoredObject, options: DeleteOptions) -> builtins.list[str]:
        meta = current.obj["metadata"]
        admitting = self._admission_attributes(DELETE, rt, meta.get("namespace", ""), meta["name"], None,
                                               self.present(rt, current).obj, options.dry_run, "",
                                               _delete_options(options))
        if admitting is None:
            return []
        return admitting.run(self.admission)

    def admit_connect(self, rt: ResourceType, namespace: str, name: str, subresource: str,
                      options: dict[str, Any]) -> builtins.list[str]:
        """CONNECT admission for ``pods/exec``, ``pods/attach``, ``pods/portforward``, ``*/proxy``: ``options`` is
        the request's options object (e.g. ``PodExecOptions``); raises the denial, returns the warnings."""
        admitting = self._admission_attributes(CONNECT, rt, namespace, name, options, None, False, subresource, {})
        if admitting is None:
            return []
        return admitting.run(self.admission)

    def _check_preconditions(self, rt: ResourceType, current: StoredObject, options: DeleteOptions) -> None:
        meta = current.obj["metadata"]
        if options.uid and options.uid != meta.get("uid"):
            raise Conflict.with_reason(rt.group, rt.plural, meta["name"],
                                       f"Precondition failed: UID in precondition: {options.uid}, UID in object "
                                       f"meta: {meta.get('uid')}")
        if options.resource_version and options.resource_version != meta.get("resourceVersion"):
            raise Conflict.with_reason(rt.group, rt.plural, meta["name"],
                                       "Precondition failed: ResourceVersion in precondition: "
                                       f"{options.resource_version}, ResourceVersion in object meta: "
                                       f"{meta.get('resourceVersion')}")

    def _delete_once(self, rt: ResourceType, current: StoredObject, options: DeleteOptions) -> Result:
        strategy = self.strategy(rt)
        obj = current.obj
        meta = obj["metadata"]
        propagation = options.propagation or "Background"
        if propagation not in ("Orphan", "Background", "Foreground"):
            raise BadRequest(f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                             f'"{propagation}": supported values: "Foreground", "Background", "Orphan"')
        grace = strategy.grace_period(obj, options.grace_period)
        finalizers = list(meta.get("finalizers") or [])
        wanted = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(propagation)
        if wanted and wanted not in finalizers and options.propagation:
            finalizers.append(wanted)
        being_deleted = bool(meta.get("deletionTimestamp"))
        if being_deleted and finalizers == list(meta.get("finalizers") or []) and not (
                grace == 0 and _graceful_pending(obj)):
            return Result(self.present(rt, current).obj, 200, [], self.present(rt, current))
        if finalizers or grace > 0 or strategy.blocks_deletion(obj):
            return self._mark_deleting(rt, current, finalizers, grace, options.dry_run)
        if options.dry_run:
            return Result(obj, 200)
        stored = self._remove(rt, meta.get("namespace", ""), meta["name"], expected_rv=current.rv)
        if strategy.return_deleted_object:
            return Result(self.present(rt, stored).obj, 200, [], self.present(rt, stored))
        return Result(_success_status(rt, meta), 200)

    def _mark_deleting(self, rt: ResourceType, current: StoredObject, finalizers: builtins.list[str], grace: int,
                       dry_run: bool) -> Result:
        new = current.copy()
        meta = new["metadata"]
        if not meta.get("deletionTimestamp") or grace < int(meta.get("deletionGracePeriodSeconds", 0) or 0):
            moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=grace)
            meta["deletionTimestamp"] = format_time(moment)
            meta["deletionGracePeriodSeconds"] = grace
            if self.strategy(rt).tracks_generation and not current.obj["metadata"].get("deletionTimestamp"):
                meta["generation"] = int(meta.get("generation", 1)) + 1
        if finalizers:
            meta["finalizers"] = finalizers
        self.strategy(rt).on_delete_request(new)
        if dry_run:
            return Result(new, 200)
        stored = self.store.update(*rt.group_resource, new, expected_rv=current.rv)
        return Result(self.present(rt, stored).obj, 200, [], self.present(rt, stored))

    def _remove(self, rt: ResourceType, namespace: str, name: str, expected_rv: int | None = None) -> StoredObject:
        try:
            stored = self.store.delete(*rt.group_resource, namespace, name, expected_rv=expected_rv)
        except StoreNotFound:
            raise NotFound.for_object(rt.group, rt.plural, name) from None
        self.strategy(rt).release(stored.obj, self)
        return stored

    def delete_collection(self, rt: ResourceType, namespace: str | None, label_selector: str | None,
                          field_selector: str | None, options: DeleteOptions) -> builtins.list[dict[str, Any]]:
        if "deletecollection" not in rt.verbs:
            raise MethodNotAllowed()
        deleted: builtins.list[dict[str, Any]] = []
        for item in self.list(rt, namespace, label_selector, field_selector).items:
            meta = item.obj["metadata"]
            try:
                result = self.delete(rt, meta.get("namespace", ""), meta["name"], options).obj
            except NotFound:
                continue
            deleted.append(item.obj if result.get("kind") == "Status" else result)
        return deleted

    # --- watch ------------------------------------------------------------------------------------------

    def watch(self, rt: ResourceType, since_rv: int | None, selector: ObjectFilter) -> Any:
        try:
            watcher, replay = self.store.watch(*rt.group_resource, since_rv)
        except HistoryExpired as err:
            raise Gone(str(err)) from None
        return WatchStream(self, rt, watcher, replay, selector)


def refuse_strategic_patch_of_custom_resource(rt: ResourceType, content_type: str) -> None:
    """Custom resources and their subresources (scale too) take no strategic merge patch (the CRD handler's
    supported patch types)."""
    if content_type == STRATEGIC_PATCH and not rt.builtin:
        raise UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}")


def apply_patch_document(current: dict[str, Any], content_type: str, patch: Any, rt: ResourceType | None) -> Any:
    """Apply a JSON / merge / strategic patch to a document (strategic needs a built-in ``rt``)."""
    if content_type == JSON_PATCH:
        return apply_json_patch(current, patch)
    if content_type == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise BadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
        return apply_merge_patch(current, patch)
    if content_type == STRATEGIC_PATCH:
        definitions = builtin_definitions()
        schema = definitions.for_kind(rt.group, rt.version, rt.kind) if rt is not None else None
        return apply_strategic_merge_patch(current, patch, SchemaCursor(definitions, schema))
    builtin = rt is None or rt.builtin
    raise UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted media types include: {JSON_PATCH}, "
        f"{MERGE_PATCH}, {APPLY_PATCH}" + (f", {STRATEGIC_PATCH}" if builtin else ""))


def _write_options(options: WriteOptions) -> dict[str, Any]:
    """CreateOptions / UpdateOptions fields as an AdmissionRequest carries them."""
    result: dict[str, Any] = {}
    if options.dry_run:
        result["dryRun"] = ["All"]
    if options.field_manager:
        result["fieldManager"] = options.field_manager
    if options.field_validation:
        result["fieldValidation"] = options.field_validation
    return result


def _delete_options(options: DeleteOptions) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if options.grace_period is not None:
        result["gracePeriodSeconds"] = options.grace_period
    if options.propagation:
        result["propagationPolicy"] = options.propagation
    if options.dry_run:
        result["dryRun"] = ["All"]
    return result


def new_uid() -> str:
    """A random (version 4) UUID in its canonical text, as ``str(uuid.uuid4())`` makes it without building the
    UUID object (a fourth of it)."""
    hexed = os.urandom(16).hex()
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{'89ab'[int(hexed[16], 16) & 3]}{hexed[17:20]}-{hexed[20:]}"


def _rule_view(obj: dict[str, Any]) -> dict[str, Any]:
    """A custom resource as schema validation sees it: metadata reduced to name and generateName."""
    view = {key: value for key, value in obj.items() if key != "metadata"}
    meta = obj.get("metadata") or {}
    view["metadata"] = {key: meta[key] for key in ("name", "generateName") if key in meta}
    return view


def _drop_empty_meta(meta: dict[str, Any]) -> None:
    """ObjectMeta's collections are ``omitempty``: an empty list or map is not stored."""
    for key in ("labels", "annotations", "finalizers", "ownerReferences", "managedFields"):
        if key in meta and not meta[key]:
            del meta[key]


def _graceful_pending(obj: dict[str, Any]) -> bool:
    """A pod whose graceful termination period is still running (the kubelet finishes it)."""
    meta = obj["metadata"]
    return obj.get("kind") == "Pod" and int(meta.get("deletionGracePeriodSeconds") or 0) > 0


def _keep_all_but_status(new: dict[str, Any], old: dict[str, Any]) -> None:
    status = new.get("status")
    meta = new["metadata"]
    preserved = json.loads(json.dumps(old))
    new.clear()
    new.update(preserved)
    new["metadata"]["resourceVersion"] = meta.get("resourceVersion", "")
    if status is None:
        new.pop("status", None)
    else:
        new["status"] = status


def _success_status(rt: ResourceType, meta: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"name": meta["name"]}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    details["uid"] = meta.get("uid", "")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _key_of(item: StoredObject) -> str:
    meta = item.obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _encode_continue(last_key: str, rv: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key + "\u0000"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[str, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        start, rv = str(data["start"]).rstrip("\u0000"), int(data["rv"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("invalid continue token: continue key is not valid: illegal base64 data at input byte 0") \
            from None
    if rv == 0 or rv < -1:
        raise BadRequest("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion "
                         "(version meta.k8s.io/v1)")
    return start, rv


def _numeric_resource_version(value: Any) -> int:
    """The versioner's ``ObjectResourceVersion``: a uint64, else 0 (what cannot be parsed is not checked)."""
    try:
        return parse_uint(value) if isinstance(value, str) and value else 0
    except ValueError:
        return 0
