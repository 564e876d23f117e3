"""The simulated Tempo operator: reconcile functions for the embedded cluster's plugin runtime.

``reconcile_stack`` follows tempo-operator's TempoStack reconciler: finalizer, management state, the storage
checks (configuration errors end the reconcile with the ``ConfigurationError`` condition), then every object
of ``manifests.build_all`` created or updated with the stack as controlling owner (objects it no longer
wants are pruned), then the status from the component pods. ``reconcile_secret`` re-reconciles the stacks
whose storage secret changed, as the operator's secret watch does. ``reconcile_pod`` plays the Tempo
containers (``containers.py``).
"""

from __future__ import annotations

import threading
from typing import Any

from chainsaw_py.embedded.plugins import NotFound

from . import containers, manifests, status
from .crd import API_VERSION, KIND
from .errors import ConfigurationError, NotSimulated
from .storage import s3_storage

FINALIZER = "tempo.grafana.com/finalizer"
OPERATOR_COMPONENT = "tempo-operator (simulated)"
OPERATOR_VERSION = f"{manifests.OPERATOR_VERSION}-simulated"
OWNED_KINDS = (("v1", "ConfigMap"), ("v1", "ServiceAccount"), ("v1", "Service"), ("apps/v1", "Deployment"),
               ("apps/v1", "StatefulSet"), ("networking.k8s.io/v1", "Ingress"))
SIMULATED_NOTICE = ("reconciled by the simulated Tempo operator of chainsaw_py's embedded cluster (tempostack-aws "
                    "plugin); the Tempo containers are not run, their storage check is replayed against S3")

_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(namespace: str, name: str) -> threading.Lock:
    """One reconcile per stack at a time: the stack, secret and pod controllers run on different workers."""
    with _locks_guard:
        return _locks.setdefault((namespace, name), threading.Lock())


# --- TempoStack ------------------------------------------------------------------------------------------------


def reconcile_stack(stack: dict[str, Any], ctx: Any) -> None:
    meta = stack["metadata"]
    with _lock(meta.get("namespace", ""), meta["name"]):
        current = ctx.get(API_VERSION, KIND, meta["name"], meta.get("namespace"))
        if current is not None:
            _reconcile(current, ctx)


def forget_stack(stack: dict[str, Any], ctx: Any) -> None:
    meta = stack["metadata"]
    with _locks_guard:
        _locks.pop((meta.get("namespace", ""), meta["name"]), None)


