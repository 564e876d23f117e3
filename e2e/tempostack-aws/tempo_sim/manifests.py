"""What the Tempo operator creates for a TempoStack, as pure functions from the stack to Kubernetes objects.

Modelled on tempo-operator ``internal/manifests`` for a stack without gateway, metrics-generator or size
profile (the features the simulation accepts, see :func:`unsupported_features`): the ConfigMap
``tempo-<name>`` with the Tempo configuration, the ServiceAccount ``tempo-<name>``, the Deployments of the
distributor, querier, query-frontend (with the Jaeger query and tempo-query containers when enabled) and
compactor, the StatefulSet of the ingester, their Services (``gossip-ring`` and ``query-frontend-discovery``
headless, publishing not-ready addresses), and the Jaeger UI Ingress. Names, labels, selectors, ports with
named target ports, container arguments, the S3 credentials' environment from the storage secret, and the
resources split from ``spec.resources.total`` follow the operator.

Simulation additions: every pod template carries ``sim.chainsaw-py.io/ready: "false"``, so the embedded
kubelet starts the containers unready and the plugin's simulated Tempo containers decide readiness after
their storage check (see ``containers.py``).
"""

from __future__ import annotations

import copy
import hashlib
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .storage import STATIC, TOKEN, S3Storage

OPERATOR_VERSION = "0.22.0"
TEMPO_VERSION = "2.10.8"
TEMPO_IMAGE = f"docker.io/grafana/tempo:{TEMPO_VERSION}"
TEMPO_QUERY_IMAGE = f"docker.io/grafana/tempo-query:{TEMPO_VERSION}"
JAEGER_QUERY_IMAGE = "docker.io/jaegertracing/jaeger-query:1.68.0"

MANAGED_BY = "tempo-operator"
GOSSIP_LABEL = "tempo-gossip-member"
CONFIG_HASH_ANNOTATION = "tempo.grafana.com/config.hash"
SIM_READY_ANNOTATION = "sim.chainsaw-py.io/ready"
STORAGE_CA_DIR = "/var/run/tls/storage/ca"

DISTRIBUTOR = "distributor"
INGESTER = "ingester"
QUERIER = "querier"
QUERY_FRONTEND = "query-frontend"
COMPACTOR = "compactor"
COMPONENTS = (COMPACTOR, DISTRIBUTOR, INGESTER, QUERIER, QUERY_FRONTEND)
STORAGE_COMPONENTS = (COMPACTOR, INGESTER, QUERIER, QUERY_FRONTEND)
"""The components whose Tempo module opens the trace store at start (the distributor does not)."""

# Share of spec.resources.total per component without gateway (manifestutils.resourcesMapNoGateway).
_RESOURCE_SHARES = {DISTRIBUTOR: (0.27, 0.12), INGESTER: (0.38, 0.5), COMPACTOR: (0.16, 0.18),
                    QUERIER: (0.1, 0.15), QUERY_FRONTEND: (0.045, 0.025), "jaeger-frontend": (0.045, 0.025)}
_REQUESTS_SHARE = 0.3

PORT = {"http": 3200, "grpc": 9095, "http-memberlist": 7946, "otlp-grpc": 4317, "otlp-http": 4318,
        "thrift-http": 14268, "thrift-compact": 6831, "thrift-binary": 6832, "jaeger-grpc": 14250,
        "http-zipkin": 9411, "grpclb": 9096, "jaeger-query-grpc": 16685, "jaeger-ui": 16686,
        "jaeger-metrics": 16687, "proxy-grpc": 7777}


@dataclass(frozen=True)
class Stack:
    """The defaulted view of a TempoStack the builders need (the operator's defaulting webhook values)."""

    name: str
    namespace: str
    uid: str
    spec: dict[str, Any]

    @property
    def service_account(self) -> str:
        return str(self.spec.get("serviceAccount") or name("", self.name))

    def component_spec(self, component: str) -> dict[str, Any]:
        template = self.spec.get("template") or {}
        key = {QUERY_FRONTEND: "queryFrontend"}.get(component, component)
        section = template.get(key) or {}
        return dict(section.get("component") or {}) if key in ("distributor", "queryFrontend") else dict(section)

    def replicas(self, component: str) -> int:
        """The webhook's default is one replica; an explicit 0 stays 0."""
        value = self.component_spec(component).get("replicas")
        return 1 if value is None else int(value)

    @property
    def jaeger_query(self) -> dict[str, Any]:
        return dict(((self.spec.get("template") or {}).get("queryFrontend") or {}).get("jaegerQuery") or {})


