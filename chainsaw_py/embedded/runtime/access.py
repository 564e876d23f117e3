"""``pods/exec`` and ``pods/attach`` (WebSocket ``v5``/``v4.channel.k8s.io`` and SPDY/3.1), ``pods/portforward``
(SPDY/3.1, also tunnelled in a WebSocket), ``pods/proxy`` and ``services/proxy`` for pods that run as local
processes. Requests for other pods are not answered here (``handle`` returns None).

exec runs the command in the container's environment (its variables and working folder) next to the
container's process; stdin, stdout and stderr travel on channels 0, 1 and 2, the exit status as a ``Status``
on channel 3 (``NonZeroExitCode`` with the code, which kubectl turns into its own exit code).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http.client
import io
import json
import os
import queue
import re
import socket
import struct
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, cast

from chainsaw_py.embedded.httpserver import Request, Response, UpgradedConnection
from chainsaw_py.embedded.runtime.containers import ContainerProcess, on_terminal
from chainsaw_py.embedded.runtime.netns import Dial, host_dial, http_connection
from chainsaw_py.embedded.runtime.pods import ProcessRuntime
from chainsaw_py.embedded.runtime.services import target_port
from chainsaw_py.embedded.runtime.spdy import SpdyClosed, SpdyConnection, Stream
from chainsaw_py.embedded.runtime.websocket import OP_BINARY, OP_TEXT, Closed, WebSocket, accept_key

_POD_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/(exec|attach|portforward|proxy)(/.*)?$")
_SERVICE_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)?$")
_CHANNEL_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
# the kubelet's WebSocket port-forward subprotocols: True for the base64 (text) form
_PORT_FORWARD_CHANNEL_PROTOCOLS = {"v4.channel.k8s.io": False, "v4.base64.channel.k8s.io": True}
_PROXY_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}
_STREAM_WAIT = 30.0
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "authorization", "host", "content-length"}
_MAX_PROXY_BODY = 64 * 1024 * 1024
_PENDING_LIMIT = 4 * 1024 * 1024   # what a port-forward client may send before the pod's port answers
_CLOSE_WAIT = 5.0


def _status(code: int, reason: str, message: str) -> Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    return Response(code, json.dumps(body).encode())


class PodAccess:
    def __init__(self, store: Any, processes: ProcessRuntime) -> None:
        self.store = store
        self.processes = processes

    def handle(self, request: Request, allowed: Callable[[str, str, str, str, str], bool],
               admit: Callable[[str, str, str, str, Request], None] | None = None) -> Response | None:
        """The answer for a pod that runs as processes (None: not such a pod). ``allowed(verb, resource,
        subresource, namespace, name)`` is the authorizer's decision for the requesting user; ``admit(resource,
        subresource, namespace, name, request)`` runs CONNECT admission and raises the denial."""
        match = _POD_PATH.match(request.path)
        if match is not None:
            namespace, name, verb, rest = match.groups()
            pod_name, _, port = name.partition(":")
            worker = self.processes.worker(namespace, pod_name)
            if worker is None:
                return None
            action = "create" if verb != "proxy" else _PROXY_VERBS.get(request.method, "get")
            if not allowed(action, "pods", verb, namespace, pod_name):
                return _status(403, "Forbidden", f'pods "{pod_name}" is forbidden: cannot {action} resource '
                               f'"pods/{verb}" in API group "" in the namespace "{namespace}"')
            if admit is not None:
                admit("pods", verb, namespace, pod_name, request)
            if verb == "exec":
                return self._exec(request, namespace, pod_name)
            if verb == "portforward":
                return self._portforward(request, worker.ip, self.processes.dial)
            if verb == "attach":
                return self._attach(request, namespace, pod_name)
            return self._proxy(request, "http", worker.ip, int(port) if port.isdigit() else 80, rest or "/",
                               self.processes.dial)
        match = _SERVICE_PATH.match(request.path)
        if match is not None:
            namespace, service = match.group(1), match.group(2).split(":")[-2 if ":" in match.group(2) else 0]
            action = _PROXY_VERBS.get(request.method, "get")
            if not allowed(action, "services", "proxy", namespace, service):
                return None
            if admit is not None:
                admit("services", "proxy", namespace, service, request)
            return self._service_proxy(request, *match.groups())
        return None

    # --- exec -------------------------------------------------------------------------------------------

    def _exec(self, request: Request, namespace: str, name: str) -> Response:
        worker = self.processes.worker(namespace, name)
        if worker is None:
            return _status(404, "NotFound", f'pods "{name}" not found')
        command = request.query.get("command") or []
        if not command:
            return _status(400, "BadRequest", "you must specify at least 1 command")
        names = [c.spec.name for c in worker.containers]
        container_name = request.param("container") or (names[0] if len(names) == 1 else "")
        if not container_name:
            return _status(400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: "
                           f"[{' '.join(names)}]")
        process = worker.container(container_name)
        if process is None:
            return _status(400, "BadRequest", f"container {container_name} is not valid for pod {name}")
        if not process.running:
            return _status(400, "BadRequest", f'unable to upgrade connection: container not found ("{container_name}")')
        upgrade = request.header("upgrade").lower()
        if upgrade.startswith("spdy/3.1"):
            versions = [p.strip() for p in request.header("x-stream-protocol-version").split(",")]
            if "v4.channel.k8s.io" not in versions:
                return _status(403, "Forbidden", f"none of the offered stream protocols {versions} is supported "
                               "(supported: v4.channel.k8s.io)")
            session = ExecSession(command, process, stdin=request.flag("stdin"),
                                  stdout=request.flag("stdout") or "stdout" not in request.query,
                                  stderr=request.flag("stderr"), tty=request.flag("tty"), v5=False)
            return Response(101, headers=[("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                          ("X-Stream-Protocol-Version", "v4.channel.k8s.io")],
                            upgrade=taken_over(session.run_spdy))
        if upgrade != "websocket":
            return _status(400, "BadRequest", "exec needs a WebSocket or SPDY/3.1 upgrade")
        offered = [p.strip() for p in request.header("sec-websocket-protocol").split(",")]
        protocol = next((p for p in _CHANNEL_PROTOCOLS if p in offered), None)
        if protocol is None:
            return _status(400, "BadRequest", f"none of the offered subprotocols {offered} is supported "
                           f"(supported: {', '.join(_CHANNEL_PROTOCOLS)})")
        session = ExecSession(command, process, stdin=request.flag("stdin"),
                              stdout=request.flag("stdout") or "stdout" not in request.query,
                              stderr=request.flag("stderr"), tty=request.flag("tty"), v5=protocol.startswith("v5"))
        headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                   ("Sec-WebSocket-Accept", accept_key(request.header("sec-websocket-key"))),
                   ("Sec-WebSocket-Protocol", protocol)]
        return Response(101, headers=headers, upgrade=taken_over(session.run))

    # --- attach -----------------------------------------------------------------------------------------

    def _attach(self, request: Request, namespace: str, name: str) -> Response:
        """The container's output from now on (stdout and stderr are one stream here), until it exits or the client
        leaves; with ``stdin`` (and a ``stdin: true`` container) the client's input goes to the container's
        standard input, closed after the first attach when ``stdinOnce``."""
        worker = self.processes.worker(namespace, name)
        if worker is None:
            return _status(404, "NotFound", f'pods "{name}" not found')
        names = [c.spec.name for c in worker.containers]
        container_name = request.param("container") or (names[0] if names else "")
        process = worker.container(container_name)
        if process is None or not process.running:
            return _status(400, "BadRequest", f'unable to upgrade connection: container not found ("{container_name}")')
        session = AttachSession(process, stdin=request.flag("stdin"), stderr=request.flag("stderr"),
                                tty=request.flag("tty"))
        upgrade = request.header("upgrade").lower()
        if upgrade.startswith("spdy/3.1"):
            return Response(101, headers=[("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                          ("X-Stream-Protocol-Version", "v4.channel.k8s.io")],
                            upgrade=taken_over(session.run_spdy))
        offered = [p.strip() for p in request.header("sec-websocket-protocol").split(",")]
        protocol = next((p for p in _CHANNEL_PROTOCOLS if p in offered), None)
        if upgrade != "websocket" or protocol is None:
            return _status(400, "BadRequest", "attach needs a WebSocket (v5/v4.channel.k8s.io) or SPDY/3.1 upgrade")
        headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                   ("Sec-WebSocket-Accept", accept_key(request.header("sec-websocket-key"))),
                   ("Sec-WebSocket-Protocol", protocol)]
        return Response(101, headers=headers, upgrade=taken_over(session.run_websocket))

    # --- port-forward -----------------------------------------------------------------------------------

    @staticmethod
    def _portforward(request: Request, ip: str, dial: Dial) -> Response:
        upgrade = request.header("upgrade").lower()
        forwarder = PortForwarder(ip, dial)
        if upgrade.startswith("spdy/3.1"):
            return Response(101, headers=[("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                          ("X-Stream-Protocol-Version", "portforward.k8s.io")],
                            upgrade=taken_over(forwarder.run_spdy))
        offered = [p.strip() for p in request.header("sec-websocket-protocol").split(",") if p.strip()]
        if upgrade != "websocket":
            return _status(400, "BadRequest", "port-forward needs a SPDY/3.1 or WebSocket upgrade")
        if _TUNNEL_PROTOCOL in offered:
            headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                       ("Sec-WebSocket-Accept", accept_key(request.header("sec-websocket-key"))),
                       ("Sec-WebSocket-Protocol", _TUNNEL_PROTOCOL)]
            return Response(101, headers=headers, upgrade=taken_over(forwarder.run_tunnel))
        return _portforward_channels(request, offered, forwarder)

    # --- proxy ------------------------------------------------------------------------------------------

    def _service_proxy(self, request: Request, namespace: str, name: str, rest: str | None) -> Response | None:
        parts = name.split(":")
        scheme = parts.pop(0) if len(parts) == 3 else "http"
        service_name, port_text = parts[0], parts[1] if len(parts) > 1 else ""
        stored = self.store.get("", "services", namespace, service_name)
        if stored is None:
            return None
        ports = (stored.obj.get("spec") or {}).get("ports") or []
        port = next((p for p in ports if port_text in (str(p.get("name", "")), str(p.get("port")))), None) \
            if port_text else (ports[0] if ports else None)
        if port is None:
            return _status(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
        selector = (stored.obj.get("spec") or {}).get("selector") or {}
        mapped = False
        for pod in self._pods(namespace, selector):
            worker = self.processes.worker(namespace, pod["metadata"]["name"])
            mapped = mapped or worker is not None
            if worker is None or not worker.status()["ready"]:
                continue
            target = target_port(port, pod)
            if target:
                return self._proxy(request, scheme, worker.ip, target, rest or "/", self.processes.dial)
        if mapped:
            return _status(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
        return None

    def _pods(self, namespace: str, selector: dict[str, str]) -> list[dict[str, Any]]:
        if not selector:
            return []
        items, _ = self.store.list("", "pods", namespace)
        return [stored.obj for stored in items
                if all(((stored.obj["metadata"].get("labels") or {}).get(k) == v) for k, v in selector.items())]

    @staticmethod
    def _proxy(request: Request, scheme: str, host: str, port: int, path: str, dial: Dial = host_dial) -> Response:
        query = urllib.parse.urlencode(request.query, doseq=True)
        target = path + (f"?{query}" if query else "")
        headers = {key: value for key, value in request.headers.items() if key not in _HOP_BY_HOP}
        connection = http_connection(scheme, host, port, 30, dial)
        try:
            connection.request(request.method, target, body=request.body or None, headers=headers)
            answer = connection.getresponse()
            body = answer.read(_MAX_PROXY_BODY)
            passed = [(key, value) for key, value in answer.getheaders()
                      if key.lower() not in _HOP_BY_HOP and key.lower() != "content-type"]
            return Response(answer.status, body, answer.getheader("Content-Type") or "text/plain", passed)
        except (OSError, http.client.HTTPException) as err:
            return _status(503, "ServiceUnavailable", f"error trying to reach service: dial tcp {host}:{port}: {err}")
        finally:
            connection.close()


def _portforward_channels(request: Request, offered: list[str], forwarder: PortForwarder) -> Response:
    """The kubelet's own WebSocket port-forward, which kube-apiserver relays when the client does not ask for
    SPDY tunnelling (the ``kubernetes`` Python client): the ``ports`` query parameter names the ports; the first
    offered subprotocol the kubelet knows is chosen, none offered is the binary form."""
    ports = _forward_ports(request.query.get("ports") or [])
    if isinstance(ports, str):
        return Response(400, ports.encode(), "text/plain; charset=utf-8")
    protocol = next((p for p in offered if p in _PORT_FORWARD_CHANNEL_PROTOCOLS), None) if offered else ""
    if protocol is None:   # x/net/websocket's handshake refusal: 403 and no body
        return Response(403, b"", "text/plain; charset=utf-8")
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
               ("Sec-WebSocket-Accept", accept_key(request.header("sec-websocket-key")))]
    if protocol:
        headers.append(("Sec-WebSocket-Protocol", protocol))
    text = _PORT_FORWARD_CHANNEL_PROTOCOLS.get(protocol, False)
    return Response(101, headers=headers, upgrade=taken_over(
        lambda reader, connection: forwarder.run_channels(reader, connection, ports, text=text)))


def _forward_ports(values: list[str]) -> list[int] | str:
    """The ports of a WebSocket port-forward, or the kubelet's refusal (its ``NewV4Options``)."""
    if not values:
        return 'query parameter "port" is required'
    ports: list[int] = []
    for value in values:
        if not value:
            return 'query parameter "port" cannot be empty'
        for part in value.split(","):
            if not part.isdigit() or int(part) > 65535:
                return f'unable to parse "{value}" as a port: strconv.ParseUint: parsing "{part}": ' \
                       f'{"value out of range" if part.isdigit() else "invalid syntax"}'
            if int(part) < 1:
                return f'port "{value}" must be > 0'
            ports.append(int(part))
    return ports


