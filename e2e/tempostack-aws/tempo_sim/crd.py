"""The TempoStack CustomResourceDefinition (tempo.grafana.com/v1alpha1) for the embedded cluster.

A structural schema written for this simulation: it declares the fields of the real CRD that a TempoStack
commonly uses (storage, sizing, retention, limits, search, images, template of every component, Jaeger query
and its ingress, tenants, observability), with the real CRD's types, enums and defaults, so that a typo or a
wrong type is rejected with the API server's usual message. Deep Kubernetes types the operator passes through
unchanged (pod security contexts, tolerations, env, tenants' OIDC and RBAC details) keep their type but
not their inner fields.
"""

from __future__ import annotations

from typing import Any

GROUP = "tempo.grafana.com"
VERSION = "v1alpha1"
KIND = "TempoStack"
PLURAL = "tempostacks"
API_VERSION = f"{GROUP}/{VERSION}"

QUANTITY_PATTERN = (r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
INGRESS_TYPES = ["ingress", "route", "none", ""]
ROUTE_TERMINATIONS = ["insecure", "edge", "passthrough", "reencrypt"]


def _string(enum: list[str] | None = None, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum is not None:
        schema["enum"] = enum
    if default is not None:
        schema["default"] = default
    return schema


def _object(properties: dict[str, Any] | None = None, required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties or {}}
    if required:
        schema["required"] = required
    return schema


def _opaque_object() -> dict[str, Any]:
    """A Kubernetes type passed through as is (its own API validates it where it lands)."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _map(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": values}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _integer(fmt: str | None = None) -> dict[str, Any]:
    return {"type": "integer", "format": fmt} if fmt else {"type": "integer"}


def _quantity(default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"anyOf": [{"type": "integer"}, {"type": "string"}], "pattern": QUANTITY_PATTERN,
                              "x-kubernetes-int-or-string": True}
    if default is not None:
        schema["default"] = default
    return schema


def _resources() -> dict[str, Any]:
    return _object({"limits": _map(_quantity()), "requests": _map(_quantity()),
                    "claims": _array(_object({"name": _string(), "request": _string()}, ["name"]))})


def _component() -> dict[str, Any]:
    """TempoComponentSpec: what every component's template can set."""
    return _object({"replicas": _integer("int32"), "nodeSelector": _map(_string()),
                    "tolerations": _array(_opaque_object()), "resources": _resources(),
                    "podSecurityContext": _opaque_object()})


def _tls() -> dict[str, Any]:
    return _object({"enabled": {"type": "boolean"}, "caName": _string(), "certName": _string(),
                    "minVersion": _string(), "cipherSuites": _array(_string())})


def _ingress() -> dict[str, Any]:
    return _object({"type": _string(INGRESS_TYPES), "host": _string(), "annotations": _map(_string()),
                    "ingressClassName": _string(), "route": _object({"termination": _string(ROUTE_TERMINATIONS)})})


def _jaeger_query() -> dict[str, Any]:
    return _object({
        "enabled": {"type": "boolean"},
        "ingress": _ingress(),
        "monitorTab": _object({"enabled": {"type": "boolean"}, "prometheusEndpoint": _string(),
                               "redMetricsNamespace": _string()}),
        "servicesQueryDuration": _string(),
        "findTracesConcurrentRequests": _integer(),
        "resources": _resources(),
        "tempoQuery": _object({"resources": _resources()}),
        "authentication": _object({"enabled": {"type": "boolean"}, "sar": _string(), "resources": _resources()}),
    })


def _template() -> dict[str, Any]:
    return _object({
        "compactor": _component(),
        "ingester": _component(),
        "querier": _component(),
        "distributor": _object({"component": _component(), "tls": _tls()}),
        "queryFrontend": _object({"component": _component(), "jaegerQuery": _jaeger_query(),
                                  "mcpServer": _object({"enabled": {"type": "boolean"}})}),
        "gateway": _object({"component": _component(), "enabled": {"type": "boolean"}, "ingress": _ingress(),
                            "rbac": _object({"enabled": {"type": "boolean"}})}, ["enabled"]),
        "metricsGenerator": _object({"component": _component(), "enabled": {"type": "boolean"},
                                     "processors": _array(_string()), "remoteWriteURLs": _array(_string())}),
    })


def _limits() -> dict[str, Any]:
    rate_limits = _object({
        "ingestion": _object({"ingestionBurstSizeBytes": _integer(), "ingestionRateLimitBytes": _integer(),
                              "maxBytesPerTrace": _integer(), "maxTracesPerUser": _integer()}),
        "query": _object({"maxBytesPerTagValues": _integer(), "maxSearchBytesPerTrace": _integer(),
                          "maxSearchDuration": _string()}),
    })
    return _object({"global": rate_limits, "perTenant": _map(rate_limits)})


def _tenants() -> dict[str, Any]:
    authentication = _object({"tenantName": _string(), "tenantId": _string(), "oidc": _opaque_object()},
                             ["tenantId", "tenantName"])
    return _object({"mode": _string(["static", "openshift"], "static"), "authentication": _array(authentication),
                    "authorization": _opaque_object()})


def _observability() -> dict[str, Any]:
    return _object({
        "metrics": _object({"createServiceMonitors": {"type": "boolean"}, "createPrometheusRules": {"type": "boolean"},
                            "extraServiceMonitorLabels": _map(_string()),
                            "extraPrometheusRuleLabels": _map(_string())}),
        "tracing": _object({"sampling_fraction": _string(), "jaeger_agent_endpoint": _string(default="localhost:6831"),
                            "otlp_http_endpoint": _string()}),
        "grafana": _object({"createDatasource": {"type": "boolean"}, "instanceSelector": _opaque_object()}),
    })


def spec_schema() -> dict[str, Any]:
    return _object({
        "managementState": _string(["Managed", "Unmanaged"], "Managed"),
        "storage": _object({
            "secret": _object({"name": _string(), "type": _string(["azure", "gcs", "s3"]),
                               "credentialMode": _string(["static", "token", "token-cco"])}, ["name", "type"]),
            "tls": _tls(),
        }, ["secret"]),
        "storageSize": _quantity("10Gi"),
        "storageClassName": _string(),
        "size": _string(["1x.demo", "1x.pico", "1x.extra-small", "1x.small", "1x.medium"]),
        "replicationFactor": _integer(),
        "replicationZones": _array(_opaque_object()),
        "retention": _object({"global": _object({"traces": _string()}),
                              "perTenant": _map(_object({"traces": _string()}))}),
        "resources": _object({"total": _resources()}),
        "limits": _limits(),
        "search": _object({"defaultResultLimit": _integer(), "maxDuration": _string(),
                           "maxResultLimit": _integer()}),
        "serviceAccount": _string(),
        "images": _object({name: _string() for name in ("tempo", "tempoQuery", "jaegerQuery", "tempoGateway",
                                                        "tempoGatewayOpa", "oauthProxy")}),
        "env": _array(_opaque_object()),
        "envFrom": _array(_opaque_object()),
        "extraConfig": _object({"tempo": {"x-kubernetes-preserve-unknown-fields": True}}),
        "hashRing": _object({"memberlist": _object({"enableIPv6": {"type": "boolean"},
                                                    "instanceAddrType": _string(["default", "podIP"])})}),
        "networkPolicy": _object({"enabled": {"type": "boolean"}}),
        "observability": _observability(),
        "tenants": _tenants(),
        "template": _template(),
        "timeout": _string(),
    }, ["storage"])


def status_schema() -> dict[str, Any]:
    pod_status_map = _map(_array(_string()))
    condition = _object({
        "type": {"type": "string", "maxLength": 316},
        "status": _string(["True", "False", "Unknown"]),
        "reason": {"type": "string", "maxLength": 1024, "minLength": 1},
        "message": {"type": "string", "maxLength": 32768},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
    }, ["lastTransitionTime", "message", "reason", "status", "type"])
    components = _object(dict.fromkeys(("compactor", "distributor", "ingester", "querier", "queryFrontend", "gateway", "metricsGenerator"), pod_status_map))
    return _object({"operatorVersion": _string(), "tempoVersion": _string(), "tempoQueryVersion": _string(),
                    "components": components, "conditions": _array(condition)})


def custom_resource_definition() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}",
                     "annotations": {"chainsaw-py.io/simulated": "TempoStack CRD of the tempostack-aws plugin"}},
        "spec": {
            "group": GROUP,
            "names": {"kind": KIND, "listKind": f"{KIND}List", "plural": PLURAL, "singular": "tempostack",
                      "shortNames": ["tempo", "tempos"]},
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Management", "type": "string", "jsonPath": ".spec.managementState",
                     "description": "Management State"},
                    {"name": "Tempo Version", "type": "string", "jsonPath": ".status.tempoVersion",
                     "description": "Tempo Version"},
                    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {"openAPIV3Schema": {"type": "object", "description": "TempoStack manages a Tempo deployment "
                                                                                 "in microservices mode.",
                                               "properties": {"apiVersion": _string(), "kind": _string(),
                                                              "metadata": {"type": "object"},
                                                              "spec": spec_schema(), "status": status_schema()}}},
            }],
        },
    }
