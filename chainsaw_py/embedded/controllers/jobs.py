"""Job controller: runs pods (respecting parallelism, completions and Indexed completion mode) until enough
succeed, counts failures against backoffLimit (or, with ``backoffLimitPerIndex``, per index: an index that
fails more often is given up, listed in ``failedIndexes``, and the Job fails once every index has succeeded
or failed, or when more than ``maxFailedIndexes`` failed), writes the status (active/ready/succeeded/failed,
completed and failed indexes, SuccessCriteriaMet/Complete or FailureTarget/Failed conditions) and honours
ttlSecondsAfterFinished. Pods carry the ``batch.kubernetes.io/job-tracking`` finalizer until they are counted."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, Conflict, NotFound
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.controllers.util import (
    condition_true,
    controlled_by,
    is_deleting,
    pod_from_template,
    pod_phase,
    pod_ready,
)
from chainsaw_py.embedded.decoding import parse_time

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
COMPONENT = "job-controller"


def job_controller() -> TypedController:
    return TypedController(COMPONENT, "batch", "jobs", "Job", reconcile_job, on_delete=release_orphans,
                           owns=(("", "pods"),))


def _pods(job: dict[str, Any], ctx: ReconcileContext) -> list[dict[str, Any]]:
    return [pod for pod in ctx.owned_by(job, "v1", "Pod") if controlled_by(pod, job)]


def _index(pod: dict[str, Any]) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_ANNOTATION)
    return int(value) if value is not None and str(value).isdigit() else None


def parse_indexes(text: str) -> set[int]:
    indexes: set[int] = set()
    for part in filter(None, (text or "").split(",")):
        first, _, last = part.partition("-")
        indexes.update(range(int(first), int(last or first) + 1))
    return indexes


def format_indexes(indexes: set[int]) -> str:
    ordered, ranges = sorted(indexes), list[list[int]]()
    for value in ordered:
        if ranges and ranges[-1][1] == value - 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _finished(job: dict[str, Any]) -> bool:
    return condition_true(job, "Complete") or condition_true(job, "Failed")


def reconcile_job(job: dict[str, Any], ctx: ReconcileContext) -> None:
    pods = _pods(job, ctx)
    original = copy.deepcopy(job.get("status") or {})
    counts = _count(job, pods)
    spec = job.get("spec") or {}
    if is_deleting(job) or _finished(job):
        _release_counted(pods, ctx)
        if not is_deleting(job):
            _delete_active(job, pods, ctx)
            _expire(job, ctx)
        return
    status = job.setdefault("status", {})
    if not spec.get("suspend"):
        status.setdefault("startTime", ctx.now())
    active = [pod for pod in pods if pod_phase(pod) not in ("Succeeded", "Failed") and not is_deleting(pod)]
    done = _check_done(job, counts, ctx)
    if done or spec.get("suspend"):
        _delete_active(job, active, ctx)
        active = []
    else:
        active += _start_pods(job, active, counts, ctx)
    _write_status(job, active, pods, counts, original, ctx)
    _release_counted(pods, ctx)
    if done:
        _expire(job, ctx)


def _count(job: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """Succeeded/failed so far: what the status recorded plus finished pods that still carry the tracking
    finalizer (the status is written before the finalizer is removed, so nothing is counted twice)."""
    status = job.get("status") or {}
    succeeded = int(status.get("succeeded", 0))
    failed = int(status.get("failed", 0))
    indexes = parse_indexes(str(status.get("completedIndexes", "")))
    failed_indexes = parse_indexes(str(status.get("failedIndexes") or ""))
    failures = _index_failures(pods)
    limit = (job.get("spec") or {}).get("backoffLimitPerIndex")
    if limit is not None:
        failed_indexes |= {index for index, count in failures.items() if count > int(limit)} - indexes
    for pod in pods:
        if TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or []):
            continue
        phase = pod_phase(pod)
        if phase == "Succeeded":
            index = _index(pod)
            if index is None:
                succeeded += 1
            elif index not in indexes:
                indexes.add(index)
                succeeded += 1
        elif phase == "Failed":
            failed += 1
    return {"succeeded": succeeded, "failed": failed, "indexes": indexes, "failed_indexes": failed_indexes,
            "index_failures": failures}


def _index_failures(pods: list[dict[str, Any]]) -> dict[int, int]:
    """Failed pods per index: a failed pod counts its predecessors (its failure-count annotation) and itself."""
    failures: dict[int, int] = {}
    for pod in pods:
        index = _index(pod)
        if index is None or pod_phase(pod) != "Failed":
            continue
        before = str((pod["metadata"].get("annotations") or {}).get(FAILURE_COUNT_ANNOTATION, "0"))
        failures[index] = max(failures.get(index, 0), (int(before) if before.isdigit() else 0) + 1)
    return failures


def _release_counted(pods: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    """Drop the tracking finalizer from finished or deleted pods (their outcome is in the job status)."""
    for pod in pods:
        finalizers = pod["metadata"].get("finalizers") or []
        if TRACKING_FINALIZER in finalizers and (pod_phase(pod) in ("Succeeded", "Failed") or is_deleting(pod)):
            pod["metadata"]["finalizers"] = [f for f in finalizers if f != TRACKING_FINALIZER]
            try:
                ctx.update(pod)
            except (Conflict, NotFound):
                ctx.requeue_after(0.02)


def release_orphans(job: dict[str, Any], ctx: ReconcileContext) -> None:
    """After the Job is gone, its pods must not stay blocked by the tracking finalizer."""
    namespace = job["metadata"].get("namespace", "")
    for pod in ctx.list("v1", "Pod", namespace):
        refs = pod["metadata"].get("ownerReferences") or []
        if any(ref.get("uid") == job["metadata"]["uid"] for ref in refs):
            _drop_tracking_finalizer(pod, ctx)


def _drop_tracking_finalizer(pod: dict[str, Any], ctx: ReconcileContext, attempts: int = 20) -> None:
    """Remove the finalizer, re-reading the pod on conflicts: nothing else would requeue an orphan."""
    current: dict[str, Any] | None = pod
    for _attempt in range(attempts):
        if current is None:
            return
        finalizers = current["metadata"].get("finalizers") or []
        if TRACKING_FINALIZER not in finalizers:
            return
        current["metadata"]["finalizers"] = [f for f in finalizers if f != TRACKING_FINALIZER]
        try:
            ctx.update(current)
            return
        except NotFound:
            return
        except Conflict:
            meta = current["metadata"]
            current = ctx.get("v1", "Pod", meta["name"], meta.get("namespace", ""))


def _completions(job: dict[str, Any]) -> int | None:
    value = (job.get("spec") or {}).get("completions")
    return int(value) if value is not None else None


def _check_done(job: dict[str, Any], counts: dict[str, Any], ctx: ReconcileContext) -> bool:
    spec = job.get("spec") or {}
    completions = _completions(job)
    indexed = spec.get("completionMode") == "Indexed"
    if indexed and completions is not None:
        complete = len(counts["indexes"]) >= completions
    elif completions is not None:
        complete = counts["succeeded"] >= completions
    else:
        complete = counts["succeeded"] > 0
    if complete:
        now = ctx.now()
        message = "Reached expected number of succeeded pods"
        ctx.set_condition(job, "SuccessCriteriaMet", "True", "CompletionsReached", message)
        ctx.set_condition(job, "Complete", "True", "CompletionsReached", message)
        job["status"]["completionTime"] = now
        ctx.event(job, "Completed", "Job completed", component=COMPONENT)
        return True
    failure = _failure(spec, counts)
    if failure is not None:
        reason, message = failure
        ctx.set_condition(job, "FailureTarget", "True", reason, message)
        ctx.set_condition(job, "Failed", "True", reason, message)
        ctx.event(job, reason, message, "Warning", component=COMPONENT)
        return True
    return False


def _failure(spec: dict[str, Any], counts: dict[str, Any]) -> tuple[str, str] | None:
    """The reason and message of the Job's failure, if it has failed (kube-controller-manager's wording)."""
    failed_indexes: set[int] = counts["failed_indexes"]
    if spec.get("backoffLimitPerIndex") is not None:
        limit = spec.get("maxFailedIndexes")
        if limit is not None and len(failed_indexes) > int(limit):
            return "MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes"
        completions = int(spec.get("completions") or 0)
        if failed_indexes and len(failed_indexes | counts["indexes"]) >= completions:
            return "FailedIndexes", "Job has failed indexes"
    if counts["failed"] > int(spec.get("backoffLimit", 6)):
        return "BackoffLimitExceeded", "Job has reached the specified backoff limit"
    return None


def _start_pods(job: dict[str, Any], active: list[dict[str, Any]], counts: dict[str, Any],
                ctx: ReconcileContext) -> list[dict[str, Any]]:
    spec = job.get("spec") or {}
    parallelism = int(spec.get("parallelism", 1))
    completions = _completions(job)
    if spec.get("completionMode") == "Indexed" and completions is not None:
        running = {_index(pod) for pod in active}
        settled = counts["indexes"] | counts["failed_indexes"]
        todo = [i for i in range(completions) if i not in settled and i not in running]
        slots = max(parallelism - len(active), 0)
        return [_create_pod(job, ctx, index, counts["index_failures"].get(index, 0)) for index in todo[:slots]]
    remaining = (completions - counts["succeeded"]) if completions is not None else parallelism
    wanted = min(parallelism, max(remaining, 0)) if completions is not None else parallelism
    if completions is None and counts["succeeded"] > 0:
        wanted = 0
    return [_create_pod(job, ctx, None) for _ in range(max(wanted - len(active), 0))]


def _create_pod(job: dict[str, Any], ctx: ReconcileContext, index: int | None,
                failures: int = 0) -> dict[str, Any]:
    meta, spec = job["metadata"], job.get("spec") or {}
    template = spec.get("template") or {}
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    generate_name = f"{meta['name']}-"
    if index is not None:
        labels[INDEX_ANNOTATION] = str(index)
        annotations[INDEX_ANNOTATION] = str(index)
        if spec.get("backoffLimitPerIndex") is not None:
            annotations[FAILURE_COUNT_ANNOTATION] = str(failures)
        generate_name = f"{meta['name']}-{index}-"
    pod = pod_from_template(template, job, meta["namespace"], generate_name=generate_name, labels=labels,
                            annotations=annotations)
    pod["metadata"]["finalizers"] = [*pod["metadata"].get("finalizers", []), TRACKING_FINALIZER]
    if index is not None:
        pod["spec"].setdefault("hostname", f"{meta['name']}-{index}")
        for container in pod["spec"].get("containers") or []:
            env = container.setdefault("env", [])
            if not any(item.get("name") == "JOB_COMPLETION_INDEX" for item in env):
                env.insert(0, {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                    "apiVersion": "v1", "fieldPath": f"metadata.annotations['{INDEX_ANNOTATION}']"}}})
    try:
        created = ctx.create(pod)
    except ApiError as error:   # PodControl's warning; the reconcile is retried
        ctx.event(job, "FailedCreate", f"Error creating: {error.message}", "Warning", COMPONENT)
        raise
    ctx.event(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component=COMPONENT)
    return created


def _delete_active(job: dict[str, Any], pods: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    for pod in pods:
        finished = pod_phase(pod) in ("Succeeded", "Failed") or is_deleting(pod)
        if not finished and ctx.delete("v1", "Pod", pod["metadata"]["name"], pod["metadata"]["namespace"]):
            ctx.event(job, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}", component=COMPONENT)


def _write_status(job: dict[str, Any], active: list[dict[str, Any]], pods: list[dict[str, Any]],
                  counts: dict[str, Any], previous: dict[str, Any], ctx: ReconcileContext) -> None:
    status = job["status"]
    for key, value in (("active", len(active)), ("succeeded", counts["succeeded"]), ("failed", counts["failed"])):
        if value:
            status[key] = value
        else:
            status.pop(key, None)
    status["ready"] = sum(1 for pod in active if pod_ready(pod))
    status["terminating"] = sum(1 for pod in pods if is_deleting(pod) and pod_phase(pod) not in ("Succeeded",
                                                                                                   "Failed"))
    status["uncountedTerminatedPods"] = {}
    if (job.get("spec") or {}).get("completionMode") == "Indexed":
        text = format_indexes(counts["indexes"])
        if text:
            status["completedIndexes"] = text
        if (job.get("spec") or {}).get("backoffLimitPerIndex") is not None:
            status["failedIndexes"] = format_indexes(counts["failed_indexes"])
    if status != previous:
        ctx.update_status(job)


def _expire(job: dict[str, Any], ctx: ReconcileContext) -> None:
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return
    finished = parse_time(str((job.get("status") or {}).get("completionTime") or "")) or parse_time(
        str(next((c.get("lastTransitionTime") for c in (job.get("status") or {}).get("conditions") or []
                  if c.get("type") in ("Complete", "Failed")), "")))
    if finished is None:
        return
    wait = (finished + dt.timedelta(seconds=int(ttl)) - dt.datetime.now(dt.UTC)).total_seconds()
    if wait > 0:
        ctx.requeue_after(wait)
        return
    ctx.delete("batch/v1", "Job", job["metadata"]["name"], job["metadata"]["namespace"])
