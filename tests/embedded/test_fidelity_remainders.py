"""Fidelity remainders of issue 11: HPA v1 round trips, paging from a snapshot, the kubernetes service proxy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store


@pytest.fixture
def server() -> ApiServer:
    api = ApiServer(ResourceRegistry(), Store(), StrategyRegistry())
    namespaces = api.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    return api


def _rt(server: ApiServer, api_version: str, kind: str) -> Any:
    found = server.registry.by_api_version_kind(api_version, kind)
    assert found is not None
    return found


# --- autoscaling/v1 keeps what only v2 expresses, in annotations ----------------------------------------

HPA_V2 = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                   "maxReplicas": 5, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
                   "metrics": [
                       {"type": "Resource", "resource": {"name": "cpu", "target": {
                           "type": "Utilization", "averageUtilization": 60}}},
                       {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {
                           "type": "AverageValue", "averageValue": "10"}}}]}}
HPA_STATUS = {"currentReplicas": 2, "desiredReplicas": 3,
              "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                  "averageUtilization": 40, "averageValue": "100m"}}}],
              "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                              "reason": "ReadyForNewScale", "message": "ok"}]}


def _hpa_with_status(server: ApiServer) -> None:
    v2 = _rt(server, "autoscaling/v2", "HorizontalPodAutoscaler")
    server.create(v2, "ns", json.loads(json.dumps(HPA_V2)))
    current = server.get(v2, "ns", "h").obj
    current["status"] = json.loads(json.dumps(HPA_STATUS))
    server.update(v2, "ns", "h", current, subresource="status")


def test_autoscaling_v1_carries_v2_fields_in_annotations(server: ApiServer) -> None:
    _hpa_with_status(server)
    seen = server.get(_rt(server, "autoscaling/v1", "HorizontalPodAutoscaler"), "ns", "h").obj
    annotations = seen["metadata"]["annotations"]
    assert annotations["autoscaling.alpha.kubernetes.io/metrics"] == \
        '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]'
    assert annotations["autoscaling.alpha.kubernetes.io/current-metrics"] == \
        '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"100m"}}]'
    assert annotations["autoscaling.alpha.kubernetes.io/conditions"] == \
        '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z",' \
        '"reason":"ReadyForNewScale","message":"ok"}]'
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/behavior"])["ScaleDown"] == {
        "StabilizationWindowSeconds": 60, "SelectPolicy": "Max",
        "Policies": [{"Type": "Percent", "Value": 100, "PeriodSeconds": 15}]}
    assert seen["spec"]["targetCPUUtilizationPercentage"] == 60
    assert seen["status"] == {"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 40}


def test_an_update_through_autoscaling_v1_keeps_the_v2_fields(server: ApiServer) -> None:
    _hpa_with_status(server)
    v1 = _rt(server, "autoscaling/v1", "HorizontalPodAutoscaler")
    seen = server.get(v1, "ns", "h").obj
    seen["spec"]["maxReplicas"] = 7
    server.update(v1, "ns", "h", seen)
    stored = server.get(_rt(server, "autoscaling/v2", "HorizontalPodAutoscaler"), "ns", "h").obj
    assert "annotations" not in stored["metadata"]
    assert stored["spec"]["maxReplicas"] == 7
    assert [metric["type"] for metric in stored["spec"]["metrics"]] == ["Pods", "Resource"]
    assert stored["spec"]["metrics"][0]["pods"] == {"metric": {"name": "qps"},
                                                    "target": {"type": "AverageValue", "averageValue": "10"}}
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert stored["status"]["conditions"][0]["reason"] == "ReadyForNewScale"
    assert stored["status"]["currentMetrics"][0]["resource"]["current"] == {"averageValue": "100m",
                                                                            "averageUtilization": 40}


def test_autoscaling_v1_without_annotations_defaults_the_cpu_target(server: ApiServer) -> None:
    v1 = _rt(server, "autoscaling/v1", "HorizontalPodAutoscaler")
    created = server.create(v1, "ns", {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "plain", "annotations": {"autoscaling.alpha.kubernetes.io/metrics": "not json"}},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 2}}).obj
    assert "annotations" not in created["metadata"]
    assert created["spec"]["targetCPUUtilizationPercentage"] == 80
    assert created["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