def from_object(stack: dict[str, Any]) -> Stack:
    meta = stack.get("metadata") or {}
    return Stack(str(meta.get("name", "")), str(meta.get("namespace", "")), str(meta.get("uid", "")),
                 copy.deepcopy(stack.get("spec") or {}))


def unsupported_features(spec: dict[str, Any]) -> list[str]:
    """Fields set to something the simulated operator does not build (they would need other APIs such as
    OpenShift routes, ServiceMonitors or the gateway's tenants); empty when the stack can be simulated."""
    template = spec.get("template") or {}
    jaeger = (template.get("queryFrontend") or {}).get("jaegerQuery") or {}
    metrics = (spec.get("observability") or {}).get("metrics") or {}
    memberlist = (spec.get("hashRing") or {}).get("memberlist") or {}
    checks = {
        "spec.template.gateway.enabled": bool((template.get("gateway") or {}).get("enabled")),
        "spec.template.metricsGenerator.enabled": bool((template.get("metricsGenerator") or {}).get("enabled")),
        "spec.template.distributor.tls.enabled": bool(((template.get("distributor") or {}).get("tls") or {})
                                                      .get("enabled")),
        "spec.template.queryFrontend.jaegerQuery.authentication.enabled":
            bool((jaeger.get("authentication") or {}).get("enabled")),
        "spec.template.queryFrontend.jaegerQuery.ingress.type: route":
            (jaeger.get("ingress") or {}).get("type") == "route",
        "spec.size": bool(spec.get("size")),
        "spec.tenants": bool(spec.get("tenants")),
        "spec.replicationZones": bool(spec.get("replicationZones")),
        "spec.observability.metrics.createServiceMonitors": bool(metrics.get("createServiceMonitors")),
        "spec.observability.metrics.createPrometheusRules": bool(metrics.get("createPrometheusRules")),
        "spec.observability.grafana.createDatasource":
            bool(((spec.get("observability") or {}).get("grafana") or {}).get("createDatasource")),
        "spec.hashRing.memberlist.instanceAddrType: podIP": memberlist.get("instanceAddrType") == "podIP",
        "spec.hashRing.memberlist.enableIPv6": bool(memberlist.get("enableIPv6")),
        "spec.limits.perTenant": bool((spec.get("limits") or {}).get("perTenant")),
        "spec.retention.perTenant": bool((spec.get("retention") or {}).get("perTenant")),
    }
    return [field for field, used in checks.items() if used]


# --- names and labels -----------------------------------------------------------------------------------


def name(component: str, stack_name: str) -> str:
    """``naming.Name``: tempo-<stack> or tempo-<stack>-<component>."""
    return f"tempo-{stack_name}" if component in ("", "tempo") else f"tempo-{stack_name}-{component}"


def common_labels(stack_name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": stack_name,
            "app.kubernetes.io/managed-by": MANAGED_BY}


def component_labels(component: str, stack_name: str) -> dict[str, str]:
    return {**common_labels(stack_name), "app.kubernetes.io/component": component}


