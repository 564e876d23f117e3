"""``EmbeddedCluster``: the API server, the simulated controllers and (optionally) local S3, on loopback.

    with EmbeddedCluster() as cluster:          # kubeconfig written to a temporary file
        subprocess.run(["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "get", "ns"])

Containers are never pulled or run: pods, deployments, jobs, ... get the status a real cluster would give
them on a schedule set by :class:`Timing`.
"""

from __future__ import annotations

import logging
import os
import platform
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from chainsaw_py.embedded.admission.defaults import install_default_plugins
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.auth.access import AccessControl
from chainsaw_py.embedded.auth.authenticator import Authenticator, StaticUser
from chainsaw_py.embedded.auth.escalation import RbacEscalationCheck
from chainsaw_py.embedded.auth.rbac import RbacAuthorizer
from chainsaw_py.embedded.auth.tokens import ServiceAccountTokens
from chainsaw_py.embedded.auth.x509 import ClientCertificates
from chainsaw_py.embedded.bootstrap import bootstrap, seed_aws_credentials, seed_default_rbac
from chainsaw_py.embedded.controllers import install_builtin_controllers
from chainsaw_py.embedded.controllers.base import ControllerManager
from chainsaw_py.embedded.controllers.certificates import csr_signing_controller
from chainsaw_py.embedded.controllers.context import Runtime
from chainsaw_py.embedded.controllers.tokens import token_controller
from chainsaw_py.embedded.crds import CrdRegistrar
from chainsaw_py.embedded.discovery import Discovery
from chainsaw_py.embedded.handlers import ApiHandler
from chainsaw_py.embedded.httpserver import HttpServer, Request, Response
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.kubeconfig import write_kubeconfig
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.logs import LogStore
from chainsaw_py.embedded.openapi import OpenApi
from chainsaw_py.embedded.plugins import PluginHost, PluginRegistry
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.runtime.access import PodAccess
from chainsaw_py.embedded.runtime.environment import ContainerConfigError, Identity
from chainsaw_py.embedded.runtime.images import ImageMap, ImageProgram
from chainsaw_py.embedded.runtime.pods import ProcessRuntime, RuntimeServices
from chainsaw_py.embedded.s3 import S3Endpoint, start_s3
from chainsaw_py.embedded.schemas import SERVER_MINOR
from chainsaw_py.embedded.store import Store, StoreEvent
from chainsaw_py.embedded.subresources import Subresources
from chainsaw_py.embedded.tables import TablePrinter
from chainsaw_py.embedded.timing import Timing
from chainsaw_py.embedded.tls import ServerCertificates, generate_certificates
from chainsaw_py.errors import ChainsawError

log = logging.getLogger("chainsaw_py.embedded")

GIT_VERSION = f"v1.{SERVER_MINOR}.0+embedded"
NODE_NAME = "embedded-node"
AUTHORIZATION_MODES = ("RBAC", "AlwaysAllow")
_EXTENDED_TOKEN_SECONDS = 365 * 24 * 3600   # kube-apiserver extends the kubelet's 3607 s tokens to a year


def version_info() -> dict[str, Any]:
    return {"major": "1", "minor": str(SERVER_MINOR), "emulationMajor": "1", "emulationMinor": str(SERVER_MINOR),
            "minCompatibilityMajor": "1", "minCompatibilityMinor": str(SERVER_MINOR - 1),
            "gitVersion": GIT_VERSION, "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z",
            "goVersion": f"python{platform.python_version()}", "compiler": "cpython",
            "platform": f"{platform.system().lower()}/{_arch()}"}


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _service_listener(processes: ProcessRuntime) -> Callable[[StoreEvent], None]:
    """Services' changes for the process runtime's service router."""
    def on_event(event: StoreEvent) -> None:
        if event.group == "" and event.plural == "services":
            meta = event.obj.get("metadata") or {}
            processes.service_changed(event.namespace, str(meta.get("name", "")),
                                      None if event.type == "DELETED" else event.obj)
    return on_event


class _LateApplication:
    """The HTTP server's application, bound before the handler exists (the handler needs the server's port)."""

    handler: ApiHandler

    def admit(self, request: Request) -> Response | None:
        return self.handler.admit(request)

    def handle(self, request: Request) -> Response:
        return self.handler.handle(request)

    def error(self, request: Request, status: int, message: str) -> Response:
        return self.handler.error(request, status, message)


