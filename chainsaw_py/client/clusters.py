"""Connecting to clusters: a kubeconfig (with ``--kube-*`` overrides), or the embedded cluster when no
kubeconfig is usable (or when asked for). A ``ConnectedCluster`` is what the runner and the operations hold:
its client, the ``$config`` handle, and the kubeconfig written for scripts."""

from __future__ import annotations

import base64
import binascii
import copy
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from chainsaw_py.client.client import Client
from chainsaw_py.client.errors import ApiError
from chainsaw_py.client.kubeconfig import KubeconfigSelection, has_default_kubeconfig, load_selection
from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang import urls as goturl
from chainsaw_py.util.leftovers import LEFTOVERS

PLUGIN_FILE = "chainsaw_embedded.py"


class ClusterConfig:
    """The ``$config`` binding: what ``x_k8s_server_version($config)`` needs."""

    def __init__(self, client: Client, server: str) -> None:
        self._client = client
        self.server = server

    def server_version(self) -> dict[str, Any]:
        try:
            return self._client.server_version()
        except ApiError as err:
            raise ChainsawError(str(err)) from err

    def __repr__(self) -> str:
        return f"ClusterConfig({self.server})"


@dataclass(frozen=True)
class ConnectedCluster:
    selection: KubeconfigSelection
    client: Client
    config: ClusterConfig
    s3: Any = None
    """The embedded cluster's local S3 (an ``S3Endpoint``), or None."""
    embedded: bool = False
    """An embedded cluster started for the run."""

    @property
    def description(self) -> str:
        """Which cluster this is, for reports: ``embedded cluster at <url>`` or the kubeconfig context."""
        server = self.selection.server
        if self.embedded:
            return f"embedded cluster at {server}"
        context = f"context {self.selection.context}" if self.selection.context else "no context"
        return f"kubeconfig {self.selection.source}, {context}, server {server}"

    @property
    def default_namespace(self) -> str:
        """The kubeconfig context's namespace (what kubectl uses without ``-n``), else ``default``."""
        return self.selection.namespace or "default"

    def write_kubeconfig(self, path: Path) -> None:
        self.selection.write(path)

    def close(self) -> None:
        """Stop the client's background watches (connections are closed with the process)."""
        self.client.close()


def build_api_client(selection: KubeconfigSelection) -> Any:
    from kubernetes import client as k8s
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

    configuration = k8s.Configuration()
    config, tls = _without_tls_material(selection.single_context())
    for named in config.get("clusters") or []:  # in the kubeconfig: the loader sets the host again on refreshes
        cluster = named.get("cluster") or {}
        if cluster.get("server"):
            cluster["server"] = default_server_url(str(cluster["server"]), _default_tls(selection))
    try:
        KubeConfigLoader(config_dict=config, active_context="chainsaw").load_and_set(configuration)
    except ConfigException as err:
        raise ChainsawError(f"invalid kubeconfig: {err}") from err
    configuration.connection_pool_maxsize = 64
    configuration.retries = _retries()
    if selection.cluster.get("proxy-url"):
        configuration.proxy = selection.cluster["proxy-url"]
    api_client = k8s.ApiClient(configuration)
    if any(tls.values()):
        api_client.rest_client.pool_manager.connection_pool_kw["ssl_context"] = _ssl_context(configuration, tls)
    user = selection.user
    if user.get("as"):
        api_client.set_default_header("Impersonate-User", user["as"])
    if user.get("as-uid"):
        api_client.set_default_header("Impersonate-Uid", user["as-uid"])
    if user.get("as-groups"):
        api_client.set_default_header("Impersonate-Group", ",".join(user["as-groups"]))
    return api_client