def _meta(stack: Stack, object_name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": object_name, "namespace": stack.namespace, "labels": dict(labels)}


# --- the Tempo configuration ------------------------------------------------------------------------------


def tempo_config(stack: Stack, storage: S3Storage) -> dict[str, Any]:
    """The operator's tempo.yaml for this stack (storage, rings over memberlist, receivers, limits)."""
    spec = stack.spec
    retention = ((spec.get("retention") or {}).get("global") or {}).get("traces") or "48h0m0s"
    timeout = spec.get("timeout") or "30s"
    s3: dict[str, Any] = {"endpoint": storage.endpoint, "bucket": storage.bucket, "insecure": storage.insecure}
    if storage.ca_name:
        s3["tls_ca_path"] = f"{STORAGE_CA_DIR}/{storage.ca_key}"
    config: dict[str, Any] = {
        "compactor": {"compaction": {"block_retention": retention}, "ring": {"kvstore": {"store": "memberlist"}}},
        "distributor": {"receivers": _receivers(), "ring": {"kvstore": {"store": "memberlist"}}},
        "ingester": {"lifecycler": {"ring": {"kvstore": {"store": "memberlist"},
                                             "replication_factor": int(spec.get("replicationFactor") or 1)},
                                    "tokens_file_path": "/var/tempo/tokens.json"},
                     "max_block_duration": "10m"},
        "memberlist": {"abort_if_cluster_join_fails": False, "join_members": [name("gossip-ring", stack.name)]},
        "multitenancy_enabled": False,
        "querier": {"max_concurrent_queries": 20,
                    "frontend_worker": {"frontend_address": f"{name('query-frontend-discovery', stack.name)}:9095"}},
        "server": {"grpc_server_max_recv_msg_size": 4194304, "grpc_server_max_send_msg_size": 4194304,
                   "http_listen_port": PORT["http"], "http_server_read_timeout": timeout,
                   "http_server_write_timeout": timeout, "log_format": "logfmt"},
        "storage": {"trace": {"backend": "s3", "blocklist_poll": "5m", "s3": s3,
                              "local": {"path": "/var/tempo/traces"}, "wal": {"path": "/var/tempo/wal"}}},
        "usage_report": {"reporting_enabled": False},
        "query_frontend": {"search": _frontend_search(spec.get("search") or {})},
    }
    overrides = _global_overrides((spec.get("limits") or {}).get("global") or {})
    if overrides:
        config["overrides"] = overrides
    extra = (spec.get("extraConfig") or {}).get("tempo")
    return _merged(config, extra) if isinstance(extra, dict) else config


def _frontend_search(search: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"max_spans_per_span_set": 0}
    if search.get("maxDuration"):
        result["max_duration"] = search["maxDuration"]
    result["default_result_limit"] = int(search.get("defaultResultLimit") or 20)
    return result


_OVERRIDES = (("ingestion", "ingestionBurstSizeBytes", "ingestion_burst_size_bytes"),
              ("ingestion", "ingestionRateLimitBytes", "ingestion_rate_limit_bytes"),
              ("ingestion", "maxTracesPerUser", "max_traces_per_user"),
              ("ingestion", "maxBytesPerTrace", "max_bytes_per_trace"),
              ("query", "maxBytesPerTagValues", "max_bytes_per_tag_values_query"),
              ("query", "maxSearchDuration", "max_search_duration"))


def _global_overrides(limits: dict[str, Any]) -> dict[str, Any]:
    """``spec.limits.global`` as the ``overrides`` block of tempo.yaml."""
    result: dict[str, Any] = {}
    for section, field, key in _OVERRIDES:
        value = (limits.get(section) or {}).get(field)
        if value:
            result[key] = value
    return result


def _receivers() -> dict[str, Any]:
    return {"jaeger": {"protocols": {"thrift_http": {"endpoint": "0.0.0.0:14268"},
                                     "thrift_binary": {"endpoint": "0.0.0.0:6832"},
                                     "thrift_compact": {"endpoint": "0.0.0.0:6831"},
                                     "grpc": {"endpoint": "0.0.0.0:14250"}}},
            "zipkin": {"endpoint": "0.0.0.0:9411"},
            "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}}}


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """extraConfig.tempo overrides the generated configuration key by key (maps merge, the rest replaces)."""
    result = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def config_map(stack: Stack, storage: S3Storage) -> tuple[dict[str, Any], str]:
    """The ConfigMap and the checksum of its main configuration (the pods' config.hash annotation)."""
    import yaml

    config = yaml.safe_dump(tempo_config(stack, storage), sort_keys=False)
    data = {"tempo.yaml": config, "tempo-query-frontend.yaml": config,
            "overrides.yaml": yaml.safe_dump({"overrides": {}}, sort_keys=False)}
    if stack.jaeger_query.get("enabled"):
        data["tempo-query.yaml"] = yaml.safe_dump({
            "address": f"0.0.0.0:{PORT['proxy-grpc']}", "backend": f"localhost:{PORT['http']}",
            "tenant_header_key": "x-scope-orgid",
            "services_query_duration": stack.jaeger_query.get("servicesQueryDuration") or "72h0m0s",
            "find_traces_concurrent_requests": int(stack.jaeger_query.get("findTracesConcurrentRequests") or 2),
        }, sort_keys=False)
    checksum = hashlib.sha256(config.encode()).hexdigest()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(stack, name("", stack.name),
                                                                      component_labels("config", stack.name)),
           "data": data}
    return obj, checksum


# --- resources ---------------------------------------------------------------------------------------------


def _f32(value: float) -> float:
    """Round to float32, as the operator's arithmetic does."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def component_resources(stack: Stack, component: str) -> dict[str, Any]:
    """``manifestutils.Resources``: the component's share of spec.resources.total.limits, requests at 30%."""
    from kubernetes.utils.quantity import parse_quantity

    explicit = (stack.jaeger_query.get("resources") if component == "jaeger-frontend"
                else stack.component_spec(component).get("resources"))
    if explicit:
        return copy.deepcopy(explicit)
    limits = (((stack.spec.get("resources") or {}).get("total") or {}).get("limits")) or {}
    share = _RESOURCE_SHARES.get(component)
    if share is None or not limits:
        return {}
    replicas = stack.replicas(component) if component != "jaeger-frontend" else 1
    result: dict[str, dict[str, str]] = {"limits": {}, "requests": {}}
    if "cpu" in limits:
        cpu = _f32(_f32(float(int(parse_quantity(limits["cpu"]) * 1000))) * _f32(share[0]))
        cpu = _f32(cpu / replicas) if replicas > 1 else cpu
        result["limits"]["cpu"] = _millis(int(cpu))
        result["requests"]["cpu"] = _millis(int(_f32(cpu * _f32(_REQUESTS_SHARE))))
    if "memory" in limits:
        memory = _f32(_f32(float(int(parse_quantity(limits["memory"])))) * _f32(share[1]))
        memory = _f32(memory / replicas) if replicas > 1 else memory
        result["limits"]["memory"] = _bytes(int(memory))
        result["requests"]["memory"] = _bytes(int(_f32(memory * _f32(_REQUESTS_SHARE))))
    return result


def _millis(millis: int) -> str:
    from chainsaw_py.golang.quantity import DECIMAL_SI, format_quantity

    return format_quantity(Decimal(millis) / 1000, DECIMAL_SI)


def _bytes(amount: int) -> str:
    from chainsaw_py.golang.quantity import BINARY_SI, format_quantity

    return format_quantity(Decimal(amount), BINARY_SI)


# --- pods ------------------------------------------------------------------------------------------------


def _container_port(port_name: str, number_key: str | None = None, protocol: str = "TCP") -> dict[str, Any]:
    return {"name": port_name, "containerPort": PORT[number_key or port_name], "protocol": protocol}


def _security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}


