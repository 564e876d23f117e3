"""Strategies of the core/v1 kinds the simulation touches: Pod, Service, Namespace, ConfigMap, Secret, ..."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, BadRequest, FieldCause, FieldErrors, Forbidden
from chainsaw_py.embedded.kinds.base import (
    Strategy,
    StrategyContext,
    dns1035_label_errors,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    path_segment_errors,
)
from chainsaw_py.embedded.kinds.podspec import (
    default_pod_spec,
    default_requests_to_limits,
    qos_class,
    validate_pod_spec,
)
from chainsaw_py.golang.base64 import CorruptInputError, std_decode
from chainsaw_py.util.labels import qualified_name_errors, regex_error

NODE_PORT_MIN, NODE_PORT_MAX = 30000, 32767     # kube-apiserver's default --service-node-port-range
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_RE = re.compile(f"^{_CONFIG_KEY_FMT}$")
SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"

_POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")


def _config_key_errors(key: str) -> list[str]:
    errors: list[str] = []
    if len(key) > 253:
        errors.append("must be no more than 253 characters")
    if not _CONFIG_KEY_RE.match(key):
        errors.append(regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                  _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    elif key in (".", "..") or key.startswith(".."):
        errors.append("must not be '.'" if key == "." else "must not start with '..'")
    return errors


def _validate_data_keys(obj: dict[str, Any], fields: tuple[str, ...], errors: FieldErrors) -> None:
    seen: set[str] = set()
    for field_name in fields:
        for key in obj.get(field_name) or {}:
            for problem in _config_key_errors(key):
                errors.invalid(f"{field_name}[{key}]", key, problem)
            if key in seen:
                errors.invalid(f"{field_name}[{key}]", key, "duplicate of key present in data")
            seen.add(key)


def _decode_bytes(obj: dict[str, Any], kind: str, field_name: str) -> None:
    """A ``map[string][]byte`` field as encoding/json decodes it into the Go object and encodes it back: Go's
    base64 (line breaks skipped, padding required) in canonical form, or the decoder's 400."""
    values = obj.get(field_name)
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        if not isinstance(value, str):
            continue
        try:
            values[key] = base64.b64encode(std_decode(value)).decode()
        except CorruptInputError as err:
            raise BadRequest(f'{kind} in version "v1" cannot be handled as a {kind}: {err}') from None


@dataclass
class ConfigMapStrategy(Strategy):
    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        _decode_bytes(obj, "ConfigMap", "binaryData")

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        _validate_data_keys(obj, ("data", "binaryData"), errors)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        _check_immutable_data(new, old, ("data", "binaryData"), errors)


def _check_immutable_data(new: dict[str, Any], old: dict[str, Any], fields: tuple[str, ...],
                          errors: FieldErrors) -> None:
    if not old.get("immutable"):
        return
    if not new.get("immutable"):
        errors.forbidden("immutable", "field is immutable when `immutable` is set")
    for field_name in fields:
        if new.get(field_name) != old.get(field_name):
            errors.forbidden(field_name, "field is immutable when `immutable` is set")


_QUOTA_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                 "CrossNamespacePodAffinity")
_POD_COUNT_RESOURCES = frozenset({"pods"})
_POD_COMPUTE_RESOURCES = frozenset({"cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu",
                                    "requests.memory"})
_STANDARD_QUOTA_RESOURCES = frozenset({
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
    "resourcequotas", "services", "replicationcontrollers", "secrets", "persistentvolumeclaims", "configmaps",
    "services.nodeports", "services.loadbalancers"})