def default_server_url(host: str, default_tls: bool) -> str:
    """client-go's ``rest.DefaultServerURL``: a server that ``url.Parse`` refuses, or one without a scheme
    or a host (``notaurl``, ``10.0.0.1:6443``), is read again after ``https://`` (``http://`` without TLS
    material)."""
    try:
        parsed = goturl.parse(host)
        if parsed.scheme and parsed.host:
            return host
    except ValueError:
        pass
    prefixed = ("https://" if default_tls else "http://") + host
    try:
        goturl.parse(prefixed)
    except ValueError as err:
        raise ChainsawError(str(err)) from None
    return prefixed


def _default_tls(selection: KubeconfigSelection) -> bool:
    """client-go's ``defaultServerUrlFor``: a CA, a client certificate or ``insecure`` means TLS."""
    cluster, user = selection.cluster, selection.user
    return bool(cluster.get("certificate-authority-data") or cluster.get("certificate-authority")
                or user.get("client-certificate-data") or user.get("client-certificate")
                or cluster.get("insecure-skip-tls-verify"))


_TLS_KEYS = {"certificate-authority-data": ("clusters", "cluster"), "client-certificate-data": ("users", "user"),
             "client-key-data": ("users", "user")}


def _without_tls_material(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The kubeconfig without its certificates and key, and those decoded. Given them, the kubernetes
    package writes each to a temporary file that it keeps until the interpreter exits (one per new CA: one
    per embedded cluster) and shares between clients by content; chainsaw_py loads them in memory."""
    stripped = copy.deepcopy(config)
    material: dict[str, bytes] = {}
    for key, (section, entry) in _TLS_KEYS.items():
        holder = stripped[section][0][entry]
        value = holder.pop(key, None)
        if value:
            try:
                material[key] = base64.b64decode(value)
            except (binascii.Error, ValueError) as err:
                raise ChainsawError(f"invalid kubeconfig: {key}: {err}") from err
    return stripped, material


def _ssl_context(configuration: Any, tls: dict[str, bytes]) -> Any:
    import ssl

    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE)
    try:
        ca = tls.get("certificate-authority-data")
        if ca:
            context.load_verify_locations(cadata=ca.decode())
        else:
            context.load_default_certs()
        certificate, key = tls.get("client-certificate-data"), tls.get("client-key-data")
        if certificate:
            _load_client_certificate(context, certificate, key)
    except (ssl.SSLError, ValueError, UnicodeDecodeError) as err:
        raise ChainsawError(f"invalid kubeconfig: certificate data: {err}") from err
    return context


def _load_client_certificate(context: Any, certificate: bytes, key: bytes | None) -> None:
    """``ssl`` reads a certificate chain from files only: a private directory that lives for the call."""
    with tempfile.TemporaryDirectory(prefix="chainsaw-tls-") as directory:
        cert_file = Path(directory) / "tls.crt"
        cert_file.write_bytes(certificate)
        key_file = None
        if key:
            key_file = Path(directory) / "tls.key"
            key_file.write_bytes(key)
        context.load_cert_chain(cert_file, key_file)


def _retries() -> Any:
    """Retry failed connections (a restarting server), never a request that was sent: a timed-out read
    must fail within the operation's deadline, not be repeated (Go's client does not repeat them)."""
    from urllib3.util.retry import Retry

    return Retry(total=3, connect=3, read=0, status=0, other=0, redirect=3, backoff_factor=0.1)


def connect(kubeconfig: Path | None = None, context: str | None = None,
            overrides: dict[str, Any] | None = None, *, search: str | None = None) -> ConnectedCluster:
    """A ``ConnectedCluster`` for ``kubeconfig`` (default loading rules when None, with ``search`` in place of
    ``$KUBECONFIG`` when given) and ``context``."""
    selection = load_selection(kubeconfig, context, overrides, search=search)
    timeout = _request_timeout((overrides or {}).get("request_timeout"))
    client = Client(build_api_client(selection), request_timeout=timeout)
    return ConnectedCluster(selection, client, ClusterConfig(client, selection.server))


def _request_timeout(value: str | None) -> float | None:
    """clientcmd's ``ParseTimeout``: whole seconds (not negative), else a Go duration; 0 is no timeout."""
    if not value:
        return None
    from chainsaw_py.golang.durations import DurationError, parse_duration
    from chainsaw_py.golang.strconv import parse_int

    try:
        seconds = float(parse_int(value))
        if seconds < 0:
            raise ValueError(value)
    except ValueError:
        try:
            seconds = parse_duration(value)
        except DurationError:
            raise ChainsawError("Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                                "followed by a corresponding time unit (e.g. 1s | 2m | 3h)") from None
    return seconds or None


EMBEDDED_MODE_VARIABLE = "CHAINSAW_PY_EMBEDDED"
EMBEDDED_MODES = ("process", "in-process")


def embedded_mode() -> str:
    """Where an embedded cluster started for a run lives: ``process`` (default: a child process, so that the run
    and the cluster use two cores) or ``in-process`` (threads of this process), from ``$CHAINSAW_PY_EMBEDDED``."""
    mode = os.environ.get(EMBEDDED_MODE_VARIABLE, "") or "process"
    if mode not in EMBEDDED_MODES:
        raise ChainsawError(f'invalid {EMBEDDED_MODE_VARIABLE} "{mode}": expected one of {", ".join(EMBEDDED_MODES)}')
    return mode


def uses_embedded(overrides: dict[str, Any], *, embedded: bool, kubeconfig: str | None = None) -> bool:
    """Whether ``default_cluster`` will start an embedded cluster: asked for, or no kubeconfig is usable."""
    return embedded or not (overrides.get("server") or has_default_kubeconfig(kubeconfig))


@contextmanager
def early_embedded_process(overrides: dict[str, Any], *, embedded: bool,
                           kubeconfig: str | None = None) -> Iterator[Any]:
    """The embedded cluster's process, spawned now when the run will use one (in ``process`` mode) so that it
    loads while the run loads its tests; None otherwise. Stopped at the end of the block if still running."""
    if embedded_mode() != "process" or not uses_embedded(overrides, embedded=embedded, kubeconfig=kubeconfig):
        yield None
        return
    from chainsaw_py.client.embedded_process import EmbeddedProcess

    process = EmbeddedProcess().spawn()
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def default_cluster(overrides: dict[str, Any], *, embedded: bool, tests: list[Any],
                    announce: Callable[[str], None], images: Sequence[Any] = (),
                    s3: bool = True, kubeconfig: str | None = None, process: Any = None) -> Iterator[ConnectedCluster]:
    """The run's default cluster: the kubeconfig's when one is usable (``kubeconfig``, a path list, in place of
    ``$KUBECONFIG`` when given), else an embedded cluster started for the run (with the suite's
    ``chainsaw_embedded.py`` plugins, a local S3 when ``s3`` or a plugin asks for it, and ``images``: the
    ``ImageProgram`` mappings whose pods run as local processes), in ``process`` when one was spawned early."""
    if not uses_embedded(overrides, embedded=embedded, kubeconfig=kubeconfig):
        cluster = connect(None, overrides.get("context"), overrides, search=kubeconfig)
        try:
            yield cluster
        finally:
            cluster.close()
        return
    reason = "--embedded" if embedded else _no_kubeconfig_reason(kubeconfig)
    with embedded_cluster(tests, announce, reason, images, s3=s3, process=process) as cluster:
        yield cluster


def _no_kubeconfig_reason(search: str | None) -> str:
    if search:
        return f"no kubeconfig file at {search}"
    if os.environ.get("KUBECONFIG"):
        return f"no kubeconfig file at KUBECONFIG={os.environ['KUBECONFIG']}"
    return "no KUBECONFIG and no ~/.kube/config"


@contextmanager
def embedded_cluster(tests: list[Any], announce: Callable[[str], None], reason: str = "--embedded",
                     images: Sequence[Any] = (), *, s3: bool = True, process: Any = None) -> Iterator[ConnectedCluster]:
    """The embedded cluster with the suite's plugins; its local S3 (moto: about a second to start and to
    stop) runs when ``s3`` is set or a plugin is loaded (a plugin's controllers may use it). It runs in a child
    process (``process``, an ``EmbeddedProcess`` spawned early, or one spawned here) unless
    ``$CHAINSAW_PY_EMBEDDED`` is ``in-process``."""
    plugins = sorted({Path(test.base_path) / PLUGIN_FILE for test in tests
                      if (Path(test.base_path) / PLUGIN_FILE).is_file()})
    wants_s3 = s3 or bool(plugins)
    if process is None and embedded_mode() == "in-process":
        source = _in_process_cluster(plugins, images, wants_s3)
    else:
        source = _cluster_process(process, plugins, images, wants_s3)
    with source as ready, _connected(announce, reason, plugins, ready) as cluster:
        yield cluster


@contextmanager
def _cluster_process(process: Any, plugins: list[Path], images: Sequence[Any], s3: bool) -> Iterator[Any]:
    """The cluster in ``process`` when given (spawned early), else in one spawned here; the process is stopped
    when the block ends."""
    from chainsaw_py.client.embedded_process import EmbeddedProcess

    running = process if process is not None else EmbeddedProcess().spawn()
    try:
        warm_client_imports = _import_client_in_background()
        ready = running.start(plugins, images, s3)
        warm_client_imports.join()
        with _removed_when_abandoned(ready.kubeconfig):
            yield ready
    finally:
        running.stop()


def _import_client_in_background() -> threading.Thread:
    """The kubernetes package (~0.3 s of imports) loads while the cluster's process starts."""
    def load() -> None:
        import kubernetes.client  # noqa: F401

    thread = threading.Thread(target=load, name="chainsaw-client-import", daemon=True)
    thread.start()
    return thread


@contextmanager
def _in_process_cluster(plugins: list[Path], images: Sequence[Any], s3: bool) -> Iterator[Any]:
    from chainsaw_py.client.embedded_process import EmbeddedReady
    from chainsaw_py.embedded import EmbeddedCluster

    with EmbeddedCluster(s3=s3, images=images) as server, _removed_when_abandoned(Path(server.kubeconfig_path)):
        notices = [notice for plugin in plugins for notice in server.load_plugin(plugin).notices]
        yield EmbeddedReady(server.server_url, Path(server.kubeconfig_path), server.s3, len(server.images), notices)


@contextmanager
def _connected(announce: Callable[[str], None], reason: str, plugins: list[Path],
               ready: Any) -> Iterator[ConnectedCluster]:
    announce(f"Using an embedded cluster at {ready.server_url} ({reason}): "
             "nodes, pods and controllers are simulated; container images are never pulled or run"
             + (f" (pods whose images map to local programs run them: {ready.images} mappings)."
                if ready.images else "."))
    if plugins:
        announce("Embedded cluster plugins: " + ", ".join(str(p) for p in plugins))
    for notice in ready.notices:
        announce(notice)
    cluster = replace(connect(ready.kubeconfig), s3=ready.s3, embedded=True)
    try:
        with _s3_environment(ready.s3):
            yield cluster
    finally:
        cluster.close()


@contextmanager
def _removed_when_abandoned(path: Path) -> Iterator[None]:
    """The embedded cluster's kubeconfig (it holds its token) goes even if the run is cut short."""
    LEFTOVERS.add_file(path)
    try:
        yield
    finally:
        LEFTOVERS.discard_file(path)


@contextmanager
def _s3_environment(s3: Any) -> Iterator[None]:
    """Scripts reach the local S3 through ``AWS_ENDPOINT_URL`` (set for the run, then restored)."""
    if s3 is None:
        yield
        return
    saved = {key: os.environ.get(key) for key in ("AWS_ENDPOINT_URL",)}
    os.environ["AWS_ENDPOINT_URL"] = s3.endpoint_url
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