def _readiness_probe() -> dict[str, Any]:
    return {"httpGet": {"scheme": "HTTP", "path": "/ready", "port": "http"}, "initialDelaySeconds": 15,
            "timeoutSeconds": 1}


def _affinity(labels: dict[str, str]) -> dict[str, Any]:
    terms = [(100, "kubernetes.io/hostname"), (75, "failure-domain.beta.kubernetes.io/zone")]
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": weight, "podAffinityTerm": {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": key}}
        for weight, key in terms]}}


def tempo_container(stack: Stack, component: str, storage: S3Storage, ports: list[dict[str, Any]],
                    config_file: str = "tempo.yaml") -> dict[str, Any]:
    args = [f"-target={component}", f"-config.file=/conf/{config_file}"]
    if component == QUERY_FRONTEND:
        args.append("-mem-ballast-size-mbs=1024")
    args += ["-log.level=info", "-config.expand-env=true"]
    container: dict[str, Any] = {
        "name": "tempo", "image": (stack.spec.get("images") or {}).get("tempo") or TEMPO_IMAGE, "args": args,
        "ports": ports, "readinessProbe": _readiness_probe(),
        "volumeMounts": [{"name": "tempo-conf", "mountPath": "/conf", "readOnly": True},
                         {"name": "data" if component == INGESTER else "tempo-tmp-storage",
                          "mountPath": "/var/tempo"}],
        "securityContext": _security_context(),
    }
    resources = component_resources(stack, component)
    if resources:
        container["resources"] = resources
    env = list(copy.deepcopy(stack.spec.get("env") or []))
    if component in STORAGE_COMPONENTS:
        env += _storage_env(stack, storage)
        if storage.ca_name:
            container["volumeMounts"].append({"name": storage.ca_name, "mountPath": STORAGE_CA_DIR,
                                              "readOnly": True})
        if storage.credential_mode == STATIC:
            container["args"] += ["--storage.trace.s3.secret_key=$(S3_SECRET_KEY)",
                                  "--storage.trace.s3.access_key=$(S3_ACCESS_KEY)"]
    if env:
        container["env"] = env
    if stack.spec.get("envFrom"):
        container["envFrom"] = copy.deepcopy(stack.spec["envFrom"])
    return container


