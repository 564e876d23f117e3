"""Strategies of the workload kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors
from chainsaw_py.embedded.cron import CronError, parse_cron
from chainsaw_py.embedded.kinds.base import Strategy, StrategyContext
from chainsaw_py.embedded.kinds.podspec import default_pod_template, validate_pod_template
from chainsaw_py.util.labels import SelectorError, selector_from_label_selector


def _go_label_selector(selector: Any) -> str:
    """How a LabelSelector shows in an immutability error (Go's %#v, shortened)."""
    if not isinstance(selector, dict):
        return "(*v1.LabelSelector)(nil)"
    labels = selector.get("matchLabels") or {}
    shown = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    expressions = "[]v1.LabelSelectorRequirement(nil)" if not selector.get("matchExpressions") else \
        "[]v1.LabelSelectorRequirement{...}"
    return f"v1.LabelSelector{{MatchLabels:map[string]string{{{shown}}}, MatchExpressions:{expressions}}}"


def validate_selector_matches_template(spec: dict[str, Any], errors: FieldErrors, required: bool = True) -> None:
    selector = spec.get("selector")
    if selector is None:
        if required:
            errors.required("spec.selector")
        return
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errors.invalid("spec.selector", selector, "empty selector is invalid for deployment")
        return
    try:
        parsed = selector_from_label_selector(selector)
    except SelectorError as err:
        errors.invalid("spec.selector", selector, str(err))
        return
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if parsed is not None and not parsed.matches(labels):
        shown = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"
        errors.causes.append(_raw_invalid("spec.template.metadata.labels", shown,
                                          "`selector` does not match template `labels`"))


def _raw_invalid(path: str, shown: str, detail: str) -> Any:
    return FieldCause("FieldValueInvalid", path, f"Invalid value: {shown}: {detail}")


def _validate_non_negative(value: Any, path: str, errors: FieldErrors) -> None:
    if value is not None and (not isinstance(value, int) or value < 0):
        errors.invalid(path, value, "must be greater than or equal to 0")


def _selector_immutable(new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
    new_selector = (new.get("spec") or {}).get("selector")
    old_selector = (old.get("spec") or {}).get("selector")
    if old_selector is not None and new_selector != old_selector:
        errors.causes.append(_raw_invalid("spec.selector", _go_label_selector(new_selector), "field is immutable"))


@dataclass
class ReplicatedStrategy(Strategy):
    """Deployment / ReplicaSet / StatefulSet / DaemonSet share selector, template and replicas rules."""

    tracks_generation: bool = True
    has_replicas: bool = True
    spec_defaults: dict[str, Any] = field(default_factory=dict)

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        if self.has_replicas:
            spec.setdefault("replicas", 1)
        for key, value in self.spec_defaults.items():
            if key not in spec:
                spec[key] = json.loads(json.dumps(value))
            elif isinstance(value, dict) and isinstance(spec[key], dict):
                _fill(spec[key], value)
        default_pod_template(spec.get("template"))

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            errors.required("spec")
            return
        validate_selector_matches_template(spec, errors)
        if self.has_replicas:
            _validate_non_negative(spec.get("replicas"), "spec.replicas", errors)
        validate_pod_template(spec.get("template"), "spec.template", errors, ["Always"])

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        _selector_immutable(new, old, errors)

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        fields = super().selectable_fields(obj)
        if obj.get("kind") in ("ReplicaSet", "ReplicationController"):
            fields["status.replicas"] = str((obj.get("status") or {}).get("replicas", 0))
        return fields


@dataclass
class ReplicationControllerStrategy(ReplicatedStrategy):
    """core/v1 ReplicationController: a map selector, defaulted (with the labels) from the template's labels."""

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        super().defaults(obj, ctx)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        template = spec.get("template")
        labels = ((template or {}).get("metadata") or {}).get("labels") if isinstance(template, dict) else None
        if labels:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            if not obj["metadata"].get("labels"):
                obj["metadata"]["labels"] = dict(labels)

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            errors.required("spec")
            return
        selector = spec.get("selector") or {}
        if not selector:
            errors.required("spec.selector")
        _validate_non_negative(spec.get("replicas"), "spec.replicas", errors)
        _validate_non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds", errors)
        template = spec.get("template")
        if not isinstance(template, dict):
            errors.required("spec.template")
            return
        labels = (template.get("metadata") or {}).get("labels") or {}
        if selector and any(labels.get(key) != value for key, value in selector.items()):
            shown = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"
            errors.causes.append(_raw_invalid("spec.template.metadata.labels", shown,
                                              "`selector` does not match template `labels`"))
        validate_pod_template(template, "spec.template", errors, ["Always"])

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        """A ReplicationController's selector may change."""


def _fill(target: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        if key not in target:
            target[key] = json.loads(json.dumps(value))
        elif isinstance(value, dict) and isinstance(target[key], dict):
            _fill(target[key], value)


def deployment_strategy() -> ReplicatedStrategy:
    return ReplicatedStrategy(spec_defaults={
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600})


def statefulset_strategy() -> ReplicatedStrategy:
    return ReplicatedStrategy(spec_defaults={
        "podManagementPolicy": "OrderedReady", "revisionHistoryLimit": 10,
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}})


def daemonset_strategy() -> ReplicatedStrategy:
    return ReplicatedStrategy(has_replicas=False, spec_defaults={
        "revisionHistoryLimit": 10,
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}})


@dataclass
class JobStrategy(Strategy):
    tracks_generation: bool = True

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", spec["parallelism"] if "completions" not in spec else spec["completions"])
        spec.setdefault("backoffLimit", 6 if spec.get("backoffLimitPerIndex") is None else 2147483647)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("manualSelector", None)
        if spec.get("manualSelector") is None:
            spec.pop("manualSelector")
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        default_pod_template(spec.get("template"))

    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        super().prepare_create(obj, rt, ctx)
        spec = obj.get("spec")
        if not isinstance(spec, dict) or spec.get("manualSelector"):
            return
        meta = obj["metadata"]
        uid, name = meta["uid"], meta.get("name", "")
        generated = {"batch.kubernetes.io/controller-uid": uid}
        spec["selector"] = {"matchLabels": generated}
        template = spec.setdefault("template", {})
        if isinstance(template, dict):
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                           "controller-uid": uid, "job-name": name})

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            errors.required("spec")
            return
        for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
            _validate_non_negative(spec.get(key), f"spec.{key}", errors)
        mode = spec.get("completionMode", "NonIndexed")
        if mode not in ("NonIndexed", "Indexed"):
            errors.not_supported("spec.completionMode", mode, ["NonIndexed", "Indexed"])
        if mode == "Indexed" and spec.get("completions") is None:
            errors.required("spec.completions", "when completion mode is Indexed")
        validate_selector_matches_template(spec, errors)
        validate_pod_template(spec.get("template"), "spec.template", errors, ["OnFailure", "Never"])

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        _selector_immutable(new, old, errors)
        new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
        if new_spec.get("completions") != old_spec.get("completions") and \
                new_spec.get("completionMode") != "Indexed":
            errors.invalid("spec.completions", new_spec.get("completions"), "field is immutable")
        if new_spec.get("template") != _comparable_old_template(new, old):
            errors.invalid("spec.template", "core.PodTemplateSpec{...}", "field is immutable")

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        return {**super().selectable_fields(obj),
                "status.successful": str((obj.get("status") or {}).get("succeeded", 0))}


