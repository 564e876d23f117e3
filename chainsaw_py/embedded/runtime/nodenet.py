"""Routes between pods' network namespaces: a "node" network namespace of the cluster's own, joined to each pod's
namespace by a veth pair, so that a pod reaches another pod's IP on any port.

Pod IPs are loopback addresses (127.x.y.z, so that the host reaches them too, see ``pods.LoopbackAddresses``).
Inside a pod, ``lo`` keeps 127.0.0.0/16 (``localhost``, the pod DNS server's 127.0.0.10, the API server's
forwarder), the pod IP is on ``eth0``, and the rest of 127.0.0.0/8 goes through ``eth0`` to the node namespace
(``route_localnet`` lets loopback addresses cross interfaces there). The node namespace routes each pod IP to its
pod's veth (routes in its ``local`` table, which win over its own 127.0.0.0/8 there); every other loopback
address is local in it, and so are the Services' cluster IPs (``SERVICE_CIDR``, routed there from pods too):
the runtime keeps listeners at the Services' addresses and cluster IPs there, which relay to the host's service
router. Neighbours are static (loopback addresses are never ARP'd): every node-side end has
``NODE_MAC``, every pod's ``eth0`` has ``POD_MAC``, and pods send through the link-local gateway ``GATEWAY``.

Everything is done with iproute2's ``ip`` (``ip -b -``), run from a thread that has joined the namespace (a
child process starts in its parent thread's namespace), and sysctls written from such a thread (``/proc/sys/net``
is the reading thread's namespace's). The host's network is never touched: the node namespace is held by a
descriptor of the runtime only, so it and every veth pair in it go with the runtime's process, even killed.
"""

from __future__ import annotations

import functools
import itertools
import logging
import shutil
import subprocess
import threading

from chainsaw_py.embedded.runtime.netns import NetworkError, PodNetwork, networks_supported

log = logging.getLogger("chainsaw_py.embedded.runtime")

GATEWAY = "169.254.1.1"
NODE_MAC, POD_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
POD_LOCAL = "127.0.0.0/16"
"""What stays local inside a pod besides its IP (pod and Service addresses are allocated above it)."""
SERVICE_CIDR = "10.96.0.0/12"
"""Where the API server allocates Services' cluster IPs: routed from pods to the node, local there."""
_IP_TIMEOUT = 10.0
_NODE_SYSCTLS = {"ipv4/conf/all/forwarding": "1", "ipv4/conf/all/route_localnet": "1",
                 "ipv4/conf/all/rp_filter": "0", "ipv4/conf/default/rp_filter": "0"}
_POD_SYSCTLS = {"ipv4/conf/all/route_localnet": "1", "ipv4/conf/all/rp_filter": "0",
                "ipv4/conf/default/rp_filter": "0"}


def ip_tool() -> str | None:
    """Where iproute2's ``ip`` is (None: not installed)."""
    return shutil.which("ip") or next((path for path in ("/usr/sbin/ip", "/sbin/ip") if shutil.which(path)), None)


def _sysctls(network: PodNetwork, values: dict[str, str]) -> None:
    def write() -> None:
        for key, value in values.items():
            with open(f"/proc/sys/net/{key}", "w", encoding="ascii") as file:
                file.write(value)
    network.inside(write)


def _ip(tool: str, network: PodNetwork, commands: list[str], pass_fds: tuple[int, ...] = ()) -> None:
    """Run ``commands`` (``ip`` batch lines) inside ``network``; raises NetworkError with ``ip``'s message."""
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool, "-b", "-"], input="\n".join(commands) + "\n", text=True, capture_output=True,
                              pass_fds=pass_fds, timeout=_IP_TIMEOUT, check=False)
    try:
        done = network.inside(run)
    except (OSError, subprocess.SubprocessError) as err:
        raise NetworkError(f"ip: {err}") from err
    if done.returncode != 0:
        raise NetworkError(f"ip: {' '.join(done.stderr.split())}")


class NodeNetwork:
    """The cluster's node namespace and one veth pair per connected pod (by pod IP)."""

    def __init__(self, tool: str, network: PodNetwork) -> None:
        self._tool = tool
        self.network = network
        """The node namespace itself (its :meth:`PodNetwork.sockets` make the Services' listeners there)."""
        self._links: dict[str, str] = {}   # pod IP -> the node side's interface
        self._names = itertools.count()
        self._lock = threading.Lock()

    @classmethod
    def create(cls) -> NodeNetwork:
        tool = ip_tool()
        if tool is None:
            raise NetworkError("iproute2's ip is not installed")
        network = PodNetwork.create()
        try:
            _sysctls(network, _NODE_SYSCTLS)
            _ip(tool, network, [f"route add local {SERVICE_CIDR} dev lo table local"])
        except (OSError, NetworkError) as err:
            network.close()
            raise NetworkError(f"cannot configure the node network: {err}") from err
        return cls(tool, network)

    def connect(self, pod: PodNetwork, ip: str) -> None:
        """Give ``pod`` (whose IP is ``ip``) an ``eth0`` with its IP, routed to every other pod of the node."""
        with self._lock:
            link = f"pod{next(self._names)}"
            previous = self._links.pop(ip, None)
            self._links[ip] = link
        if previous is not None:
            self._delete(previous)
        try:
            _sysctls(pod, _POD_SYSCTLS)
            _ip(self._tool, self.network, [
                f"link add {link} address {NODE_MAC} type veth peer name eth0 address {POD_MAC} "
                f"netns /proc/self/fd/{pod.fd}",
                f"link set {link} up",
                f"route replace {ip}/32 dev {link} table local",
                f"neigh replace {ip} lladdr {POD_MAC} dev {link} nud permanent"], (pod.fd,))
            _ip(self._tool, pod, [
                "addr del 127.0.0.1/8 dev lo",
                f"addr add 127.0.0.1/{POD_LOCAL.split('/')[1]} dev lo",
                f"addr add {ip}/32 dev eth0",
                "link set eth0 up",
                f"route add {GATEWAY} dev eth0 scope link",
                f"route add 127.0.0.0/8 via {GATEWAY} dev eth0 src {ip}",
                f"route add {SERVICE_CIDR} via {GATEWAY} dev eth0 src {ip}",
                f"neigh replace {GATEWAY} lladdr {NODE_MAC} dev eth0 nud permanent"])
        except (OSError, NetworkError) as err:
            self.disconnect(ip)
            raise NetworkError(f"cannot connect the pod network: {err}") from err

    def disconnect(self, ip: str) -> None:
        """Remove the pod's veth pair (and so its route) at once, without waiting for its namespace to go."""
        with self._lock:
            link = self._links.pop(ip, None)
        if link is not None:
            self._delete(link)

    def _delete(self, link: str) -> None:
        try:
            _ip(self._tool, self.network, [f"link del {link}"])
        except NetworkError as err:
            log.debug("node network: %s", err)   # already gone with the pod's namespace

    def close(self) -> None:
        with self._lock:
            self._links.clear()
        self.network.close()


@functools.cache
def routing_unavailable() -> str | None:
    """Why pods cannot be routed to each other here (None: they can — a node network can be made and a pod
    connected to it). Network namespaces must be available (``netns.networks_supported``)."""
    if not networks_supported():
        return "network namespaces cannot be made here (not root, or not Linux)"
    try:
        node = NodeNetwork.create()
    except (OSError, NetworkError) as err:
        return str(err)
    pod = PodNetwork.create()
    try:
        node.connect(pod, "127.0.0.2")
        return None
    except (OSError, NetworkError) as err:
        return str(err)
    finally:
        pod.close()
        node.close()