def _storage_env(stack: Stack, storage: S3Storage) -> list[dict[str, Any]]:
    """``configureS3StorageStatic``: the keys come from the storage secret (the token form needs none: the
    pod's service account carries the role, see :func:`service_account`)."""
    if storage.credential_mode != STATIC:
        return []
    secret = str((((stack.spec.get("storage") or {}).get("secret")) or {}).get("name") or "")
    return [{"name": variable, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for variable, key in (("S3_SECRET_KEY", "access_key_secret"), ("S3_ACCESS_KEY", "access_key_id"))]


def _pod_template(stack: Stack, component: str, labels: dict[str, str], containers: list[dict[str, Any]],
                  volumes: list[dict[str, Any]], config_hash: str) -> dict[str, Any]:
    spec_of = stack.component_spec(component)
    pod_spec: dict[str, Any] = {"serviceAccountName": stack.service_account, "affinity": _affinity(labels),
                                "containers": containers, "volumes": volumes}
    for key in ("nodeSelector", "tolerations"):
        if spec_of.get(key):
            pod_spec[key] = copy.deepcopy(spec_of[key])
    if spec_of.get("podSecurityContext"):
        pod_spec["securityContext"] = copy.deepcopy(spec_of["podSecurityContext"])
    return {"metadata": {"labels": {**labels, GOSSIP_LABEL: "true"},
                         "annotations": {CONFIG_HASH_ANNOTATION: config_hash, SIM_READY_ANNOTATION: "false"}},
            "spec": pod_spec}


def _volumes(stack: Stack, storage: S3Storage, component: str, with_tmp: bool = True,
             extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = [{"name": "tempo-conf", "configMap": {"name": name("", stack.name)}}]
    if with_tmp:
        volumes.append({"name": "tempo-tmp-storage", "emptyDir": {}})
    if storage.ca_name and component in STORAGE_COMPONENTS:
        volumes.append({"name": storage.ca_name, "configMap": {"name": storage.ca_name}})
    return volumes + (extra or [])


def _deployment(stack: Stack, component: str, template: dict[str, Any]) -> dict[str, Any]:
    labels = component_labels(component, stack.name)
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": _meta(stack, name(component, stack.name), labels),
            "spec": {"replicas": stack.replicas(component), "selector": {"matchLabels": dict(labels)},
                     "template": template}}


def distributor(stack: Stack, storage: S3Storage, config_hash: str) -> dict[str, Any]:
    ports = [_container_port("otlp-http"), _container_port("otlp-grpc"), _container_port("http"),
             _container_port("http-memberlist"), _container_port("thrift-http"),
             _container_port("thrift-compact", protocol="UDP"), _container_port("thrift-binary", protocol="UDP"),
             _container_port("jaeger-grpc"), _container_port("http-zipkin")]
    labels = component_labels(DISTRIBUTOR, stack.name)
    container = tempo_container(stack, DISTRIBUTOR, storage, ports)
    volumes = _volumes(stack, storage, DISTRIBUTOR)
    return _deployment(stack, DISTRIBUTOR, _pod_template(stack, DISTRIBUTOR, labels, [container], volumes, config_hash))


def simple_component(stack: Stack, component: str, storage: S3Storage, config_hash: str) -> dict[str, Any]:
    """The querier and the compactor: one tempo container serving http and memberlist."""
    ports = [_container_port("http"), _container_port("http-memberlist")]
    labels = component_labels(component, stack.name)
    container = tempo_container(stack, component, storage, ports)
    return _deployment(stack, component, _pod_template(stack, component, labels, [container],
                                                        _volumes(stack, storage, component), config_hash))


def query_frontend(stack: Stack, storage: S3Storage, config_hash: str) -> dict[str, Any]:
    labels = component_labels(QUERY_FRONTEND, stack.name)
    containers = [tempo_container(stack, QUERY_FRONTEND, storage, [_container_port("http"), _container_port("grpc")],
                                  "tempo-query-frontend.yaml")]
    extra_volumes: list[dict[str, Any]] = []
    if stack.jaeger_query.get("enabled"):
        containers += _jaeger_containers(stack)
        extra_volumes.append({"name": "tempo-tmp-storage-query", "emptyDir": {}})
    volumes = _volumes(stack, storage, QUERY_FRONTEND, extra=extra_volumes)
    template = _pod_template(stack, QUERY_FRONTEND, labels, containers, volumes, config_hash)
    return _deployment(stack, QUERY_FRONTEND, template)


def _jaeger_containers(stack: Stack) -> list[dict[str, Any]]:
    images = stack.spec.get("images") or {}
    jaeger = {
        "name": "jaeger-query", "image": images.get("jaegerQuery") or JAEGER_QUERY_IMAGE,
        "args": ["--query.base-path=/", "--span-storage.type=grpc", "--grpc-storage.server=localhost:7777",
                 "--query.bearer-token-propagation=true"],
        "ports": [_container_port("jaeger-grpc", "jaeger-query-grpc"), _container_port("jaeger-ui"),
                  _container_port("jaeger-metrics")],
        "volumeMounts": [{"name": "tempo-tmp-storage-query", "mountPath": "/tmp"}],
        "securityContext": _security_context(),
    }
    resources = component_resources(stack, "jaeger-frontend")
    if resources:
        jaeger["resources"] = resources
    tempo_query = {
        "name": "tempo-query", "image": images.get("tempoQuery") or TEMPO_QUERY_IMAGE,
        "args": ["-config=/conf/tempo-query.yaml"], "ports": [_container_port("proxy-grpc")],
        "volumeMounts": [{"name": "tempo-conf", "mountPath": "/conf", "readOnly": True}],
        "securityContext": _security_context(),
        "readinessProbe": {"grpc": {"port": PORT["proxy-grpc"]}, "timeoutSeconds": 1},
    }
    return [jaeger, tempo_query]


def ingester(stack: Stack, storage: S3Storage, config_hash: str) -> dict[str, Any]:
    labels = component_labels(INGESTER, stack.name)
    ports = [_container_port("http-memberlist"), _container_port("http"), _container_port("grpc")]
    container = tempo_container(stack, INGESTER, storage, ports)
    template = _pod_template(stack, INGESTER, labels, [container], _volumes(stack, storage, INGESTER, with_tmp=False),
                             config_hash)
    claim: dict[str, Any] = {"metadata": {"name": "data"},
                             "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                                      "resources": {"requests": {"storage": str(stack.spec.get("storageSize")
                                                                                or "10Gi")}}}}
    if stack.spec.get("storageClassName"):
        claim["spec"]["storageClassName"] = stack.spec["storageClassName"]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": _meta(stack, name(INGESTER, stack.name), labels),
            "spec": {"replicas": stack.replicas(INGESTER), "selector": {"matchLabels": dict(labels)},
                     "podManagementPolicy": "Parallel", "template": template, "volumeClaimTemplates": [claim]}}