class ResourceQuotaStrategy(Strategy):
    """validateResourceQuotaScopes: each scope must be known and fit every standard resource of ``hard``
    (BestEffort counts pods only; the other pod scopes pods and compute resources), and no conflicting pair."""

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = obj.get("spec") or {}
        scopes = spec.get("scopes") or []
        if not isinstance(scopes, list) or not scopes:
            return
        shown = "[]core.ResourceQuotaScope{" + ", ".join(f'"{scope}"' for scope in scopes) + "}"
        hard = sorted((spec.get("hard") or {}).keys())

        def refuse(detail: str) -> None:
            errors.causes.append(FieldCause("FieldValueInvalid", "spec.scopes", f"Invalid value: {shown}: {detail}"))

        for scope in scopes:
            if scope not in _QUOTA_SCOPES:
                refuse("unsupported scope")
            for resource in hard:
                if _standard_quota_resource(resource) and not _scope_fits(scope, resource):
                    refuse("unsupported scope applied to resource")
        for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
            if all(scope in scopes for scope in pair):
                refuse("conflicting scopes")


def _standard_quota_resource(name: str) -> bool:
    return name in _STANDARD_QUOTA_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-"))


def _scope_fits(scope: str, resource: str) -> bool:
    if scope == "BestEffort":
        return resource in _POD_COUNT_RESOURCES
    if scope in _QUOTA_SCOPES:
        return resource in _POD_COUNT_RESOURCES or resource in _POD_COMPUTE_RESOURCES
    return True


@dataclass
class SecretStrategy(Strategy):
    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        _decode_bytes(obj, "Secret", "data")
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {}) or {}
            obj["data"] = data
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        _validate_data_keys(obj, ("data",), errors)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        if new.get("type") != old.get("type"):
            errors.invalid("type", new.get("type"), "field is immutable")
        _check_immutable_data(new, old, ("data",), errors)

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        return {**super().selectable_fields(obj), "type": str(obj.get("type", ""))}


@dataclass
class NamespaceStrategy(Strategy):
    return_deleted_object: bool = True

    def __post_init__(self) -> None:
        self.name_rule = dns1123_label_errors

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        meta = obj["metadata"]
        labels = meta.setdefault("labels", {}) or {}
        meta["labels"] = labels
        labels["kubernetes.io/metadata.name"] = meta.get("name", "")

    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        obj["spec"] = {"finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: Any) -> None:
        new["spec"] = old.get("spec", {})
        new["status"] = old.get("status", {})

    def blocks_deletion(self, obj: dict[str, Any]) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

    def on_delete_request(self, obj: dict[str, Any]) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        return {**super().selectable_fields(obj), "status.phase": str((obj.get("status") or {}).get("phase", ""))}


@dataclass
class PodStrategy(Strategy):
    return_deleted_object: bool = True

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        default_pod_spec(spec)
        spec.setdefault("enableServiceLinks", True)
        default_requests_to_limits(spec)

    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            _admit_pod(obj, spec, ctx)
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(spec if isinstance(spec, dict) else {})}

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        validate_pod_spec(obj.get("spec"), "spec", errors)

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: Any) -> None:
        """Ephemeral containers change only through the ephemeralcontainers subresource."""
        super().prepare_update(new, old, rt)
        spec, old_spec = new.get("spec"), old.get("spec") or {}
        if isinstance(spec, dict):
            spec.pop("ephemeralContainers", None)
            if "ephemeralContainers" in old_spec:
                spec["ephemeralContainers"] = old_spec["ephemeralContainers"]

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        if _mutable_view(new.get("spec") or {}) != _mutable_view(old.get("spec") or {}):
            errors.forbidden("spec", _POD_UPDATE_FORBIDDEN)
        _validate_ephemeral_update(new.get("spec") or {}, old.get("spec") or {}, errors)

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(requested, 0)
        return int(spec.get("terminationGracePeriodSeconds", 30) or 0)

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return {
            **super().selectable_fields(obj),
            "spec.nodeName": str(spec.get("nodeName", "")),
            "spec.restartPolicy": str(spec.get("restartPolicy", "")),
            "spec.schedulerName": str(spec.get("schedulerName", "")),
            "spec.serviceAccountName": str(spec.get("serviceAccountName", "")),
            "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
            "status.phase": str(status.get("phase", "")),
            "status.podIP": str(status.get("podIP", "")),
            "status.nominatedNodeName": str(status.get("nominatedNodeName", "")),
        }


