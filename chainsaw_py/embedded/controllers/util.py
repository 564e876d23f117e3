"""Helpers shared by the built-in controllers: pod state, templates, hashes, owner filtering."""

from __future__ import annotations

import copy
import json
from typing import Any

from chainsaw_py.embedded.decoding import parse_time
from chainsaw_py.util.labels import Selector, SelectorError, selector_from_label_selector

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def is_deleting(obj: dict[str, Any]) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if entry.get("type") == kind:
            return dict(entry)
    return None


def condition_true(obj: dict[str, Any], kind: str) -> bool:
    found = condition(obj, kind)
    return found is not None and found.get("status") == "True"


def pod_phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


def pod_terminal(pod: dict[str, Any]) -> bool:
    return pod_phase(pod) in ("Succeeded", "Failed")


def pod_active(pod: dict[str, Any]) -> bool:
    """Counts toward a controller's replicas: not finished and not being deleted."""
    return not pod_terminal(pod) and not is_deleting(pod)


def pod_ready(pod: dict[str, Any]) -> bool:
    return condition_true(pod, "Ready")


def pod_available(pod: dict[str, Any], min_ready_seconds: int, now: str) -> bool:
    ready = condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time(str(ready.get("lastTransitionTime") or ""))
    current = parse_time(now)
    return since is not None and current is not None and (current - since).total_seconds() >= min_ready_seconds


def label_selector(selector: Any) -> Selector | None:
    """A workload's spec.selector as a Selector (None = matches nothing)."""
    if not isinstance(selector, dict):
        return None
    try:
        return selector_from_label_selector(selector)
    except SelectorError:
        return None


def controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner["metadata"]["uid"]


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """apimachinery's rand.SafeEncodeString: map each byte onto a vowel-free alphabet."""
    return "".join(_SAFE_ALPHABET[byte % len(_SAFE_ALPHABET)] for byte in text.encode())


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """A stable pod-template-hash / controller-revision-hash for a pod template."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        canonical += str(collision_count).encode()
    return safe_encode(str(fnv32a(canonical)))


def pod_from_template(template: dict[str, Any], owner: dict[str, Any], namespace: str, *, name: str = "",
                      generate_name: str = "", labels: dict[str, str] | None = None,
                      annotations: dict[str, str] | None = None) -> dict[str, Any]:
    template = copy.deepcopy(template or {})
    template_meta = template.get("metadata") or {}
    pod_meta: dict[str, Any] = {"namespace": namespace,
                                "labels": {**(template_meta.get("labels") or {}), **(labels or {})},
                                "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                                     "name": owner["metadata"]["name"],
                                                     "uid": owner["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]}
    merged_annotations = {**(template_meta.get("annotations") or {}), **(annotations or {})}
    if merged_annotations:
        pod_meta["annotations"] = merged_annotations
    if template_meta.get("finalizers"):
        pod_meta["finalizers"] = list(template_meta["finalizers"])
    if name:
        pod_meta["name"] = name
    else:
        pod_meta["generateName"] = generate_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template.get("spec") or {}}


def template_without_hash(template: dict[str, Any], label: str) -> dict[str, Any]:
    stripped = copy.deepcopy(template or {})
    labels = (stripped.get("metadata") or {}).get("labels") or {}
    labels.pop(label, None)
    return stripped


def resolve_int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    text = str(value or "0")
    if text.endswith("%"):
        amount = int(text[:-1]) * total
        return -(-amount // 100) if round_up else amount // 100
    return int(text)


def compact_status(values: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Drop zero counters, as Go's ``omitempty`` does for most status integers."""
    return {key: value for key, value in values.items() if key in keep or value not in (0, None, "", [], {})}
