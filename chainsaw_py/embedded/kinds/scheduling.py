"""PriorityClasses as pkg/apis/scheduling (v1 defaults, validation) treats them: preemptionPolicy defaults to
PreemptLowerPriority, ``system-`` names are reserved for the two system classes, user values are bounded, value
and preemptionPolicy never change."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import FieldErrors
from chainsaw_py.embedded.kinds.base import Strategy, StrategyContext

SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
_PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]


def _system_class_problem(name: str, value: Any, global_default: bool) -> str | None:
    """scheduling.IsKnownSystemPriorityClass's error, or None for a known system class as defined."""
    if name not in SYSTEM_PRIORITY_CLASSES:
        return f"{name} is not a known system priority class"
    if value != SYSTEM_PRIORITY_CLASSES[name]:
        return f"value of {name} PriorityClass must be {SYSTEM_PRIORITY_CLASSES[name]}"
    if global_default:
        return f"globalDefault of {name} PriorityClass must be false"
    return None


class PriorityClassStrategy(Strategy):
    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        if obj.get("preemptionPolicy") is None:
            obj["preemptionPolicy"] = "PreemptLowerPriority"

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        name, value = str((obj.get("metadata") or {}).get("name", "")), obj.get("value", 0)
        if name.startswith("system-"):
            problem = _system_class_problem(name, value, bool(obj.get("globalDefault")))
            if problem is not None:
                errors.forbidden("metadata.name", "priority class names with 'system-' prefix are reserved for "
                                                  f"system use only. error: {problem}")
        elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
            errors.forbidden("value", f"maximum allowed value of a user defined priority is "
                                      f"{HIGHEST_USER_DEFINABLE_PRIORITY}")
        policy = obj.get("preemptionPolicy")
        if policy is not None and policy not in _PREEMPTION_POLICIES:
            errors.not_supported("preemptionPolicy", policy, _PREEMPTION_POLICIES)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        if new.get("value") != old.get("value"):
            errors.forbidden("value", "may not be changed in an update.")
        if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
            errors.invalid("preemptionPolicy", new.get("preemptionPolicy"), "field is immutable")
