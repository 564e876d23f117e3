"""The process runtime: a pod whose containers' images all map to local programs runs them as real
processes, the way a kubelet would run the images.

Each such pod gets its own loopback address as pod IP (on 127.0.0.0/8, so two pods listening on the
same container port do not clash when they bind to their pod IP), a folder with its volumes, its
ServiceAccount's token and a kubeconfig for that identity (seen at their container paths in a mount namespace
per container where allowed, ``podview.py``), and one worker thread that starts the
containers (init containers first, in order), restarts them per ``restartPolicy`` with the kubelet's
CrashLoopBackOff back-off, runs their probes and stops them (preStop, SIGTERM, grace period, SIGKILL).
The kubelet controller asks :meth:`ProcessRuntime.status` for the pod's status and writes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsaw_py.embedded.logs import LogStore
from chainsaw_py.embedded.runtime.containers import (
    ContainerProcess,
    ContainerSpec,
    ProbeState,
    run_probe,
    view_mode,
    views_supported,
)
from chainsaw_py.embedded.runtime.dns import ClusterNames, DnsServer, resolv_conf
from chainsaw_py.embedded.runtime.environment import (
    SERVICE_ACCOUNT_PATH,
    ContainerConfigError,
    Identity,
    Lookup,
    Sandbox,
    TokenFile,
    container_environment,
    expand,
    inherited_environment,
    materialise_volumes,
    renew_tokens,
    renewable_tokens,
    service_variables,
    write_kubeconfig,
    write_service_account,
)
from chainsaw_py.embedded.runtime.images import ImageMap, ImageProgram, normalized_image
from chainsaw_py.embedded.runtime.netns import (
    MAX_LISTENERS_PER_POD,
    Forwarder,
    NetworkError,
    PodNetwork,
    host_dial,
    networks_wanted,
)
from chainsaw_py.embedded.runtime.nodenet import SERVICE_CIDR, NodeNetwork, routing_unavailable
from chainsaw_py.embedded.runtime.services import CLUSTER_DOMAIN, ServiceRouter
from chainsaw_py.util.leftovers import LEFTOVERS

log = logging.getLogger("chainsaw_py.embedded.runtime")

_TICK = 0.05
SERVICE_NETWORK = ipaddress.ip_network(SERVICE_CIDR)
_FOLDER_PREFIX = "chainsaw-py-pods-"
POD_KUBECONFIG = "/var/run/secrets/chainsaw-py/kubeconfig"
"""Where the pod's kubeconfig is in its file system view (``KUBECONFIG`` points there)."""
_MAX_BACKOFF = 300.0
# The kubelet mounts these volumes read-only whatever the volumeMount says (its ReadOnlyAPIDataVolumes).
_API_DATA_VOLUMES = ("configMap", "secret", "downwardAPI", "projected")


class LoopbackAddresses:
    """Pod IPs on 127.0.0.0/8 (every address there reaches this host on Linux), from 127.1.0.1 to
    127.254.255.254. One allocator serves every cluster of the process, starting at a random place so that
    clusters of other processes (parallel test workers) are unlikely to hand out the same addresses."""

    _SIZE = 254 * 256 * 254

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[str] = set()
        self._next = secrets.randbelow(self._SIZE)

    def allocate(self) -> str:
        with self._lock:
            for _ in range(self._SIZE):
                index = self._next
                self._next = (self._next + 1) % self._SIZE
                second, rest = divmod(index, 256 * 254)
                third, fourth = divmod(rest, 254)
                candidate = f"127.{second + 1}.{third}.{fourth + 1}"
                if candidate not in self._used:
                    self._used.add(candidate)
                    return candidate
        raise RuntimeError("loopback pod IP range exhausted")

    def release(self, ip: str | None) -> None:
        with self._lock:
            self._used.discard(ip or "")


POD_ADDRESSES = LoopbackAddresses()


@dataclass
class RuntimeServices:
    """What the runtime needs from the cluster, as plain callables (so it never imports the server)."""

    lookup: Lookup                                   # (kind, namespace, name) -> object or None
    services: Callable[[str], list[dict[str, Any]]]  # namespace -> its Services
    identity: Callable[[dict[str, Any]], Identity | None]
    """The pod's ServiceAccount credentials (None: no token is mounted); raises ContainerConfigError while the
    ServiceAccount does not exist."""
    api_address: Callable[[], tuple[str, int]]
    now: Callable[[], str]
    restart_backoff: float = 10.0
    s3_address: Callable[[], tuple[str, int] | None] = field(default=lambda: None)
    """The local S3's (host, port) when it runs: pods in a network namespace of their own reach it there."""


