"""Plugins: simulated controllers a test suite brings for its own custom resources.

A plugin is a Python file that defines ``register(registry)``. The runner loads ``chainsaw_embedded.py`` from a
test folder only when the run uses the embedded cluster (``cluster.load_plugin(path)``); you can also load any
file yourself. Example — a stand-in for an operator that turns a ``Widget`` into a ConfigMap::

    # chainsaw_embedded.py
    CRD = '''
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
      scope: Namespaced
      versions:
      - name: v1
        served: true
        storage: true
        subresources: {status: {}}
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec: {type: object, properties: {size: {type: integer}}}
              status: {type: object, x-kubernetes-preserve-unknown-fields: true}
    '''

    def reconcile(widget, ctx):
        meta = widget["metadata"]
        config = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": meta["name"] + "-config", "namespace": meta["namespace"]},
                  "data": {"size": str(widget["spec"].get("size", 1))}}
        ctx.apply(ctx.set_owner(config, widget))        # create or update, owned by the widget
        if ctx.set_condition(widget, "Ready", "True", "Reconciled", "config written"):
            ctx.update_status(widget)
        ctx.event(widget, "Reconciled", "config written")

    def register(registry):
        registry.install_manifests(CRD)
        registry.add_controller("example.com/v1", "Widget", reconcile, owns=[("v1", "ConfigMap")])

``reconcile(obj, ctx)`` runs after every change of a Widget (and of ConfigMaps it owns), after
``ctx.requeue_after(seconds)``, and periodically; it receives a private copy of the object. ``ctx`` is a
:class:`~chainsaw_py.embedded.controllers.context.ReconcileContext`: ``get``, ``list``, ``owned_by``,
``create``, ``update``, ``update_status``, ``apply``, ``patch``, ``delete``, ``owner_reference``,
``set_owner``, ``set_condition``, ``event``, ``write_log``, ``requeue_after``, ``now``, ``s3`` (an
:class:`~chainsaw_py.embedded.cluster.S3Endpoint` or None), ``log`` (a logging.Logger), ``timing``.
Failures raise :class:`ApiError` subclasses (``NotFound``, ``Conflict``, ``AlreadyExists``, ``Invalid``);
an exception makes the runtime retry the object with backoff.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from chainsaw_py.embedded.apierrors import AlreadyExists, ApiError, Conflict, Invalid, NotFound
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.controllers.base import ANY, ControllerManager
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.runtime.images import ImageProgram
from chainsaw_py.embedded.store import DELETED, StoreEvent
from chainsaw_py.errors import ChainsawError

__all__ = [
    "PLUGIN_FILE_NAME",
    "AlreadyExists",
    "ApiError",
    "Conflict",
    "Invalid",
    "NotFound",
    "PluginRegistry",
    "ReconcileContext",
]

Reconcile = Callable[[dict[str, Any], ReconcileContext], None]
log = logging.getLogger("chainsaw_py.embedded.plugins")
_counter = itertools.count()

PLUGIN_FILE_NAME = "chainsaw_embedded.py"


def _split(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@dataclass
class PluginController:
    """Reconciles one kind by (group, kind), so it may be registered before the kind's CRD exists."""

    name: str
    api_version: str
    kind: str
    reconcile: Reconcile
    on_delete: Reconcile | None = None
    owns: tuple[tuple[str, str], ...] = ()
    runtime: Runtime | None = None
    _tombstones: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def group(self) -> str:
        return _split(self.api_version)[0]

    def interests(self) -> Iterable[tuple[str, str]]:
        return [(ANY, ANY)]

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]:
        obj = event.obj
        if event.group == self.group and obj.get("kind") == self.kind:
            key = (event.namespace, obj["metadata"]["name"])
            if event.type == DELETED:
                with self._lock:
                    self._tombstones[key] = obj
            return [key]
        if any(_split(api_version)[0] == event.group and kind == obj.get("kind") for api_version, kind in self.owns):
            return [(event.namespace, str(ref.get("name"))) for ref in obj["metadata"].get("ownerReferences") or []
                    if ref.get("controller") and ref.get("kind") == self.kind
                    and _split(str(ref.get("apiVersion", "")))[0] == self.group]
        return []

    def process(self, key: Hashable, ctx: ReconcileContext) -> None:
        namespace, name = cast(tuple[str, str], key)
        current = ctx.get(self.api_version, self.kind, name, namespace) if self._served(ctx) else None
        if current is not None:
            with self._lock:
                self._tombstones.pop((namespace, name), None)
            self.reconcile(current, ctx)
            return
        with self._lock:
            tombstone = self._tombstones.pop((namespace, name), None)
        if tombstone is not None and self.on_delete is not None:
            self.on_delete(tombstone, ctx)

    def _served(self, ctx: ReconcileContext) -> bool:
        return ctx.runtime.server.registry.by_api_version_kind(self.api_version, self.kind) is not None

    def resync_keys(self) -> Iterable[Hashable]:
        if self.runtime is None:
            return []
        rt = self.runtime.server.registry.by_api_version_kind(self.api_version, self.kind)
        if rt is None:
            return []
        items, _rv = self.runtime.server.store.list(*rt.group_resource)
        return [(item.obj["metadata"].get("namespace", ""), item.obj["metadata"]["name"]) for item in items]