class AttachSession:
    """One ``kubectl attach`` (or ``kubectl run -i``) to a container that runs as a process."""

    def __init__(self, process: ContainerProcess, *, stdin: bool, stderr: bool, tty: bool) -> None:
        self.process = process
        self.run = process.current
        self.output: queue.SimpleQueue[bytes | None] | None = None
        self.stdin = stdin and bool(process.spec.container.get("stdin"))
        self.stderr, self.tty = stderr, tty
        self.closed = threading.Event()

    def _chunks(self) -> Iterator[bytes]:
        """The container's output from the attach on, as it comes (a prompt too), until it ends or the client
        leaves."""
        if self.output is None or self.run is None:
            return
        try:   # subscribed when the session started (the client has the upgrade answer)
            while not self.closed.is_set():
                try:
                    chunk = self.output.get(timeout=0.2)
                except queue.Empty:
                    continue
                if chunk is None:
                    return
                yield chunk
        finally:
            self.run.output.unsubscribe(self.output)

    def _resize(self, message: bytes) -> None:
        try:
            size = json.loads(message)
            self.process.resize(int(size.get("Width", 0)), int(size.get("Height", 0)))
        except (ValueError, TypeError, AttributeError):
            return

    def _input(self, data: bytes) -> None:
        if self.stdin and data:
            self.process.write_stdin(data)

    def _input_ended(self) -> None:
        if self.stdin and self.process.spec.container.get("stdinOnce"):
            self.process.end_stdin()

    def _subscribe(self) -> None:
        if self.run is not None:
            self.output = self.run.output.subscribe()

    def run_spdy(self, reader: BinaryIO, connection: Any) -> None:
        self._subscribe()
        wanted = _spdy_channels(stdin=self.stdin, stdout=True, stderr=self.stderr, tty=self.tty)
        spdy, streams, ready, _ = _serve_spdy(reader, connection, wanted)
        try:
            if ready.wait(_STREAM_WAIT):
                if "stdin" in streams:
                    threading.Thread(target=self._copy_stdin, args=(streams["stdin"],), daemon=True).start()
                if "resize" in streams:
                    threading.Thread(target=self._copy_resizes, args=(streams["resize"],), daemon=True).start()
                for chunk in self._chunks():
                    if spdy.closed.is_set():
                        break
                    streams["stdout"].write(chunk)
                streams["stdout"].close()
                _write_status(streams["error"], _success())
        except SpdyClosed:
            pass
        finally:
            self.closed.set()
            spdy.close()
            self._input_ended()

    def _copy_resizes(self, stream: Stream) -> None:
        buffer = b""
        with contextlib.suppress(SpdyClosed):
            while chunk := stream.read():
                *messages, buffer = (buffer + chunk).split(b"\n")
                for message in messages:
                    self._resize(message)

    def _copy_stdin(self, stream: Stream) -> None:
        try:
            while chunk := stream.read():
                self._input(chunk)
        except SpdyClosed:
            pass
        self._input_ended()

    def run_websocket(self, reader: BinaryIO, connection: Any) -> None:
        self._subscribe()
        socket_ = WebSocket(reader, connection)
        threading.Thread(target=self._client_messages, args=(socket_,), daemon=True).start()
        try:
            for chunk in self._chunks():
                socket_.send(b"\x01" + chunk)
            socket_.send(b"\x03" + json.dumps(_success()).encode())
            socket_.close()
        except Closed:
            self.closed.set()
        finally:
            self._input_ended()

    def _client_messages(self, socket_: WebSocket) -> None:
        """stdin on channel 0; v5's close of stdin (255); the client leaving ends the session."""
        try:
            while True:
                _opcode, message = socket_.receive()
                if message[:1] == b"\x00":
                    self._input(message[1:])
                elif message[:1] == b"\x04":
                    self._resize(message[1:])
                elif message[:2] == b"\xff\x00":
                    self._input_ended()
        except (Closed, OSError, ValueError):
            self.closed.set()


