"""Example plugin for the embedded cluster: a stand-in operator for ``Widget`` resources.

Each Widget gets a ConfigMap ``<name>-config`` (owned by it, so deleting the Widget removes it), a Ready
condition in its status, an event, and — when the cluster runs local S3 — a bucket named after it.
"""

from __future__ import annotations

from typing import Any

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


def reconcile(widget: dict[str, Any], ctx: Any) -> None:
    meta = widget["metadata"]
    size = str((widget.get("spec") or {}).get("size", 1))
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": f"{meta['name']}-config", "namespace": meta["namespace"]},
              "data": {"size": size}}
    ctx.apply(ctx.set_owner(config, widget))
    if ctx.s3 is not None:
        import boto3

        s3 = boto3.client("s3", endpoint_url=ctx.s3.endpoint_url, aws_access_key_id=ctx.s3.access_key_id,
                          aws_secret_access_key=ctx.s3.secret_access_key, region_name=ctx.s3.region)
        s3.create_bucket(Bucket=f"widget-{meta['name']}")
    changed = ctx.set_condition(widget, "Ready", "True", "Reconciled", f"size {size} configured")
    if widget["status"].get("observedSize") != size:
        widget["status"]["observedSize"] = size
        changed = True
    if changed:
        ctx.update_status(widget)
        ctx.event(widget, "Reconciled", f"size {size} configured")


def forget(widget: dict[str, Any], ctx: Any) -> None:
    ctx.log.info("widget %s deleted", widget["metadata"]["name"])


def register(registry: Any) -> None:
    registry.install_manifests(CRD)
    registry.add_controller("example.com/v1", "Widget", reconcile, on_delete=forget, owns=[("v1", "ConfigMap")])