_EPHEMERAL_FORBIDDEN = ("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources",
                        "resizePolicy", "restartPolicy")


def _validate_ephemeral_update(spec: dict[str, Any], old_spec: dict[str, Any], errors: FieldErrors) -> None:
    """Ephemeral containers may only be added (ValidatePodEphemeralContainersUpdate)."""
    new_list = [c for c in spec.get("ephemeralContainers") or [] if isinstance(c, dict)]
    old_list = [c for c in old_spec.get("ephemeralContainers") or [] if isinstance(c, dict)]
    by_name = {c.get("name"): (index, c) for index, c in enumerate(new_list)}
    for container in old_list:
        found = by_name.get(container.get("name"))
        if found is None:
            errors.forbidden("spec.ephemeralContainers",
                             f'existing ephemeral containers "{container.get("name")}" may not be removed')
        elif found[1] != container:
            errors.forbidden(f"spec.ephemeralContainers[{found[0]}]",
                             f'existing ephemeral containers "{container.get("name")}" may not be changed')
    taken = {c.get("name") for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
             if isinstance(c, dict)}
    for index, container in enumerate(new_list):
        path = f"spec.ephemeralContainers[{index}]"
        name = container.get("name")
        if not name:
            errors.required(f"{path}.name")
        elif name in taken:
            errors.duplicate(f"{path}.name", name)
        taken.add(name)
        if not container.get("image"):
            errors.required(f"{path}.image")
        for key in _EPHEMERAL_FORBIDDEN:
            if container.get(key):
                errors.forbidden(f"{path}.{key}", "cannot be set for an Ephemeral Container")


def _mutable_view(spec: dict[str, Any]) -> dict[str, Any]:
    """The pod spec with the fields an update may change blanked out."""
    view = {key: value for key, value in spec.items()
            if key not in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds",
                           "ephemeralContainers")}
    for key in ("containers", "initContainers"):
        if isinstance(view.get(key), list):
            view[key] = [{k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c
                         for c in view[key]]
    return view


def _admit_pod(obj: dict[str, Any], spec: dict[str, Any], ctx: StrategyContext) -> None:
    """What admission plugins add to a new pod: service account, its token volume, tolerations, priority."""
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    _admit_priority(obj, spec, ctx)
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(isinstance(t, dict) and t.get("key") == key for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
    if not _automounts_token(obj, spec, ctx):
        return
    volume_name = f"kube-api-access-{ctx.random_suffix()}"
    spec.setdefault("volumes", []).append({"name": volume_name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "metadata.namespace"}}]}},
    ]}})
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            mounts = container.setdefault("volumeMounts", [])
            if not any(m.get("mountPath") == SERVICE_ACCOUNT_MOUNT for m in mounts if isinstance(m, dict)):
                mounts.append({"name": volume_name, "readOnly": True, "mountPath": SERVICE_ACCOUNT_MOUNT})


def _admit_priority(obj: dict[str, Any], spec: dict[str, Any], ctx: StrategyContext) -> None:
    """The Priority admission plugin: ``priority`` and ``preemptionPolicy`` come from the pod's PriorityClass,
    else the global default class (0 and PreemptLowerPriority without one); a class that does not exist, or a differing value given in the
    spec, is refused."""
    class_name = spec.get("priorityClassName") or ""
    priority, policy = 0, "PreemptLowerPriority"
    if not class_name:
        default = next((item for item in ctx.list_objects("scheduling.k8s.io", "priorityclasses")
                        if item.get("globalDefault") is True), None)
        if default is not None:
            spec["priorityClassName"] = class_name = default["metadata"]["name"]
    if class_name:
        priority_class = ctx.get_object("scheduling.k8s.io", "priorityclasses", "", str(class_name))
        if priority_class is None:
            raise _pod_forbidden(obj, f"no PriorityClass with name {class_name} was found")
        priority = int(priority_class.get("value") or 0)
        policy = str(priority_class.get("preemptionPolicy") or policy)
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise _pod_forbidden(obj, f"the integer value of priority ({spec['priority']}) must not be provided in pod "
                                  f"spec; priority admission controller computed {priority} from the given "
                                  "PriorityClass name")
    if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
        raise _pod_forbidden(obj, f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be "
                                  f"provided in pod spec; priority admission controller computed {policy} from "
                                  "the given PriorityClass name")
    spec["priority"], spec["preemptionPolicy"] = priority, policy