class ProcessRuntime:
    def __init__(self, images: ImageMap, logs: LogStore, services: RuntimeServices,
                 folder: Path | None = None) -> None:
        self.images = images
        self.logs = logs
        self.services = services
        self.addresses = POD_ADDRESSES
        self.wake: Callable[[str, str], None] = lambda _namespace, _name: None
        self._own_folder = folder is None
        self._folder = folder
        self._folder_lock = threading.Lock()
        self._workers: dict[str, PodWorker] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.views: bool | None = None
        """Mount namespaces for containers: None decides on first use (:meth:`views_available`)."""
        self.networks: bool | None = None
        """A network namespace per pod: None decides on first use (:meth:`networks_available`)."""
        self._networks: dict[str, PodNetwork | None] = {}   # pod IP -> its namespace (None: gone with the pod)
        self._forwarder: Forwarder | None = None
        self._dns: DnsServer | None = None
        self.routes: bool | None = None
        """Routes between pods' namespaces (``nodenet.py``): None decides on first use (:meth:`routes_available`)."""
        self._node: NodeNetwork | None = None
        self._node_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._short_warned: set[str] = set()
        self.router = ServiceRouter(self.addresses.allocate, self.addresses.release, self.endpoints,
                                    self._services_changed, self.dial)

    def views_available(self) -> bool:
        """Whether containers see their volumes at their ``mountPath`` (a mount namespace per container, see
        ``podview.py``); else paths are rewritten. ``CHAINSAW_PY_POD_VIEW=0`` forces the rewriting."""
        if self.views is None:
            self.views = os.environ.get("CHAINSAW_PY_POD_VIEW", "1") != "0" and views_supported()
        return self.views

    def networks_available(self) -> bool:
        """Whether each pod gets a network namespace of its own (``netns.py``); ``CHAINSAW_PY_POD_NETNS=0``
        keeps every pod in the host's network."""
        if self.networks is None:
            self.networks = networks_wanted()
            if not self.networks and os.environ.get("CHAINSAW_PY_POD_NETNS", "1") != "0":
                log.info("pod networks: network namespaces cannot be made here (not root, or not Linux): pods "
                         "that run as processes share the host's network")
        return self.networks

    def routes_available(self) -> bool:
        """Whether pods' namespaces are routed to each other through the cluster's node namespace
        (``nodenet.py``; as root with iproute2's ``ip``); else pods reach each other through forwarders at known
        ports. ``CHAINSAW_PY_POD_ROUTES=0`` keeps the forwarders."""
        if self.routes is None:
            wanted = os.environ.get("CHAINSAW_PY_POD_ROUTES", "1") != "0"
            problem = routing_unavailable() if wanted else None
            self.routes = wanted and problem is None
            if problem is not None:
                log.warning("pod networks: no routes between pods (%s): pods reach other pods and Services through "
                            "forwarders at their known ports only", problem)
        return self.routes

    @property
    def folder(self) -> Path:
        """Where pods' files go (a temporary folder made on first use unless one was given)."""
        with self._folder_lock:
            if self._folder is None:
                remove_stale_folders(Path(tempfile.gettempdir()))
                self._folder = Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-"))
                LEFTOVERS.add_folder(self._folder)
            return self._folder

    # --- ownership --------------------------------------------------------------------------------------

    def programs(self, pod: dict[str, Any]) -> dict[str, ImageProgram] | None:
        """Container name -> program when every container (init ones too) maps; else None (simulated)."""
        if not self.images:
            return None
        spec = pod.get("spec") or {}
        containers = list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
        found: dict[str, ImageProgram] = {}
        for container in containers:
            program = self.images.lookup(str(container.get("image", "")))
            if program is None:
                return None
            found[str(container.get("name", ""))] = program
        return found or None

    def owns(self, pod: dict[str, Any]) -> bool:
        uid = pod["metadata"].get("uid", "")
        with self._lock:
            if uid in self._workers:
                return True
        return self.programs(pod) is not None

    def worker(self, namespace: str, name: str) -> PodWorker | None:
        with self._lock:
            for worker in self._workers.values():
                if worker.namespace == namespace and worker.name == name:
                    return worker
        return None

    # --- lifecycle --------------------------------------------------------------------------------------

    def ensure_started(self, pod: dict[str, Any]) -> PodWorker | None:
        """The pod's worker, started on first call; None once the runtime is stopped."""
        uid = pod["metadata"].get("uid", "")
        with self._lock:
            if self._closed:
                return None
            worker = self._workers.get(uid)
            if worker is None:
                programs = self.programs(pod) or {}
                worker = PodWorker(self, pod, programs)
                self._workers[uid] = worker
                worker.start()
        worker.want_ephemeral(list((pod.get("spec") or {}).get("ephemeralContainers") or []))
        return worker

    def terminate(self, pod: dict[str, Any], grace: float) -> bool:
        """Ask the pod's processes to stop within ``grace``; True once none runs."""
        with self._lock:
            worker = self._workers.get(pod["metadata"].get("uid", ""))
        if worker is None:
            return True
        worker.request_stop(grace)
        return worker.stopped.is_set()

    def forget(self, pod: dict[str, Any]) -> None:
        with self._lock:
            worker = self._workers.pop(pod["metadata"].get("uid", ""), None)
        if worker is not None:
            worker.request_stop(0.0)
            worker.join(5.0)
            worker.sandbox.remove()
            self.release_network(worker)
            with self._lock:
                self._networks.pop(worker.ip, None)
            self.addresses.release(worker.ip)

    # --- services -----------------------------------------------------------------------------------------

    def service_changed(self, namespace: str, name: str, service: dict[str, Any] | None) -> None:
        """A Service was written or deleted (None): route it to the pods that run as processes."""
        if self.images or self.router.address(namespace, name) is not None:
            self.router.changed(namespace, name, service)

    def endpoints(self, namespace: str, selector: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
        """(pod IP, pod) of the ready pods of ``namespace`` that run as processes and match ``selector``."""
        with self._lock:
            workers = [w for w in self._workers.values() if w.namespace == namespace]
        return [(w.ip, w.pod) for w in workers
                if all((w.pod["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
                and w.status()["ready"]]

    # --- networks ------------------------------------------------------------------------------------------

    def dial(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connection to ``host:port`` as the cluster sees it: a pod IP is reached inside the pod's network
        namespace when it has one (the one place that dials into pods), a routed Service's cluster IP at its address
        here, anything else on the host."""
        host = self.router.address_of_cluster_ip(host) or host
        with self._lock:
            known = host in self._networks
            network = self._networks.get(host)
        if network is not None:
            try:
                return network.dial(host, port, timeout)
            except NetworkError:
                pass
        elif not known:
            return host_dial(host, port, timeout)
        raise ConnectionRefusedError(111, "Connection refused")   # the pod's network is gone with its processes

    def attach_network(self, worker: PodWorker) -> PodNetwork | None:
        """The pod's network namespace, made on first call (None: the pod uses the host's network)."""
        if worker.network is not None or not self.networks_available() \
                or (worker.pod.get("spec") or {}).get("hostNetwork"):
            return worker.network
        network, routed = self._route(worker, PodNetwork.create())
        with self._lock:
            if self._closed:
                network.close()   # its veth pair goes with the node network, which the stop closes
                raise NetworkError("the runtime is stopped")
            worker.network, worker.routed = network, routed
            self._networks[worker.ip] = network
            if self._forwarder is None:
                self._forwarder = Forwarder(self.dial)
                self._dns = DnsServer(ClusterNames(self.services.services, self.router.address, self._pod_addresses))
            dns = self._dns
        if dns is not None:
            with contextlib.suppress(OSError, NetworkError):
                dns.add(worker.uid, network.sockets(1, socket.SOCK_DGRAM)[0])
        self.refresh_networks()
        return network

    def _route(self, worker: PodWorker, network: PodNetwork) -> tuple[PodNetwork, bool]:
        """Connect the pod's namespace to the node network: (its namespace, whether it is routed). When that
        fails (logged), a fresh namespace, since the failed one may be half configured."""
        if not self.routes_available():
            return network, False
        try:
            with self._node_lock:
                if self._closed:   # stopping: no new node network or veth pair
                    return network, False
                if self._node is None:
                    self._node = NodeNetwork.create()
                node = self._node
            node.connect(network, worker.ip)
            return network, True
        except (OSError, NetworkError) as err:
            log.warning("pod %s/%s: no route to other pods (%s): it reaches them through forwarders",
                        worker.namespace, worker.name, err)
            network.close()
            return PodNetwork.create(), False

    def _pod_addresses(self, namespace: str) -> list[tuple[str, dict[str, Any], bool]]:
        """(IP, pod, ready) of the pods of ``namespace`` that run as processes (for the pods' DNS)."""
        with self._lock:
            workers = [w for w in self._workers.values() if w.namespace == namespace]
        return [(w.ip, w.pod, bool(w.status()["ready"])) for w in workers]

    def release_network(self, worker: PodWorker) -> None:
        """Close the pod's namespace and its forwarders (its processes are gone)."""
        with self._refresh_lock:   # a refresh in progress never re-opens what is dropped here
            with self._lock:
                network, worker.network = worker.network, None
                routed, worker.routed = worker.routed, False
                if network is not None:
                    self._networks[worker.ip] = None
                forwarder, dns, closed = self._forwarder, self._dns, self._closed
            if network is None:
                return
            if dns is not None:
                dns.remove(worker.uid)
            if forwarder is not None:
                forwarder.drop(worker.uid)
                forwarder.drop(f"host/{worker.uid}")
            network.close()
        if closed:
            return   # the node network goes with every pod's
        with self._node_lock:
            node = self._node
        if routed and node is not None:
            node.disconnect(worker.ip)
        self.refresh_networks()

    def refresh_networks(self) -> None:
        """Give every pod's namespace listeners for what it may reach outside: the API server and the local S3
        (at the host's 127.0.0.1, which is the pod's own), and, for a pod that is not routed to the others
        (:meth:`routes_available`), the Services' addresses and the other pods' IPs at their known ports
        (:func:`listening_ports`) — never on a port the pod may listen on itself (its known ports, the target
        ports of the Services that select it), which its own program may bind on every address. The node
        network gets listeners at the Services' addresses and at the known ports of the pods that are not routed.
        The host gets listeners at each pod's IP and known ports, so that it reaches the pod by its IP."""
        with self._refresh_lock:
            with self._lock:
                forwarder, node = self._forwarder, self._node
                workers = list(self._workers.values())
            if forwarder is None:
                return
            s3 = self.services.s3_address()
            cluster = [self.services.api_address(), *([s3] if s3 is not None else [])]
            services = sorted(self.router.listening())
            # in the order they are kept when the descriptor budget is short: the cluster's, Services, pods
            outside = cluster + services
            peers = sorted({(worker.ip, port) for worker in workers for port in worker.known_ports})
            budget = listener_budget(sum(1 for worker in workers if worker.network is not None) + 1)
            if node is not None:
                unrouted = sorted({(worker.ip, port) for worker in workers if worker.unrouted()
                                   for port in worker.known_ports})
                cluster_ips = sorted(address for address in self.router.cluster_listening()
                                     if ipaddress.ip_address(address[0]) in SERVICE_NETWORK)
                forwarder.update("node", node.network, set((services + cluster_ips + unrouted)[:budget]))
            for worker in workers:
                network = worker.network
                if network is None:
                    continue
                own = worker.known_ports | self.router.target_ports(worker.namespace, worker.labels())
                reach = cluster if worker.routed else outside + peers
                wanted = list(dict.fromkeys(address for address in reach if address[0] != worker.ip
                                            and address[1] not in own))
                if len(wanted) > budget and worker.uid not in self._short_warned:
                    self._short_warned.add(worker.uid)
                    log.warning("pod %s/%s: %d addresses to forward into its network, only the first %d are "
                                "(file descriptor budget)", worker.namespace, worker.name, len(wanted), budget)
                forwarder.update(worker.uid, network, set(wanted[:budget]))
                forwarder.update(f"host/{worker.uid}", None, {(worker.ip, port) for port in worker.known_ports})

    def _services_changed(self, _namespace: str) -> None:
        self._refresh_hosts()
        self.refresh_networks()

    def _refresh_hosts(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.write_hosts()

    def stop_all(self) -> None:
        """Stop every pod's processes; no pod starts afterwards."""
        self.router.stop()
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.request_stop(min(worker.grace_period(), 2.0))
        for worker in workers:
            worker.join(10.0)
            worker.sandbox.remove()
            self.release_network(worker)
        with self._lock:
            forwarder, self._forwarder = self._forwarder, None
            dns, self._dns = self._dns, None
        if forwarder is not None:
            forwarder.stop()
        if dns is not None:
            dns.stop()
        with self._node_lock:
            node, self._node = self._node, None
        if node is not None:
            node.close()
        if self._own_folder and self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            LEFTOVERS.discard_folder(self._folder)


def listener_budget(pods: int) -> int:
    """Forwarders per pod network: at most ``MAX_LISTENERS_PER_POD``, and all pods together a quarter of this
    process's file descriptor limit (the API server sizes its connection cap from the same limit)."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return MAX_LISTENERS_PER_POD
    return max(8, min(MAX_LISTENERS_PER_POD, soft // 4 // max(pods, 1)))


def listening_ports(pod: dict[str, Any]) -> set[int]:
    """The TCP ports a pod's programs are known to listen on: its containers' declared ports and the numeric
    ports of their probes and lifecycle hooks."""
    spec = pod.get("spec") or {}
    ports: set[int] = set()
    for container in list(spec.get("initContainers") or []) + list(spec.get("containers") or []):
        ports |= {int(port["containerPort"]) for port in container.get("ports") or []
                  if str(port.get("protocol") or "TCP") == "TCP" and str(port.get("containerPort", "")).isdigit()}
        handlers = [container.get(key) or {} for key in ("readinessProbe", "livenessProbe", "startupProbe")]
        handlers += list((container.get("lifecycle") or {}).values())
        for handler in handlers:
            for action in ("httpGet", "tcpSocket", "grpc"):
                port = str(((handler or {}).get(action) or {}).get("port", ""))
                if port.isdigit() and not ((handler or {}).get(action) or {}).get("host"):
                    ports.add(int(port))
    return ports - {0}


def remove_stale_folders(parent: Path) -> int:
    """Remove the pod folders (they hold tokens) of runtimes whose process is gone (killed with SIGKILL, no
    cleanup code ran); returns how many."""
    removed = 0
    for folder in parent.glob(f"{_FOLDER_PREFIX}*-*"):
        pid = folder.name[len(_FOLDER_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PodWorker:
    """One pod's processes and the state the kubelet reports."""

    def __init__(self, runtime: ProcessRuntime, pod: dict[str, Any], programs: dict[str, ImageProgram]) -> None:
        meta = pod["metadata"]
        self.runtime = runtime
        self.pod = pod
        self.programs = programs
        self.namespace, self.name, self.uid = meta.get("namespace", ""), meta["name"], meta.get("uid", "")
        self.ip = runtime.addresses.allocate()
        self.pod.setdefault("status", {})["podIP"] = self.ip
        self.sandbox = Sandbox(runtime.folder / f"{self.namespace}_{self.name}_{self.uid[:8]}")
        self.network: PodNetwork | None = None
        self.routed = False
        """Whether :attr:`network` is routed to the other pods through the node network (``nodenet.py``)."""
        self.known_ports = listening_ports(pod)
        """The ports the pod's programs are known to listen on: declared, probed, hooked."""
        self.lock = threading.RLock()
        self.init: list[ContainerProcess] = []
        self.containers: list[ContainerProcess] = []
        self.ephemeral: list[ContainerProcess] = []
        self._ephemeral_wanted: list[dict[str, Any]] = []
        self._ephemeral_failed: dict[str, dict[str, Any]] = {}    # name -> its waiting status
        self._volumes: dict[str, Path] = {}
        self._credentials: Identity | None = None     # the mounted token's (None: automount is off)
        self._account: Identity | None = None         # the ServiceAccount's, for projected token volumes
        self._tokens: list[TokenFile] = []
        self.probes: dict[str, list[ProbeState]] = {}
        self.config_error = ""
        self.started_at = ""
        self.events: list[tuple[str, str, str]] = []    # (type, reason, message) not yet recorded
        self.stopped = threading.Event()
        self._stop = threading.Event()
        self._grace: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"pod-{self.namespace}/{self.name}", daemon=True)
        self._init_done = False

    @property
    def restart_policy(self) -> str:
        return str((self.pod.get("spec") or {}).get("restartPolicy") or "Always")

    def grace_period(self) -> float:
        return float((self.pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30) or 0)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def request_stop(self, grace: float) -> None:
        with self.lock:
            self._grace = grace if self._grace is None else min(grace, self._grace)
        self._stop.set()

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        with self.lock:
            self.events.append((type_, reason, message))
        self.runtime.wake(self.namespace, self.name)

    def unrouted(self) -> bool:
        """Whether the pod is known not to be routed from the node network: its network is up without a route, or
        it is the host's (``hostNetwork``). A pod still being connected is neither."""
        if (self.pod.get("spec") or {}).get("hostNetwork"):
            return True
        return self.network is not None and not self.routed

    def take_events(self) -> list[tuple[str, str, str]]:
        with self.lock:
            events, self.events = self.events, []
        return events

    # --- preparation ------------------------------------------------------------------------------------

    def _prepare(self) -> bool:
        """Volumes, identity and every container's command and environment; False (with the error kept) when
        something they reference does not exist yet (the kubelet retries)."""
        services = self.runtime.services
        try:
            self.runtime.attach_network(self)
        except (OSError, NetworkError) as err:
            self.config_error = f"cannot make the pod's network namespace: {err}"
            return False
        try:
            self.sandbox.folder.mkdir(parents=True, exist_ok=True)
            self.write_hosts()
            self._write_resolv_conf()
            account = self._identity()
            identity = account if account is not None and account.mounted else None
            folders = materialise_volumes(self.pod, self.sandbox, services.lookup, account,
                                          self.runtime.folder / "claims")
            self._volumes, self._credentials, self._account = folders, identity, account
            self._tokens = renewable_tokens(self.pod, folders, time.monotonic()) if account is not None else []
            self.init = [self._container(c, folders, identity) for c in self._spec_list("initContainers")]
            self.containers = [self._container(c, folders, identity) for c in self._spec_list("containers")]
        except ContainerConfigError as err:
            self.config_error = str(err)
            return False
        except OSError as err:
            self.config_error = f"cannot prepare the pod's files: {err}"
            return False
        self.config_error = ""
        return True

    def write_hosts(self) -> None:
        """The pod's ``/etc/hosts`` as the kubelet writes it, plus the names of the routed Services (rewritten in
        place when they change: containers see it through a bind mount)."""
        spec = self.pod.get("spec") or {}
        lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
                 "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix",
                 "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters", f"{self.ip}\t{self._host_name()}"]
        aliases = [alias for alias in spec.get("hostAliases") or [] if alias.get("ip") and alias.get("hostnames")]
        if aliases:
            lines.append("\n# Entries added by HostAliases.")
            lines += [f"{alias['ip']}\t{chr(9).join(alias['hostnames'])}" for alias in aliases]
        services = self.runtime.router.hosts_entries(self.namespace, headless=self.network is None)
        if services:
            lines.append("\n# Services (chainsaw_py's service router).")
            lines += services
        with self.lock, contextlib.suppress(OSError):
            if self.sandbox.folder.is_dir():
                (self.sandbox.folder / "hosts").write_text("\n".join(lines) + "\n")

    def _write_resolv_conf(self) -> None:
        """The pod's ``/etc/resolv.conf`` naming the cluster's DNS server: only in a network of its own."""
        text = resolv_conf(self.namespace, self.pod.get("spec") or {}) if self.network is not None else None
        path = self.sandbox.folder / "resolv.conf"
        if text is not None:
            path.write_text(text)
        elif path.exists():
            path.unlink()

    def _host_name(self) -> str:
        spec = self.pod.get("spec") or {}
        name = str(spec.get("hostname") or self.name)
        if spec.get("subdomain"):
            return f"{name}.{spec['subdomain']}.{self.namespace}.svc.{CLUSTER_DOMAIN}\t{name}"
        return name

    def _spec_list(self, key: str) -> list[dict[str, Any]]:
        return list((self.pod.get("spec") or {}).get(key) or [])

    def _identity(self) -> Identity | None:
        identity = self.runtime.services.identity(self.pod)
        if identity is None or not identity.mounted:
            return identity
        write_service_account(self.sandbox.folder / "serviceaccount", identity, self.namespace)
        write_kubeconfig(self.sandbox.folder / "kubeconfig", identity, self.namespace)
        return identity

    def _container(self, container: dict[str, Any], folders: dict[str, Path], identity: Identity | None,
                   program: ImageProgram | None = None) -> ContainerProcess:
        name = str(container.get("name", ""))
        program = program or self.programs[name]
        sandbox, binds = self._mounts(container, folders, identity)
        executable = str((container.get("command") or program.entrypoint or [""])[0])
        view = self.runtime.views_available() and not volumes_hide_program(binds, executable)
        rewrite: Callable[[str], str] = (lambda text: text) if view else sandbox.translate
        declared = self._declared_environment(container)
        env = self._environment(program, declared, rewrite, identity, view)
        command = [rewrite(expand(str(word), declared)) for word in container.get("command") or []]
        arguments = [rewrite(expand(str(word), declared)) for word in container.get("args") or []]
        if not container.get("command") and not container.get("args"):
            arguments = list(program.args)
        argv = (command or list(program.entrypoint)) + arguments
        working = str(container.get("workingDir") or "")
        image_folder = os.path.abspath(program.working_dir) if program.working_dir else ""
        if view:
            (self.sandbox.folder / "view").mkdir(exist_ok=True)
            plan = {"root": str(self.sandbox.folder / "view"), "cwd": working or image_folder or "/",
                    "userns": view_mode() == "userns", "binds": binds}
            spec = ContainerSpec(name, argv, env, self.sandbox.folder, container, sandbox.translate, list, plan,
                                 self._network_fd())
        else:
            cwd = Path(sandbox.translate(working) if working else image_folder or self.sandbox.folder)
            if not cwd.is_dir():
                raise ContainerConfigError(f"workingDir {working} is not a folder here ({cwd}): mount it or map it")
            spec = ContainerSpec(name, argv, env, cwd, container, sandbox.translate, sandbox.translate_command,
                                 netns=self._network_fd())
        return ContainerProcess(spec, (self.namespace, self.name, name), self.runtime.logs, self.runtime.services.now)

    def labels(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.pod["metadata"].get("labels") or {}).items()}

    def _network_fd(self) -> int | None:
        return self.network.fd if self.network is not None else None

    def _environment(self, program: ImageProgram, declared: dict[str, str], rewrite: Callable[[str], str],
                     identity: Identity | None, view: bool) -> dict[str, str]:
        """The runner's environment, the image's, then the container's. Only what the pod spec says is in the
        container's file system is rewritten; the mapping's program and the runtime's own paths (the inherited
        environment) are host paths already."""
        env = inherited_environment()
        env.update(program.env)
        env["HOSTNAME"] = self.name
        env.update({key: rewrite(value) for key, value in declared.items()})
        if identity is not None:
            env["KUBECONFIG"] = POD_KUBECONFIG if view else str(self.sandbox.folder / "kubeconfig")
        return env

    def _mounts(self, container: dict[str, Any], folders: dict[str, Path],
                identity: Identity | None) -> tuple[Sandbox, list[tuple[str, str, bool]]]:
        """The container's mounts: as path rewrites (the fallback) and as binds (host path, mountPath,
        read-only) for its file system view."""
        sandbox = Sandbox(self.sandbox.folder)
        binds: list[tuple[str, str, bool]] = []
        api_data = {str(volume.get("name", "")) for volume in (self.pod.get("spec") or {}).get("volumes") or []
                    if any(key in volume for key in _API_DATA_VOLUMES)}
        for mount in container.get("volumeMounts") or []:
            source = folders.get(str(mount.get("name", "")))
            if source is None:
                raise ContainerConfigError(f'volume "{mount.get("name")}" not found')
            sub_path = str(mount.get("subPath") or "")
            host = source / sub_path if sub_path else source
            if sub_path and not host.exists():
                host.mkdir(parents=True)   # the kubelet makes a missing subPath as a folder
            sandbox.add_mount(str(mount.get("mountPath", "")), host)
            read_only = bool(mount.get("readOnly")) or str(mount.get("name", "")) in api_data
            binds.append((str(host), str(mount.get("mountPath", "")), read_only))
        if identity is not None:
            if not any(target.rstrip("/") == SERVICE_ACCOUNT_PATH for _source, target, _ro in binds):
                sandbox.add_mount(SERVICE_ACCOUNT_PATH, self.sandbox.folder / "serviceaccount")
                binds.append((str(self.sandbox.folder / "serviceaccount"), SERVICE_ACCOUNT_PATH, True))
            binds.append((str(self.sandbox.folder / "kubeconfig"), POD_KUBECONFIG, True))
        host_network = bool((self.pod.get("spec") or {}).get("hostNetwork"))   # keeps the host's /etc/hosts
        if not host_network and not any(target.rstrip("/") == "/etc/hosts" for _source, target, _ro in binds):
            binds.append((str(self.sandbox.folder / "hosts"), "/etc/hosts", True))
        resolv = self.sandbox.folder / "resolv.conf"
        if resolv.exists() and not any(target.rstrip("/") == "/etc/resolv.conf" for _source, target, _ro in binds):
            binds.append((str(resolv), "/etc/resolv.conf", True))
        return sandbox, binds

    def _declared_environment(self, container: dict[str, Any]) -> dict[str, str]:
        services = self.runtime.services
        linked = services.services(self.namespace) if (self.pod.get("spec") or {}).get("enableServiceLinks") \
            is not False else []
        return container_environment(self.pod, container, services.lookup,
                                     service_variables(linked, services.api_address(), self._service_address))

    def _service_address(self, service: dict[str, Any]) -> str | None:
        meta = service.get("metadata") or {}
        return self.runtime.router.address(str(meta.get("namespace", "")), str(meta.get("name", "")))

    # --- the loop ---------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self._prepare():
                self.runtime.wake(self.namespace, self.name)
                self._stop.wait(1.0)
            self.started_at = self.runtime.services.now()
            self.runtime.wake(self.namespace, self.name)
            while not self._stop.is_set():
                changed = self._step()
                if changed:
                    self.runtime.wake(self.namespace, self.name)
                if self._finished():
                    break
                self._stop.wait(_TICK)
            self._shutdown()
        except Exception:
            log.exception("pod %s/%s: runtime failure", self.namespace, self.name)
            self._shutdown()
        finally:
            self.runtime.release_network(self)
            self.stopped.set()
            self.runtime.wake(self.namespace, self.name)

    # --- ephemeral containers (kubectl debug) -------------------------------------------------------------

    def want_ephemeral(self, containers: list[dict[str, Any]]) -> None:
        """The pod's ephemeral containers as now declared; new ones start on the worker's next step."""
        with self.lock:
            self._ephemeral_wanted = containers

    def _step_ephemeral(self) -> bool:
        known = {p.spec.name for p in self.ephemeral} | set(self._ephemeral_failed)
        changed = any(process.poll() for process in self.ephemeral)
        for container in [c for c in self._ephemeral_wanted if str(c.get("name", "")) not in known]:
            self._start_ephemeral(container)
            changed = True
        return changed

    def _start_ephemeral(self, container: dict[str, Any]) -> None:
        name, image = str(container.get("name", "")), str(container.get("image", ""))
        program = self.runtime.images.lookup(image)
        try:
            if program is None:
                raise ContainerConfigError(f'image "{image}" is not mapped to a local program')
            process = self._container(container, self._volumes, self._credentials, program)
            process.start(f"containerd://{secrets.token_hex(32)}")
        except (ContainerConfigError, OSError) as err:
            message = str(err) if isinstance(err, ContainerConfigError) else f"failed to start: {err.strerror or err}"
            self._ephemeral_failed[name] = self._waiting_status(container, "CreateContainerError", message)
            self.event("Failed", f"Error: {message}", "Warning")
            return
        process.ready = False
        self.ephemeral.append(process)
        self.event("Created", f"Created container {name}")
        self.event("Started", f"Started container {name}")

    def _step(self) -> bool:
        with self.lock:
            if not self._init_done:
                return self._step_init()
            now = time.monotonic()
            if self._tokens and self._account is not None:
                with contextlib.suppress(OSError):
                    renew_tokens(self._tokens, self._account, now)
            changed = self._step_ephemeral()
            for process in self.containers:
                if process.poll():
                    changed = True
                    self._after_exit(process, now)
                if not process.running and process.next_start and now >= process.next_start \
                        and not self._stop.is_set():
                    self._launch(process, restart=process.current is not None)
                    changed = True
        for process in self.containers:
            if process.running:
                changed = self._probe(process, now) or changed
        return changed

    def _step_init(self) -> bool:
        now = time.monotonic()
        for process in self.init:
            run = process.current
            if run is not None and run.exit_code == 0:
                continue
            if process.poll():
                assert process.current is not None
                if process.current.exit_code == 0:
                    return True
                self._after_exit(process, now)
                return True
            if not process.running and (process.current is None or (process.next_start and now >= process.next_start)):
                self._launch(process, restart=process.current is not None)
                return True
            return False
        for process in self.containers:
            self._launch(process, restart=False)
        self._init_done = True
        return True

    def _launch(self, process: ContainerProcess, restart: bool) -> None:
        process.next_start = 0.0
        if restart:
            process.restarts += 1
        try:
            process.start(f"containerd://{secrets.token_hex(32)}")
        except OSError as err:
            process.waiting_reason = "StartError" if process.current is not None else "RunContainerError"
            process.waiting_message = f"failed to start {process.spec.argv[:1]}: {err.strerror or err}"
            self.event("Failed", f"Error: {process.waiting_message}", "Warning")
            process.next_start = time.monotonic() + self._next_backoff(process)
            return
        container = process.spec.container
        ok, message = self._hook(process, "postStart", self.grace_period() or 30.0)
        if not ok:
            self.event("FailedPostStartHook", f"PostStartHook failed: {message}", "Warning")
            process.kill(self.grace_period(), reason="Error")
            self._after_exit(process, time.monotonic())
            return
        self.probes[process.spec.name] = [ProbeState(container[key], kind) for key, kind in
                                          (("startupProbe", "startup"), ("livenessProbe", "liveness"),
                                           ("readinessProbe", "readiness")) if container.get(key)]
        process.ready = not container.get("readinessProbe") and not container.get("startupProbe")
        self.event("Pulled", f'Container image "{container.get("image", "")}" already present on machine')
        self.event("Created", f"Created container {process.spec.name}")
        self.event("Started", f"Started container {process.spec.name}")

    def _after_exit(self, process: ContainerProcess, now: float) -> None:
        run = process.current
        assert run is not None and run.exit_code is not None
        policy = self.restart_policy
        if self._stop.is_set() or policy == "Never" or (policy == "OnFailure" and run.exit_code == 0):
            return
        if process.restarts == 0 and process.backoff == 0.0:
            process.next_start = now
            process.backoff = self.runtime.services.restart_backoff
        else:
            process.next_start = now + self._next_backoff(process)
        if process.next_start > now:
            self.event("BackOff", f"Back-off restarting failed container {process.spec.name} in pod "
                       f"{self.name}_{self.namespace}({self.uid})", "Warning")

    def _next_backoff(self, process: ContainerProcess) -> float:
        base = self.runtime.services.restart_backoff
        current = process.backoff or base
        process.backoff = min(current * 2, _MAX_BACKOFF)
        return current

    def _probe(self, process: ContainerProcess, now: float) -> bool:
        states = self.probes.get(process.spec.name) or []
        startup = next((s for s in states if s.kind == "startup"), None)
        started_at = process.current.started_monotonic if process.current is not None else now
        changed = False
        for state in states:
            if state.kind != "startup" and startup is not None and startup.result is not True:
                continue
            if state.kind == "startup" and state.result is True:
                continue
            if not state.due(now, started_at):
                continue
            ok, message = run_probe(state.probe, self.ip, self._ports(process), self._exec_probe(process),
                                    self.runtime.dial)
            if state.record(ok, message, time.monotonic()):
                changed = True
                changed = self._probe_changed(process, state) or changed
            if not ok:
                self.event("Unhealthy", f"{state.kind.capitalize()} probe failed: {message}", "Warning")
        return changed

    def _probe_changed(self, process: ContainerProcess, state: ProbeState) -> bool:
        if state.kind == "readiness":
            process.ready = bool(state.result)
        elif state.kind == "startup" and state.result is True:
            process.ready = not process.spec.container.get("readinessProbe")
        elif state.kind in ("startup", "liveness") and state.result is False:
            self.event("Killing", f"Container {process.spec.name} failed {state.kind} probe, will be restarted")
            process.kill(float(state.probe.get("terminationGracePeriodSeconds") or self.grace_period()))
            self._after_exit(process, time.monotonic())
        return True

    def _ports(self, process: ContainerProcess) -> dict[str, int]:
        return {str(port.get("name")): int(port.get("containerPort") or 0)
                for port in process.spec.container.get("ports") or [] if port.get("name")}

    def _exec_probe(self, process: ContainerProcess) -> Callable[[list[str], float], tuple[int, str]]:
        return process.run_command

    def _finished(self) -> bool:
        if not self._init_done:
            if self.restart_policy != "Never":
                return False
            return any(p.current is not None and p.current.exit_code not in (None, 0) for p in self.init)
        if self.restart_policy == "Always":
            return False
        return all(not p.running and not p.next_start for p in self.containers)

    def _shutdown(self) -> None:
        with self.lock:
            grace = self._grace if self._grace is not None else self.grace_period()
        deadline = time.monotonic() + grace
        running = [p for p in self.init + self.containers + self.ephemeral if p.running]
        for process in running:
            self._hook(process, "preStop", max(deadline - time.monotonic(), 0.0))
        for process in running:
            self.event("Killing", f"Stopping container {process.spec.name}")
        threads = [threading.Thread(target=p.kill, args=(max(deadline - time.monotonic(), 0.0),), daemon=True)
                   for p in running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _hook(self, process: ContainerProcess, name: str, timeout: float) -> tuple[bool, str]:
        """Run a lifecycle hook (``exec``, ``httpGet`` or ``sleep``) of the container; (succeeded, message)."""
        hook = (process.spec.container.get("lifecycle") or {}).get(name) or {}
        if "sleep" in hook:
            seconds = min(float((hook["sleep"] or {}).get("seconds") or 0), timeout)
            if seconds > 0:
                time.sleep(seconds)
            return True, ""
        if "exec" in hook or "httpGet" in hook:
            probe = {**hook, "timeoutSeconds": max(timeout, 0.1)}
            return run_probe(probe, self.ip, self._ports(process), self._exec_probe(process), self.runtime.dial)
        return True, ""

    # --- status -----------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """phase, containerStatuses, initContainerStatuses and the readiness of the pod, as the kubelet reports."""
        with self.lock:
            init = [self._container_status(p, True) for p in self.init]
            main = [self._container_status(p, False) for p in self.containers]
            if self.config_error:
                main = [self._waiting_status(c, "CreateContainerConfigError", self.config_error)
                        for c in self._spec_list("containers")]
            elif not self.containers:
                main = [self._waiting_status(c, "ContainerCreating", "") for c in self._spec_list("containers")]
            if self.config_error or not self._init_done:
                if not self.init and self._spec_list("initContainers"):
                    init = [self._waiting_status(c, "PodInitializing", "") for c in self._spec_list("initContainers")]
                if not self.config_error and self._spec_list("initContainers"):
                    main = [self._waiting_status(c, "PodInitializing", "") for c in self._spec_list("containers")]
            return {"phase": self._phase(), "podIP": self.ip, "containerStatuses": main,
                    "initContainerStatuses": init, "initialized": self._init_done,
                    "ephemeralContainerStatuses": [self._container_status(p, False) for p in self.ephemeral]
                    + list(self._ephemeral_failed.values()),
                    "ready": self._init_done and bool(self.containers) and all(p.ready and p.running
                                                                                for p in self.containers)}

    def _phase(self) -> str:
        if not self._init_done:
            failed = any(p.current is not None and p.current.exit_code not in (None, 0) and not p.next_start
                         for p in self.init)
            return "Failed" if failed and self.restart_policy == "Never" else "Pending"
        if not self.containers or any(p.current is None for p in self.containers):
            return "Pending"
        if any(p.running or p.next_start for p in self.containers):
            return "Running"
        if self.restart_policy == "Always" and not self.stopped.is_set():
            return "Running"
        codes = [p.current.exit_code for p in self.containers if p.current is not None]
        return "Succeeded" if codes and all(code == 0 for code in codes) else "Failed"

    def _container_status(self, process: ContainerProcess, init: bool) -> dict[str, Any]:
        container = process.spec.container
        image = str(container.get("image", ""))
        status: dict[str, Any] = {"name": process.spec.name, "image": normalized_image(image),
                                  "imageID": _image_id(image), "ready": process.ready and process.running,
                                  "restartCount": process.restarts, "started": process.running and not init,
                                  "lastState": {}}
        run = process.current
        if run is not None:
            status["containerID"] = run.container_id
        if run is None:
            status["state"] = {"waiting": {"reason": process.waiting_reason,
                                           **({"message": process.waiting_message} if process.waiting_message else {})}}
        elif run.exit_code is None:
            status["state"] = {"running": {"startedAt": run.started_at}}
        elif process.next_start:
            status["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                           "message": f"back-off {process.backoff / 2:g}s restarting failed "
                                           f"container={process.spec.name} pod={self.name}_{self.namespace}"
                                           f"({self.uid})"}}
            status["lastState"] = {"terminated": _terminated(run)}
        else:
            status["state"] = {"terminated": _terminated(run)}
        previous = process.last
        if previous is not None and previous.exit_code is not None and not status["lastState"]:
            status["lastState"] = {"terminated": _terminated(previous)}
        if init:
            status["started"] = False
        return status

    @staticmethod
    def _waiting_status(container: dict[str, Any], reason: str, message: str) -> dict[str, Any]:
        image = str(container.get("image", ""))
        waiting: dict[str, Any] = {"reason": reason}
        if message:
            waiting["message"] = message
        return {"name": container.get("name", ""), "image": normalized_image(image), "imageID": "",
                "ready": False, "restartCount": 0, "started": False, "state": {"waiting": waiting}, "lastState": {}}

    def container(self, name: str) -> ContainerProcess | None:
        for process in self.init + self.containers + self.ephemeral:
            if process.spec.name == name:
                return process
        return None


def _terminated(run: Any) -> dict[str, Any]:
    return {"exitCode": run.exit_code, "reason": run.reason or ("Completed" if run.exit_code == 0 else "Error"),
            "startedAt": run.started_at, "finishedAt": run.finished_at, "containerID": run.container_id}


def _image_id(image: str) -> str:
    reference = normalized_image(image).split("@", 1)[0].rsplit(":", 1)[0]
    return f"{reference}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def volumes_hide_program(binds: list[tuple[str, str, bool]], executable: str) -> bool:
    """Whether a mount of the container's view would hide the host files its mapped program runs from: the
    executable's installation and, for this runtime's Python, its prefix and import paths (a virtual
    environment or a checkout under /tmp, with an emptyDir mounted at /tmp). Such a container has its
    paths rewritten instead (docs/embedded.md)."""
    found = shutil.which(executable) if executable else None
    if found is None:
        return False
    needed = {os.path.dirname(os.path.dirname(os.path.abspath(found))), os.path.dirname(os.path.realpath(found))}
    if os.path.realpath(found) == os.path.realpath(sys.executable):
        needed |= {sys.prefix, *(os.path.abspath(entry) for entry in sys.path if entry and os.path.isdir(entry))}
    targets = {target.rstrip("/") or "/" for _source, target, _read_only in binds}
    return any(path == target or path.startswith(target.rstrip("/") + "/") for path in needed for target in targets)