def _reconcile(stack: dict[str, Any], ctx: Any) -> None:
    meta = stack["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if meta.get("deletionTimestamp"):
        if FINALIZER in finalizers:
            meta["finalizers"] = [item for item in finalizers if item != FINALIZER]
            ctx.update(stack)
        return
    if FINALIZER not in finalizers:
        meta["finalizers"] = [*finalizers, FINALIZER]
        stack = ctx.update(stack)
    spec = stack.get("spec") or {}
    if spec.get("managementState", "Managed") != "Managed":
        return
    conditions = list((stack.get("status") or {}).get("conditions") or [])
    error: Exception | None = None
    try:
        _create_or_update(stack, ctx)
    except ConfigurationError as err:
        error = err
        conditions = status.update_condition(conditions, status.CONFIGURATION_ERROR, err.reason, err.message,
                                             ctx.now())
    except NotSimulated as err:
        error = err
        conditions = status.update_condition(conditions, status.FAILED, status.FAILED_RECONCILIATION,
                                             f"not simulated by the embedded cluster's Tempo operator: {err}",
                                             ctx.now())
    components = status.components(_pods_by_component(stack, ctx))
    if error is None:
        conditions = status.summary_condition(conditions, _summary(stack, components), ctx.now())
    _write_status(stack, components, conditions, ctx)


def _create_or_update(stack: dict[str, Any], ctx: Any) -> None:
    unsupported = manifests.unsupported_features(stack.get("spec") or {})
    if unsupported:
        raise NotSimulated(", ".join(unsupported))
    namespace = stack["metadata"].get("namespace")
    storage = s3_storage(stack, lambda name: ctx.get("v1", "Secret", name, namespace),
                         lambda name: ctx.get("v1", "ConfigMap", name, namespace))
    wanted = manifests.build_all(manifests.from_object(stack), storage)
    for obj in wanted:
        ctx.apply(ctx.set_owner(obj, stack))
    _prune(stack, {(obj["kind"], obj["metadata"]["name"]) for obj in wanted}, ctx)


def _prune(stack: dict[str, Any], wanted: set[tuple[str, str]], ctx: Any) -> None:
    """Delete objects this stack owns but no longer wants (e.g. the ingress after it was disabled)."""
    meta = stack["metadata"]
    for api_version, kind in OWNED_KINDS:
        for obj in ctx.list(api_version, kind, meta.get("namespace"),
                            {"matchLabels": manifests.common_labels(meta["name"])}):
            refs = obj["metadata"].get("ownerReferences") or []
            owned = any(ref.get("uid") == meta["uid"] and ref.get("controller") for ref in refs)
            if owned and (kind, obj["metadata"]["name"]) not in wanted:
                ctx.delete(api_version, kind, obj["metadata"]["name"], meta.get("namespace"))


def _pods_by_component(stack: dict[str, Any], ctx: Any) -> dict[str, list[dict[str, Any]]]:
    meta = stack["metadata"]
    return {component: ctx.list("v1", "Pod", meta.get("namespace"),
                                {"matchLabels": manifests.component_labels(component, meta["name"])})
            for component in manifests.COMPONENTS}


def _summary(stack: dict[str, Any], components: dict[str, dict[str, list[str]]]) -> str:
    view = manifests.from_object(stack)
    return status.summary(components, {component: view.replicas(component) for component in manifests.COMPONENTS})


def _write_status(stack: dict[str, Any], components: dict[str, dict[str, list[str]]],
                  conditions: list[dict[str, Any]], ctx: Any) -> None:
    current = stack.get("status") or {}
    wanted = {**current, "operatorVersion": OPERATOR_VERSION, "tempoVersion": manifests.TEMPO_VERSION,
              "components": components, "conditions": conditions}
    if wanted == current:
        return
    stack["status"] = wanted
    ctx.update_status(stack)
    true_condition = next((c for c in conditions if c.get("status") == "True"), None)
    if true_condition is not None and true_condition != next(
            (c for c in current.get("conditions") or [] if c.get("status") == "True"), None):
        ctx.event(stack, "Simulated", SIMULATED_NOTICE, component=OPERATOR_COMPONENT)
        ctx.log.info("TempoStack %s/%s: %s=True (%s) %s", stack["metadata"].get("namespace"),
                     stack["metadata"]["name"], true_condition["type"], true_condition["reason"],
                     true_condition["message"])


# --- the storage secret ---------------------------------------------------------------------------------------


def reconcile_secret(secret: dict[str, Any], ctx: Any) -> None:
    """A Secret changed (or went away): reconcile the stacks that use it as their storage secret."""
    meta = secret["metadata"]
    try:
        stacks = ctx.list(API_VERSION, KIND, meta.get("namespace"))
    except NotFound:  # the CRD is not (or no longer) installed
        return
    for stack in stacks:
        storage = (stack.get("spec") or {}).get("storage") or {}
        if (storage.get("secret") or {}).get("name") == meta["name"]:
            reconcile_stack(stack, ctx)


# --- the Tempo containers ---------------------------------------------------------------------------------------


def reconcile_pod(pod: dict[str, Any], ctx: Any) -> None:
    pod_status = pod.get("status") or {}
    if (not containers.is_tempo_pod(pod) or pod["metadata"].get("deletionTimestamp")
            or pod_status.get("phase") != "Running"):
        return
    statuses = {entry.get("name"): entry for entry in pod_status.get("containerStatuses") or []}
    tempo = statuses.get("tempo")
    if tempo is None or tempo.get("ready"):
        return
    first_start = _is_first_start(tempo)
    wait = None if first_start else containers.next_attempt_in(tempo)
    if not first_start and wait is None:
        return
    if wait is not None and wait > 0:
        ctx.requeue_after(wait)
        return
    _start(pod, ctx, first_start)


def _is_first_start(tempo: dict[str, Any]) -> bool:
    return bool((tempo.get("state") or {}).get("running")) and not tempo.get("lastState") and \
        int(tempo.get("restartCount") or 0) == 0


def _start(pod: dict[str, Any], ctx: Any, first_start: bool) -> None:
    meta = pod["metadata"]
    namespace = meta.get("namespace")
    now = ctx.now()
    spec_containers = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or []}
    statuses = pod["status"]["containerStatuses"]
    tempo_index = next(i for i, entry in enumerate(statuses) if entry.get("name") == "tempo")
    tempo = statuses[tempo_index]
    started = str(((tempo.get("state") or {}).get("running") or {}).get("startedAt") or now)
    logs: dict[str, list[str]] = {}
    if first_start:
        for name, container in spec_containers.items():
            logs[str(name)] = [_simulated_line(container, now)]
    try:
        outcome = containers.start_tempo(pod, spec_containers["tempo"],
                                         lambda name: ctx.get("v1", "Secret", name, namespace),
                                         lambda name: ctx.get("v1", "ConfigMap", name, namespace), now)
    except containers.ContainerConfigError as err:
        statuses[tempo_index] = containers.config_error(tempo, str(err))
        _finish(pod, ctx, logs, first_start, ready=False)
        ctx.event(pod, "Failed", f"Error: {err}", "Warning", component="kubelet")
        ctx.requeue_after(containers.BACKOFF_START)
        return
    logs.setdefault("tempo", []).extend(outcome.log)
    if outcome.error is None:
        statuses[tempo_index] = containers.running(tempo, started if first_start else now)
        _finish(pod, ctx, logs, first_start, ready=True)
        return
    pod_ref = f"{meta['name']}_{namespace}({meta.get('uid')})"
    statuses[tempo_index] = containers.crashed(tempo, pod_ref, started if first_start else now, now)
    _finish(pod, ctx, logs, first_start, ready=False)
    ctx.event(pod, "BackOff", f"Back-off restarting failed container tempo in pod {pod_ref}", "Warning",
              component="kubelet")
    ctx.requeue_after(containers.backoff_seconds(int(statuses[tempo_index]["restartCount"])))