def _pod_forbidden(obj: dict[str, Any], reason: str) -> Forbidden:
    name = str((obj.get("metadata") or {}).get("name") or "")
    return Forbidden(f'pods "{name}" is forbidden: {reason}', details={"name": name, "kind": "pods"})


def _automounts_token(obj: dict[str, Any], spec: dict[str, Any], ctx: StrategyContext) -> bool:
    """The pod's ``automountServiceAccountToken`` when set, else its ServiceAccount's (true when unset)."""
    if spec.get("automountServiceAccountToken") is not None:
        return spec["automountServiceAccountToken"] is not False
    namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    account = ctx.get_object("", "serviceaccounts", namespace, str(spec.get("serviceAccountName") or "default"))
    return (account or {}).get("automountServiceAccountToken") is not False


_KUBELET_PORT = 10250
_PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]


def _validate_service_type_fields(spec: dict[str, Any], service_type: Any, ports: list[dict[str, Any]],
                                  errors: FieldErrors) -> None:
    cluster_ip = spec.get("clusterIP")
    if service_type == "LoadBalancer":
        for index, port in enumerate(ports):
            if port.get("port") == _KUBELET_PORT:
                errors.invalid(f"spec.ports[{index}]", _KUBELET_PORT,
                               f"may not expose port {_KUBELET_PORT} externally since it is used by kubelet")
    if service_type in ("LoadBalancer", "NodePort") and cluster_ip == "None":
        errors.invalid("spec.clusterIP", "None", f"may not be set to 'None' for {service_type} services")
    if service_type == "ExternalName":
        cname = str(spec.get("externalName") or "").removesuffix(".")   # a trailing dot marks it fully qualified
        if not cname:
            errors.required("spec.externalName")
        for problem in dns1123_subdomain_errors(cname) if cname else []:
            errors.invalid("spec.externalName", cname, problem)


def _validate_service_port(port: dict[str, Any], path: str, name_required: bool, names: set[str],
                           errors: FieldErrors) -> None:
    name = str(port.get("name") or "")
    if name_required and not name:
        errors.required(f"{path}.name")
    elif name:
        for problem in dns1123_label_errors(name):
            errors.invalid(f"{path}.name", name, problem)
        if name in names:
            errors.duplicate(f"{path}.name", name)
        names.add(name)
    number = port.get("port", 0)
    if not isinstance(number, int) or not 1 <= number <= 65535:
        errors.invalid(f"{path}.port", number, "must be between 1 and 65535, inclusive")
    protocol = port.get("protocol", "TCP")
    if protocol not in _PORT_PROTOCOLS:
        errors.not_supported(f"{path}.protocol", protocol, _PORT_PROTOCOLS)


