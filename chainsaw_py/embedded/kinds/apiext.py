"""CustomResourceDefinitions and the custom resources they define."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors
from chainsaw_py.embedded.celrules import RuleCompileError, compile_rule
from chainsaw_py.embedded.kinds.base import NameRule, Strategy, StrategyContext, path_segment_errors
from chainsaw_py.embedded.resources import ResourceType, Subresource

_SCOPES = ["Cluster", "Namespaced"]
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def storage_version(crd: dict[str, Any]) -> str:
    for version in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(version, dict) and version.get("storage"):
            return str(version.get("name", ""))
    return ""


@dataclass
class CustomResourceDefinitionStrategy(Strategy):
    tracks_generation: bool = True
    return_deleted_object: bool = True

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        names = spec.setdefault("names", {})
        if isinstance(names, dict) and names.get("kind"):
            names.setdefault("singular", str(names["kind"]).lower())
            names.setdefault("listKind", f"{names['kind']}List")
        spec.setdefault("conversion", {"strategy": "None"})

    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
        obj.pop("status", None)
        stored = storage_version(obj)
        obj["status"] = {"acceptedNames": {"kind": "", "plural": ""}, "conditions": [],
                         "storedVersions": [stored] if stored else []}

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: Any) -> None:
        super().prepare_update(new, old, rt)
        stored = storage_version(new)
        status = new.setdefault("status", {})
        versions = list(status.get("storedVersions") or [])
        if stored and stored not in versions:
            versions.append(stored)
            status["storedVersions"] = versions

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        group = spec.get("group", "")
        if not group:
            errors.required("spec.group")
        elif "." not in group:
            errors.invalid("spec.group", group, "should be a domain with at least one dot")
        for key in ("plural", "kind"):
            if not names.get(key):
                errors.required(f"spec.names.{key}")
        expected = f"{names.get('plural', '')}.{group}"
        name = obj["metadata"].get("name", "")
        if name and name != expected:
            errors.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group')
        scope = spec.get("scope", "")
        if scope not in _SCOPES:
            errors.not_supported("spec.scope", scope, _SCOPES)
        self._validate_versions(spec.get("versions") or [], errors)

    def _validate_versions(self, versions: list[Any], errors: FieldErrors) -> None:
        if not versions:
            errors.invalid("spec.versions", "null", "must have exactly one version marked as storage version")
            return
        storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
        if len(storage) != 1:
            errors.causes.append(FieldCause(
                "FieldValueInvalid", "spec.versions",
                "Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have exactly one "
                "version marked as storage version"))
        for index, version in enumerate(versions):
            if not isinstance(version, dict):
                continue
            if not version.get("name"):
                errors.required(f"spec.versions[{index}].name")
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if not schema:
                errors.required(f"spec.versions[{index}].schema.openAPIV3Schema", "schemas are required")
            else:
                _check_rules_compile(schema, f"spec.versions[{index}].schema.openAPIV3Schema", errors)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if old_spec.get("group") != new_spec.get("group"):
            errors.invalid("spec.group", new_spec.get("group"), "field is immutable")
        if (old_spec.get("names") or {}).get("plural") != (new_spec.get("names") or {}).get("plural"):
            errors.invalid("spec.names.plural", (new_spec.get("names") or {}).get("plural"), "field is immutable")


def _check_rules_compile(schema: Any, path: str, errors: FieldErrors) -> None:
    """Every x-kubernetes-validations rule must compile (the apiserver rejects the CRD otherwise)."""
    if not isinstance(schema, dict):
        return

    for index, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        text = str((rule or {}).get("rule", ""))
        try:
            compile_rule(text)
        except RuleCompileError as err:
            errors.invalid(f"{path}.x-kubernetes-validations[{index}].rule", text, f"compilation failed: {err}")
    for name, child in (schema.get("properties") or {}).items():
        _check_rules_compile(child, f"{path}.properties[{name}]", errors)
    for key in ("items", "additionalProperties"):
        _check_rules_compile(schema.get(key), f"{path}.{key}", errors)


def resource_types_for(crd: dict[str, Any]) -> list[ResourceType]:
    """The served versions of a CRD as resource types (what discovery lists)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = str(spec.get("group", ""))
    stored = storage_version(crd)
    result: list[ResourceType] = []
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served", True):
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        subresources = version.get("subresources") or {}
        subs: list[Subresource] = []
        if "scale" in subresources:
            subs.append(Subresource("scale", "Scale", group="autoscaling", version="v1", foreign=True))
        if "status" in subresources:
            subs.append(Subresource("status", str(names.get("kind", ""))))
        result.append(ResourceType(
            group=group, version=str(version.get("name", "")), plural=str(names.get("plural", "")),
            kind=str(names.get("kind", "")), namespaced=spec.get("scope") == "Namespaced",
            singular=str(names.get("singular", "")), short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()), subresources=tuple(subs),
            list_kind=str(names.get("listKind", "")), builtin=False, storage_version=stored,
            schema=schema if isinstance(schema, dict) else None,
            printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            preserve_unknown=bool(isinstance(schema, dict) and schema.get("x-kubernetes-preserve-unknown-fields")),
            selectable_fields=tuple(str(item.get("jsonPath", "")) for item in version.get("selectableFields") or []),
            scale_paths=_scale_paths(subresources.get("scale")),
        ))
    return result


def _scale_paths(scale: Any) -> tuple[str, str, str]:
    if not isinstance(scale, dict):
        return ("", "", "")
    return (str(scale.get("specReplicasPath", "")), str(scale.get("statusReplicasPath", "")),
            str(scale.get("labelSelectorPath", "") or ""))


def dotted_value(obj: Any, json_path: str) -> Any:
    """Value at a simple ``.a.b.c`` path (what CRD selectableFields / scale paths use), or None."""
    current = obj
    for part in [p for p in json_path.strip().lstrip(".").split(".") if p]:
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


@dataclass
class CustomResourceStrategy(Strategy):
    tracks_generation: bool = True
    selectable: tuple[str, ...] = field(default=())
    status_subresource: bool = True

    def spec_changed(self, new: dict[str, Any], old: dict[str, Any]) -> bool:
        """Without a status subresource, any change outside metadata (status included) is a new generation."""
        if self.status_subresource:
            return super().spec_changed(new, old)
        return {k: v for k, v in new.items() if k != "metadata"} != {k: v for k, v in old.items() if k != "metadata"}

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        fields = super().selectable_fields(obj)
        for path in self.selectable:
            value = dotted_value(obj, path)
            if isinstance(value, bool):
                shown = "true" if value else "false"
            else:
                shown = "" if value is None else str(value)
            fields[path.lstrip(".")] = shown
        return fields


@dataclass
class APIServiceStrategy(Strategy):
    """ValidateAPIService's name rule: a path segment that must read ``spec.version + "." + spec.group`` (so the
    core group's APIService is ``v1.``)."""

    name_rule: NameRule = path_segment_errors

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec") or {}
        required = f"{spec.get('version', '')}.{spec.get('group', '')}"
        name = obj["metadata"].get("name", "")
        if name and not path_segment_errors(name) and name != required:
            errors.invalid("metadata.name", name, f'must be `spec.version+"."+spec.group`: "{required}"')