def _comparable_old_template(new: dict[str, Any], old: dict[str, Any]) -> Any:
    """The old template with what ValidateJobSpecUpdate lets change taken from the new one: a Job suspended and
    never started (no status.startTime) may change its pods' scheduling directives (node affinity, nodeSelector,
    tolerations, scheduling gates) and template labels and annotations, nothing else."""
    old_template = (old.get("spec") or {}).get("template")
    new_template = (new.get("spec") or {}).get("template")
    suspended = bool((old.get("spec") or {}).get("suspend"))
    if not (suspended and not (old.get("status") or {}).get("startTime")) or not isinstance(old_template, dict) \
            or not isinstance(new_template, dict):
        return old_template
    merged = json.loads(json.dumps(old_template))
    new_meta, new_spec = new_template.get("metadata") or {}, new_template.get("spec") or {}
    meta, spec = merged.setdefault("metadata", {}), merged.setdefault("spec", {})
    for key in ("labels", "annotations"):
        _copy_key(new_meta, meta, key)
    for key in ("nodeSelector", "tolerations", "schedulingGates"):
        _copy_key(new_spec, spec, key)
    if isinstance(new_spec.get("affinity"), dict):
        if not isinstance(spec.get("affinity"), dict):
            spec["affinity"] = new_spec["affinity"]
        else:
            _copy_key(new_spec["affinity"], spec["affinity"], "nodeAffinity")
    if not meta:
        merged.pop("metadata")
    return merged


def _copy_key(source: dict[str, Any], target: dict[str, Any], key: str) -> None:
    if key in source:
        target[key] = source[key]
    else:
        target.pop(key, None)


@dataclass
class CronJobStrategy(Strategy):
    tracks_generation: bool = True

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_template = spec.setdefault("jobTemplate", {})
        if isinstance(job_template, dict):
            default_pod_template((job_template.get("spec") or {}).get("template"))

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec") or {}
        schedule = spec.get("schedule")
        if not schedule:
            errors.required("spec.schedule")
        else:
            try:
                parse_cron(str(schedule))
            except CronError as err:
                errors.invalid("spec.schedule", schedule, str(err))
        allowed = ["Allow", "Forbid", "Replace"]
        if spec.get("concurrencyPolicy", "Allow") not in allowed:
            errors.not_supported("spec.concurrencyPolicy", spec.get("concurrencyPolicy"), allowed)
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
        validate_pod_template(template, "spec.jobTemplate.spec.template", errors, ["OnFailure", "Never"])



_SCALE_UP_POLICIES = [{"type": "Pods", "value": 4, "periodSeconds": 15},
                      {"type": "Percent", "value": 100, "periodSeconds": 15}]
_SCALE_DOWN_POLICIES = [{"type": "Percent", "value": 100, "periodSeconds": 15}]


@dataclass
class HorizontalPodAutoscalerStrategy(Strategy):
    """autoscaling/v2 defaulting: minReplicas 1, an 80% CPU target without metrics, a given behavior completed."""

    tracks_generation: bool = True

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        spec.setdefault("minReplicas", 1)
        if not spec.get("metrics"):
            spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 80}}}]
        behavior = spec.get("behavior")
        if isinstance(behavior, dict):
            for direction, window, policies in (("scaleUp", 0, _SCALE_UP_POLICIES),
                                                ("scaleDown", 300, _SCALE_DOWN_POLICIES)):
                rules = behavior.setdefault(direction, {})
                if isinstance(rules, dict):
                    rules.setdefault("stabilizationWindowSeconds", window)
                    rules.setdefault("selectPolicy", "Max")
                    rules.setdefault("policies", json.loads(json.dumps(policies)))
