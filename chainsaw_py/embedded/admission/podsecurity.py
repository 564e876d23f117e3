"""Pod Security admission (k8s.io/pod-security-admission) driven by the namespace labels
``pod-security.kubernetes.io/enforce`` (pods are refused), ``warn`` (a warning, also for workload templates) and
``audit`` (an audit annotation), each at the policy version of its ``*-version`` label (``v1.<minor>`` or
``latest``; newer than the server's 1.32 means 1.32; a label that does not parse means ``restricted:latest``,
as upstream's ``PolicyToEvaluate``):

    pods "web" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ...

Checks, baseline IDs sorted then restricted IDs sorted (as upstream's registry orders them), each with its
versions: appArmorProfile, capabilities_baseline, hostNamespaces, hostPathVolumes, hostPorts, privileged,
procMount, seLinuxOptions (``container_engine_t`` from 1.31), seccompProfile_baseline (annotations before
1.19), sysctls (1.0, 1.27, 1.29, 1.32 lists), windowsHostProcess; restricted allowPrivilegeEscalation (1.8+),
capabilities_restricted (1.22+), restrictedVolumes, runAsNonRoot, runAsUser (1.23+), seccompProfile_restricted
(1.19+); the restricted capabilities, seccomp and privilege escalation checks skip Windows pods
(``spec.os.name: windows``) from 1.25. Namespace writes have their labels validated, and tightening
``enforce`` warns about the namespace's existing pods. Exemptions (usernames, namespaces, runtime classes of
an AdmissionConfiguration) are not configurable: nothing is exempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, UPDATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import FieldErrors, Forbidden, Invalid, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store

LABEL = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
LATEST_MINOR = 32                     # the policy version of the server the embedded cluster reports
_VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                          "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
_RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                       "projected", "secret"}
_SYSCTLS_1_0 = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                          "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"})
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                                 "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES_1_0 | {"container_engine_t"}
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


def _selinux(allowed_types: frozenset[str]) -> Check:
    def check(spec: dict[str, Any]) -> str | None:
        bad_types: set[str] = set()
        flags = {"user": False, "role": False}

        def valid(options: dict[str, Any]) -> bool:
            ok = str(options.get("type", "")) in allowed_types
            if not ok:
                bad_types.add(str(options.get("type", "")))
            for key in ("user", "role"):
                if options.get(key):
                    flags[key], ok = True, False
            return ok

        setters = []
        pod_options = (spec.get("securityContext") or {}).get("seLinuxOptions")
        if isinstance(pod_options, dict) and not valid(pod_options):
            setters.append("pod")
        bad = [c["name"] for c in _containers(spec)
               if isinstance(_security(c).get("seLinuxOptions"), dict) and not valid(_security(c)["seLinuxOptions"])]
        if bad:
            setters.append(_names("container", bad))
        if not setters:
            return None
        data = []
        if bad_types:      # upstream mentions user and role only alongside a bad type
            data.append(f"{'types' if len(bad_types) > 1 else 'type'} {_quoted(sorted(bad_types))}")
            data += [f"{key} may not be set" for key in ("user", "role") if flags[key]]
        return f"seLinuxOptions ({' and '.join(setters)} set forbidden securityContext.seLinuxOptions: " \
               f"{'; '.join(data)})"
    return check


def _seccomp_type(context: dict[str, Any]) -> str | None:
    profile = context.get("seccompProfile") or {}
    return profile.get("type")


def _seccomp_baseline(spec: dict[str, Any]) -> str | None:
    setters, bad_values = [], set()
    pod_type = _seccomp_type(spec.get("securityContext") or {})
    if pod_type is not None and pod_type not in ("RuntimeDefault", "Localhost"):
        setters.append("pod")
        bad_values.add(str(pod_type))
    bad = []
    for container in _containers(spec):
        container_type = _seccomp_type(_security(container))
        if container_type is not None and container_type not in ("RuntimeDefault", "Localhost"):
            bad.append(container["name"])
            bad_values.add(str(container_type))
    if bad:
        setters.append(_names("container", bad))
    if not setters:
        return None
    return f"seccompProfile ({' and '.join(setters)} must not set securityContext.seccompProfile.type to " \
           f"{_quoted(sorted(bad_values))})"


def _seccomp_baseline_annotations(meta: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """Before 1.19: the seccomp alpha annotations."""
    annotations = meta.get("annotations") or {}

    def allowed(value: str) -> bool:
        return value in ("runtime/default", "docker/default") or value.startswith("localhost/")

    keys = [_SECCOMP_POD_ANNOTATION] + [_SECCOMP_CONTAINER_ANNOTATION + c["name"] for c in _containers(spec)]
    bad = sorted({f'{key}="{annotations[key]}"' for key in keys
                  if key in annotations and not allowed(str(annotations[key]))})
    if not bad:
        return None
    return f"seccompProfile (forbidden {'annotations' if len(bad) > 1 else 'annotation'} {', '.join(bad)})"


def _app_armor_type(context: dict[str, Any]) -> str | None:
    """The profile type a security context sets when it is not allowed (RuntimeDefault, Localhost), else None."""
    profile = context.get("appArmorProfile")
    if profile is None:
        return None
    kind = str((profile or {}).get("type") or "")
    return None if kind in ("RuntimeDefault", "Localhost") else kind


def _app_armor(meta: dict[str, Any], spec: dict[str, Any]) -> str | None:
    setters, bad_values = [], set()
    pod_type = _app_armor_type(spec.get("securityContext") or {})
    if pod_type is not None:
        setters.append("pod")
        bad_values.add(pod_type)
    bad = []
    for container in _containers(spec):
        container_type = _app_armor_type(_security(container))
        if container_type is not None:
            bad.append(container["name"])
            bad_values.add(container_type)
    if bad:
        setters.append(_names("container", bad))
    values = sorted(bad_values)
    annotations = sorted(f'{key}="{value}"' for key, value in (meta.get("annotations") or {}).items()
                         if str(key).startswith(_APPARMOR_ANNOTATION) and value
                         and value != "runtime/default" and not str(value).startswith("localhost/"))
    if annotations:
        values += annotations
        setters.append("annotations" if len(annotations) > 1 else "annotation")
    if not setters:
        return None
    reason = "forbidden AppArmor profiles" if len(values) > 1 else "forbidden AppArmor profile"
    return f"{reason} ({' and '.join(setters)} must not set AppArmor profile type to {_quoted(values)})"


def _windows_host_process(spec: dict[str, Any]) -> str | None:
    def host_process(context: dict[str, Any]) -> bool:
        return (context.get("windowsOptions") or {}).get("hostProcess") is True

    setters = ["pod"] if host_process(spec.get("securityContext") or {}) else []
    bad = [c["name"] for c in _containers(spec) if host_process(_security(c))]
    if bad:
        setters.append(_names("container", bad))
    if not setters:
        return None
    return f"hostProcess ({' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true)"


def _seccomp_restricted(spec: dict[str, Any]) -> str | None:
    """Bad explicit types as at baseline; then every container must be covered by an allowed type."""
    explicit = _seccomp_baseline(spec)
    if explicit:
        return explicit
    if _seccomp_type(spec.get("securityContext") or {}) is not None:
        return None
    unset = [c["name"] for c in _containers(spec) if _seccomp_type(_security(c)) is None]
    if unset:
        return f"seccompProfile (pod or {_names('container', unset)} must set securityContext.seccompProfile.type " \
               'to "RuntimeDefault" or "Localhost")'
    return None


def _sysctls(allowed: frozenset[str]) -> Check:
    def check(spec: dict[str, Any]) -> str | None:
        bad = [str(s.get("name")) for s in (spec.get("securityContext") or {}).get("sysctls") or []
               if s.get("name") not in allowed]
        return f"forbidden sysctls ({', '.join(bad)})" if bad else None
    return check


def _linux_only(check: Check) -> Check:
    """From 1.25 the restricted checks that make no sense on Windows skip pods with ``spec.os.name: windows``."""
    def checked(spec: dict[str, Any]) -> str | None:
        return None if (spec.get("os") or {}).get("name") == "windows" else check(spec)
    return checked


PodCheck = Callable[[dict[str, Any], dict[str, Any]], str | None]


def _spec_only(check: Check) -> PodCheck:
    return lambda _meta, spec: check(spec)


@dataclass(frozen=True)
class _Check:
    """One check ID: its level, its implementations by the first minor version they apply to, and the
    baseline checks it replaces at the restricted level."""

    id: str
    restricted: bool
    versions: tuple[tuple[int, PodCheck], ...]
    overrides: tuple[str, ...] = field(default=())

    def at(self, minor: int) -> PodCheck | None:
        chosen = None
        for first, check in self.versions:
            if first <= minor:
                chosen = check
        return chosen


_CHECKS = (
    _Check("appArmorProfile", False, ((0, _app_armor),)),
    _Check("capabilities_baseline", False, ((0, _spec_only(_capabilities_baseline)),)),
    _Check("hostNamespaces", False, ((0, _spec_only(_host_namespaces)),)),
    _Check("hostPathVolumes", False, ((0, _spec_only(_host_path_volumes)),)),
    _Check("hostPorts", False, ((0, _spec_only(_host_ports)),)),
    _Check("privileged", False, ((0, _spec_only(_privileged)),)),
    _Check("procMount", False, ((0, _spec_only(_proc_mount)),)),
    _Check("seLinuxOptions", False, ((0, _spec_only(_selinux(_SELINUX_TYPES_1_0))),
                                     (31, _spec_only(_selinux(_SELINUX_TYPES_1_31))))),
    _Check("seccompProfile_baseline", False, ((0, _seccomp_baseline_annotations),
                                              (19, _spec_only(_seccomp_baseline)))),
    _Check("sysctls", False, ((0, _spec_only(_sysctls(_SYSCTLS_1_0))), (27, _spec_only(_sysctls(_SYSCTLS_1_27))),
                              (29, _spec_only(_sysctls(_SYSCTLS_1_29))), (32, _spec_only(_sysctls(_SYSCTLS_1_32))))),
    _Check("windowsHostProcess", False, ((0, _spec_only(_windows_host_process)),)),
    _Check("allowPrivilegeEscalation", True, ((8, _spec_only(_allow_privilege_escalation)),
                                              (25, _spec_only(_linux_only(_allow_privilege_escalation))))),
    _Check("capabilities_restricted", True, ((22, _spec_only(_capabilities_restricted)),
                                             (25, _spec_only(_linux_only(_capabilities_restricted)))),
           ("capabilities_baseline",)),
    _Check("restrictedVolumes", True, ((0, _spec_only(_restricted_volumes)),), ("hostPathVolumes",)),
    _Check("runAsNonRoot", True, ((0, _spec_only(_run_as_non_root)),)),
    _Check("runAsUser", True, ((23, _spec_only(_run_as_user)),)),
    _Check("seccompProfile_restricted", True, ((19, _spec_only(_seccomp_restricted)),
                                               (25, _spec_only(_linux_only(_seccomp_restricted)))),
           ("seccompProfile_baseline",)),
)


def parse_version(label: str | None) -> int | None:
    """The policy minor of a ``*-version`` label: None for ``latest`` (and no label), else ``v1.<minor>``;
    raises ValueError for anything else."""
    if label is None or label == "latest":
        return None
    match = _VERSION.fullmatch(label)
    if match is None:
        raise ValueError(label)
    return int(match.group(1))


def violations(level: str, spec: dict[str, Any], minor: int | None = None,
               meta: dict[str, Any] | None = None) -> list[str]:
    """The failed checks of ``level`` at policy version 1.``minor`` (None: latest) for a pod, in the registry's
    order: baseline check IDs sorted, then restricted ones."""
    if level not in ("baseline", "restricted"):
        return []
    version = LATEST_MINOR if minor is None else min(minor, LATEST_MINOR)
    applicable = [check for check in _CHECKS if level == "restricted" or not check.restricted]
    overridden = {name for check in applicable if check.restricted and check.at(version) for name in check.overrides}
    ordered = sorted((check for check in applicable if check.id not in overridden),
                     key=lambda check: (check.restricted, check.id))
    results = []
    for check in ordered:
        implementation = check.at(version)
        result = implementation(meta or {}, spec) if implementation else None
        if result:
            results.append(result)
    return results


def _any_namespace_labelled(store: Store) -> bool:
    return any(name.startswith(LABEL) for item in store.list("", "namespaces")[0]
               for name in item.obj["metadata"].get("labels") or {})


_LEVEL_RANK = {"privileged": 0, "baseline": 1, "restricted": 2}
_MODES = ("enforce", "audit", "warn")
MAX_PODS_TO_CHECK = 3000


@dataclass(frozen=True)
class _Policy:
    level: str
    minor: int | None

    def __str__(self) -> str:
        return f"{self.level}:{'latest' if self.minor is None else f'v1.{self.minor}'}"


def policies(labels: dict[str, str]) -> tuple[dict[str, _Policy], FieldErrors]:
    """``api.PolicyToEvaluate``: each mode's level and version, with the label errors; an unparsable level
    counts as ``restricted``, an unparsable version as ``latest``; an unset warn level follows a stricter
    enforce level (and its version, when warn's is unset too)."""
    errors = FieldErrors()
    found: dict[str, _Policy] = {}
    for mode in _MODES:
        level = labels.get(LABEL + mode, "privileged")
        if level not in LEVELS:
            errors.invalid(f"metadata.labels[{LABEL}{mode}]", level, "must be one of privileged, baseline, restricted")
            level = "restricted"
        version_label = labels.get(LABEL + mode + "-version")
        try:
            minor = parse_version(version_label)
        except ValueError:
            errors.invalid(f"metadata.labels[{LABEL}{mode}-version]", version_label, 'must be "latest" or "v1.x"')
            minor = None
        found[mode] = _Policy(level, minor)
    enforce_set = labels.get(LABEL + "enforce") in LEVELS
    if LABEL + "warn" not in labels and enforce_set and \
            _LEVEL_RANK[found["enforce"].level] > _LEVEL_RANK[found["warn"].level]:
        follows_version = LABEL + "warn-version" not in labels and LABEL + "enforce-version" in labels
        found["warn"] = _Policy(found["enforce"].level, found["enforce"].minor if follows_version else
                                found["warn"].minor)
    return found, errors


def _reasons(failed: list[str]) -> str:
    """The aggregate ForbiddenReason: each failed check's reason without its detail."""
    return ", ".join(text.split(" (", 1)[0] for text in failed)


class PodSecurity:
    name = "PodSecurity"

    def __init__(self, store: Store, registry: ResourceRegistry) -> None:
        self.store = store
        self._labelled = StoreView(store, "", ("namespaces",), _any_namespace_labelled)

    def active(self) -> bool:
        """Always: namespace writes have their labels checked; pods return at once while no namespace is
        labelled."""
        return True

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.obj is None or not self._evaluated(attrs):
            return
        key = (attrs.rt.group, attrs.rt.plural)
        if key == ("", "namespaces"):
            self._validate_namespace(attrs)
        elif attrs.namespace and self._labelled.get():
            self._validate_pod(attrs, key)

    @staticmethod
    def _evaluated(attrs: AdmissionAttributes) -> bool:
        """Namespace writes; pod creates and significant pod updates (also through ``ephemeralcontainers`` or
        ``resize``); workload creates."""
        key = (attrs.rt.group, attrs.rt.plural)
        if key == ("", "pods"):
            if attrs.subresource in _IGNORED_POD_SUBRESOURCES:
                return False
            return attrs.operation == CREATE or (attrs.operation == UPDATE and attrs.old is not None
                                                 and _significant_update(attrs.obj or {}, attrs.old))
        if attrs.subresource:
            return False
        return key == ("", "namespaces") or (attrs.operation == CREATE and key in _TEMPLATE_PATHS)

    def _validate_pod(self, attrs: AdmissionAttributes, key: tuple[str, str]) -> None:
        assert attrs.obj is not None
        namespace = self.store.get("", "namespaces", "", attrs.namespace)
        labels = (namespace.obj["metadata"].get("labels") or {}) if namespace else {}
        if not any(name.startswith(LABEL) for name in labels):
            return
        parts = _pod_parts(attrs.obj, key)
        if parts is None:
            return
        meta, spec = parts
        modes, _errors = policies(labels)
        enforce = modes["enforce"]
        failed = violations(enforce.level, spec, enforce.minor, meta) if key == ("", "pods") else []
        if failed:
            resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
            raise Forbidden(f'{resource} "{attrs.name}" is forbidden: violates PodSecurity "{enforce}": '
                            + ", ".join(failed), details={"name": attrs.name, "kind": attrs.rt.plural})
        if key == ("", "pods"):
            attrs.audit_annotations["pod-security.kubernetes.io/enforce-policy"] = str(enforce)
        warn = modes["warn"]
        failed = violations(warn.level, spec, warn.minor, meta)
        if failed:
            attrs.warnings.append(f'would violate PodSecurity "{warn}": ' + ", ".join(failed))
        audit = modes["audit"]
        failed = violations(audit.level, spec, audit.minor, meta)
        if failed:
            attrs.audit_annotations["pod-security.kubernetes.io/audit-violations"] = \
                f'would violate PodSecurity "{audit}": ' + ", ".join(failed)

    def _validate_namespace(self, attrs: AdmissionAttributes) -> None:
        """Labels must parse (on create, and on update when they changed); tightening ``enforce`` warns about
        the namespace's pods that the new level would refuse."""
        assert attrs.obj is not None
        labels = dict((attrs.obj.get("metadata") or {}).get("labels") or {})
        modes, errors = policies(labels)
        old_labels = dict(((attrs.old or {}).get("metadata") or {}).get("labels") or {})
        old_modes, old_errors = policies(old_labels)
        if errors and (attrs.operation == CREATE or not old_errors or errors.causes != old_errors.causes):
            raise Invalid("Namespace", "", attrs.name, errors.causes)
        if attrs.operation != UPDATE:
            return
        new, old = modes["enforce"], old_modes["enforce"]
        if new == old or new.level == "privileged" or \
                (new.minor == old.minor and _LEVEL_RANK[new.level] <= _LEVEL_RANK[old.level]):
            return
        attrs.warnings.extend(self._existing_pod_warnings(attrs.name, new))

    def _existing_pod_warnings(self, namespace: str, enforce: _Policy) -> list[str]:
        pods = sorted(self.store.list("", "pods", namespace)[0], key=lambda item: item.obj["metadata"]["name"])
        warnings = []
        if len(pods) > MAX_PODS_TO_CHECK:
            warnings.append(f"new PodSecurity enforce level only checked against the first {MAX_PODS_TO_CHECK} of "
                            f"{len(pods)} existing pods")
        grouped: dict[str, list[str]] = {}
        for item in pods[:MAX_PODS_TO_CHECK]:
            parts = _pod_parts(item.obj, ("", "pods"))
            failed = violations(enforce.level, parts[1], enforce.minor, parts[0]) if parts else []
            if failed:
                grouped.setdefault(_reasons(failed), []).append(str(item.obj["metadata"]["name"]))
        if not grouped:
            return warnings
        warnings.append(f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce level '
                        f'"{enforce}"')
        return warnings + sorted(f"{_counted(names)}: {reason}" for reason, names in grouped.items())


_IGNORED_POD_SUBRESOURCES = frozenset({"exec", "attach", "binding", "eviction", "log", "portforward", "proxy",
                                       "status"})


def _significant_update(pod: dict[str, Any], old: dict[str, Any]) -> bool:
    """``isSignificantPodUpdate``: only a changed image, a changed seccomp annotation, added or removed
    containers or a new ephemeral container can change the verdict."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    old_annotations = (old.get("metadata") or {}).get("annotations") or {}
    if annotations.get(_SECCOMP_POD_ANNOTATION) != old_annotations.get(_SECCOMP_POD_ANNOTATION):
        return True
    spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    for key in ("containers", "initContainers"):
        new_list, old_list = spec.get(key) or [], old_spec.get(key) or []
        if len(new_list) != len(old_list):
            return True
        if any(_container_changed(a, b, annotations, old_annotations) for a, b in zip(new_list, old_list, strict=True)):
            return True
    previous = {c.get("name"): c for c in old_spec.get("ephemeralContainers") or [] if isinstance(c, dict)}
    return any(c.get("name") not in previous or _container_changed(c, previous[c.get("name")], annotations,
                                                                   old_annotations)
               for c in spec.get("ephemeralContainers") or [] if isinstance(c, dict))


def _container_changed(container: dict[str, Any], old: dict[str, Any], annotations: dict[str, Any],
                       old_annotations: dict[str, Any]) -> bool:
    key = _SECCOMP_CONTAINER_ANNOTATION + str(container.get("name", ""))
    return container.get("image") != old.get("image") or annotations.get(key) != old_annotations.get(key)


def _counted(names: list[str]) -> str:
    first, others = min(names), len(names) - 1
    if others == 0:
        return first
    return f"{first} (and 1 other pod)" if others == 1 else f"{first} (and {others} other pods)"


def _pod_parts(obj: dict[str, Any], key: tuple[str, str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The pod's (or pod template's) metadata and spec."""
    node: Any = obj
    if key != ("", "pods"):
        for step in _TEMPLATE_PATHS[key]:
            node = node.get(step) if isinstance(node, dict) else None
    spec = node.get("spec") if isinstance(node, dict) else None
    if not isinstance(spec, dict):
        return None
    meta = node.get("metadata") if isinstance(node.get("metadata"), dict) else {}
    return meta, {**spec, "containers": [c for c in spec.get("containers") or []
                                         if isinstance(c, dict) and "name" in c]}
