"""Deleting what a step or a test created (Chainsaw's ``pkg/cleanup/cleaner``): in reverse creation
order, after an optional delay, each deletion followed by a wait until the object is gone, each bounded
by the cleanup timeout. Every deletion is recorded in the given step report."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from chainsaw_py.client.deadline import request_deadline
from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.operations.base import CancelToken, ClusterHandle, Interrupted
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.report.model import OperationReport, StepReport, now
from chainsaw_py.steplog import StepLogger
from chainsaw_py.util.leftovers import LEFTOVERS

ABANDON_REQUEST_SECONDS = 1.0


@dataclass
class _Entry:
    """An object to delete at cleanup, and the cluster it lives in."""

    cluster: ClusterHandle
    obj: dict[str, Any]
    abandon_key: int | None = None
    """Its id in ``LEFTOVERS``: namespaces and cluster-scoped objects get a delete sent even when a second
    Ctrl-C cuts the run short (namespaced objects go with their namespace)."""


def _send_delete(entry: _Entry) -> None:
    """Ask for the deletion and do not wait for it (the process is about to exit)."""
    meta = entry.obj.get("metadata") or {}
    with request_deadline(ABANDON_REQUEST_SECONDS):
        entry.cluster.client.delete(entry.obj["apiVersion"], entry.obj["kind"], meta.get("namespace") or "",
                                    meta["name"], propagation="Background")


class Cleaner:
    def __init__(self, *, timeout: float, wait_for_deletion: bool, delay: float | None,
                 propagation: str, cancel: CancelToken | None = None) -> None:
        self.timeout = timeout
        self.wait_for_deletion = wait_for_deletion
        self.delay = delay
        self.propagation = propagation
        self.cancel = cancel or CancelToken()
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    def add(self, cluster: ClusterHandle, obj: dict[str, Any]) -> None:
        entry = _Entry(cluster, obj)
        if not (obj.get("metadata") or {}).get("namespace"):  # namespaces, and what a namespace won't take along
            entry.abandon_key = LEFTOVERS.add_send(lambda: _send_delete(entry))
        with self._lock:
            self._entries.append(entry)

    def release(self) -> None:
        """Keep everything (``skipDelete``): nothing is deleted, not even when the run is cut short."""
        with self._lock:
            for entry in self._entries:
                if entry.abandon_key is not None:
                    LEFTOVERS.discard_action(entry.abandon_key)

    @property
    def empty(self) -> bool:
        return not self._entries

    def run(self, logger: StepLogger, report: StepReport | None) -> list[str]:
        """Delete everything registered, newest first; return the error messages."""
        if self.delay:
            time.sleep(self.delay)  # an interrupt must not shorten cleanup: no cancel here
        errors: list[str] = []
        for entry in reversed(self._entries):
            operation = OperationReport(type="delete")
            try:
                self._delete(entry, logger)
            except (ApiError, Interrupted, TimeoutError) as err:
                operation.error = str(err)
                errors.append(str(err))
            if entry.abandon_key is not None:
                LEFTOVERS.discard_action(entry.abandon_key)
            operation.end_time = now()
            if report is not None:
                report.add(operation)
        return errors

    def _delete(self, entry: _Entry, logger: StepLogger) -> None:
        from chainsaw_py.operations.delete import poll_until_gone  # with the checks: a run with a cluster

        client = entry.cluster.client
        api_version, kind = entry.obj["apiVersion"], entry.obj["kind"]
        meta = entry.obj.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta["name"]
        try:
            logged(logger, "DELETE", entry.obj,
                   lambda: client.delete(api_version, kind, namespace, name, propagation=self.propagation))
        except NotFoundError:
            return
        if not self.wait_for_deletion:
            return
        # Cleanup must finish even after an interrupt, so it polls with a token of its own.
        if not poll_until_gone(entry.cluster, entry.obj, self.timeout, CancelToken()):
            raise TimeoutError("context deadline exceeded")
