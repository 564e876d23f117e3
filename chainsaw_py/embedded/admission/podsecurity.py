"""Pod Security admission (k8s.io/pod-security-admission) driven by the namespace labels
``pod-security.kubernetes.io/enforce`` (pods are refused), ``warn`` (a warning, also for workload templates) and
``audit`` (an audit annotation), with the ``baseline`` and ``restricted`` levels of the latest policy version:

    pods "web" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ...

Checks, in the order of their IDs: allowPrivilegeEscalation, capabilities (baseline / restricted), host
namespaces, hostPath volumes, host ports, privileged, /proc mount, restricted volume types, runAsNonRoot,
runAsUser, SELinux options, seccompProfile (baseline / restricted), sysctls. AppArmor and Windows hostProcess
checks are not made; every ``*-version`` label is treated as ``latest``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import Forbidden, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store

LABEL = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
_BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                          "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
_RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                       "projected", "secret"}
_SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                 "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                 "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                 "net.ipv4.tcp_keepalive_probes"}
_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
_TEMPLATE_PATHS = {("apps", "deployments"): ("spec", "template"), ("apps", "replicasets"): ("spec", "template"),
                   ("apps", "statefulsets"): ("spec", "template"), ("apps", "daemonsets"): ("spec", "template"),
                   ("batch", "jobs"): ("spec", "template"), ("", "replicationcontrollers"): ("spec", "template"),
                   ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template"), ("", "podtemplates"): ("template",)}


def _names(kind: str, names: list[str]) -> str:
    quoted = ", ".join(f'"{name}"' for name in names)
    return f"{kind}s {quoted}" if len(names) > 1 else f"{kind} {quoted}"


def _quoted(values: list[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or []) + \
        list(spec.get("ephemeralContainers") or [])


def _security(container: dict[str, Any]) -> dict[str, Any]:
    return dict(container.get("securityContext") or {})


Check = Callable[[dict[str, Any]], str | None]


def _allow_privilege_escalation(spec: dict[str, Any]) -> str | None:
    bad = [c["name"] for c in _containers(spec) if _security(c).get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return f"allowPrivilegeEscalation != false ({_names('container', bad)} must set " \
           "securityContext.allowPrivilegeEscalation=false)"


def _capabilities_baseline(spec: dict[str, Any]) -> str | None:
    found: dict[str, list[str]] = {}
    for container in _containers(spec):
        for capability in (_security(container).get("capabilities") or {}).get("add") or []:
            if capability not in _BASELINE_CAPABILITIES:
                found.setdefault(container["name"], []).append(str(capability))
    if not found:
        return None
    parts = [f'container "{name}" must not include {_quoted(caps)} in securityContext.capabilities.add'
             for name, caps in found.items()]
    return f"non-default capabilities ({'; '.join(parts)})"


def _capabilities_restricted(spec: dict[str, Any]) -> str | None:
    missing_drop, bad_add = [], {}
    for container in _containers(spec):
        capabilities = _security(container).get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop.append(container["name"])
        added = [str(c) for c in capabilities.get("add") or [] if c != "NET_BIND_SERVICE"]
        if added:
            bad_add[container["name"]] = added
    parts = []
    if missing_drop:
        parts.append(f'{_names("container", missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    for name, added in bad_add.items():
        parts.append(f'container "{name}" must not include {_quoted(added)} in securityContext.capabilities.add')
    return f"unrestricted capabilities ({'; '.join(parts)})" if parts else None


def _host_namespaces(spec: dict[str, Any]) -> str | None:
    used = [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if spec.get(field)]
    return f"host namespaces ({', '.join(used)})" if used else None


def _host_path_volumes(spec: dict[str, Any]) -> str | None:
    bad = [str(v.get("name")) for v in spec.get("volumes") or [] if "hostPath" in v]
    return f"hostPath volumes ({_names('volume', bad)})" if bad else None


def _host_ports(spec: dict[str, Any]) -> str | None:
    parts = []
    for container in _containers(spec):
        ports = [str(p["hostPort"]) for p in container.get("ports") or [] if p.get("hostPort")]
        if ports:
            noun = "hostPorts" if len(ports) > 1 else "hostPort"
            parts.append(f'container "{container["name"]}" uses {noun} {", ".join(ports)}')
    return f"hostPort ({'; '.join(parts)})" if parts else None


def _privileged(spec: dict[str, Any]) -> str | None:
    bad = [c["name"] for c in _containers(spec) if _security(c).get("privileged")]
    return f"privileged ({_names('container', bad)} must not set securityContext.privileged=true)" if bad else None


def _proc_mount(spec: dict[str, Any]) -> str | None:
    bad = [c["name"] for c in _containers(spec) if _security(c).get("procMount") not in (None, "Default")]
    if not bad:
        return None
    return f"procMount ({_names('container', bad)} must not set securityContext.procMount to \"Unmasked\")"


def _restricted_volumes(spec: dict[str, Any]) -> str | None:
    parts = []
    for volume in spec.get("volumes") or []:
        kinds = [key for key in volume if key != "name" and key not in _RESTRICTED_VOLUMES]
        if kinds:
            parts.append(f'volume "{volume.get("name")}" uses restricted volume type "{kinds[0]}"')
    return f"restricted volume types ({'; '.join(parts)})" if parts else None


def _run_as_non_root(spec: dict[str, Any]) -> str | None:
    pod_level = (spec.get("securityContext") or {}).get("runAsNonRoot")
    explicit_false = [c["name"] for c in _containers(spec) if _security(c).get("runAsNonRoot") is False]
    unset = [c["name"] for c in _containers(spec) if _security(c).get("runAsNonRoot") is None]
    if pod_level is False:
        return "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"
    if explicit_false:
        return f"runAsNonRoot != true ({_names('container', explicit_false)} must not set " \
               "securityContext.runAsNonRoot=false)"
    if pod_level is not True and unset:
        return f"runAsNonRoot != true (pod or {_names('container', unset)} must set securityContext.runAsNonRoot=true)"
    return None


def _run_as_user(spec: dict[str, Any]) -> str | None:
    if (spec.get("securityContext") or {}).get("runAsUser") == 0:
        return "runAsUser=0 (pod must not set runAsUser=0)"
    bad = [c["name"] for c in _containers(spec) if _security(c).get("runAsUser") == 0]
    return f"runAsUser=0 ({_names('container', bad)} must not set runAsUser=0)" if bad else None


def _selinux(spec: dict[str, Any]) -> str | None:
    contexts = [(spec.get("securityContext") or {}).get("seLinuxOptions") or {}]
    contexts += [_security(c).get("seLinuxOptions") or {} for c in _containers(spec)]
    if any(options.get("type", "") not in _SELINUX_TYPES or options.get("user") or options.get("role")
           for options in contexts):
        return "seLinuxOptions (pod or containers must not set forbidden seLinuxOptions)"
    return None


def _seccomp_type(context: dict[str, Any]) -> str | None:
    profile = context.get("seccompProfile") or {}
    return profile.get("type")


def _seccomp_baseline(spec: dict[str, Any]) -> str | None:
    if _seccomp_type(spec.get("securityContext") or {}) == "Unconfined":
        return 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'
    bad = [c["name"] for c in _containers(spec) if _seccomp_type(_security(c)) == "Unconfined"]
    if bad:
        return f'seccompProfile ({_names("container", bad)} must not set securityContext.seccompProfile.type to ' \
               '"Unconfined")'
    return None


def _seccomp_restricted(spec: dict[str, Any]) -> str | None:
    allowed = ("RuntimeDefault", "Localhost")
    pod_type = _seccomp_type(spec.get("securityContext") or {})
    if pod_type is not None and pod_type not in allowed:
        return 'seccompProfile (pod must not set securityContext.seccompProfile.type to "' + str(pod_type) + '")'
    bad = [c["name"] for c in _containers(spec) if _seccomp_type(_security(c)) not in (*allowed, None)]
    if bad:
        return f'seccompProfile ({_names("container", bad)} must not set securityContext.seccompProfile.type to ' \
               '"Unconfined")'
    unset = [c["name"] for c in _containers(spec) if _seccomp_type(_security(c)) is None]
    if pod_type is None and unset:
        return f"seccompProfile (pod or {_names('container', unset)} must set securityContext.seccompProfile.type " \
               'to "RuntimeDefault" or "Localhost")'
    return None


def _sysctls(spec: dict[str, Any]) -> str | None:
    bad = [str(s.get("name")) for s in (spec.get("securityContext") or {}).get("sysctls") or []
           if s.get("name") not in _SAFE_SYSCTLS]
    return f"forbidden sysctls ({', '.join(bad)})" if bad else None


_BASELINE: list[tuple[str, Check]] = [
    ("capabilities_baseline", _capabilities_baseline), ("hostNamespaces", _host_namespaces),
    ("hostPathVolumes", _host_path_volumes), ("hostPorts", _host_ports), ("privileged", _privileged),
    ("procMount", _proc_mount), ("seLinuxOptions", _selinux), ("seccompProfile_baseline", _seccomp_baseline),
    ("sysctls", _sysctls)]
_RESTRICTED: list[tuple[str, Check]] = [
    ("allowPrivilegeEscalation", _allow_privilege_escalation), ("capabilities_restricted", _capabilities_restricted),
    ("restrictedVolumes", _restricted_volumes), ("runAsNonRoot", _run_as_non_root), ("runAsUser", _run_as_user),
    ("seccompProfile_restricted", _seccomp_restricted)]
_OVERRIDDEN = {"capabilities_baseline", "hostPathVolumes", "seccompProfile_baseline"}


def violations(level: str, spec: dict[str, Any]) -> list[str]:
    """The failed checks of ``level`` for a pod spec, in check-ID order."""
    if level == "baseline":
        checks = _BASELINE
    elif level == "restricted":
        checks = [check for check in _BASELINE if check[0] not in _OVERRIDDEN] + _RESTRICTED
    else:
        return []
    results = []
    for _check_id, check in sorted(checks, key=lambda item: item[0]):
        result = check(spec)
        if result:
            results.append(result)
    return results


def _any_namespace_labelled(store: Store) -> bool:
    return any(name.startswith(LABEL) for item in store.list("", "namespaces")[0]
               for name in item.obj["metadata"].get("labels") or {})


class PodSecurity:
    name = "PodSecurity"

    def __init__(self, store: Store, registry: ResourceRegistry) -> None:
        self.store = store
        self._labelled = StoreView(store, "", ("namespaces",), _any_namespace_labelled)

    def active(self) -> bool:
        """Only while some namespace carries a pod-security label."""
        return self._labelled.get()

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.operation != CREATE or attrs.subresource or attrs.obj is None or not attrs.namespace:
            return
        key = (attrs.rt.group, attrs.rt.plural)
        is_pod = key == ("", "pods")
        if not is_pod and key not in _TEMPLATE_PATHS:
            return
        namespace = self.store.get("", "namespaces", "", attrs.namespace)
        labels = (namespace.obj["metadata"].get("labels") or {}) if namespace else {}
        if not any(name.startswith(LABEL) for name in labels):
            return
        spec = _pod_spec(attrs.obj, key)
        if spec is None:
            return
        enforce = labels.get(LABEL + "enforce", "privileged")
        if is_pod and enforce in LEVELS:
            failed = violations(enforce, spec)
            if failed:
                resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
                raise Forbidden(f'{resource} "{attrs.name}" is forbidden: violates PodSecurity "{enforce}:latest": '
                                + ", ".join(failed), details={"name": attrs.name, "kind": attrs.rt.plural})
        warn = labels.get(LABEL + "warn", "privileged")
        if warn in LEVELS:
            failed = violations(warn, spec)
            if failed:
                attrs.warnings.append(f'would violate PodSecurity "{warn}:latest": ' + ", ".join(failed))
        audit = labels.get(LABEL + "audit", "privileged")
        if audit in LEVELS and violations(audit, spec):
            attrs.audit_annotations["pod-security.kubernetes.io/audit-violations"] = \
                f'would violate PodSecurity "{audit}:latest": ' + ", ".join(violations(audit, spec))


def _pod_spec(obj: dict[str, Any], key: tuple[str, str]) -> dict[str, Any] | None:
    if key == ("", "pods"):
        spec = obj.get("spec")
    else:
        node: Any = obj
        for step in _TEMPLATE_PATHS[key]:
            node = node.get(step) if isinstance(node, dict) else None
        spec = node.get("spec") if isinstance(node, dict) else None
    if not isinstance(spec, dict):
        return None
    return {**spec, "containers": [c for c in spec.get("containers") or [] if isinstance(c, dict) and "name" in c]}
