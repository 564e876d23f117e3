"""Retry classification and timeout paths with a scripted client (no server): apply retries every error
but the final ones (400, 403, 422), create/patch/update only Conflict, ServerTimeout, TooManyRequests and ServiceUnavailable; a hung server
fails an operation at its timeout."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainsaw_py.client import connect
from chainsaw_py.client.client import Resource
from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.expressions import Bindings
from chainsaw_py.loading.model import Apply, Create, Get, Patch, Update
from chainsaw_py.operations import apply, create, get, patch, update
from chainsaw_py.operations.base import OperationContext, OperationError
from chainsaw_py.report.console import Console, ConsoleStepLogger

CM: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}, "data": {"a": "b"}}
CONFLICT = ApiError("Operation cannot be fulfilled: the object has been modified", code=409, reason="Conflict")
UNAVAILABLE = ApiError("the server is currently unable to handle the request", code=503,
                       reason="ServiceUnavailable")
INVALID = ApiError('ConfigMap "cm" is invalid', code=422, reason="Invalid")
INTERNAL = ApiError("Internal error occurred: failed calling webhook", code=500, reason="InternalError")
FORBIDDEN = ApiError('configmaps "cm" is forbidden', code=403, reason="Forbidden")
BAD_REQUEST = ApiError("admission webhook denied the request", code=400, reason="BadRequest")


class ScriptedClient:
    """Answers writes from a script of errors (then succeeds); GET finds the object unless told not to."""

    def __init__(self, failures: list[ApiError], exists: bool = True) -> None:
        self.failures = list(failures)
        self.exists = exists
        self.writes = 0

    def resource(self, api_version: str, kind: str) -> Resource:
        return Resource("", "v1", kind, kind.lower() + "s", True)

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return True

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if not self.exists:
            raise NotFoundError(f'configmaps "{name}" not found')
        return {**CM, "metadata": {**CM["metadata"], "resourceVersion": "1"}}

    def _write(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.writes += 1
        if self.failures:
            raise self.failures.pop(0)
        return obj

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        result = self._write(obj)
        self.exists = True
        return result

    def update(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        return self._write(obj)

    def patch(self, obj: dict[str, Any], body: Any, **_: Any) -> dict[str, Any]:
        return self._write(body)


class ScriptedCluster:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.config = None

    def write_kubeconfig(self, path: Path) -> None:
        path.write_text("")


def context(client: Any, timeout: float = 5.0) -> OperationContext:
    return OperationContext(bindings=Bindings(), logger=ConsoleStepLogger(Console(io.StringIO()), "t", "", "s"),
                            timeout=timeout, namespace="ns", cluster=ScriptedCluster(client))


Runner = Callable[[Any, OperationContext], Any]
RUNNERS: dict[str, tuple[Runner, bool]] = {
    "create": (lambda c, ctx: create.run(Create(resource=CM), CM, ctx), False),
    "patch": (lambda c, ctx: patch.run(Patch(resource=CM), CM, ctx), True),
    "update": (lambda c, ctx: update.run(Update(resource=CM), CM, ctx), True),
}


@pytest.mark.parametrize("operation", sorted(RUNNERS))
def test_retryable_errors_are_retried(operation: str) -> None:
    run, exists = RUNNERS[operation]
    client = ScriptedClient([CONFLICT, UNAVAILABLE], exists=exists)
    run(client, context(client))
    assert client.writes == 3


@pytest.mark.parametrize("operation", sorted(RUNNERS))
def test_other_errors_fail_at_once(operation: str) -> None:
    run, exists = RUNNERS[operation]
    client = ScriptedClient([INVALID, INVALID, INVALID], exists=exists)
    with pytest.raises(OperationError, match='ConfigMap "cm" is invalid'):
        run(client, context(client, timeout=30))
    assert client.writes == 1


@pytest.mark.parametrize("operation", sorted(RUNNERS))
def test_retryable_errors_until_the_timeout(operation: str) -> None:
    run, exists = RUNNERS[operation]
    client = ScriptedClient([UNAVAILABLE] * 1000, exists=exists)
    with pytest.raises(OperationError, match="the server is currently unable to handle the request"):
        run(client, context(client, timeout=0.3))
    assert client.writes >= 2


def test_apply_retries_every_error_that_can_change() -> None:
    client = ScriptedClient([INTERNAL, CONFLICT], exists=False)
    apply.run(Apply(resource=CM), CM, context(client))
    assert client.writes == 3


@pytest.mark.parametrize("final", [INVALID, FORBIDDEN, BAD_REQUEST], ids=["422", "403", "400"])
def test_apply_does_not_retry_an_answer_that_cannot_change(final: ApiError) -> None:
    client = ScriptedClient([final, final], exists=False)
    with pytest.raises(OperationError, match=str(final)):
        apply.run(Apply(resource=CM), CM, context(client))
    assert client.writes == 1


# ------------------------------------------------------------------------------------------- hung server


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_hung_server_fails_operations_at_their_timeout(silent_server: int, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{silent_server}"}}],
        "users": [{"name": "u", "user": {}}], "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    cluster = connect(kubeconfig)
    output = io.StringIO()
    ctx = OperationContext(bindings=Bindings(), logger=ConsoleStepLogger(Console(output), "t", "", "s"), timeout=0.3,
                           namespace="ns", cluster=cluster)
    started = time.monotonic()
    with pytest.raises(OperationError):
        apply.run(Apply(resource=CM), CM, ctx)
    assert time.monotonic() - started < 30
    assert "APPLY     | ERROR" in output.getvalue()
    with pytest.raises(OperationError):
        get.run(Get(api_version="v1", kind="Namespace"), None, ctx)
    assert time.monotonic() - started < 60