class EmbeddedCluster:
    """An in-process Kubernetes API server on 127.0.0.1 with simulated controllers."""

    def __init__(self, kubeconfig: str | Path | None = None, port: int = 0, s3: bool = False,
                 timing: Timing | None = None, tls: bool = True, authorization: str = "RBAC",
                 users: Iterable[StaticUser] = (), limits: Limits | None = None,
                 overwrite_kubeconfig: bool = True, images: Iterable[ImageProgram] = ()) -> None:
        """``tls=False`` serves plain HTTP: fine for the Python client, but kubectl (client-go) refuses to send
        a kubeconfig token over plain HTTP, so keep the default for anything that runs kubectl. ``limits``
        bounds request sizes, timeouts and connections (kube-apiserver's by default). With
        ``overwrite_kubeconfig=False`` an existing ``kubeconfig`` file (or symlink) is an error.

        ``authorization`` is ``"RBAC"`` (requests of ServiceAccounts and static ``users`` are checked against
        Roles and bindings; the kubeconfig's admin is in ``system:masters``) or ``"AlwaysAllow"``.
        ``images``: pods whose containers' images all match one of these run them as local processes."""
        if authorization not in AUTHORIZATION_MODES:
            raise ChainsawError(f"unknown authorization mode {authorization!r}: expected one of "
                                f"{', '.join(AUTHORIZATION_MODES)}")
        self.authorization = authorization
        self._users = list(users)
        self.limits = limits or Limits()
        self._overwrite_kubeconfig = overwrite_kubeconfig
        self._kubeconfig_request = Path(kubeconfig) if kubeconfig is not None else None
        self._tls = tls
        self.ca_pem: bytes | None = None
        self._certificates: ServerCertificates | None = None
        self._port = port
        self._want_s3 = s3
        self.timing = timing or Timing()
        self.token = secrets.token_urlsafe(32)
        self.registry = ResourceRegistry()
        self.store = Store(self.limits)
        self.api = ApiServer(self.registry, self.store, StrategyRegistry())
        rbac = RbacAuthorizer(self.store) if authorization == "RBAC" else None
        install_default_plugins(self.api.admission, self.store, self.registry, rbac.authorize if rbac else None)
        if rbac is not None:
            self.api.admission.add(RbacEscalationCheck(rbac))
        self.logs = LogStore()
        self.images = ImageMap(images)
        self.processes: ProcessRuntime | None = None
        self.s3: S3Endpoint | None = None
        self._http: HttpServer | None = None
        self._s3_server: Any = None
        self._manager: Any = None
        self._plugins: Any = None
        self._kubeconfig_path: Path | None = None
        self._access: AccessControl | None = None
        self._lock = threading.Lock()
        self._started = False

    # --- public properties ------------------------------------------------------------------------------

    @property
    def kubeconfig_path(self) -> Path:
        if self._kubeconfig_path is None:
            raise ChainsawError("the embedded cluster is not started")
        return self._kubeconfig_path

    @property
    def server_url(self) -> str:
        if self._http is None:
            raise ChainsawError("the embedded cluster is not started")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._http.port}"

    @property
    def running(self) -> bool:
        return self._started

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> EmbeddedCluster:
        with self._lock:
            if self._started:
                return self
            try:
                self._start()
            except OSError as err:
                self._teardown()
                raise ChainsawError(f"cannot start the embedded cluster: {err}") from None
            except BaseException:
                self._teardown()
                raise
            self._started = True
        return self

    def _start(self) -> None:
        request = self._kubeconfig_request
        if request is not None and not self._overwrite_kubeconfig and os.path.lexists(request):
            raise ChainsawError(f"kubeconfig {request} already exists: refusing to overwrite it "
                                "(pass --overwrite-kubeconfig to replace it)")
        self.store.add_listener(CrdRegistrar(self.registry).on_event)
        ssl_context = None
        if self._tls:
            certificates = self._certificates = generate_certificates()
            self.ca_pem = certificates.ca_pem
            ssl_context = certificates.server_context()
        application = _LateApplication()
        http = self._http = HttpServer(application, port=self._port, ssl_context=ssl_context,
                                       limits=self.limits)
        server_address = f"127.0.0.1:{http.port}"
        subresources = Subresources(self.api, self.logs)
        handler = ApiHandler(self.api, Discovery(self.registry, server_address), self.token, version_info(),
                             subresources, OpenApi(self.registry, GIT_VERSION), TablePrinter(),
                             bookmark_interval=self.timing.bookmark_interval, limits=self.limits)
        access = self._access = handler.access = subresources.access = self._access_control()
        application.handler = handler
        bootstrap(self.api, NODE_NAME, http.port)
        seed_default_rbac(self.api)
        if self._want_s3:
            self._start_s3()
        processes = self.processes = ProcessRuntime(self.images, self.logs, self._runtime_services(http.port))
        runtime = Runtime(self.api, self.logs, self.timing, NODE_NAME, self.s3, processes)
        manager = self._manager = ControllerManager(runtime, resync_period=self.timing.reconcile_period)
        processes.wake = lambda namespace, name: manager.queue.add("kubelet", (namespace, name))
        handler.pod_access = PodAccess(self.store, processes)
        self.store.add_listener(_service_listener(processes))
        self.store.add_listener(manager.on_event)
        install_builtin_controllers(manager, runtime, self.ca_pem)
        manager.add(token_controller(runtime, access.authenticator.tokens, self.ca_pem))
        if self._certificates is not None:
            manager.add(csr_signing_controller(self._certificates))
        self._activate_plugins(manager, runtime)
        manager.start()
        http.start()
        self._kubeconfig_path = write_kubeconfig(self._kubeconfig_request, self.server_url, self.token, self.ca_pem,
                                                 overwrite=self._overwrite_kubeconfig)

    def _runtime_services(self, port: int) -> RuntimeServices:
        def lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
            stored = self.store.get("", {"ConfigMap": "configmaps", "Secret": "secrets"}[kind], namespace, name)
            return stored.obj if stored is not None else None

        def services(namespace: str) -> list[dict[str, Any]]:
            return [stored.obj for stored in self.store.list("", "services", namespace)[0]]

        def identity(pod: dict[str, Any]) -> Identity | None:
            return self._pod_identity(pod, f"{'https' if self._tls else 'http'}://127.0.0.1:{port}")

        def s3_address() -> tuple[str, int] | None:
            if self.s3 is None:
                return None
            url = urllib.parse.urlsplit(self.s3.endpoint_url)
            return (url.hostname, url.port) if url.hostname and url.port else None

        return RuntimeServices(lookup, services, identity, lambda: ("127.0.0.1", port), self.api.now,
                               self.timing.restart_backoff, s3_address)

    def _pod_identity(self, pod: dict[str, Any], server: str) -> Identity | None:
        """The credentials a kubelet gives the pod: tokens of its ServiceAccount bound to the pod, so that RBAC
        applies to what runs in it; ``mounted`` is False when no token is mounted (``automountServiceAccountToken:
        false`` on the pod, or unset there and false on the ServiceAccount): projected token volumes still get one."""
        meta, spec = pod["metadata"], pod.get("spec") or {}
        namespace = str(meta.get("namespace", ""))
        name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        stored = self.store.get("", "serviceaccounts", namespace, name)
        if stored is None:
            raise ContainerConfigError(f'failed to fetch token: serviceaccounts "{name}" not found')
        mount = spec.get("automountServiceAccountToken")
        mounted = not (mount is False or (mount is None and stored.obj.get("automountServiceAccountToken") is False))
        uid = str(stored.obj["metadata"].get("uid", ""))
        bound = {"kind": "Pod", "name": meta.get("name", ""), "uid": meta.get("uid", "")}

        def issue(audiences: list[str], seconds: int) -> str:
            return self._tokens().issue(namespace, name, uid, seconds, audiences, bound)[0]

        return Identity(issue([], _EXTENDED_TOKEN_SECONDS), self.ca_pem, server,
                        f"system:serviceaccount:{namespace}:{name}", issue, mounted)

    def _tokens(self) -> ServiceAccountTokens:
        if self._access is None:
            raise ChainsawError("the embedded cluster is not started")
        return self._access.authenticator.tokens

    def map_image(self, program: ImageProgram) -> None:
        """Add an image mapping (also after start: pods created from then on use it)."""
        self.images.add(program)

    def _access_control(self) -> AccessControl:
        client_ca = ClientCertificates(self.ca_pem) if self.ca_pem is not None else None
        authenticator = Authenticator(self.token, self.store, ServiceAccountTokens(), self._users, client_ca)
        authorizer = RbacAuthorizer(self.store) if self.authorization == "RBAC" else None
        return AccessControl(authenticator, authorizer,
                             lambda g, v, p: self.registry.lookup(g, v, p) is not None)

    def _start_s3(self) -> None:
        self._s3_server, self.s3 = start_s3()

        seed_aws_credentials(self.api, self.s3)

    def _activate_plugins(self, manager: Any, runtime: Any) -> None:
        if self._plugins is not None:
            self._plugins.activate(manager, runtime)

    def stop(self) -> None:
        with self._lock:
            if not self._started:
                return
            self._teardown()
            self._started = False

    def _teardown(self) -> None:
        if self.processes is not None:
            self.processes.stop_all()
        if self._manager is not None:
            self._manager.stop()
            self._manager = None
        self.store.stop_all_watchers()
        if self._http is not None:
            self._http.stop()
        if self._s3_server is not None:
            self._s3_server.stop()
            self._s3_server = None
        if self._kubeconfig_request is None and self._kubeconfig_path is not None:
            self._kubeconfig_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # --- plugins and helpers ----------------------------------------------------------------------------

    def load_plugin(self, path: str | Path) -> PluginRegistry:
        """Load a plugin module file (``def register(registry)``); works before or after ``start()``.
        Returns what the plugin registered (its ``notices`` are lines meant for the user)."""

        with self._lock:
            if self._plugins is None:
                self._plugins = PluginHost(self.api)
            registry = self._plugins.load(Path(path))
            if self._started and self._manager is not None:
                self._plugins.activate(self._manager, self._manager.runtime)
        return registry

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until the controllers have no pending work (useful in tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._manager is None or self._manager.idle():
                return True
            time.sleep(0.01)
        return False
