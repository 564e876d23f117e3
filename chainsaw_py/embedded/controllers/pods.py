"""Scheduler and kubelet, simulated: pods are bound to the single node, "start" after a delay and become
Running/Ready with IPs and container statuses; pods of Jobs (or with a run-duration annotation) complete.
No container is pulled or run.

Simulation annotations on a pod (or its template):
- ``sim.chainsaw-py.io/run-duration: 2s`` — containers exit after that long (pods whose restartPolicy is not
  Always); pods created by Jobs default to ``Timing.job_run_duration``;
- ``sim.chainsaw-py.io/exit-code: "1"`` — the exit code when they do (non-zero fails the pod);
- ``sim.chainsaw-py.io/ready: "false"`` — containers run but never become ready;
- ``sim.chainsaw-py.io/start-delay: 1s`` — overrides ``Timing.pod_start_delay`` for this pod.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

from chainsaw_py.embedded.apierrors import NotFound
from chainsaw_py.embedded.bootstrap import NODE_IP
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.controllers.scheduling import failure_message, scheduling_failure
from chainsaw_py.embedded.controllers.util import controller_ref, is_deleting
from chainsaw_py.embedded.runtime.images import normalized_image
from chainsaw_py.embedded.runtime.pods import PodWorker, ProcessRuntime
from chainsaw_py.embedded.writes import DeleteOptions
from chainsaw_py.golang.durations import DurationError, parse_duration

ANNOTATION_PREFIX = "sim.chainsaw-py.io/"
RUN_DURATION = ANNOTATION_PREFIX + "run-duration"
EXIT_CODE = ANNOTATION_PREFIX + "exit-code"
READY = ANNOTATION_PREFIX + "ready"
START_DELAY = ANNOTATION_PREFIX + "start-delay"


class PodIPs:
    """Hands out 10.244.0.0/16 addresses to pods and takes them back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[str] = set()
        self._next = 2

    def allocate(self) -> str:
        with self._lock:
            for _ in range(65000):
                candidate = f"10.244.{self._next // 254}.{self._next % 254 + 1}"
                self._next = self._next + 1 if self._next < 64000 else 2
                if candidate not in self._used:
                    self._used.add(candidate)
                    return candidate
        raise RuntimeError("pod IP range exhausted")

    def release(self, ip: str | None) -> None:
        if ip:
            with self._lock:
                self._used.discard(ip)