class PluginRegistry:
    """What ``register(registry)`` receives. Registration only records intentions; they take effect when the
    cluster starts (or immediately when the plugin is loaded into a running cluster)."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.manifests: list[dict[str, Any]] = []
        self.controllers: list[PluginController] = []
        self.start_hooks: list[Callable[[ReconcileContext], None]] = []
        self.notices: list[str] = []
        self.images: list[ImageProgram] = []
        self.activated = False

    def notice(self, text: str) -> None:
        """A line for the run's console (the runner prints it when it loads the plugin), e.g. to say
        what the plugin simulates."""
        self.notices.append(str(text))

    def install_manifests(self, manifests: str | Path | dict[str, Any] | list[dict[str, Any]]) -> None:
        """Objects to create (or update) at start, before controllers run — typically the plugin's CRDs.
        Accepts YAML text (multi-document), a Path to a YAML file, one object or a list of objects."""
        import yaml

        if isinstance(manifests, Path):
            manifests = manifests.read_text(encoding="utf-8")
        if isinstance(manifests, str):
            try:
                documents = [doc for doc in yaml.safe_load_all(manifests) if doc]
            except yaml.YAMLError as err:
                raise ChainsawError(f"embedded plugin {self.source}: invalid manifest YAML: {err}") from None
        elif isinstance(manifests, dict):
            documents = [manifests]
        else:
            documents = list(manifests)
        for document in documents:
            if not isinstance(document, dict) or not document.get("apiVersion") or not document.get("kind"):
                raise ChainsawError(f"embedded plugin {self.source}: every manifest needs apiVersion and kind")
            self.manifests.append(document)

    def add_controller(self, api_version: str, kind: str, reconcile: Reconcile, *, on_delete: Reconcile | None = None,
                       owns: Iterable[tuple[str, str]] = (), name: str | None = None) -> None:
        """Reconcile objects of ``api_version``/``kind``: ``reconcile(obj, ctx)`` on add/update (and on the
        periodic resync), ``on_delete(last_state, ctx)`` after deletion. ``owns`` lists (apiVersion, kind) of
        objects this controller creates with a controller ownerReference; their changes requeue the owner."""
        if not callable(reconcile) or (on_delete is not None and not callable(on_delete)):
            raise ChainsawError(f"embedded plugin {self.source}: reconcile/on_delete must be callables")
        controller_name = name or f"plugin-{kind.lower()}-{next(_counter)}"
        self.controllers.append(PluginController(controller_name, api_version, kind, reconcile, on_delete,
                                                 tuple(owns)))

    def map_image(self, image: str, entrypoint: Iterable[str], *, args: Iterable[str] = (),
                  working_dir: str | Path | None = None, env: dict[str, str] | None = None) -> None:
        """Pods whose containers all use mapped images run as local processes: ``image`` (exact or a glob
        such as ``ghcr.io/acme/operator:*``) runs ``entrypoint`` (the image's ENTRYPOINT) with ``args`` (its
        CMD) in ``working_dir`` (relative to the plugin file; default: its folder) with ``env``."""
        command = tuple(str(word) for word in entrypoint)
        if not image or not command:
            raise ChainsawError(f"embedded plugin {self.source}: map_image needs an image and an entrypoint")
        folder = (self.source.parent / working_dir).resolve() if working_dir is not None else self.source.parent
        self.images.append(ImageProgram(image, command, tuple(str(a) for a in args), str(folder), dict(env or {})))

    def on_start(self, callback: Callable[[ReconcileContext], None]) -> None:
        """Run ``callback(ctx)`` once, after the manifests are installed and before controllers start."""
        self.start_hooks.append(callback)


class PluginHost:
    """Loads plugin files and activates them on a cluster's runtime."""

    def __init__(self, api: ApiServer) -> None:
        self.api = api
        self.registries: list[PluginRegistry] = []

    def load(self, path: Path) -> PluginRegistry:
        path = path.resolve()
        if not path.is_file():
            raise ChainsawError(f"embedded plugin {path}: file not found")
        module_name = f"chainsaw_embedded_plugin_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ChainsawError(f"embedded plugin {path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            raise ChainsawError(f"embedded plugin {path}: {type(err).__name__}: {err}") from None
        register = getattr(module, "register", None)
        if not callable(register):
            raise ChainsawError(f"embedded plugin {path}: no register(registry) function")
        registry = PluginRegistry(path)
        try:
            register(registry)
        except ChainsawError:
            raise
        except Exception as err:
            raise ChainsawError(f"embedded plugin {path}: register failed: {type(err).__name__}: {err}") from None
        self.registries.append(registry)
        return registry

    def activate(self, manager: ControllerManager, runtime: Runtime) -> None:
        for registry in self.registries:
            if registry.activated:
                continue
            ctx = ReconcileContext(runtime, f"plugin:{registry.source.name}")
            for manifest in registry.manifests:
                try:
                    ctx.apply(manifest)
                except ApiError as err:
                    raise ChainsawError(f"embedded plugin {registry.source}: cannot install "
                                        f"{manifest.get('kind')} {manifest.get('metadata', {}).get('name')}: "
                                        f"{err.message}") from None
            for program in registry.images:
                if runtime.processes is not None:
                    runtime.processes.images.add(program)
            for hook in registry.start_hooks:
                hook(ctx)
            for controller in registry.controllers:
                controller.runtime = runtime
                manager.add(controller)
            registry.activated = True
