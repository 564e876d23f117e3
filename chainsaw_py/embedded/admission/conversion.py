"""CRD version conversion: ``strategy: None`` only rewrites ``apiVersion``; ``strategy: Webhook`` sends a
ConversionReview v1 to ``spec.conversion.webhook.clientConfig`` (as apiextensions-apiserver's webhook converter
does) whenever an object is read or written at a version other than the one it is stored at.

Objects of a Webhook CRD are stored at the CRD's storage version; reads (get, list, watch) convert them back to
the requested version. A failure is ``conversion webhook for <group>/<version>, Kind=<kind> failed: <reason>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from chainsaw_py.embedded.admission import transport
from chainsaw_py.embedded.apierrors import InternalError
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.store import Store

_CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
_TIMEOUT_SECONDS = 30
_REVIEW_VERSION = "apiextensions.k8s.io/v1"
_MUTABLE_METADATA = ("labels", "annotations")


class ConversionFailed(InternalError):
    pass


class Converter:
    def __init__(self, store: Store) -> None:
        self.store = store

    def webhook_config(self, rt: ResourceType) -> dict[str, Any] | None:
        """The CRD's webhook conversion settings, or None for ``strategy: None`` (and built-ins)."""
        if rt.builtin or not rt.crd_name:
            return None
        crd = self.store.get(*_CRDS, "", rt.crd_name)
        conversion = ((crd.obj.get("spec") or {}).get("conversion") or {}) if crd else {}
        if conversion.get("strategy") != "Webhook":
            return None
        return dict(conversion.get("webhook") or {})

    def storage_api_version(self, rt: ResourceType) -> str:
        return f"{rt.group}/{rt.storage_version or rt.version}"

    def convert(self, rt: ResourceType, obj: dict[str, Any], api_version: str) -> dict[str, Any]:
        return self.convert_many(rt, [obj], api_version)[0]

    def convert_many(self, rt: ResourceType, objects: list[dict[str, Any]], api_version: str) -> list[dict[str, Any]]:
        """``objects`` at ``api_version``; those stored at another version go in one ConversionReview, as the
        webhook converter sends a list's items."""
        pending = [index for index, obj in enumerate(objects) if obj.get("apiVersion") != api_version]
        if not pending:
            return objects
        webhook = self.webhook_config(rt)
        result = list(objects)
        if webhook is None:
            for index in pending:
                result[index] = dict(objects[index], apiVersion=api_version)
            return result
        converted = self._call(webhook, [objects[index] for index in pending], api_version)
        for index, obj in zip(pending, converted, strict=True):
            result[index] = obj
        return result

    def _call(self, webhook: dict[str, Any], objects: list[dict[str, Any]], api_version: str) -> list[dict[str, Any]]:
        source = objects[0]
        gvk = f"{source.get('apiVersion', '')}, Kind={source.get('kind', '')}"

        def failed(reason: str) -> ConversionFailed:
            return ConversionFailed(f"conversion webhook for {gvk} failed: {reason}")

        if "v1" not in (webhook.get("conversionReviewVersions") or ["v1"]):
            raise failed("no supported conversion review versions (v1) in conversionReviewVersions")
        uid = str(uuid.uuid4())
        review = {"apiVersion": _REVIEW_VERSION, "kind": "ConversionReview",
                  "request": {"uid": uid, "desiredAPIVersion": api_version, "objects": objects}}
        try:
            target = transport.resolve(webhook.get("clientConfig") or {}, self.store, _TIMEOUT_SECONDS)
            answer = transport.post_json(target, review, _TIMEOUT_SECONDS)
        except transport.CallFailed as err:
            raise failed(str(err).removeprefix("failed to call webhook: ")) from None
        response = answer.get("response") if answer.get("kind") == "ConversionReview" else None
        if not isinstance(response, dict):
            raise failed("response was absent")
        if response.get("uid") != uid:
            raise failed(f'expected response uid "{uid}", got "{response.get("uid", "")}"')
        result = response.get("result") or {}
        if result.get("status") != "Success":
            raise failed(str(result.get("message") or "the webhook did not report success"))
        converted = response.get("convertedObjects") or []
        if len(converted) != len(objects):
            raise failed(f"expected {len(objects)} converted objects, got {len(converted)}")
        return [_checked(index, original, item, api_version, failed)
                for index, (original, item) in enumerate(zip(objects, converted, strict=True))]


def _checked(index: int, original: dict[str, Any], converted: Any, api_version: str, failed: Any) -> dict[str, Any]:
    if not isinstance(converted, dict):
        raise failed(f"invalid converted object at index {index}: not an object")
    if converted.get("apiVersion") != api_version:
        raise failed(f'invalid converted object at index {index}: invalid apiVersion "{converted.get("apiVersion")}", '
                     f'expected "{api_version}"')
    if converted.get("kind") != original.get("kind"):
        raise failed(f'invalid converted object at index {index}: invalid kind "{converted.get("kind")}", '
                     f'expected "{original.get("kind")}"')
    meta = dict(original.get("metadata") or {})
    new_meta = converted.get("metadata") or {}
    for key in _MUTABLE_METADATA:
        if key in new_meta:
            meta[key] = new_meta[key]
        else:
            meta.pop(key, None)
    return dict(converted, metadata=meta)