# --- services, ingress, service account --------------------------------------------------------------------


def _service_port(port_name: str, number_key: str | None = None, protocol: str = "TCP") -> dict[str, Any]:
    return {"name": port_name, "port": PORT[number_key or port_name], "protocol": protocol, "targetPort": port_name}


def _service(stack: Stack, component: str, ports: list[dict[str, Any]], selector: dict[str, str] | None = None,
             headless: bool = False) -> dict[str, Any]:
    labels = component_labels(component, stack.name)
    spec: dict[str, Any] = {"ports": ports, "selector": selector or dict(labels)}
    if headless:
        spec.update({"clusterIP": "None", "publishNotReadyAddresses": True})
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(stack, name(component, stack.name), labels),
            "spec": spec}


def services(stack: Stack) -> list[dict[str, Any]]:
    memberlist, http, grpc = _service_port("http-memberlist"), _service_port("http"), _service_port("grpc")
    jaeger = ([_service_port("jaeger-grpc", "jaeger-query-grpc"), _service_port("jaeger-ui"),
               _service_port("jaeger-metrics")] if stack.jaeger_query.get("enabled") else [])
    frontend_labels = component_labels(QUERY_FRONTEND, stack.name)
    return [
        _service(stack, DISTRIBUTOR, [_service_port("otlp-http"), _service_port("otlp-grpc"), http,
                                      _service_port("thrift-http"), _service_port("thrift-compact", protocol="UDP"),
                                      _service_port("thrift-binary", protocol="UDP"), _service_port("jaeger-grpc"),
                                      _service_port("http-zipkin")]),
        _service(stack, INGESTER, [http, grpc]),
        _service(stack, "gossip-ring", [memberlist], {**common_labels(stack.name), GOSSIP_LABEL: "true"},
                 headless=True),
        _service(stack, QUERY_FRONTEND, [http, grpc, *jaeger]),
        _service(stack, "query-frontend-discovery", [http, grpc, _service_port("grpclb"), *jaeger], frontend_labels,
                 headless=True),
        _service(stack, QUERIER, [memberlist, http, grpc]),
        _service(stack, COMPACTOR, [memberlist, http]),
    ]


