"""Conversion between the served versions of one stored built-in resource.

HorizontalPodAutoscalers are stored as ``autoscaling/v2`` and also served as ``autoscaling/v1`` (the CPU
utilization target and status; the rest in annotations, see :mod:`hpaconversion`); Events are stored as core ``v1`` Events and also served as
``events.k8s.io/v1`` (renamed fields, as pkg/apis/events/v1's conversion). Other kinds only change
``apiVersion``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chainsaw_py.embedded import hpaconversion
from chainsaw_py.embedded.apierrors import FieldErrors
from chainsaw_py.embedded.kinds.core import validate_events_v1
from chainsaw_py.embedded.resources import ResourceType

Converter = Callable[[dict[str, Any]], dict[str, Any]]

# core/v1 Event field -> events.k8s.io/v1 Event field
_EVENT_RENAMES = {"involvedObject": "regarding", "message": "note", "source": "deprecatedSource",
                  "firstTimestamp": "deprecatedFirstTimestamp", "lastTimestamp": "deprecatedLastTimestamp",
                  "count": "deprecatedCount", "reportingComponent": "reportingController"}


def convert(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """``obj`` as ``api_version`` serves it (a new dict; ``obj`` is not changed)."""
    source = str(obj.get("apiVersion", ""))
    if source == api_version:
        return obj
    converter = _CONVERTERS.get((source, api_version, str(obj.get("kind", ""))))
    converted = converter(obj) if converter is not None else dict(obj)
    converted["apiVersion"] = api_version
    return converted


def validate_view(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Checks a version makes beyond its storage version's (events.k8s.io/v1's required fields)."""
    if rt.group == "events.k8s.io":
        errors = FieldErrors()
        validate_events_v1(obj, errors)
        errors.raise_if_any(rt.kind, rt.group, (obj.get("metadata") or {}).get("name", ""))


def _renamed(obj: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    return {renames.get(key, key): copy.deepcopy(value) for key, value in obj.items()}


def _core_event_to_events(obj: dict[str, Any]) -> dict[str, Any]:
    converted = _renamed(obj, _EVENT_RENAMES)
    if converted.get("deprecatedCount") == 0:
        del converted["deprecatedCount"]
    return converted


def _events_to_core_event(obj: dict[str, Any]) -> dict[str, Any]:
    return _renamed(obj, {new: old for old, new in _EVENT_RENAMES.items()})


_CONVERTERS: dict[tuple[str, str, str], Converter] = {
    ("v1", "events.k8s.io/v1", "Event"): _core_event_to_events,
    ("events.k8s.io/v1", "v1", "Event"): _events_to_core_event,
    ("autoscaling/v2", "autoscaling/v1", "HorizontalPodAutoscaler"): hpaconversion.v2_to_v1,
    ("autoscaling/v1", "autoscaling/v2", "HorizontalPodAutoscaler"): hpaconversion.v1_to_v2,
}
