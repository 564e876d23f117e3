"""PersistentVolumes and their claims as kube-controller-manager's persistentvolume controller treats them: a new
volume without a claim becomes Available; a claim binds to the volume it names (spec.volumeName) or to the smallest
Available volume that fits it (same class, access modes, volume mode, selector, enough capacity), else one is
provisioned for it when its StorageClass exists; a claim of a class that does not exist stays Pending with a
ProvisioningFailed warning."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.controllers.util import is_deleting, label_selector
from chainsaw_py.embedded.store import StoreEvent
from chainsaw_py.golang.quantity import QuantityError, parse_quantity

PROVISIONER = "embedded.chainsaw-py.io/hostpath"
_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"


def volume_binder(runtime: Runtime) -> TypedController:
    def claims_for_volume(event: StoreEvent) -> list[tuple[str, str]]:
        return _claims_waiting_for(runtime, event)

    return TypedController("persistentvolume-binder-controller", "", "persistentvolumeclaims",
                           "PersistentVolumeClaim", reconcile_claim,
                           watches=(("", "persistentvolumes", claims_for_volume),))


def volume_controller() -> TypedController:
    return TypedController("persistentvolume-controller", "", "persistentvolumes", "PersistentVolume",
                           reconcile_volume)


def _claims_waiting_for(runtime: Runtime, event: StoreEvent) -> list[tuple[str, str]]:
    """The claim a volume names, or every unbound claim when a volume without one appears or changes."""
    claim_ref = (event.obj.get("spec") or {}).get("claimRef")
    if claim_ref:
        return [(str(claim_ref.get("namespace", "")), str(claim_ref.get("name", "")))]
    items, _rv = runtime.server.store.list("", "persistentvolumeclaims", None)
    return [(item.obj["metadata"].get("namespace", ""), item.obj["metadata"]["name"]) for item in items
            if (item.obj.get("status") or {}).get("phase") != "Bound"]


def reconcile_volume(volume: dict[str, Any], ctx: ReconcileContext) -> None:
    status = volume.get("status") or {}
    if is_deleting(volume) or status.get("phase") not in (None, "", "Pending"):
        return
    if (volume.get("spec") or {}).get("claimRef"):
        return   # the binder finishes what it started
    volume["status"] = {**status, "phase": "Available"}
    ctx.update_status(volume)


def _storage(resources: Any) -> Fraction:
    text = str(((resources or {}).get("requests") or resources or {}).get("storage", "0"))
    try:
        return parse_quantity(text)[0]
    except QuantityError:
        return Fraction(0)


def _claim_class(claim: dict[str, Any], ctx: ReconcileContext) -> str:
    class_name = (claim.get("spec") or {}).get("storageClassName")
    if class_name is not None:
        return str(class_name)
    defaults = [sc for sc in ctx.list("storage.k8s.io/v1", "StorageClass")
                if (sc["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class")
                == "true"]
    return str(defaults[0]["metadata"]["name"]) if defaults else ""


def _fits(volume: dict[str, Any], claim: dict[str, Any], class_name: str) -> bool:
    spec, wanted = volume.get("spec") or {}, claim.get("spec") or {}
    claim_ref = spec.get("claimRef")
    if is_deleting(volume) or (claim_ref and claim_ref.get("uid") not in (None, claim["metadata"]["uid"])):
        return False
    if claim_ref and (claim_ref.get("namespace"), claim_ref.get("name")) != \
            (claim["metadata"].get("namespace"), claim["metadata"]["name"]):
        return False
    if (volume.get("status") or {}).get("phase") not in (None, "", "Pending", "Available") and not claim_ref:
        return False
    if str(spec.get("storageClassName") or "") != class_name:
        return False
    if not set(wanted.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    if (wanted.get("volumeMode") or "Filesystem") != (spec.get("volumeMode") or "Filesystem"):
        return False
    if wanted.get("selector") is not None:
        selector = label_selector(wanted["selector"])
        if selector is None or not selector.matches(volume["metadata"].get("labels") or {}):
            return False
    return _storage(spec.get("capacity")) >= _storage(wanted.get("resources"))


def _matching_volume(claim: dict[str, Any], class_name: str, ctx: ReconcileContext) -> dict[str, Any] | None:
    wanted = (claim.get("spec") or {}).get("volumeName")
    if wanted:
        volume = ctx.get("v1", "PersistentVolume", str(wanted))
        claim_ref = ((volume or {}).get("spec") or {}).get("claimRef")
        if volume is None or (claim_ref and claim_ref.get("uid") not in (None, claim["metadata"]["uid"])):
            return None
        return volume
    fitting = [volume for volume in ctx.list("v1", "PersistentVolume") if _fits(volume, claim, class_name)]
    return min(fitting, key=lambda volume: _storage((volume.get("spec") or {}).get("capacity")), default=None)


def reconcile_claim(claim: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(claim) or (claim.get("status") or {}).get("phase") == "Bound":
        return
    class_name = _claim_class(claim, ctx)
    volume = _matching_volume(claim, class_name, ctx)
    if volume is None and not (claim.get("spec") or {}).get("volumeName"):
        volume = _provision(claim, class_name, ctx)
    if volume is not None:
        _bind(claim, volume, ctx)


def _provision(claim: dict[str, Any], class_name: str, ctx: ReconcileContext) -> dict[str, Any] | None:
    if not class_name:
        return None
    storage_class = ctx.get("storage.k8s.io/v1", "StorageClass", class_name)
    if storage_class is None:
        ctx.event(claim, "ProvisioningFailed", f'storageclass.storage.k8s.io "{class_name}" not found', "Warning",
                  component="persistentvolume-controller")
        return None
    meta, spec = claim["metadata"], claim.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    name = f"pvc-{meta['uid']}"
    existing = ctx.get("v1", "PersistentVolume", name)
    if existing is not None:
        return existing
    return ctx.create({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": {"capacity": {"storage": storage}, "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                 "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
                 "storageClassName": class_name, "volumeMode": spec.get("volumeMode", "Filesystem"),
                 "hostPath": {"path": f"/var/lib/embedded-volumes/{name}", "type": ""},
                 "claimRef": {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
                              "uid": meta["uid"], "apiVersion": "v1"}}})


def _bind(claim: dict[str, Any], volume: dict[str, Any], ctx: ReconcileContext) -> None:
    meta = claim["metadata"]
    volume_spec = volume.setdefault("spec", {})
    if not volume_spec.get("claimRef"):
        volume_spec["claimRef"] = {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                                   "name": meta["name"], "uid": meta["uid"], "apiVersion": "v1",
                                   "resourceVersion": meta.get("resourceVersion", "")}
        volume["metadata"].setdefault("annotations", {})[_BOUND_BY_CONTROLLER] = "yes"
        volume = ctx.update(volume)
    if (volume.get("status") or {}).get("phase") != "Bound":
        volume["status"] = {**(volume.get("status") or {}), "phase": "Bound"}
        volume = ctx.update_status(volume)
    spec = claim.setdefault("spec", {})
    bound_by_controller = not spec.get("volumeName")
    spec["volumeName"] = volume["metadata"]["name"]
    if spec.get("storageClassName") is None and volume_spec.get("storageClassName"):
        spec["storageClassName"] = volume_spec["storageClassName"]
    annotations = meta.setdefault("annotations", {})
    annotations["pv.kubernetes.io/bind-completed"] = "yes"
    if bound_by_controller:
        annotations[_BOUND_BY_CONTROLLER] = "yes"
    claim = ctx.update(claim)
    claim["status"] = {"phase": "Bound", "accessModes": volume_spec.get("accessModes") or [],
                       "capacity": dict(volume_spec.get("capacity") or {})}
    ctx.update_status(claim)