@dataclass
class ServiceStrategy(Strategy):
    allow_create_on_update: bool = True
    return_deleted_object: bool = True

    def __post_init__(self) -> None:
        self.name_rule = dns1035_label_errors

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            spec.setdefault("internalTrafficPolicy", "Cluster")
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))

    def prepare_create(self, obj: dict[str, Any], rt: Any, ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        obj["status"] = {"loadBalancer": {}}
        if not isinstance(spec, dict) or spec.get("type", "ClusterIP") == "ExternalName":
            return
        name = obj["metadata"].get("name", "")
        self._assign_cluster_ip(spec, name, ctx)
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            try:
                self._assign_node_ports(spec, name, ctx)
            except ApiError:
                ctx.release_service({"spec": {"clusterIPs": spec.get("clusterIPs") or []}})
                raise

    @staticmethod
    def _assign_cluster_ip(spec: dict[str, Any], name: str, ctx: StrategyContext) -> None:
        if spec.get("clusterIP") not in (None, "", "None"):
            ip = str(spec["clusterIP"])
            if not ctx.reserve_cluster_ip(ip):
                errors = FieldErrors()
                errors.causes.append(FieldCause("FieldValueInvalid", "spec.clusterIPs",
                                                f'Invalid value: []string{{"{ip}"}}: failed to allocate IP {ip}: '
                                                "provided IP is already allocated"))
                errors.raise_if_any("Service", "", name)
            spec["clusterIPs"] = [ip]
        elif spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
        else:
            ip = ctx.allocate_cluster_ip()
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]

    @staticmethod
    def _assign_node_ports(spec: dict[str, Any], name: str, ctx: StrategyContext) -> None:
        """Explicit nodePorts are reserved as kube-apiserver's port allocator does (in range and not taken;
        the first refusal is the answer, and the ports this create took are given back), the others
        allocated."""
        ports = [port for port in spec.get("ports") or [] if isinstance(port, dict)]
        taken: list[int] = []
        for index, port in enumerate(ports):
            wanted = port.get("nodePort")
            if not wanted or not isinstance(wanted, int) or wanted in taken:
                continue
            if not NODE_PORT_MIN <= wanted <= NODE_PORT_MAX:
                refusal = (f"provided port is not in the valid range. The range of valid ports is "
                           f"{NODE_PORT_MIN}-{NODE_PORT_MAX}")
            elif ctx.reserve_node_port(wanted):
                taken.append(wanted)
                continue
            else:
                refusal = "provided port is already allocated"
            ctx.release_service({"spec": {"ports": [{"nodePort": port} for port in taken]}})
            errors = FieldErrors()
            errors.causes.append(FieldCause("FieldValueInvalid", f"spec.ports[{index}].nodePort",
                                            f"Invalid value: {wanted}: {refusal}"))
            errors.raise_if_any("Service", "", name)
        for port in ports:
            if not port.get("nodePort"):
                port["nodePort"] = ctx.allocate_node_port()

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: Any) -> None:
        super().prepare_update(new, old, rt)
        new_spec, old_spec = new.get("spec"), old.get("spec") or {}
        if isinstance(new_spec, dict):
            for key in ("clusterIP", "clusterIPs"):
                if key in old_spec and not new_spec.get(key):
                    new_spec[key] = old_spec[key]
            old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or [] if isinstance(p, dict)}
            for port in new_spec.get("ports") or []:
                if isinstance(port, dict) and not port.get("nodePort") and old_ports.get(port.get("port")):
                    port["nodePort"] = old_ports[port.get("port")]

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        """ValidateService's checks, in its order (kubectl prints the causes as the server lists them)."""
        spec = obj.get("spec") or {}
        service_type = spec.get("type", "ClusterIP")
        ports = [port if isinstance(port, dict) else {} for port in spec.get("ports") or []]
        headless = spec.get("clusterIP") == "None"
        if not ports and not headless and service_type != "ExternalName":
            errors.required("spec.ports")
        _validate_service_type_fields(spec, service_type, ports, errors)
        names: set[str] = set()
        for index, port in enumerate(ports):
            _validate_service_port(port, f"spec.ports[{index}]", len(ports) > 1, names, errors)
        affinity = spec.get("sessionAffinity", "None")
        if affinity not in ("ClientIP", "None"):
            errors.not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"])
        allowed = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if service_type not in allowed:
            errors.not_supported("spec.type", service_type, allowed)
        if service_type == "ClusterIP":
            for index, port in enumerate(ports):
                if port.get("nodePort"):
                    errors.forbidden(f"spec.ports[{index}].nodePort", "may not be used when `type` is 'ClusterIP'")

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        old_ip = (old.get("spec") or {}).get("clusterIP")
        new_ip = (new.get("spec") or {}).get("clusterIP")
        if old_ip and new_ip != old_ip and (new.get("spec") or {}).get("type") != "ExternalName":
            errors.invalid("spec.clusterIPs[0]", new_ip or "", "may not change once set")

    def release(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        ctx.release_service(obj)

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        spec = obj.get("spec") or {}
        return {**super().selectable_fields(obj), "spec.clusterIP": str(spec.get("clusterIP", "")),
                "spec.type": str(spec.get("type", ""))}


@dataclass
class NodeStrategy(Strategy):
    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        unschedulable = (obj.get("spec") or {}).get("unschedulable")
        return {**super().selectable_fields(obj), "spec.unschedulable": "true" if unschedulable else "false"}


@dataclass
class EventStrategy(Strategy):
    allow_create_on_update: bool = True

    def __post_init__(self) -> None:
        self.name_rule = _event_name_errors

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        obj.setdefault("eventTime", None)   # a MicroTime struct: Go encodes it, as null when unset

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        involved = obj.get("involvedObject") or {}
        namespace = obj.get("metadata", {}).get("namespace", "")
        if involved.get("namespace") and involved["namespace"] != namespace:
            errors.invalid("involvedObject.namespace", involved["namespace"],
                           "does not match event.namespace")

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        involved = obj.get("involvedObject") or {}
        source = obj.get("source") or {}
        fields = super().selectable_fields(obj)
        for key in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"):
            fields[f"involvedObject.{key}"] = str(involved.get(key, ""))
        fields.update({"reason": str(obj.get("reason", "")), "source": str(source.get("component", "")),
                       "type": str(obj.get("type", "")),
                       "reportingComponent": str(obj.get("reportingComponent", ""))})
        return fields


def _event_name_errors(name: str) -> list[str]:
    return path_segment_errors(name)


@dataclass
class PersistentVolumeClaimStrategy(Strategy):
    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        obj["status"] = {"phase": "Pending"}


@dataclass
class PersistentVolumeStrategy(Strategy):
    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
            spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        obj["status"] = {"phase": "Pending"}


_EVENT_TEXT_LIMIT = 128


def validate_events_v1(event: dict[str, Any], errors: FieldErrors) -> None:
    """What events.k8s.io/v1 demands beyond core/v1 Events (ValidateEventCreate for the new API)."""
    namespace = (event.get("metadata") or {}).get("namespace", "")
    regarding = event.get("regarding") or {}
    if not regarding.get("namespace") and namespace not in ("default", "kube-system"):
        errors.invalid("involvedObject.namespace", regarding.get("namespace", ""), "does not match event.namespace")
    controller = str(event.get("reportingController") or "")
    if not controller:
        errors.required("reportingController")
    else:
        for problem in qualified_name_errors(controller):
            errors.invalid("reportingController", controller, problem)
    for name in ("reportingInstance", "action", "reason"):
        value = str(event.get(name) or "")
        if not value:
            errors.required(name)
        elif len(value) > _EVENT_TEXT_LIMIT:
            errors.invalid(name, "", f"can have at most {_EVENT_TEXT_LIMIT} characters")
    if len(str(event.get("note") or "")) > 1024:
        errors.invalid("note", "", "can have at most 1024 characters")
    if not event.get("eventTime"):
        errors.required("eventTime")
    if event.get("type") not in ("Normal", "Warning"):
        errors.invalid("type", "", f"has invalid value: {event.get('type', '')}")
    for name in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp"):
        if event.get(name):
            errors.invalid(name, "", "needs to be unset")
    if event.get("deprecatedCount"):
        errors.invalid("deprecatedCount", "", "should be zero")
    source = event.get("deprecatedSource") or {}
    if source.get("component") or source.get("host"):
        errors.invalid("deprecatedSource", "", "needs to be unset")