def _simulated_line(container: dict[str, Any], now: str) -> str:
    return containers.log_line("info", "simulated container: the chainsaw_py embedded cluster does not run the "
                               "image; the tempostack-aws plugin replays its start-up", now,
                               image=str(container.get("image", "")))


def _finish(pod: dict[str, Any], ctx: Any, logs: dict[str, list[str]], first_start: bool, ready: bool) -> None:
    """Mark the sidecars running and ready on the first start, set the pod's readiness, write the status,
    then the logs (after the write, so a conflict retried later does not log twice)."""
    statuses = pod["status"]["containerStatuses"]
    if first_start:
        for index, entry in enumerate(statuses):
            if entry.get("name") != "tempo":
                statuses[index] = {**entry, "ready": True, "started": True}
    all_ready = ready and all(entry.get("ready") for entry in statuses)
    _set_pod_ready(pod, all_ready, ctx.now())
    ctx.update_status(pod)
    for container, lines in logs.items():
        ctx.write_log(pod, container, "\n".join(lines))


def _set_pod_ready(pod: dict[str, Any], ready: bool, now: str) -> None:
    unready = [str(entry.get("name")) for entry in pod["status"]["containerStatuses"] if not entry.get("ready")]
    for condition in pod["status"].get("conditions") or []:
        if condition.get("type") not in ("Ready", "ContainersReady"):
            continue
        wanted = "True" if ready else "False"
        if condition.get("status") != wanted:
            condition["lastTransitionTime"] = now
        condition["status"] = wanted
        if ready:
            condition.pop("reason", None)
            condition.pop("message", None)
        else:
            condition["reason"] = "ContainersNotReady"
            condition["message"] = f"containers with unready status: [{' '.join(unready)}]"