class Milestones:
    """When (on the monotonic clock) the kubelet first saw each pod reach a stage of its life.

    API timestamps have whole-second precision, so delays measured from them would land anywhere within a
    second; the simulation times itself with these instead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marks: dict[tuple[str, str], float] = {}

    def mark(self, uid: str, stage: str) -> None:
        with self._lock:
            self._marks.setdefault((uid, stage), time.monotonic())

    def elapsed(self, uid: str, stage: str) -> float:
        """Seconds since ``stage`` was marked (marking it now when first asked)."""
        with self._lock:
            start = self._marks.setdefault((uid, stage), time.monotonic())
        return time.monotonic() - start

    def forget(self, uid: str) -> None:
        with self._lock:
            for key in [key for key in self._marks if key[0] == uid]:
                del self._marks[key]


def _annotation_seconds(pod: dict[str, Any], key: str, default: float | None) -> float | None:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(key)
    if value is None:
        return default
    try:
        return parse_duration(str(value))
    except DurationError:
        return default


def _image_id(image: str) -> str:
    reference = normalized_image(image).split("@", 1)[0].rsplit(":", 1)[0]
    return f"{reference}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


class Kubelet:
    """The pod lifecycle: scheduling, start, completion, graceful termination."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ips = PodIPs()
        self.milestones = Milestones()

    def controller(self) -> TypedController:
        return TypedController("kubelet", "", "pods", "Pod", self.reconcile, on_delete=self.forget)

    def forget(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        self.ips.release((pod.get("status") or {}).get("podIP"))
        if self.runtime.processes is not None:
            self.runtime.processes.forget(pod)
        meta = pod["metadata"]
        self.milestones.forget(meta.get("uid", ""))
        ctx.runtime.logs.forget(meta.get("namespace", ""), meta["name"])

    def reconcile(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        processes = self.runtime.processes
        if processes is not None and processes.owns(pod):
            self._reconcile_processes(pod, ctx, processes)
            return
        spec = pod.get("spec") or {}
        if is_deleting(pod):
            self._terminate(pod, ctx)
        elif not spec.get("nodeName"):
            self._schedule(pod, ctx)
        elif (pod.get("status") or {}).get("phase", "Pending") == "Pending":
            self._start(pod, ctx)
        elif (pod.get("status") or {}).get("phase") == "Running":
            self._start_ephemeral(pod, ctx)
            self._maybe_complete(pod, ctx)

    # --- pods that run as local processes ---------------------------------------------------------------

    def _reconcile_processes(self, pod: dict[str, Any], ctx: ReconcileContext, processes: ProcessRuntime) -> None:
        meta = pod["metadata"]
        if is_deleting(pod):
            grace = float(meta.get("deletionGracePeriodSeconds") or 0)
            worker = processes.worker(meta.get("namespace", ""), meta["name"])
            if processes.terminate(pod, grace):
                if worker is not None:
                    self._write_process_status(pod, ctx, worker)
                self._delete_now(pod)
            else:
                ctx.requeue_after(0.5)
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            self._schedule(pod, ctx)
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") and \
                processes.worker(meta.get("namespace", ""), meta["name"]) is None:
            return
        worker = processes.ensure_started(pod)
        if worker is not None:
            self._write_process_status(pod, ctx, worker)

    def _write_process_status(self, pod: dict[str, Any], ctx: ReconcileContext, worker: PodWorker) -> None:
        view = worker.status()
        status = pod.setdefault("status", {})
        before = repr(status)
        ip = view["podIP"]
        status.update({"phase": view["phase"], "hostIP": NODE_IP, "hostIPs": [{"ip": NODE_IP}], "podIP": ip,
                       "podIPs": [{"ip": ip}], "startTime": status.get("startTime") or ctx.now(),
                       "containerStatuses": view["containerStatuses"]})
        for key in ("initContainerStatuses", "ephemeralContainerStatuses"):
            if view[key]:
                status[key] = view[key]
        spec = pod.get("spec") or {}
        finished = view["phase"] in ("Succeeded", "Failed")
        reason = {"Succeeded": "PodCompleted", "Failed": "PodFailed"}.get(view["phase"], "ContainersNotReady")
        ready = "True" if view["ready"] else "False"
        ctx.set_condition(pod, "PodScheduled", "True")
        ctx.set_condition(pod, "PodReadyToStartContainers", "False" if finished else "True")
        ctx.set_condition(pod, "Initialized", "True" if view["initialized"] else "False",
                          "" if view["initialized"] else "ContainersNotInitialized",
                          "" if view["initialized"] else _not_ready_message(spec, "initContainers"))
        for kind in ("Ready", "ContainersReady"):
            ctx.set_condition(pod, kind, ready, "" if ready == "True" else reason,
                              "" if ready == "True" or finished else _not_ready_message(spec))
        _normalize_conditions(pod)
        if repr(status) != before:
            ctx.update_status(pod)
        for type_, event_reason, message in worker.take_events():
            ctx.event(pod, event_reason, message, type_, component="kubelet")

    def _delete_now(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            self.runtime.server.delete(self._pods(), meta.get("namespace", ""), meta["name"],
                                       DeleteOptions(grace_period=0, uid=meta.get("uid")))
        except NotFound:
            return

    # --- scheduling -------------------------------------------------------------------------------------

    def _schedule(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        meta = pod["metadata"]
        wait = self.runtime.timing.pod_schedule_delay - self.milestones.elapsed(meta.get("uid", ""), "created")
        if wait > 0:
            ctx.requeue_after(wait)
            return
        node = ctx.get("v1", "Node", ctx.node_name) or {}
        failure = scheduling_failure(pod, node, self._bound_pods(pod, ctx))
        if failure is not None:
            self._unschedulable(pod, ctx, failure_message(*failure))
            return
        self.runtime.server.assign_node(meta.get("namespace", ""), meta["name"], ctx.node_name)
        self.milestones.mark(meta.get("uid", ""), "scheduled")
        ctx.event(pod, "Scheduled", f"Successfully assigned {meta.get('namespace')}/{meta['name']} to "
                  f"{ctx.node_name}", component="default-scheduler")

    @staticmethod
    def _bound_pods(pod: dict[str, Any], ctx: ReconcileContext) -> Iterator[dict[str, Any]]:
        """The pods holding the node's resources (bound and not finished), listed only when asked."""
        for other in ctx.list("v1", "Pod"):
            spec, status = other.get("spec") or {}, other.get("status") or {}
            if spec.get("nodeName") == ctx.node_name and status.get("phase") not in ("Succeeded", "Failed") \
                    and other["metadata"].get("uid") != pod["metadata"].get("uid"):
                yield other

    def _unschedulable(self, pod: dict[str, Any], ctx: ReconcileContext, message: str) -> None:
        """The pod stays Pending; the scheduler tries again as the node and its pods change."""
        ctx.requeue_after(self.runtime.timing.unschedulable_retry)
        if ctx.set_condition(pod, "PodScheduled", "False", "Unschedulable", message):
            ctx.update_status(pod)
            ctx.event(pod, "FailedScheduling", message, "Warning", component="default-scheduler")

    # --- start ------------------------------------------------------------------------------------------

    def _start(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        delay = _annotation_seconds(pod, START_DELAY, self.runtime.timing.pod_start_delay) or 0.0
        wait = delay - self.milestones.elapsed(pod["metadata"].get("uid", ""), "scheduled")
        if wait > 0:
            ctx.requeue_after(wait)
            return
        now = ctx.now()
        spec, status = pod.get("spec") or {}, pod.setdefault("status", {})
        ip = status.get("podIP") or self.ips.allocate()
        ready = ((pod["metadata"].get("annotations") or {}).get(READY) or "true").lower() != "false"
        status.update({"phase": "Running", "hostIP": NODE_IP, "hostIPs": [{"ip": NODE_IP}], "podIP": ip,
                       "podIPs": [{"ip": ip}], "startTime": status.get("startTime") or now})
        if spec.get("initContainers"):
            status["initContainerStatuses"] = [self._terminated_status(c, now, 0) for c in spec["initContainers"]]
        status["containerStatuses"] = [self._running_status(c, now, ready) for c in spec.get("containers") or []]
        for kind, value in (("PodReadyToStartContainers", "True"), ("Initialized", "True"),
                            ("Ready", "True" if ready else "False"), ("ContainersReady", "True" if ready else "False"),
                            ("PodScheduled", "True")):
            ctx.set_condition(pod, kind, value, "" if value == "True" else "ContainersNotReady",
                              "" if value == "True" else _not_ready_message(spec))
        _normalize_conditions(pod)
        ctx.update_status(pod)
        self.milestones.mark(pod["metadata"].get("uid", ""), "started")
        self._container_events(pod, ctx)
        if self._run_duration(pod) is not None:
            ctx.requeue_after(self._run_duration(pod) or 0.0)

    def _start_ephemeral(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        """Ephemeral containers added to a running pod (kubectl debug) start at once."""
        status = pod.setdefault("status", {})
        known = {entry.get("name") for entry in status.get("ephemeralContainerStatuses") or []}
        added = [c for c in (pod.get("spec") or {}).get("ephemeralContainers") or [] if c.get("name") not in known]
        if not added:
            return
        now = ctx.now()
        status["ephemeralContainerStatuses"] = list(status.get("ephemeralContainerStatuses") or []) + [
            dict(self._running_status(container, now, False), started=True) for container in added]
        ctx.update_status(pod)
        for container in added:
            ctx.event(pod, "Created", f"Created container {container.get('name')}", component="kubelet")
            ctx.event(pod, "Started", f"Started container {container.get('name')}", component="kubelet")

    def _container_events(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        spec = pod.get("spec") or {}
        for container in list(spec.get("initContainers") or []) + list(spec.get("containers") or []):
            image, name = container.get("image", ""), container.get("name", "")
            if container.get("imagePullPolicy") == "Always":
                ctx.event(pod, "Pulling", f'Pulling image "{image}"', component="kubelet")
                ctx.event(pod, "Pulled", f'Successfully pulled image "{image}" in 0s (0s including waiting). '
                          "Image size: 0 bytes.", component="kubelet")
            else:
                ctx.event(pod, "Pulled", f'Container image "{image}" already present on machine',
                          component="kubelet")
            ctx.event(pod, "Created", f"Created container {name}", component="kubelet")
            ctx.event(pod, "Started", f"Started container {name}", component="kubelet")

    @staticmethod
    def _running_status(container: dict[str, Any], now: str, ready: bool) -> dict[str, Any]:
        image = container.get("image", "")
        return {"name": container.get("name", ""), "image": normalized_image(image), "imageID": _image_id(image),
                "containerID": f"containerd://{secrets.token_hex(32)}", "ready": ready, "started": True,
                "restartCount": 0, "state": {"running": {"startedAt": now}}, "lastState": {}}

    @staticmethod
    def _terminated_status(container: dict[str, Any], now: str, exit_code: int,
                           started: str | None = None, container_id: str | None = None) -> dict[str, Any]:
        image = container.get("image", "")
        return {"name": container.get("name", ""), "image": normalized_image(image), "imageID": _image_id(image),
                "containerID": container_id or f"containerd://{secrets.token_hex(32)}", "ready": False,
                "started": False, "restartCount": 0, "lastState": {},
                "state": {"terminated": {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                                         "startedAt": started or now, "finishedAt": now,
                                         "containerID": container_id or ""}}}

    # --- completion -------------------------------------------------------------------------------------

    def _run_duration(self, pod: dict[str, Any]) -> float | None:
        if (pod.get("spec") or {}).get("restartPolicy", "Always") == "Always":
            return None
        ref = controller_ref(pod)
        default = self.runtime.timing.job_run_duration if ref is not None and ref.get("kind") == "Job" else None
        return _annotation_seconds(pod, RUN_DURATION, default)

    def _maybe_complete(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        duration = self._run_duration(pod)
        if duration is None:
            return
        wait = duration - self.milestones.elapsed(pod["metadata"].get("uid", ""), "started")
        if wait > 0:
            ctx.requeue_after(wait)
            return
        annotations = pod["metadata"].get("annotations") or {}
        try:
            exit_code = int(annotations.get(EXIT_CODE, "0"))
        except ValueError:
            exit_code = 0
        self._finish(pod, ctx, exit_code)

    def _finish(self, pod: dict[str, Any], ctx: ReconcileContext, exit_code: int) -> None:
        now = ctx.now()
        spec, status = pod.get("spec") or {}, pod.setdefault("status", {})
        previous = {entry.get("name"): entry for entry in status.get("containerStatuses") or []}
        statuses = []
        for container in spec.get("containers") or []:
            old = previous.get(container.get("name"), {})
            started = ((old.get("state") or {}).get("running") or {}).get("startedAt")
            statuses.append(self._terminated_status(container, now, exit_code, started, old.get("containerID")))
        status["containerStatuses"] = statuses
        status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
        reason = "PodCompleted" if exit_code == 0 else "PodFailed"
        ctx.set_condition(pod, "PodReadyToStartContainers", "False")
        ctx.set_condition(pod, "Ready", "False", reason)
        ctx.set_condition(pod, "ContainersReady", "False", reason)
        _normalize_conditions(pod)
        ctx.update_status(pod)

    # --- termination ------------------------------------------------------------------------------------

    def _terminate(self, pod: dict[str, Any], ctx: ReconcileContext) -> None:
        meta = pod["metadata"]
        grace = int(meta.get("deletionGracePeriodSeconds") or 0)
        if grace <= 0:
            return
        elapsed = self.milestones.elapsed(meta.get("uid", ""), "deleting")
        wait = min(grace, self.runtime.timing.termination_grace_cap) - elapsed
        if (pod.get("status") or {}).get("phase") == "Running":
            for container in (pod.get("spec") or {}).get("containers") or []:
                ctx.event(pod, "Killing", f"Stopping container {container.get('name')}", component="kubelet")
        if wait > 0:
            ctx.requeue_after(wait)
            return
        self._delete_now(pod)

    def _pods(self) -> Any:
        rt = self.runtime.server.registry.lookup("", "v1", "pods")
        assert rt is not None
        return rt


def _not_ready_message(spec: dict[str, Any], key: str = "containers") -> str:
    names = " ".join(c.get("name", "") for c in spec.get(key) or [])
    what = "containers with incomplete status" if key == "initContainers" else "containers with unready status"
    return f"{what}: [{names}]"


_CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def _normalize_conditions(pod: dict[str, Any]) -> None:
    """kubelet's condition order, without empty reason/message."""
    conditions = pod.get("status", {}).get("conditions") or []
    for entry in conditions:
        for key in ("reason", "message"):
            if not entry.get(key):
                entry.pop(key, None)
    rank = {kind: index for index, kind in enumerate(_CONDITION_ORDER)}
    conditions.sort(key=lambda entry: rank.get(entry.get("type"), len(rank)))

