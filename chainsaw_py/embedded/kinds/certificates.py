"""CertificateSigningRequests as pkg/registry/certificates/certificates/strategy.go and the validation of
pkg/apis/certificates/validation treat them: the requester is recorded on create, ordinary updates change
neither spec nor status, the ``approval`` subresource changes the conditions only."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors
from chainsaw_py.embedded.auth.identity import current_user
from chainsaw_py.embedded.kinds.base import Strategy, StrategyContext

_TRUE_ONLY = ("Approved", "Denied", "Failed")
_STATUS_VALUES = ("False", "True", "Unknown")


class CertificateSigningRequestStrategy(Strategy):
    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        obj["status"] = {}
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        for key in ("username", "uid", "groups", "extra"):
            spec.pop(key, None)
        spec.update(current_user().to_dict())   # the requester: username, uid, groups, extra

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: Any) -> None:
        super().prepare_update(new, old, rt)
        for part in ("spec", "status"):
            if part in old:
                new[part] = old[part]
            else:
                new.pop(part, None)

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        return {**super().selectable_fields(obj), "spec.signerName": str((obj.get("spec") or {}).get("signerName", ""))}

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        conditions = (obj.get("status") or {}).get("conditions") or []
        seen: set[str] = set()
        approved = denied = False
        for index, condition in enumerate(conditions if isinstance(conditions, list) else []):
            if not isinstance(condition, dict):
                continue
            path = f"status.conditions[{index}]"
            kind, state = str(condition.get("type", "")), str(condition.get("status", ""))
            if not kind:
                errors.required(f"{path}.type")
            allowed = ["True"] if kind in _TRUE_ONLY else list(_STATUS_VALUES)
            if not state:
                errors.required(f"{path}.status")
            elif state not in allowed:
                errors.not_supported(f"{path}.status", state, allowed)
            if (kind == "Approved" and denied) or (kind == "Denied" and approved):
                errors.causes.append(FieldCause("FieldValueInvalid", f"{path}.type", f'Invalid value: "{kind}": '
                                                "Approved and Denied conditions are mutually exclusive"))
            approved, denied = approved or kind == "Approved", denied or kind == "Denied"
            if kind in seen:
                errors.duplicate(f"{path}.type", kind)
            seen.add(kind)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        kept = {str(c.get("type")) for c in (new.get("status") or {}).get("conditions") or [] if isinstance(c, dict)}
        for condition in (old.get("status") or {}).get("conditions") or []:
            kind = str(condition.get("type", "")) if isinstance(condition, dict) else ""
            if kind in _TRUE_ONLY and kind not in kept:
                errors.forbidden("status.conditions", f'updates may not remove a condition of type "{kind}"')


def prepare_approval(new: dict[str, Any], old: dict[str, Any], now: str) -> None:
    """The approval subresource's update of ``new`` (already the old object with the request's status): the old
    status with the new conditions, whose missing timestamps are filled in (lastTransitionTime kept from an old
    condition of the same type and status)."""
    conditions = (new.get("status") or {}).get("conditions")
    previous = {(c.get("type"), c.get("status")): c for c in (old.get("status") or {}).get("conditions") or []
                if isinstance(c, dict)}
    for condition in conditions if isinstance(conditions, list) else []:
        if isinstance(condition, dict):
            condition.setdefault("lastUpdateTime", now)
            before = previous.get((condition.get("type"), condition.get("status")))
            condition.setdefault("lastTransitionTime", (before or {}).get("lastTransitionTime") or now)
    status = {**(old.get("status") or {})}
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    new["status"] = status
