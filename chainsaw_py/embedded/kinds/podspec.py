"""Pod spec defaulting and validation, shared by Pods and every pod template (Deployments, Jobs, ...)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import FieldErrors
from chainsaw_py.embedded.kinds.base import dns1123_label_errors, validate_labels

_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]


def default_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images, else ``IfNotPresent`` (digests count as tagged)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_probe(probe: dict[str, Any] | None) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    for handler in ("httpGet",):
        if isinstance(probe.get(handler), dict):
            probe[handler].setdefault("path", "/")
            probe[handler].setdefault("scheme", "HTTP")


def default_container(container: dict[str, Any]) -> None:
    container.setdefault("imagePullPolicy", default_pull_policy(str(container.get("image", ""))))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in container.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))


def default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if "serviceAccount" in spec and "serviceAccountName" not in spec:
        spec["serviceAccountName"] = spec["serviceAccount"]
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                default_container(container)
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            _default_volume(volume)


def default_requests_to_limits(spec: dict[str, Any]) -> None:
    """``SetDefaults_Pod``: a container with a limit but no request for a resource requests its limit (pods
    only, not pod templates)."""
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            resources = container.get("resources") if isinstance(container, dict) else None
            if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
                continue
            limits = resources["limits"]
            requests = resources.setdefault("requests", {})
            if isinstance(requests, dict):
                for name, value in limits.items():
                    requests.setdefault(name, value)


def _default_volume(volume: dict[str, Any]) -> None:
    for source in ("configMap", "secret"):
        if isinstance(volume.get(source), dict):
            volume[source].setdefault("defaultMode", 420)
    if isinstance(volume.get("projected"), dict):
        volume["projected"].setdefault("defaultMode", 420)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")


def default_pod_template(template: dict[str, Any] | None) -> None:
    if not isinstance(template, dict):
        return
    spec = template.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pod_spec(spec)


def validate_pod_spec(spec: Any, path: str, errors: FieldErrors, restart_policies: list[str] | None = None) -> None:
    if not isinstance(spec, dict):
        errors.required(path)
        return
    containers = spec.get("containers")
    if not containers:
        errors.required(f"{path}.containers")
    names: set[str] = set()
    for key in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(key) or []):
            _validate_container(container, f"{path}.{key}[{index}]", names, errors)
    restart = spec.get("restartPolicy", "Always")
    allowed = restart_policies or _RESTART_POLICIES
    if restart not in allowed:
        if restart_policies and restart:
            errors.not_supported(f"{path}.restartPolicy", restart, allowed)
        elif restart_policies:
            errors.required(f"{path}.restartPolicy", "valid values: " + ", ".join(f'"{p}"' for p in allowed))
        else:
            errors.not_supported(f"{path}.restartPolicy", restart, allowed)
    dns_policy = spec.get("dnsPolicy", "ClusterFirst")
    if dns_policy not in _DNS_POLICIES:
        errors.not_supported(f"{path}.dnsPolicy", dns_policy, _DNS_POLICIES)
    volume_names: set[str] = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name", "") if isinstance(volume, dict) else ""
        if not name:
            errors.required(f"{path}.volumes[{index}].name")
        elif name in volume_names:
            errors.duplicate(f"{path}.volumes[{index}].name", name)
        volume_names.add(name)


def _validate_container(container: Any, path: str, names: set[str], errors: FieldErrors) -> None:
    if not isinstance(container, dict):
        return
    name = container.get("name", "")
    if not name:
        errors.required(f"{path}.name")
    else:
        for problem in dns1123_label_errors(name):
            errors.invalid(f"{path}.name", name, problem)
        if name in names:
            errors.duplicate(f"{path}.name", name)
        names.add(name)
    if not container.get("image"):
        errors.required(f"{path}.image")
    policy = container.get("imagePullPolicy")
    if policy and policy not in _PULL_POLICIES:
        errors.not_supported(f"{path}.imagePullPolicy", policy, _PULL_POLICIES)
    for index, port in enumerate(container.get("ports") or []):
        number = port.get("containerPort", 0) if isinstance(port, dict) else 0
        if not isinstance(number, int) or not 1 <= number <= 65535:
            errors.invalid(f"{path}.ports[{index}].containerPort", number, "must be between 1 and 65535, inclusive")
        protocol = port.get("protocol", "TCP") if isinstance(port, dict) else "TCP"
        if protocol not in _PROTOCOLS:
            errors.not_supported(f"{path}.ports[{index}].protocol", protocol, _PROTOCOLS)


def validate_pod_template(template: Any, path: str, errors: FieldErrors,
                          restart_policies: list[str] | None = None) -> None:
    if not isinstance(template, dict):
        errors.required(path)
        return
    metadata = template.get("metadata") or {}
    validate_labels(metadata.get("labels") or {}, f"{path}.metadata.labels", errors)
    validate_pod_spec(template.get("spec"), f"{path}.spec", errors, restart_policies)


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed / Burstable / BestEffort from the containers' requests and limits."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for resource in ("cpu", "memory"):
            limit = limits.get(resource)
            request = requests.get(resource, limit)
            if limit is None or str(request) != str(limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
