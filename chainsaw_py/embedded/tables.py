"""Server-side printing (``meta.k8s.io/v1 Table``) so ``kubectl get`` shows what it shows on a real cluster.

Columns and cell formats follow the apiserver's printers (pkg/printers/internalversion) for the kinds the
simulation produces; custom resources use their CRD's ``additionalPrinterColumns`` (default: Age); anything
else gets the default table (Name, Created At).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from chainsaw_py.embedded.conversion import convert
from chainsaw_py.embedded.decoding import parse_time
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.golang.durations import human_duration
from chainsaw_py.golang.jsonpath import JsonPathError, find_results
from chainsaw_py.util.labels import SelectorError, selector_from_label_selector, selector_from_set

Column = tuple[str, str, str, int]          # name, type, format, priority
Printer = tuple[list[Column], Callable[[dict[str, Any]], list[Any]]]

_NONE = "<none>"


def age(timestamp: Any) -> str:
    if not timestamp:
        return "<unknown>"
    moment = parse_time(str(timestamp))
    if moment is None:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.UTC) - moment).total_seconds())


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = obj.get("metadata") or {}
    return meta


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj.get("spec") or {}
    return spec


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = obj.get("status") or {}
    return status


def _selector_text(selector: Any) -> str:
    if not isinstance(selector, dict) or not selector:
        return _NONE
    try:
        if "matchLabels" in selector or "matchExpressions" in selector:
            parsed = selector_from_label_selector(selector)
        else:
            parsed = selector_from_set({str(k): str(v) for k, v in selector.items()})
    except SelectorError:
        return _NONE
    return str(parsed) if parsed is not None and not parsed.empty() else _NONE


def _containers_images(template_spec: dict[str, Any]) -> tuple[str, str]:
    containers = template_spec.get("containers") or []
    return (",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers))


# --- pods ---------------------------------------------------------------------------------------------------


def _pod_cells(pod: dict[str, Any]) -> list[Any]:
    spec, status, meta = _spec(pod), _status(pod), _meta(pod)
    containers = spec.get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for entry in statuses if entry.get("ready"))
    restarts = sum(int(entry.get("restartCount", 0)) for entry in statuses)
    reason = _pod_reason(pod)
    return [meta.get("name", ""), f"{ready}/{len(containers)}", reason, str(restarts), age(meta.get("creationTimestamp")),
            status.get("podIP") or _NONE, spec.get("nodeName") or _NONE, status.get("nominatedNodeName") or _NONE,
            _NONE]


def _pod_reason(pod: dict[str, Any]) -> str:
    status, meta = _status(pod), _meta(pod)
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or []
    for index, entry in enumerate(init_statuses):
        state = entry.get("state") or {}
        terminated = state.get("terminated")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
        elif (state.get("waiting") or {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{index}/{len(init_statuses)}"
        break
    else:
        reason = _main_container_reason(status, reason)
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def _main_container_reason(status: dict[str, Any], reason: str) -> str:
    has_running = False
    for entry in reversed(status.get("containerStatuses") or []):
        state = entry.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            reason = f"Signal:{terminated['signal']}" if terminated.get("signal") else \
                f"ExitCode:{terminated.get('exitCode', 0)}"
        elif state.get("running") and entry.get("ready"):
            has_running = True
    if reason == "Completed" and has_running:
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        reason = "Running" if ready else "NotReady"
    return reason


# --- other kinds --------------------------------------------------------------------------------------------


def _service_cells(service: dict[str, Any]) -> list[Any]:
    spec, meta = _spec(service), _meta(service)
    service_type = spec.get("type", "ClusterIP")
    ingress = (_status(service).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(spec.get("externalIPs") or [])
    if service_type == "LoadBalancer":
        external = ",".join([i.get("ip") or i.get("hostname", "") for i in ingress] + (spec.get("externalIPs") or [])) \
            or "<pending>"
    elif service_type == "ExternalName":
        external = spec.get("externalName", "")
    ports = []
    for port in spec.get("ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort") and service_type in ("NodePort", "LoadBalancer"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return [meta.get("name", ""), service_type, spec.get("clusterIP") or _NONE, external or _NONE,
            ",".join(ports) or _NONE, age(meta.get("creationTimestamp")), _selector_text(spec.get("selector"))]


def _endpoints_cells(endpoints: dict[str, Any]) -> list[Any]:
    addresses = []
    for subset in endpoints.get("subsets") or []:
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                addresses.append(f"{address.get('ip')}:{port.get('port')}" if port else address.get("ip"))
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [_meta(endpoints).get("name", ""), shown or _NONE, age(_meta(endpoints).get("creationTimestamp"))]


def _node_cells(node: dict[str, Any]) -> list[Any]:
    meta, status = _meta(node), _status(node)
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    if _spec(node).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(key.split("/", 1)[1] for key in (meta.get("labels") or {})
                   if key.startswith("node-role.kubernetes.io/"))
    info = status.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    return [meta.get("name", ""), state, ",".join(roles) or _NONE, age(meta.get("creationTimestamp")),
            info.get("kubeletVersion", ""), addresses.get("InternalIP", _NONE), addresses.get("ExternalIP", _NONE),
            info.get("osImage", ""), info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


def _deployment_cells(deployment: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(deployment), _spec(deployment), _status(deployment)
    containers, images = _containers_images(_spec(spec.get("template") or {}))
    return [meta.get("name", ""), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0)),
            age(meta.get("creationTimestamp")), containers, images, _selector_text(spec.get("selector"))]


def _replicaset_cells(replicaset: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(replicaset), _spec(replicaset), _status(replicaset)
    containers, images = _containers_images(_spec(spec.get("template") or {}))
    return [meta.get("name", ""), int(spec.get("replicas", 0)), int(status.get("replicas", 0)),
            int(status.get("readyReplicas", 0)), age(meta.get("creationTimestamp")), containers, images,
            _selector_text(spec.get("selector"))]


def _statefulset_cells(statefulset: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(statefulset), _spec(statefulset), _status(statefulset)
    containers, images = _containers_images(_spec(spec.get("template") or {}))
    return [meta.get("name", ""), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            age(meta.get("creationTimestamp")), containers, images]


def _daemonset_cells(daemonset: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(daemonset), _spec(daemonset), _status(daemonset)
    template_spec = _spec(spec.get("template") or {})
    containers, images = _containers_images(template_spec)
    node_selector = ",".join(f"{k}={v}" for k, v in sorted((template_spec.get("nodeSelector") or {}).items()))
    return [meta.get("name", ""), int(status.get("desiredNumberScheduled", 0)),
            int(status.get("currentNumberScheduled", 0)), int(status.get("numberReady", 0)),
            int(status.get("updatedNumberScheduled", 0)), int(status.get("numberAvailable", 0)),
            node_selector or _NONE, age(meta.get("creationTimestamp")), containers, images,
            _selector_text(spec.get("selector"))]


def _has_condition(obj: dict[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in _status(obj).get("conditions") or [])


def _job_cells(job: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(job), _spec(job), _status(job)
    if _has_condition(job, "Complete"):
        state = "Complete"
    elif _has_condition(job, "Failed"):
        state = "Failed"
    elif meta.get("deletionTimestamp"):
        state = "Terminating"
    elif _has_condition(job, "Suspended"):
        state = "Suspended"
    elif _has_condition(job, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    else:
        parallelism = spec.get("parallelism", 1)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    containers, images = _containers_images(_spec(spec.get("template") or {}))
    return [meta.get("name", ""), state, completions, _job_duration(status), age(meta.get("creationTimestamp")),
            containers, images, _selector_text(spec.get("selector"))]


def _job_duration(status: dict[str, Any]) -> str:
    start = parse_time(str(status.get("startTime") or ""))
    if start is None:
        return ""
    end = parse_time(str(status.get("completionTime") or "")) or dt.datetime.now(dt.UTC)
    return human_duration((end - start).total_seconds())


def _cronjob_cells(cronjob: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(cronjob), _spec(cronjob), _status(cronjob)
    last = status.get("lastScheduleTime")
    job_spec = _spec(spec.get("jobTemplate") or {})
    containers, images = _containers_images(_spec(job_spec.get("template") or {}))
    return [meta.get("name", ""), spec.get("schedule", ""), spec.get("timeZone") or _NONE,
            "True" if spec.get("suspend") else "False", len(status.get("active") or []),
            age(last) if last else _NONE, age(meta.get("creationTimestamp")), containers, images,
            _selector_text(job_spec.get("selector"))]


def _event_cells(event: dict[str, Any]) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
    first = event.get("firstTimestamp") or event.get("eventTime")
    source = event.get("source") or {}
    source_text = source.get("component", "") + (f", {source['host']}" if source.get("host") else "")
    return [age(last), event.get("type", ""), event.get("reason", ""),
            f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", involved.get("fieldPath", ""),
            source_text or event.get("reportingComponent", ""), event.get("message", ""), age(first),
            int(event.get("count") or 1), _meta(event).get("name", "")]


def _pvc_cells(claim: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(claim), _spec(claim), _status(claim)
    modes = _access_modes(status.get("accessModes") or spec.get("accessModes") or [])
    capacity = (status.get("capacity") or {}).get("storage", "") if status.get("phase") == "Bound" else ""
    return [meta.get("name", ""), status.get("phase", ""), spec.get("volumeName", ""), capacity,
            modes if status.get("phase") == "Bound" else "", spec.get("storageClassName") or _NONE,
            spec.get("volumeAttributesClassName") or _NONE, age(meta.get("creationTimestamp")),
            spec.get("volumeMode", "Filesystem")]


def _access_modes(modes: list[str]) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(short.get(mode, mode) for mode in modes)


def _pv_cells(volume: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(volume), _spec(volume), _status(volume)
    claim = spec.get("claimRef") or {}
    claim_text = f"{claim.get('namespace')}/{claim.get('name')}" if claim else ""
    return [meta.get("name", ""), (spec.get("capacity") or {}).get("storage", ""),
            _access_modes(spec.get("accessModes") or []), spec.get("persistentVolumeReclaimPolicy", ""),
            status.get("phase", ""), claim_text, spec.get("storageClassName", ""),
            spec.get("volumeAttributesClassName") or _NONE, status.get("reason", ""),
            age(meta.get("creationTimestamp")), spec.get("volumeMode", "Filesystem")]


def _simple(extra: Callable[[dict[str, Any]], list[Any]]) -> Callable[[dict[str, Any]], list[Any]]:
    def cells(obj: dict[str, Any]) -> list[Any]:
        meta = _meta(obj)
        return [meta.get("name", ""), *extra(obj), age(meta.get("creationTimestamp"))]
    return cells


_NAME: Column = ("Name", "string", "name", 0)
_AGE: Column = ("Age", "string", "", 0)


def _col(name: str, kind: str = "string", priority: int = 0) -> Column:
    return (name, kind, "", priority)


PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): ([_NAME, _col("Ready"), _col("Status"), _col("Restarts"), _AGE, _col("IP", priority=1),
                    _col("Node", priority=1), _col("Nominated Node", priority=1),
                    _col("Readiness Gates", priority=1)], _pod_cells),
    ("", "namespaces"): ([_NAME, _col("Status"), _AGE],
                         _simple(lambda obj: [_status(obj).get("phase", "")])),
    ("", "configmaps"): ([_NAME, _col("Data", "integer"), _AGE],
                         _simple(lambda obj: [len(obj.get("data") or {}) + len(obj.get("binaryData") or {})])),
    ("", "secrets"): ([_NAME, _col("Type"), _col("Data", "integer"), _AGE],
                      _simple(lambda obj: [obj.get("type", ""), len(obj.get("data") or {})])),
    ("", "serviceaccounts"): ([_NAME, _col("Secrets", "integer"), _AGE],
                              _simple(lambda obj: [len(obj.get("secrets") or [])])),
    ("", "services"): ([_NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"), _AGE,
                        _col("Selector", priority=1)], _service_cells),
    ("", "endpoints"): ([_NAME, _col("Endpoints"), _AGE], _endpoints_cells),
    ("", "nodes"): ([_NAME, _col("Status"), _col("Roles"), _AGE, _col("Version"), _col("Internal-IP", priority=1),
                     _col("External-IP", priority=1), _col("OS-Image", priority=1),
                     _col("Kernel-Version", priority=1), _col("Container-Runtime", priority=1)], _node_cells),
    ("", "events"): ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Subobject", priority=1),
                      _col("Source", priority=1), _col("Message"), _col("First Seen", priority=1),
                      _col("Count", "integer", 1), _col("Name", priority=1)], _event_cells),
    ("", "persistentvolumeclaims"): ([_NAME, _col("Status"), _col("Volume"), _col("Capacity"),
                                      _col("Access Modes"), _col("StorageClass"), _col("VolumeAttributesClass"), _AGE,
                                      _col("VolumeMode", priority=1)], _pvc_cells),
    ("", "persistentvolumes"): ([_NAME, _col("Capacity"), _col("Access Modes"), _col("Reclaim Policy"),
                                 _col("Status"), _col("Claim"), _col("StorageClass"), _col("VolumeAttributesClass"),
                                 _col("Reason"), _AGE, _col("VolumeMode", priority=1)], _pv_cells),
    ("apps", "deployments"): ([_NAME, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"),
                               _AGE, _col("Containers", priority=1), _col("Images", priority=1),
                               _col("Selector", priority=1)], _deployment_cells),
    ("apps", "replicasets"): ([_NAME, _col("Desired", "integer"), _col("Current", "integer"),
                               _col("Ready", "integer"), _AGE, _col("Containers", priority=1),
                               _col("Images", priority=1), _col("Selector", priority=1)], _replicaset_cells),
    ("apps", "statefulsets"): ([_NAME, _col("Ready"), _AGE, _col("Containers", priority=1),
                                _col("Images", priority=1)], _statefulset_cells),
    ("apps", "daemonsets"): ([_NAME, _col("Desired", "integer"), _col("Current", "integer"),
                              _col("Ready", "integer"), _col("Up-to-date", "integer"), _col("Available", "integer"),
                              _col("Node Selector"), _AGE, _col("Containers", priority=1),
                              _col("Images", priority=1), _col("Selector", priority=1)], _daemonset_cells),
    ("batch", "jobs"): ([_NAME, _col("Status"), _col("Completions"), _col("Duration"), _AGE,
                         _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                        _job_cells),
    ("batch", "cronjobs"): ([_NAME, _col("Schedule"), _col("Timezone"), _col("Suspend", "boolean"),
                             _col("Active", "integer"), _col("Last Schedule"), _AGE, _col("Containers", priority=1),
                             _col("Images", priority=1), _col("Selector", priority=1)], _cronjob_cells),
    ("coordination.k8s.io", "leases"): ([_NAME, _col("Holder"), _AGE],
                                        _simple(lambda obj: [_spec(obj).get("holderIdentity", "")])),
    ("apps", "controllerrevisions"): ([_NAME, _col("Controller"), _col("Revision", "integer"), _AGE],
                                      _simple(lambda obj: [_controller_of(obj), int(obj.get("revision", 0))])),
}


# --- the other built-in kinds (pkg/printers/internalversion/printers.go) --------------------------------

def _more(items: list[str], limit: int = 3) -> str:
    """``a,b,c + 2 more...`` as the printers shorten long lists."""
    shown = ",".join(items[:limit])
    return f"{shown} + {len(items) - limit} more..." if len(items) > limit else shown


def _rc_cells(rc: dict[str, Any]) -> list[Any]:
    meta, spec, status = _meta(rc), _spec(rc), _status(rc)
    containers, images = _containers_images(_spec(spec.get("template") or {}))
    return [meta.get("name", ""), int(spec.get("replicas", 0)), int(status.get("replicas", 0)),
            int(status.get("readyReplicas", 0)), age(meta.get("creationTimestamp")), containers, images,
            _selector_text(spec.get("selector"))]


def _pod_template_cells(template: dict[str, Any]) -> list[Any]:
    inner = template.get("template") or {}
    containers, images = _containers_images(_spec(inner))
    labels = (inner.get("metadata") or {}).get("labels") or {}
    label_text = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or _NONE
    return [_meta(template).get("name", ""), containers, images, label_text]


def _pdb_cells(pdb: dict[str, Any]) -> list[Any]:
    spec = _spec(pdb)
    return [_meta(pdb).get("name", ""), str(spec.get("minAvailable", "N/A")), str(spec.get("maxUnavailable", "N/A")),
            int(_status(pdb).get("disruptionsAllowed", 0)), age(_meta(pdb).get("creationTimestamp"))]


def _hpa_cells(hpa: dict[str, Any]) -> list[Any]:
    spec, status = _spec(hpa), _status(hpa)
    ref = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [_meta(hpa).get("name", ""), f"{ref.get('kind', '')}/{ref.get('name', '')}", _hpa_targets(hpa),
            "<unset>" if minimum is None else str(minimum), int(spec.get("maxReplicas", 0)),
            int(status.get("currentReplicas", 0)), age(_meta(hpa).get("creationTimestamp"))]


def _hpa_targets(hpa: dict[str, Any]) -> str:
    metrics = _spec(hpa).get("metrics") or []
    if not metrics:
        return "<none>"
    current = _status(hpa).get("currentMetrics") or []
    shown = [_hpa_metric(metric, current[index] if index < len(current) else {})
             for index, metric in enumerate(metrics)]
    text = ", ".join(shown[:2])
    return f"{text} + {len(shown) - 2} more..." if len(shown) > 2 else text


def _hpa_metric(metric: dict[str, Any], current: dict[str, Any]) -> str:
    kind = str(metric.get("type", ""))
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods", "Object": "object",
           "External": "external"}.get(kind, "")
    spec_part, status_part = metric.get(key) or {}, current.get(key) or {}
    target, now = spec_part.get("target") or {}, status_part.get("current") or {}
    if target.get("type") == "Utilization":
        value = f"{now['averageUtilization']}%" if "averageUtilization" in now else "<unknown>"
        return f"{spec_part.get('name', '')}: {value}/{target.get('averageUtilization', '')}%"
    wanted = target.get("averageValue", target.get("value", ""))
    value = now.get("averageValue", now.get("value", "<unknown>"))
    prefix = f"{spec_part.get('name', '')}: " if kind in ("Resource", "ContainerResource") else ""
    return f"{prefix}{value}/{wanted}" + (" (avg)" if "averageValue" in target and kind != "Resource" else "")


def _ingress_cells(ingress: dict[str, Any]) -> list[Any]:
    spec, status = _spec(ingress), _status(ingress)
    hosts = [rule.get("host") for rule in spec.get("rules") or [] if rule.get("host")]
    lb = [entry.get("ip") or entry.get("hostname") or "" for entry in (status.get("loadBalancer") or {}).get(
        "ingress") or []]
    address = ",".join(lb)
    if len(address) > 16:
        address = address[:13] + "..."
    return [_meta(ingress).get("name", ""), spec.get("ingressClassName") or _NONE, _more(hosts) or "*", address,
            "80, 443" if spec.get("tls") else "80", age(_meta(ingress).get("creationTimestamp"))]


def _ingress_class_cells(ingress_class: dict[str, Any]) -> list[Any]:
    spec = _spec(ingress_class)
    params = spec.get("parameters") or {}
    shown = _NONE
    if params:
        group = params.get("apiGroup")
        shown = (f"{params.get('kind')}.{group}" if group else str(params.get("kind"))) + f"/{params.get('name')}"
    return [_meta(ingress_class).get("name", ""), spec.get("controller", ""), shown,
            age(_meta(ingress_class).get("creationTimestamp"))]


def _binding_cells(binding: dict[str, Any]) -> list[Any]:
    ref = binding.get("roleRef") or {}
    subjects = binding.get("subjects") or []

    def of(kind: str) -> str:
        names = [(f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount" else s.get("name", ""))
                 for s in subjects if s.get("kind") == kind]
        return ", ".join(names)
    return [_meta(binding).get("name", ""), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            age(_meta(binding).get("creationTimestamp")), of("User"), of("Group"), of("ServiceAccount")]


def _endpointslice_cells(slice_: dict[str, Any]) -> list[Any]:
    ports = [str(port["port"]) for port in slice_.get("ports") or [] if port.get("port") is not None]
    addresses = [address for endpoint in slice_.get("endpoints") or [] for address in endpoint.get("addresses") or []]
    return [_meta(slice_).get("name", ""), slice_.get("addressType", ""), _more(ports) or "<unset>",
            _more(addresses) or "<unset>", age(_meta(slice_).get("creationTimestamp"))]


def _quota_cells(quota: dict[str, Any]) -> list[Any]:
    hard, used = _status(quota).get("hard") or {}, _status(quota).get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(_spec(quota).get("hard") or {}):
        entry = f"{resource}: {used.get(resource, '0')}/{hard.get(resource, '0')}"
        (limits if resource.startswith("limits.") else requests).append(entry)
    return [_meta(quota).get("name", ""), age(_meta(quota).get("creationTimestamp")), ", ".join(requests),
            ", ".join(limits)]


_DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                              "storageclass.beta.kubernetes.io/is-default-class")


def _storage_class_cells(storage_class: dict[str, Any]) -> list[Any]:
    meta = _meta(storage_class)
    annotations = meta.get("annotations") or {}
    name = meta.get("name", "")
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS_ANNOTATIONS):
        name += " (default)"
    return [name, storage_class.get("provisioner", ""), storage_class.get("reclaimPolicy") or "Delete",
            storage_class.get("volumeBindingMode") or "Immediate", bool(storage_class.get("allowVolumeExpansion")),
            age(meta.get("creationTimestamp"))]


def _priority_class_cells(priority_class: dict[str, Any]) -> list[Any]:
    return [_meta(priority_class).get("name", ""), int(priority_class.get("value", 0)),
            bool(priority_class.get("globalDefault")),
            priority_class.get("preemptionPolicy") or "PreemptLowerPriority",
            age(_meta(priority_class).get("creationTimestamp"))]


def _csr_cells(csr: dict[str, Any]) -> list[Any]:
    spec = _spec(csr)
    conditions = [c.get("type", "") for c in _status(csr).get("conditions") or [] if c.get("status", "True") == "True"]
    if _status(csr).get("certificate") and "Approved" in conditions:
        conditions.append("Issued")
    seconds = spec.get("expirationSeconds")
    return [_meta(csr).get("name", ""), age(_meta(csr).get("creationTimestamp")), spec.get("signerName", ""),
            spec.get("username", ""), human_duration(seconds) if seconds else _NONE,
            ",".join(conditions) or "Pending"]


def _webhook_count_cells(config: dict[str, Any]) -> list[Any]:
    return [_meta(config).get("name", ""), len(config.get("webhooks") or []),
            age(_meta(config).get("creationTimestamp"))]


def _param_kind(policy: dict[str, Any]) -> str:
    kind = _spec(policy).get("paramKind") or {}
    return f"{kind.get('apiVersion', '')}/{kind.get('kind', '')}" if kind else _NONE


def _param_ref(binding: dict[str, Any]) -> str:
    ref = _spec(binding).get("paramRef") or {}
    if not ref:
        return _NONE
    if ref.get("selector") is not None:
        return f"{ref.get('namespace', '')}/*[{_selector_text(ref.get('selector'))}]" if ref.get("namespace") \
            else f"*[{_selector_text(ref.get('selector'))}]"
    return f"{ref.get('namespace')}/{ref.get('name', '')}" if ref.get("namespace") else str(ref.get("name", ""))


def _apiservice_cells(service: dict[str, Any]) -> list[Any]:
    target = _spec(service).get("service")
    shown = f"{target.get('namespace', '')}/{target.get('name', '')}" if target else "Local"
    available = "Unknown"
    for condition in _status(service).get("conditions") or []:
        if condition.get("type") == "Available":
            available = str(condition.get("status", "Unknown"))
            if available == "False":
                available += f" ({condition.get('reason', '')})"
    return [_meta(service).get("name", ""), shown, available, age(_meta(service).get("creationTimestamp"))]


def _flowschema_cells(schema: dict[str, Any]) -> list[Any]:
    spec = _spec(schema)
    missing = "Unknown"
    for condition in _status(schema).get("conditions") or []:
        if condition.get("type") == "Dangling":
            missing = str(condition.get("status", "Unknown"))
    return [_meta(schema).get("name", ""), (spec.get("priorityLevelConfiguration") or {}).get("name", ""),
            int(spec.get("matchingPrecedence", 0)), (spec.get("distinguisherMethod") or {}).get("type") or _NONE,
            age(_meta(schema).get("creationTimestamp")), missing]


def _priority_level_cells(level: dict[str, Any]) -> list[Any]:
    spec = _spec(level)
    limited = spec.get("limited") or {}
    queuing = (limited.get("limitResponse") or {}).get("queuing") or {}
    shares = limited.get("nominalConcurrencyShares") if spec.get("type") == "Limited" else None
    return [_meta(level).get("name", ""), spec.get("type", ""), _NONE if shares is None else str(shares),
            str(queuing["queues"]) if "queues" in queuing else _NONE,
            str(queuing["handSize"]) if "handSize" in queuing else _NONE,
            str(queuing["queueLengthLimit"]) if "queueLengthLimit" in queuing else _NONE,
            age(_meta(level).get("creationTimestamp"))]


def _csidriver_cells(driver: dict[str, Any]) -> list[Any]:
    spec = _spec(driver)
    tokens = ",".join(str(t.get("audience", "")) for t in spec.get("tokenRequests") or []) or _NONE
    return [_meta(driver).get("name", ""), bool(spec.get("attachRequired", True)),
            bool(spec.get("podInfoOnMount", False)), bool(spec.get("storageCapacity", False)), tokens,
            bool(spec.get("requiresRepublish", False)),
            ",".join(spec.get("volumeLifecycleModes") or ["Persistent"]), age(_meta(driver).get("creationTimestamp"))]


def _volume_attachment_cells(attachment: dict[str, Any]) -> list[Any]:
    spec = _spec(attachment)
    return [_meta(attachment).get("name", ""), spec.get("attacher", ""),
            (spec.get("source") or {}).get("persistentVolumeName", ""), spec.get("nodeName", ""),
            bool(_status(attachment).get("attached")), age(_meta(attachment).get("creationTimestamp"))]


def _component_status_cells(component: dict[str, Any]) -> list[Any]:
    healthy = [c for c in component.get("conditions") or [] if c.get("type") == "Healthy"]
    condition = healthy[0] if healthy else {}
    status = {"True": "Healthy", "False": "Unhealthy"}.get(str(condition.get("status")), "Unknown")
    return [_meta(component).get("name", ""), status, condition.get("message", ""), condition.get("error", "")]


_MORE_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "replicationcontrollers"): ([_NAME, _col("Desired", "integer"), _col("Current", "integer"),
                                      _col("Ready", "integer"), _AGE, _col("Containers", priority=1),
                                      _col("Images", priority=1), _col("Selector", priority=1)], _rc_cells),
    ("", "podtemplates"): ([_NAME, _col("Containers"), _col("Images"), _col("Pod Labels")], _pod_template_cells),
    ("", "resourcequotas"): ([_NAME, _AGE, _col("Request"), _col("Limit")], _quota_cells),
    ("", "componentstatuses"): ([_NAME, _col("Status"), _col("Message"), _col("Error")], _component_status_cells),
    ("policy", "poddisruptionbudgets"): ([_NAME, _col("Min Available"), _col("Max Unavailable"),
                                          _col("Allowed Disruptions", "integer"), _AGE], _pdb_cells),
    ("autoscaling", "horizontalpodautoscalers"): ([_NAME, _col("Reference"), _col("Targets"), _col("MinPods"),
                                                   _col("MaxPods", "integer"), _col("Replicas", "integer"), _AGE],
                                                  _hpa_cells),
    ("networking.k8s.io", "ingresses"): ([_NAME, _col("Class"), _col("Hosts"), _col("Address"), _col("Ports"), _AGE],
                                         _ingress_cells),
    ("networking.k8s.io", "ingressclasses"): ([_NAME, _col("Controller"), _col("Parameters"), _AGE],
                                              _ingress_class_cells),
    ("networking.k8s.io", "networkpolicies"): ([_NAME, _col("Pod-Selector"), _AGE], _simple(
        lambda obj: [_selector_text(_spec(obj).get("podSelector")) if _spec(obj).get("podSelector") else _NONE])),
    ("rbac.authorization.k8s.io", "rolebindings"): ([_NAME, _col("Role"), _AGE, _col("Users", priority=1),
                                                     _col("Groups", priority=1),
                                                     _col("ServiceAccounts", priority=1)], _binding_cells),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): ([_NAME, _col("Role"), _AGE, _col("Users", priority=1),
                                                            _col("Groups", priority=1),
                                                            _col("ServiceAccounts", priority=1)], _binding_cells),
    ("discovery.k8s.io", "endpointslices"): ([_NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), _AGE],
                                             _endpointslice_cells),
    ("storage.k8s.io", "storageclasses"): ([_NAME, _col("Provisioner"), _col("ReclaimPolicy"),
                                            _col("VolumeBindingMode"), _col("AllowVolumeExpansion", "boolean"), _AGE],
                                           _storage_class_cells),
    ("storage.k8s.io", "csidrivers"): ([_NAME, _col("AttachRequired", "boolean"), _col("PodInfoOnMount", "boolean"),
                                        _col("StorageCapacity", "boolean"), _col("TokenRequests"),
                                        _col("RequiresRepublish", "boolean"), _col("Modes"), _AGE],
                                       _csidriver_cells),
    ("storage.k8s.io", "csinodes"): ([_NAME, _col("Drivers", "integer"), _AGE],
                                     _simple(lambda obj: [len(_spec(obj).get("drivers") or [])])),
    ("storage.k8s.io", "csistoragecapacities"): ([_NAME, _col("StorageClassName"), _col("Capacity"), _AGE],
                                                 _simple(lambda obj: [obj.get("storageClassName", ""),
                                                                      obj.get("capacity") or _NONE])),
    ("storage.k8s.io", "volumeattachments"): ([_NAME, _col("Attacher"), _col("PV"), _col("Node"),
                                               _col("Attached", "boolean"), _AGE], _volume_attachment_cells),
    ("scheduling.k8s.io", "priorityclasses"): ([_NAME, _col("Value", "integer"), _col("Global-Default", "boolean"),
                                                _col("Preemption-Policy"), _AGE], _priority_class_cells),
    ("node.k8s.io", "runtimeclasses"): ([_NAME, _col("Handler"), _AGE], _simple(lambda obj: [obj.get("handler", "")])),
    ("certificates.k8s.io", "certificatesigningrequests"): ([_NAME, _AGE, _col("SignerName"), _col("Requestor"),
                                                             _col("RequestedDuration"), _col("Condition")], _csr_cells),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): (
        [_NAME, _col("Webhooks", "integer"), _AGE], _webhook_count_cells),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): (
        [_NAME, _col("Webhooks", "integer"), _AGE], _webhook_count_cells),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): (
        [_NAME, _col("Validations", "integer"), _col("ParamKind"), _AGE],
        _simple(lambda obj: [len(_spec(obj).get("validations") or []), _param_kind(obj)])),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): (
        [_NAME, _col("PolicyName"), _col("ParamRef"), _AGE],
        _simple(lambda obj: [_spec(obj).get("policyName", ""), _param_ref(obj)])),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): ([_NAME, _col("PriorityLevel"),
                                                       _col("MatchingPrecedence", "integer"),
                                                       _col("DistinguisherMethod"), _AGE, _col("MissingPL")],
                                                      _flowschema_cells),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): (
        [_NAME, _col("Type"), _col("NominalConcurrencyShares"), _col("Queues"), _col("HandSize"),
         _col("QueueLengthLimit"), _AGE], _priority_level_cells),
    ("apiregistration.k8s.io", "apiservices"): ([_NAME, _col("Service"), _col("Available"), _AGE],
                                                _apiservice_cells),
}
PRINTERS.update(_MORE_PRINTERS)


def _controller_of(obj: dict[str, Any]) -> str:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            group = ref.get("apiVersion", "").rpartition("/")[0]
            kind = ref.get("kind", "").lower() + (f".{group}" if group else "")
            return f"{kind}/{ref.get('name')}"
    return _NONE


_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some resources "
            "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
            "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "Created At": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}


class TablePrinter:
    def table(self, rt: ResourceType, objects: list[dict[str, Any]], include_object: str, resource_version: str | None,
              continue_token: str, remaining: int | None, watch: bool = False) -> dict[str, Any]:
        columns, cells = self._printer(rt)
        metadata: dict[str, Any] = {}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        if continue_token:
            metadata["continue"] = continue_token
            metadata["remainingItemCount"] = remaining
        # views are printed from the stored version, like the apiserver's internal-version printers
        printable = (lambda obj: convert(obj, rt.storage_api_version)) if rt.is_view else (lambda obj: obj)
        rows = [{"cells": cells(printable(obj)), "object": self._row_object(obj, include_object)} for obj in objects]
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
                "columnDefinitions": [{"name": name, "type": kind, "format": fmt,
                                       "description": _DESCRIPTIONS.get(name, name), "priority": priority}
                                      for name, kind, fmt, priority in columns],
                "rows": rows}

    @staticmethod
    def _row_object(obj: dict[str, Any], include_object: str) -> Any:
        if include_object == "None":
            return None
        if include_object == "Object":
            return obj
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}

    def _printer(self, rt: ResourceType) -> Printer:
        if not rt.builtin:
            return _custom_printer(rt)
        printer = PRINTERS.get(rt.group_resource)
        if printer is not None:
            return printer
        return ([_NAME, ("Created At", "date", "", 0)],
                lambda obj: [_meta(obj).get("name", ""), _meta(obj).get("creationTimestamp")])


def _custom_printer(rt: ResourceType) -> Printer:
    columns_spec = list(rt.printer_columns) or [{"name": "Age", "type": "date",
                                                 "jsonPath": ".metadata.creationTimestamp"}]
    columns: list[Column] = [_NAME] + [(str(c.get("name", "")), str(c.get("type", "string")),
                                        str(c.get("format", "")), int(c.get("priority", 0))) for c in columns_spec]

    def cells(obj: dict[str, Any]) -> list[Any]:
        row: list[Any] = [_meta(obj).get("name", "")]
        for column in columns_spec:
            row.append(_column_value(obj, str(column.get("jsonPath", "")), str(column.get("type", "string"))))
        return row

    return columns, cells


def json_path_values(obj: Any, path: str) -> list[Any]:
    """The values of a CRD printer column's JSONPath (``.status.replicas``): client-go's ``FindResults`` of
    ``{path}`` with missing keys allowed, as the apiserver's table converter evaluates it; ``[]`` when the
    path does not parse or finds nothing."""
    path = path.strip()
    template = path if path.startswith("{") and path.endswith("}") else "{" + path + "}"
    try:
        results = find_results(template, obj)
    except JsonPathError:
        return []
    return results[0] if results else []


def _column_value(obj: dict[str, Any], path: str, kind: str) -> Any:
    values = json_path_values(obj, path)
    if not values or values[0] is None:
        return None
    value = values[0]
    if kind == "date":
        return age(value)
    if kind == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if kind in ("string",) and not isinstance(value, str):
        import json

        return json.dumps(value, separators=(",", ":")) if isinstance(value, (dict, list)) else str(value).lower() \
            if isinstance(value, bool) else str(value)
    return value