def ingress(stack: Stack) -> dict[str, Any] | None:
    """The Jaeger UI ingress (``jaegerQuery.ingress.type: ingress``): default backend, or a host rule."""
    settings = stack.jaeger_query.get("ingress") or {}
    if not stack.jaeger_query.get("enabled") or settings.get("type") != "ingress":
        return None
    frontend = name(QUERY_FRONTEND, stack.name)
    meta = _meta(stack, frontend, component_labels(QUERY_FRONTEND, stack.name))
    if settings.get("annotations"):
        meta["annotations"] = dict(settings["annotations"])
    backend = {"service": {"name": frontend, "port": {"name": "jaeger-ui"}}}
    spec: dict[str, Any] = {}
    if settings.get("ingressClassName"):
        spec["ingressClassName"] = settings["ingressClassName"]
    if settings.get("host"):
        spec["rules"] = [{"host": settings["host"], "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                                        "backend": backend}]}}]
    else:
        spec["defaultBackend"] = backend
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def service_account(stack: Stack, storage: S3Storage) -> dict[str, Any] | None:
    """Created only when the stack uses the default account name; with the token form it names the role."""
    if stack.service_account != name("", stack.name):
        return None
    meta = _meta(stack, stack.service_account, component_labels("serviceaccount", stack.name))
    if storage.credential_mode == TOKEN:
        meta["annotations"] = {"eks.amazonaws.com/audience": "sts.amazonaws.com",
                               "eks.amazonaws.com/role-arn": storage.role_arn}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


def build_all(stack: Stack, storage: S3Storage) -> list[dict[str, Any]]:
    """Every object, in the operator's order (``manifests.BuildAll``)."""
    config, config_hash = config_map(stack, storage)
    objects: list[dict[str, Any] | None] = [
        config, service_account(stack, storage),
        distributor(stack, storage, config_hash), ingester(stack, storage, config_hash),
        simple_component(stack, QUERIER, storage, config_hash), query_frontend(stack, storage, config_hash),
        simple_component(stack, COMPACTOR, storage, config_hash), *services(stack), ingress(stack),
    ]
    return [obj for obj in objects if obj is not None]
