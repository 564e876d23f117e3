"""The Greeter operator (kopf): a ``Greeter`` gets a ConfigMap with its message, a Deployment of the greeting
server that serves it over HTTP, and a Service in front of it; ``status.phase`` says when they exist."""

from __future__ import annotations

from typing import Any

import kopf
from kubernetes import client, config
from kubernetes.client.rest import ApiException

SERVER_IMAGE = "ghcr.io/example/greeter-server:1.0"


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    config.load_kube_config()
    settings.posting.level = 20
    settings.persistence.finalizer = "greeter.example.com/finalizer"
    settings.watching.server_timeout = 60


def _apply(create: Any, replace: Any, namespace: str, name: str, body: dict[str, Any]) -> None:
    try:
        create(namespace, body)
    except ApiException as err:
        if err.status != 409:
            raise
        replace(name, namespace, body)


def _children(name: str, namespace: str, message: str) -> list[tuple[str, dict[str, Any]]]:
    labels = {"app.kubernetes.io/name": "greeter-server", "greeter.example.com/name": name}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-message", "labels": labels},
                  "data": {"message": message}}
    container = {
        "name": "server", "image": SERVER_IMAGE, "args": ["--port", "8080", "--message-file", "/etc/greeter/message"],
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": f"{name}-message", "key": "message"}}}],
        "volumeMounts": [{"name": "message", "mountPath": "/etc/greeter"}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1},
    }
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                  "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels},
                                        "spec": {"containers": [container], "volumes": [
                                            {"name": "message", "configMap": {"name": f"{name}-message"}}]}}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
               "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    return [("ConfigMap", config_map), ("Deployment", deployment), ("Service", service)]


@kopf.on.resume("example.com", "v1", "greeters")
@kopf.on.create("example.com", "v1", "greeters")
@kopf.on.update("example.com", "v1", "greeters")
def reconcile(**kwargs: Any) -> None:
    """kopf passes the object's parts by keyword (spec, name, namespace, body, patch, logger, ...)."""
    spec, name, namespace = kwargs["spec"], str(kwargs["name"]), str(kwargs["namespace"])
    body, patch, logger = kwargs["body"], kwargs["patch"], kwargs["logger"]
    message = str(spec.get("message") or "Hello")
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    writers = {"ConfigMap": (core.create_namespaced_config_map, core.replace_namespaced_config_map),
               "Deployment": (apps.create_namespaced_deployment, apps.replace_namespaced_deployment),
               "Service": (core.create_namespaced_service, core.patch_namespaced_service)}
    for kind, child in _children(name, namespace, message):
        kopf.adopt(child, owner=body)
        create, replace = writers[kind]
        _apply(create, replace, namespace, child["metadata"]["name"], child)
    logger.info(f"Greeter {namespace}/{name} reconciled: message {message!r}")
    patch.status["phase"] = "Ready"
    patch.status["message"] = message
