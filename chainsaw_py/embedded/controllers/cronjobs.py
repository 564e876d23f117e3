"""CronJob controller: creates a Job at each scheduled time (concurrency policy, suspend, history limits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.controllers.util import condition_true, controlled_by, is_deleting
from chainsaw_py.embedded.cron import CronError, parse_cron
from chainsaw_py.embedded.decoding import format_time, parse_time

COMPONENT = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def cronjob_controller() -> TypedController:
    return TypedController(COMPONENT, "batch", "cronjobs", "CronJob", reconcile_cronjob, owns=(("batch", "jobs"),))


def _zone(cronjob: dict[str, Any]) -> dt.tzinfo:
    name = (cronjob.get("spec") or {}).get("timeZone")
    if not name:
        return dt.UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _finished(job: dict[str, Any]) -> str | None:
    if condition_true(job, "Complete"):
        return "Complete"
    if condition_true(job, "Failed"):
        return "Failed"
    return None


def reconcile_cronjob(cronjob: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(cronjob):
        return
    spec, meta = cronjob.get("spec") or {}, cronjob["metadata"]
    jobs = [job for job in ctx.owned_by(cronjob, "batch/v1", "Job") if controlled_by(job, cronjob)]
    status = cronjob.setdefault("status", {})
    before = dict(status)
    active = [job for job in jobs if _finished(job) is None and not is_deleting(job)]
    _record_finished(cronjob, jobs, ctx)
    try:
        schedule = parse_cron(str(spec.get("schedule", "")))
    except CronError:
        return
    zone = _zone(cronjob)
    now = dt.datetime.now(zone)
    last = parse_time(str(status.get("lastScheduleTime") or meta.get("creationTimestamp") or ""))
    due = schedule.next_after((last or now).astimezone(zone))
    if not spec.get("suspend") and due <= now:
        active = _fire(cronjob, due, active, ctx) or active
        status["lastScheduleTime"] = format_time(due)
        due = schedule.next_after(due)
    status["active"] = [_reference(job) for job in active]
    if not status["active"]:
        del status["active"]
    _trim_history(cronjob, jobs, ctx)
    if status != before:
        ctx.update_status(cronjob)
    ctx.requeue_after(max((due - dt.datetime.now(zone)).total_seconds(), 0.05))


def _fire(cronjob: dict[str, Any], scheduled: dt.datetime, active: list[dict[str, Any]],
          ctx: ReconcileContext) -> list[dict[str, Any]] | None:
    spec, meta = cronjob.get("spec") or {}, cronjob["metadata"]
    policy = spec.get("concurrencyPolicy", "Allow")
    if active and policy == "Forbid":
        ctx.event(cronjob, "JobAlreadyActive", "Not starting job because prior execution is running and "
                  "concurrency policy is Forbid", component=COMPONENT)
        return None
    if active and policy == "Replace":
        for job in active:
            ctx.delete("batch/v1", "Job", job["metadata"]["name"], meta["namespace"])
            ctx.event(cronjob, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", component=COMPONENT)
        active = []
    template = spec.get("jobTemplate") or {}
    name = f"{meta['name']}-{int(scheduled.timestamp() // 60)}"
    template_meta = template.get("metadata") or {}
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "namespace": meta["namespace"],
                        "labels": dict(template_meta.get("labels") or {}),
                        "annotations": {**(template_meta.get("annotations") or {}),
                                        SCHEDULED_ANNOTATION: format_time(scheduled)}},
           "spec": template.get("spec") or {}}
    ctx.set_owner(job, cronjob)
    try:
        created = ctx.create(job)
    except AlreadyExists:
        return active
    ctx.event(cronjob, "SuccessfulCreate", f"Created job {name}", component=COMPONENT)
    return [*active, created]


def _record_finished(cronjob: dict[str, Any], jobs: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    status = cronjob["status"]
    for job in jobs:
        outcome = _finished(job)
        if outcome == "Complete":
            completed = (job.get("status") or {}).get("completionTime")
            if completed and (status.get("lastSuccessfulTime") or "") < completed:
                status["lastSuccessfulTime"] = completed
                ctx.event(cronjob, "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, status: "
                          "Complete", component=COMPONENT)


def _trim_history(cronjob: dict[str, Any], jobs: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    spec = cronjob.get("spec") or {}
    for outcome, limit in (("Complete", spec.get("successfulJobsHistoryLimit", 3)),
                           ("Failed", spec.get("failedJobsHistoryLimit", 1))):
        finished = sorted((job for job in jobs if _finished(job) == outcome and not is_deleting(job)),
                          key=lambda job: job["metadata"].get("creationTimestamp", ""))
        for job in finished[:max(len(finished) - int(limit), 0)]:
            if ctx.delete("batch/v1", "Job", job["metadata"]["name"], job["metadata"]["namespace"]):
                ctx.event(cronjob, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", component=COMPONENT)


def _reference(job: dict[str, Any]) -> dict[str, Any]:
    meta = job["metadata"]
    return {"kind": "Job", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
            "apiVersion": "batch/v1", "resourceVersion": meta.get("resourceVersion", "")}
