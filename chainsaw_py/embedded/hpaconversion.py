"""``autoscaling/v2`` <-> ``autoscaling/v1`` HorizontalPodAutoscalers, as pkg/apis/autoscaling/v1's conversion.

v1 expresses only a CPU utilization target. What it cannot express travels in annotations, so that a
read-modify-write through v1 (``kubectl edit``, an old controller) keeps the v2 fields:

- ``autoscaling.alpha.kubernetes.io/metrics``: the spec metrics other than the CPU utilization one, as v1
  ``MetricSpec``s (``targetAverageValue``, ``metricName``...);
- ``autoscaling.alpha.kubernetes.io/current-metrics``: every status metric, as v1 ``MetricStatus``es;
- ``autoscaling.alpha.kubernetes.io/conditions``: the status conditions;
- ``autoscaling.alpha.kubernetes.io/behavior``: ``spec.behavior``, encoded from the internal Go type, whose
  fields have no json tags (``{"ScaleUp":{"StabilizationWindowSeconds":0,...}}``); read back
  case-insensitively as encoding/json does.

Reading v1 drops such annotations already on the stored object and writes the ones the object needs; writing
v1 consumes them. Annotations that do not decode are ignored.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from chainsaw_py.embedded.serialization import in_go_order, serialize_as_go

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP = (METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR)
_V1 = "io.k8s.api.autoscaling.v1."
_SOURCE_KEYS = {"Object": "object", "Pods": "pods", "Resource": "resource", "ContainerResource": "containerResource",
                "External": "external"}
_DEFAULT_CPU = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                          "averageUtilization": 80}}}
JSONDict = dict[str, Any]


def v2_to_v1(obj: JSONDict) -> JSONDict:
    converted = {key: copy.deepcopy(value) for key, value in obj.items() if key not in ("spec", "status")}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    converted["spec"] = _spec_to_v1(spec)
    if "status" in obj:
        converted["status"] = _status_to_v1(status)
    meta = converted.setdefault("metadata", {})
    annotations = {key: value for key, value in (meta.get("annotations") or {}).items() if key not in ROUND_TRIP}
    others = [_metric_to_v1(metric) for metric in spec.get("metrics") or [] if not _is_cpu_utilization(metric)]
    encoded = {METRICS: [_go(m, "MetricSpec") for m in others],
               CURRENT_METRICS: [_go(_metric_status_to_v1(m), "MetricStatus") for m in status.get("currentMetrics") or []],
               CONDITIONS: [_go(copy.deepcopy(c), "HorizontalPodAutoscalerCondition")
                            for c in status.get("conditions") or []]}
    for key, values in encoded.items():
        if values:
            annotations[key] = _compact(values)
    if isinstance(spec.get("behavior"), dict):
        annotations[BEHAVIOR] = _compact(_behavior_to_internal(spec["behavior"]))
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return converted


def v1_to_v2(obj: JSONDict) -> JSONDict:
    converted = {key: copy.deepcopy(value) for key, value in obj.items() if key not in ("spec", "status")}
    meta = converted.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    spec = obj.get("spec") or {}
    new_spec = _copied(spec, ("scaleTargetRef", "minReplicas", "maxReplicas"))
    cpu = [] if spec.get("targetCPUUtilizationPercentage") is None else [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}}}]
    others = [_metric_to_v2(m) for m in _decoded_list(annotations.get(METRICS))]
    new_spec["metrics"] = (others + cpu) or [copy.deepcopy(_DEFAULT_CPU)]
    behavior = _decoded(annotations.get(BEHAVIOR))
    if isinstance(behavior, dict) and _behavior_from_internal(behavior):
        new_spec["behavior"] = _behavior_from_internal(behavior)
    converted["spec"] = new_spec
    if "status" in obj:
        converted["status"] = _status_to_v2(obj.get("status") or {}, annotations)
    for key in ROUND_TRIP:
        annotations.pop(key, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return converted


def _spec_to_v1(spec: JSONDict) -> JSONDict:
    new_spec = _copied(spec, ("scaleTargetRef", "minReplicas", "maxReplicas"))
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            utilization = (resource.get("target") or {}).get("averageUtilization")
            if utilization is not None:
                new_spec["targetCPUUtilizationPercentage"] = utilization
            break
    return new_spec


def _status_to_v1(status: JSONDict) -> JSONDict:
    new_status = _copied(status, ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"))
    for metric in status.get("currentMetrics") or []:
        resource = metric.get("resource") or {}
        utilization = (resource.get("current") or {}).get("averageUtilization")
        if metric.get("type") == "Resource" and resource.get("name") == "cpu" and utilization is not None:
            new_status["currentCPUUtilizationPercentage"] = utilization
    return new_status


def _status_to_v2(status: JSONDict, annotations: dict[str, str]) -> JSONDict:
    new_status = _copied(status, ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"))
    if status.get("currentCPUUtilizationPercentage") is not None:
        new_status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    if CURRENT_METRICS in annotations:
        new_status["currentMetrics"] = [_metric_status_to_v2(m) for m in _decoded_list(annotations[CURRENT_METRICS])]
    if CONDITIONS in annotations:
        new_status["conditions"] = _decoded_list(annotations[CONDITIONS])
    return new_status


def _copied(value: JSONDict, keys: tuple[str, ...]) -> JSONDict:
    return {key: copy.deepcopy(value[key]) for key in keys if key in value}


def _is_cpu_utilization(metric: JSONDict) -> bool:
    resource = metric.get("resource") or {}
    return metric.get("type") == "Resource" and resource.get("name") == "cpu" \
        and (resource.get("target") or {}).get("averageUtilization") is not None


def _source(metric: JSONDict) -> tuple[str, JSONDict]:
    key = _SOURCE_KEYS.get(str(metric.get("type", "")), "")
    value = metric.get(key) if key else None
    return key, value if isinstance(value, dict) else {}


def _metric_to_v1(metric: JSONDict) -> JSONDict:
    key, source = _source(metric)
    target, identity = source.get("target") or {}, source.get("metric") or {}
    converted: JSONDict = {}
    if key == "object":
        converted = {"target": source.get("describedObject") or {}, "metricName": identity.get("name", ""),
                     "targetValue": target.get("value", "0"), "selector": identity.get("selector"),
                     "averageValue": target.get("averageValue")}
    elif key == "pods":
        converted = {"metricName": identity.get("name", ""), "targetAverageValue": target.get("averageValue", "0"),
                     "selector": identity.get("selector")}
    elif key in ("resource", "containerResource"):
        converted = {"name": source.get("name", ""), "targetAverageUtilization": target.get("averageUtilization"),
                     "targetAverageValue": target.get("averageValue"), "container": source.get("container")}
    elif key == "external":
        converted = {"metricName": identity.get("name", ""), "metricSelector": identity.get("selector"),
                     "targetValue": target.get("value"), "targetAverageValue": target.get("averageValue")}
    return _without_none({"type": metric.get("type", ""), key: copy.deepcopy(converted)} if key
                         else {"type": metric.get("type", "")})


def _metric_to_v2(metric: JSONDict) -> JSONDict:
    key, source = _source(metric)
    converted: JSONDict = {}
    if key == "object":
        converted = {"describedObject": source.get("target") or {},
                     "metric": _identity(source.get("metricName"), source.get("selector")),
                     "target": _target("AverageValue" if source.get("averageValue") is not None else "Value",
                                       value=source.get("targetValue", "0"), averageValue=source.get("averageValue"))}
    elif key == "pods":
        converted = {"metric": _identity(source.get("metricName"), source.get("selector")),
                     "target": _target("AverageValue", averageValue=source.get("targetAverageValue", "0"))}
    elif key in ("resource", "containerResource"):
        utilization = source.get("targetAverageUtilization")
        converted = {"name": source.get("name", ""), "container": source.get("container"),
                     "target": _target("Utilization" if utilization is not None else "AverageValue",
                                       averageUtilization=utilization, averageValue=source.get("targetAverageValue"))}
    elif key == "external":
        converted = {"metric": _identity(source.get("metricName"), source.get("metricSelector")),
                     "target": _target("Value" if source.get("targetValue") is not None else "AverageValue",
                                       value=source.get("targetValue"), averageValue=source.get("targetAverageValue"))}
    return _without_none({"type": metric.get("type", ""), key: converted} if key else {"type": metric.get("type", "")})


def _metric_status_to_v1(metric: JSONDict) -> JSONDict:
    key, source = _source(metric)
    current, identity = source.get("current") or {}, source.get("metric") or {}
    converted: JSONDict = {}
    if key == "object":
        converted = {"target": source.get("describedObject") or {}, "metricName": identity.get("name", ""),
                     "currentValue": current.get("value", "0"), "selector": identity.get("selector"),
                     "averageValue": current.get("averageValue")}
    elif key == "pods":
        converted = {"metricName": identity.get("name", ""), "selector": identity.get("selector"),
                     "currentAverageValue": current.get("averageValue", "0")}
    elif key in ("resource", "containerResource"):
        converted = {"name": source.get("name", ""), "currentAverageUtilization": current.get("averageUtilization"),
                     "currentAverageValue": current.get("averageValue", "0"), "container": source.get("container")}
    elif key == "external":
        converted = {"metricName": identity.get("name", ""), "metricSelector": identity.get("selector"),
                     "currentValue": current.get("value", "0"), "currentAverageValue": current.get("averageValue")}
    return _without_none({"type": metric.get("type", ""), key: copy.deepcopy(converted)} if key
                         else {"type": metric.get("type", "")})


def _metric_status_to_v2(metric: JSONDict) -> JSONDict:
    key, source = _source(metric)
    converted: JSONDict = {}
    if key == "object":
        converted = {"describedObject": source.get("target") or {},
                     "metric": _identity(source.get("metricName"), source.get("selector")),
                     "current": {"value": source.get("currentValue", "0"), "averageValue": source.get("averageValue")}}
    elif key == "pods":
        converted = {"metric": _identity(source.get("metricName"), source.get("selector")),
                     "current": {"averageValue": source.get("currentAverageValue", "0")}}
    elif key in ("resource", "containerResource"):
        converted = {"name": source.get("name", ""), "container": source.get("container"),
                     "current": {"averageValue": source.get("currentAverageValue", "0"),
                                 "averageUtilization": source.get("currentAverageUtilization")}}
    elif key == "external":
        converted = {"metric": _identity(source.get("metricName"), source.get("metricSelector")),
                     "current": {"value": source.get("currentValue", "0"),
                                 "averageValue": source.get("currentAverageValue")}}
    return _without_none({"type": metric.get("type", ""), key: converted} if key else {"type": metric.get("type", "")})


def _identity(name: Any, selector: Any) -> JSONDict:
    return {"name": name or "", "selector": selector}


def _target(kind: str, **values: Any) -> JSONDict:
    return {"type": kind, **values}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    return value


def _go(value: JSONDict, v1_type: str) -> JSONDict:
    serialize_as_go(value, _V1 + v1_type)
    ordered: JSONDict = in_go_order(value, _V1 + v1_type)
    return ordered


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decoded(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _decoded_list(text: str | None) -> list[JSONDict]:
    value = _decoded(text)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


_RULE_FIELDS = (("StabilizationWindowSeconds", "stabilizationWindowSeconds"), ("SelectPolicy", "selectPolicy"),
                ("Policies", "policies"))
_POLICY_FIELDS = (("Type", "type"), ("Value", "value"), ("PeriodSeconds", "periodSeconds"))


def _behavior_to_internal(behavior: JSONDict) -> JSONDict:
    """The internal Go type as encoding/json writes it: Go field names, nil pointers as null."""
    return {"ScaleUp": _rules_to_internal(behavior.get("scaleUp")),
            "ScaleDown": _rules_to_internal(behavior.get("scaleDown"))}


def _rules_to_internal(rules: Any) -> JSONDict | None:
    if not isinstance(rules, dict):
        return None
    encoded: JSONDict = {go: rules.get(name) for go, name in _RULE_FIELDS[:2]}
    encoded["Policies"] = [{go: policy.get(name, "" if go == "Type" else 0) for go, name in _POLICY_FIELDS}
                           for policy in rules.get("policies") or [] if isinstance(policy, dict)] or None
    return encoded


def _behavior_from_internal(behavior: JSONDict) -> JSONDict:
    decoded: JSONDict = {}
    for go, name in (("ScaleUp", "scaleUp"), ("ScaleDown", "scaleDown")):
        rules = _field(behavior, go)
        if isinstance(rules, dict):
            decoded[name] = _without_none({json_name: _field(rules, go_name) for go_name, json_name in _RULE_FIELDS})
            policies = _field(rules, "Policies")
            if isinstance(policies, list):
                decoded[name]["policies"] = [{json_name: _field(p, go_name) for go_name, json_name in _POLICY_FIELDS}
                                             for p in policies if isinstance(p, dict)]
    return decoded


def _field(value: JSONDict, go_name: str) -> Any:
    """encoding/json matches object keys to struct fields case-insensitively."""
    for key, item in value.items():
        if key.lower() == go_name.lower():
            return item
    return None
