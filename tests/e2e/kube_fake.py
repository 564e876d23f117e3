"""A tiny Kubernetes API server for the bucket step's tests: namespaces (read) and secrets (CRUD).

It exists only until chainsaw_py.embedded.EmbeddedCluster lands; it speaks just enough of the REST
API (paths, bearer token, ``Status`` bodies, 401/403/404/409/422) for the official kubernetes
client that create_bucket.py uses, so the script's real client code is what the tests exercise.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import yaml

NAMESPACE_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)$")
SECRETS_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")


@dataclass
class FakeKube:
    """State of the fake server; ``forbidden`` holds (method, path) pairs answered with 403."""

    namespaces: dict[str, str] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    forbidden: set[tuple[str, str]] = field(default_factory=set)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_namespace(self, name: str) -> None:
        self.namespaces[name] = str(uuid.uuid4())

    def put_secret(self, namespace: str, name: str, values: dict[str, str], type_: str = "Opaque") -> None:
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        self.secrets[(namespace, name)] = {
            "apiVersion": "v1", "kind": "Secret", "type": type_, "data": data,
            "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4()), "resourceVersion": "1"},
        }

    def secret_values(self, namespace: str, name: str) -> dict[str, str] | None:
        secret = self.secrets.get((namespace, name))
        if secret is None:
            return None
        return {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "reason": reason,
            "message": message, "metadata": {}}


class Handler(BaseHTTPRequestHandler):
    state: FakeKube  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        body = self.read_body()
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            return self.reply(401, status(401, "Unauthorized", "Unauthorized"))
        if (method, path) in self.state.forbidden:
            return self.reply(403, status(403, "Forbidden", f"{method} {path} is forbidden"))
        with self.state.lock:
            code, payload = self.route(method, path, body)
        self.reply(code, payload)

    def read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def reply(self, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if (match := NAMESPACE_PATH.match(path)) and method == "GET":
            return self.get_namespace(match[1])
        if match := SECRETS_PATH.match(path):
            namespace, name = match[1], match[2]
            if namespace not in self.state.namespaces:
                return 404, status(404, "NotFound", f'namespaces "{namespace}" not found')
            return self.secret_op(method, namespace, name or (body or {}).get("metadata", {}).get("name"), body)
        return 404, status(404, "NotFound", "the server could not find the requested resource")

    def get_namespace(self, name: str) -> tuple[int, dict[str, Any]]:
        uid = self.state.namespaces.get(name)
        if uid is None:
            return 404, status(404, "NotFound", f'namespaces "{name}" not found')
        return 200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "uid": uid}}

    def secret_op(self, method: str, namespace: str, name: str, body: Any) -> tuple[int, dict[str, Any]]:
        key = (namespace, name)
        existing = self.state.secrets.get(key)
        if method == "POST":
            if existing is not None:
                return 409, status(409, "AlreadyExists", f'secrets "{name}" already exists')
            return 201, self.store(key, body)
        if existing is None:
            return 404, status(404, "NotFound", f'secrets "{name}" not found')
        if method == "GET":
            return 200, existing
        if method == "DELETE":
            del self.state.secrets[key]
            return 200, status(200, "", "deleted") | {"status": "Success"}
        if body.get("type", "Opaque") != existing.get("type", "Opaque"):
            return 422, status(422, "Invalid", f'Secret "{name}" is invalid: type: Invalid value: field is immutable')
        return 200, self.store(key, body)

    def store(self, key: tuple[str, str], body: dict[str, Any]) -> dict[str, Any]:
        secret = dict(body)
        secret["metadata"] = dict(body.get("metadata") or {}, namespace=key[0], name=key[1])
        secret.setdefault("type", "Opaque")
        self.state.secrets[key] = secret
        return secret


class FakeKubeServer:
    """Run a FakeKube on 127.0.0.1 and write a kubeconfig for it."""

    def __init__(self, directory: Path, state: FakeKube | None = None) -> None:
        self.state = state or FakeKube()
        self.state.add_namespace("kube-system")
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.kubeconfig_path = directory / "kubeconfig"
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        self.kubeconfig_path.write_text(yaml.safe_dump(kubeconfig(self.url, self.state.token)))
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    # The cluster-harness interface the tests use (see clusters.py).

    @property
    def token(self) -> str:
        return self.state.token

    def add_namespace(self, name: str) -> None:
        self.state.add_namespace(name)

    def cluster_uid(self) -> str:
        return self.state.namespaces["kube-system"]

    def put_secret(self, namespace: str, name: str, values: dict[str, str], type_: str = "Opaque") -> None:
        self.state.put_secret(namespace, name, values, type_)

    def delete_secret(self, namespace: str, name: str) -> None:
        self.state.secrets.pop((namespace, name), None)

    def secret_values(self, namespace: str, name: str) -> dict[str, str] | None:
        return self.state.secret_values(namespace, name)

    def secret_type(self, namespace: str, name: str) -> str | None:
        secret = self.state.secrets.get((namespace, name))
        return None if secret is None else str(secret.get("type", "Opaque"))

    def forbid(self, method: str, path: str) -> None:
        """Answer ``method path`` with 403 (only this fake can: the embedded cluster has no RBAC)."""
        self.state.forbidden.add((method, path))


def kubeconfig(server: str, token: str, namespace: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"cluster": "fake", "user": "fake"}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "fake", "user": {"token": token}}],
        "contexts": [{"name": "fake", "context": context}],
    }