class ExecSession:
    """One ``kubectl exec``: a process wired to the channels of a WebSocket or to SPDY streams; with ``tty``
    its standard streams are a pseudo-terminal (stderr joins stdout, resizes apply to it). The process runs in
    the container's environment and is killed when the container stops."""

    def __init__(self, command: list[str], container: ContainerProcess, *, stdin: bool, stdout: bool,
                 stderr: bool, tty: bool, v5: bool) -> None:
        self.command = command
        self.container = container
        self.stdin, self.stdout, self.stderr, self.tty, self.v5 = stdin, stdout, stderr, tty, v5

    def _spawn(self) -> _ExecProcess:
        if not self.tty:
            popen = self.container.spawn_command(self.command, stdin=subprocess.PIPE if self.stdin else
                                                 subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert popen.stdout is not None and popen.stderr is not None
            return _ExecProcess(popen, popen.stdout.fileno(), popen.stderr.fileno(),
                                popen.stdin.fileno() if popen.stdin is not None else None, False)
        popen, master = on_terminal(lambda side: self.container.spawn_command(
            self.command, {"TERM": self.container.spec.env.get("TERM", "xterm")}, stdin=side, stdout=side, stderr=side))
        return _ExecProcess(popen, master, None, master if self.stdin else None, True)

    def _wait(self, process: _ExecProcess) -> int:
        try:
            return process.popen.wait()
        finally:
            self.container.command_ended(process.popen)

    def run(self, reader: BinaryIO, connection: Any) -> None:
        socket_ = WebSocket(reader, connection)
        try:
            process = self._spawn()
        except OSError as err:
            self._finish(socket_, _exec_error(self.command, f"exec: {err.strerror or err}", 126))
            return

        def send(channel: int) -> Any:
            def write(chunk: bytes) -> None:
                socket_.send(bytes([channel]) + chunk)
            return write

        pumps = [threading.Thread(target=_copy_out, args=(process.out, send(1) if self.stdout else None),
                                  daemon=True)]
        if process.err is not None:
            pumps.append(threading.Thread(target=_copy_out, args=(process.err, send(2) if self.stderr else None),
                                          daemon=True))
        for pump in pumps:
            pump.start()
        threading.Thread(target=self._feed, args=(socket_, process), daemon=True).start()
        code = self._wait(process)
        for pump in pumps:
            pump.join(timeout=5)
        process.close()
        self._finish(socket_, _success() if code == 0 else _exec_error(self.command, "", code))

    def run_spdy(self, reader: BinaryIO, connection: Any) -> None:
        """kubectl up to 1.29 (and the fallback of later ones): one SPDY stream per channel, opened by the
        client with a ``streamtype`` header; the exit status goes to the ``error`` stream."""
        wanted = _spdy_channels(stdin=self.stdin, stdout=self.stdout, stderr=self.stderr, tty=self.tty)
        spdy, streams, complete, serving = _serve_spdy(reader, connection, wanted)
        try:
            if not complete.wait(_STREAM_WAIT):
                return
            self._run_over_streams(streams)
        finally:
            spdy.close()
            serving.join(timeout=5)

    def _run_over_streams(self, streams: dict[str, Stream]) -> None:
        try:
            process = self._spawn()
        except OSError as err:
            _write_status(streams["error"], _exec_error(self.command, f"exec: {err.strerror or err}", 126))
            return
        outputs = [(process.out, streams.get("stdout")), (process.err, streams.get("stderr"))]
        pumps = [threading.Thread(target=_copy_out, args=(fd, stream.write if stream is not None else None),
                                  daemon=True) for fd, stream in outputs if fd is not None]
        for pump in pumps:
            pump.start()
        if "stdin" in streams:
            threading.Thread(target=_copy_in, args=(streams["stdin"], process), daemon=True).start()
        if "resize" in streams:
            threading.Thread(target=_resizes, args=(streams["resize"], process), daemon=True).start()
        code = self._wait(process)
        for pump in pumps:
            pump.join(timeout=5)
        process.close()
        for name in ("stdout", "stderr"):
            if name in streams:
                streams[name].close()
        _write_status(streams["error"], _success() if code == 0 else _exec_error(self.command, "", code))

    def _feed(self, socket_: WebSocket, process: _ExecProcess) -> None:
        """Client messages: stdin (channel 0), terminal resizes (channel 4), v5's close of stdin (255)."""
        try:
            while True:
                _opcode, message = socket_.receive()
                if not message:
                    continue
                channel, data = message[0], message[1:]
                if channel == 0 and data:
                    process.write(data)
                elif channel == 4:
                    process.resize(data)
                elif channel == 255 and self.v5 and data[:1] == b"\x00":
                    process.close_stdin()
        except (Closed, OSError, ValueError):
            process.close_stdin()

    @staticmethod
    def _finish(socket_: WebSocket, status: dict[str, Any]) -> None:
        try:
            socket_.send(b"\x03" + json.dumps(status).encode())
        except Closed:
            return
        socket_.close()


class _ExecProcess:
    """The exec'd process's file descriptors: pipes, or one pseudo-terminal for all three."""

    def __init__(self, popen: subprocess.Popen[bytes], out: int, err: int | None, stdin: int | None,
                 tty: bool) -> None:
        self.popen, self.out, self.err, self._stdin, self.tty = popen, out, err, stdin, tty
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._stdin is None:
                return
            try:
                os.write(self._stdin, data)
            except OSError:
                return

    def close_stdin(self) -> None:
        with self._lock:
            if self._stdin is None:
                return
            if self.tty:
                try:
                    os.write(self._stdin, b"\x04")   # end of input on a terminal
                except OSError:
                    pass
            elif self.popen.stdin is not None:
                try:
                    self.popen.stdin.close()
                except OSError:
                    pass
            self._stdin = None

    def resize(self, message: bytes) -> None:
        if not self.tty:
            return
        try:
            size = json.loads(message)
            import fcntl
            import termios

            fcntl.ioctl(self.out, termios.TIOCSWINSZ,
                        struct.pack("HHHH", int(size.get("Height", 0)), int(size.get("Width", 0)), 0, 0))
        except (ValueError, OSError, AttributeError):
            return

    def close(self) -> None:
        """Release the descriptors once the process has ended and its output was copied."""
        with self._lock:
            self._stdin = None
        if self.tty:
            try:
                os.close(self.out)
            except OSError:
                pass
            return
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


def _success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def _exec_error(command: list[str], message: str, code: int) -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure",
            "message": message or f"command terminated with non-zero exit code: error executing command "
                                  f"[{' '.join(command)}], exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


class _PendingThenSocket(io.RawIOBase):
    """The bytes the client sent after its request (read by the server already), then the socket. Counts the
    reads in progress: the server frees the connection (its TLS state too) once the handler returns, so a
    session's reader thread must be out of ``recv`` by then."""

    def __init__(self, pending: bytes, sock: socket.socket) -> None:
        self._pending = pending
        self._sock = sock
        self._reading = 0
        self._idle = threading.Condition()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._pending:
            count = min(len(buffer), len(self._pending))
            buffer[:count] = self._pending[:count]
            self._pending = self._pending[count:]
            return count
        with self._idle:
            self._reading += 1
        try:
            return self._sock.recv_into(buffer)
        finally:
            with self._idle:
                self._reading -= 1
                self._idle.notify_all()

    def end_reads(self, timeout: float) -> None:
        """Wake a blocked read (shut the transport down under TLS) and wait until none is in progress."""
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        with self._idle:
            self._idle.wait_for(lambda: self._reading == 0, timeout)


_READ_DRAIN_SECONDS = 5.0


def taken_over(handler: Callable[[BinaryIO, socket.socket], None]) -> Callable[[UpgradedConnection], None]:
    """An upgrade handler of the HTTP server (``Response(101, upgrade=...)``) around a session that reads a
    buffered stream and writes the socket; a connection that breaks just ends the session."""
    def run(connection: UpgradedConnection) -> None:
        raw = _PendingThenSocket(connection.pending, connection.sock)
        try:
            with contextlib.suppress(OSError):
                handler(cast(BinaryIO, io.BufferedReader(raw)), connection.sock)
        finally:
            raw.end_reads(_READ_DRAIN_SECONDS)
    return run



def _spdy_channels(*, stdin: bool, stdout: bool, stderr: bool, tty: bool) -> set[str]:
    """The streams a SPDY exec/attach client opens: ``error`` always, ``stderr`` only without a terminal."""
    return {"error"} | ({"stdin"} if stdin else set()) | ({"stdout"} if stdout else set()) \
        | ({"stderr"} if stderr and not tty else set()) | ({"resize"} if tty else set())


def _serve_spdy(reader: BinaryIO, connection: Any,
                wanted: set[str]) -> tuple[SpdyConnection, dict[str, Stream], threading.Event, threading.Thread]:
    """Serve a SPDY connection whose client opens one stream per channel (its ``streamtype`` header); the
    event is set once every wanted stream is open."""
    streams: dict[str, Stream] = {}
    ready = threading.Event()

    def on_stream(stream: Stream) -> None:
        streams[stream.headers.get("streamtype", "")] = stream
        if wanted <= set(streams):
            ready.set()

    spdy = SpdyConnection(_exact_reader(reader), connection.sendall, on_stream)
    serving = threading.Thread(target=spdy.serve, daemon=True)
    serving.start()
    return spdy, streams, ready, serving

def _exact_reader(reader: BinaryIO) -> Any:
    def read_exact(count: int) -> bytes:
        data = reader.read(count)
        if not data or len(data) < count:
            raise OSError("connection closed")
        return bytes(data)
    return read_exact


def _copy_out(fd: int, write: Callable[[bytes], None] | None) -> None:
    """Copy a process's output (a pipe or a terminal) until it ends; ``write`` None drops it."""
    while True:
        try:
            chunk = os.read(fd, 32768)
        except OSError:   # a terminal whose process has gone answers EIO
            return
        if not chunk:
            return
        if write is not None:
            try:
                write(chunk)
            except (Closed, SpdyClosed):
                write = None


def _copy_in(stream: Stream, process: _ExecProcess) -> None:
    while chunk := stream.read():
        process.write(chunk)
    process.close_stdin()


def _resizes(stream: Stream, process: _ExecProcess) -> None:
    """SPDY's resize stream: one JSON ``{"Width": w, "Height": h}`` per line."""
    buffer = b""
    while chunk := stream.read():
        buffer += chunk
        *messages, buffer = buffer.split(b"\n")
        for message in messages:
            process.resize(message)


def _write_status(stream: Stream, status: dict[str, Any]) -> None:
    try:
        stream.write(json.dumps(status).encode())
    except SpdyClosed:
        return
    stream.close()


class _MessageBytes:
    """The byte stream carried by a WebSocket's binary messages (SPDY tunnelled by kubectl 1.31+)."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.buffer = b""

    def read_exact(self, count: int) -> bytes:
        while len(self.buffer) < count:
            try:
                _opcode, message = self.websocket.receive()
            except Closed:
                raise OSError("connection closed") from None
            self.buffer += message
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def write(self, data: bytes) -> None:
        try:
            self.websocket.send(data, OP_BINARY)
        except Closed:
            raise OSError("connection closed") from None


class PortForwarder:
    """``kubectl port-forward``: for each forwarded connection the client opens a ``data`` and an ``error``
    stream with the same ``requestid`` and the pod ``port``; bytes are copied to and from that port of the
    pod's IP."""

    def __init__(self, ip: str, dial: Dial = host_dial) -> None:
        self.ip = ip
        self._dial = dial
        self._pairs: dict[str, dict[str, Stream]] = {}
        self._lock = threading.Lock()

    def run_spdy(self, reader: BinaryIO, connection: Any) -> None:
        spdy = SpdyConnection(_exact_reader(reader), connection.sendall, self._on_stream)
        try:
            spdy.serve()
        finally:
            spdy.close()

    def run_tunnel(self, reader: BinaryIO, connection: Any) -> None:
        websocket = WebSocket(reader, connection)
        carried = _MessageBytes(websocket)
        spdy = SpdyConnection(carried.read_exact, carried.write, self._on_stream)
        try:
            spdy.serve()
        finally:
            spdy.close()
            websocket.close()

    def run_channels(self, reader: BinaryIO, connection: Any, ports: list[int], *, text: bool) -> None:
        """The kubelet's WebSocket port-forward: port ``i`` has data channel ``2i`` (both ways) and error channel
        ``2i+1``; each channel's first message is its port (uint16, little-endian). One connection to each
        port; the WebSocket closes once every port's connection has ended, or they all end with it."""
        channels = _ChannelSocket(WebSocket(reader, connection), text=text)
        links = [_PortLink(port) for port in ports]
        for index, link in enumerate(links):
            channels.send(2 * index, struct.pack("<H", link.port))
            channels.send(2 * index + 1, struct.pack("<H", link.port))
        workers = [threading.Thread(target=self._forward_channel, args=(channels, index, link), daemon=True)
                   for index, link in enumerate(links)]
        for worker in workers:
            worker.start()
        finished = threading.Event()
        closer = threading.Thread(target=self._close_when_done, args=(channels, workers, finished), daemon=True)
        closer.start()
        try:
            while True:
                channel, data = channels.receive()
                if channel % 2 == 0 and channel // 2 < len(links) and data:
                    links[channel // 2].send(data)
        except (Closed, OSError):
            pass
        finally:
            finished.set()
            for link in links:
                link.close()
            channels.websocket.close()

    @staticmethod
    def _close_when_done(channels: _ChannelSocket, workers: list[threading.Thread], finished: threading.Event) -> None:
        for worker in workers:
            worker.join()
        channels.websocket.close()
        if not finished.wait(_CLOSE_WAIT):   # a client that does not answer the close frame
            with contextlib.suppress(OSError):
                channels.websocket.connection.shutdown(socket.SHUT_RDWR)

    def _forward_channel(self, channels: _ChannelSocket, index: int, link: _PortLink) -> None:
        try:
            target = self._dial(self.ip, link.port, 5.0)
        except OSError as err:
            link.fail()
            with contextlib.suppress(Closed):
                channels.send(2 * index + 1, _forward_error(link.port, self.ip, err).encode())
            return
        target.settimeout(None)
        if not link.connect(target):
            target.close()
            return
        try:
            while chunk := target.recv(65536):
                channels.send(2 * index, chunk)
        except (OSError, Closed):
            pass
        finally:
            link.close()

    def _on_stream(self, stream: Stream) -> None:
        request = stream.headers.get("requestid", "")
        with self._lock:
            pair = self._pairs.setdefault(request, {})
            pair[stream.headers.get("streamtype", "")] = stream
            ready = "data" in pair and "error" in pair
            if ready:
                del self._pairs[request]
        if ready:
            threading.Thread(target=self._forward, args=(pair, stream.headers.get("port", "")), daemon=True).start()

    def _forward(self, pair: dict[str, Stream], port_text: str) -> None:
        data, error = pair["data"], pair["error"]
        try:
            target = self._dial(self.ip, int(port_text), 5.0)
        except (OSError, ValueError) as err:
            message = _forward_error(port_text, self.ip, err)
            try:
                error.write(message.encode())
            finally:
                error.close()
                data.close()
            return
        target.settimeout(None)

        def upstream() -> None:
            try:
                while chunk := data.read():
                    target.sendall(chunk)
            except OSError:
                pass
            finally:
                try:
                    target.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        sender = threading.Thread(target=upstream, daemon=True)
        sender.start()
        try:
            while chunk := target.recv(65536):
                data.write(chunk)
        except Exception:
            pass
        finally:
            data.close()
            error.close()
            target.close()


def _forward_error(port: object, ip: str, err: Exception) -> str:
    return f"error forwarding port {port} to pod {ip}: failed to connect: {err}"


class _ChannelSocket:
    """A WebSocket of the channel protocol: binary messages start with the channel byte; in the base64 form
    (text messages) with the channel as an ASCII digit, the rest base64."""

    def __init__(self, websocket: WebSocket, *, text: bool) -> None:
        self.websocket = websocket
        self.text = text

    def send(self, channel: int, data: bytes) -> None:
        if self.text:
            self.websocket.send(str(channel).encode() + base64.b64encode(data), OP_TEXT)
        else:
            self.websocket.send(bytes([channel]) + data, OP_BINARY)

    def receive(self) -> tuple[int, bytes]:
        """The next message that names a channel; a malformed one is skipped as wsstream skips it."""
        while True:
            _opcode, message = self.websocket.receive()
            if not message:
                continue
            if not self.text:
                return message[0], message[1:]
            with contextlib.suppress(ValueError, binascii.Error):
                return int(chr(message[0])), base64.b64decode(message[1:], validate=True)


class _PortLink:
    """One forwarded port of a WebSocket port-forward: what the client sends waits for the connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._target: socket.socket | None = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._ended = False
        self._lock = threading.Lock()

    def connect(self, target: socket.socket) -> bool:
        with self._lock:
            if self._ended:
                return False
            self._target = target
            pending, self._pending = self._pending, []
        try:
            for data in pending:
                target.sendall(data)
        except OSError:
            self.close()
        return True

    def send(self, data: bytes) -> None:
        with self._lock:
            target = self._target
            if target is None:
                if not self._ended and self._pending_bytes + len(data) <= _PENDING_LIMIT:
                    self._pending.append(data)
                    self._pending_bytes += len(data)
                return
        try:
            target.sendall(data)
        except OSError:
            self.close()

    def fail(self) -> None:
        with self._lock:
            self._ended, self._pending = True, []

    def close(self) -> None:
        with self._lock:
            self._ended, target = True, self._target
        if target is not None:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_RDWR)
            target.close()


def forward_http(request: Request, scheme: str, host: str, port: int, path: str) -> Response:
    """Send ``request`` on to ``scheme://host:port/path`` and relay the answer (the apiserver's proxy)."""
    return PodAccess._proxy(request, scheme, host, port, path)
