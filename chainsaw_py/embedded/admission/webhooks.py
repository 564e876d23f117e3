"""MutatingAdmissionWebhook and ValidatingAdmissionWebhook: AdmissionReview v1 calls to configured webhooks.

Behaviour follows k8s.io/apiserver/pkg/admission/plugin/webhook: configurations in name order, webhooks in
listed order; mutating webhooks run one after another and may return a JSONPatch, with ``reinvocationPolicy:
IfNeeded`` webhooks called once more when a later one changed the object; validating webhooks run after the
object passed schema validation. A denial is ``admission webhook "<name>" denied the request: <message>``; a
failed call is an internal error ``failed calling webhook "<name>": ...`` unless ``failurePolicy: Ignore``.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import jsonpatch

from chainsaw_py.embedded.admission import matching, transport
from chainsaw_py.embedded.admission.celeval import (
    Authorizer,
    CelError,
    authorizer_variable,
    authorizing,
    evaluate_condition,
    request_variable,
)
from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CONNECT, AdmissionAttributes
from chainsaw_py.embedded.apierrors import ApiError, BadRequest, InternalError
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store

log = logging.getLogger("chainsaw_py.embedded.admission")

GROUP = "admissionregistration.k8s.io"
_REVIEW_VERSION = "admission.k8s.io/v1"
_OPTION_KINDS = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}


class WebhookDenied(ApiError):
    """The webhook's own Status, with the apiserver's prefix on its message."""

    def __init__(self, webhook: str, status: dict[str, Any] | None) -> None:
        status = dict(status or {})
        denied = f'admission webhook "{webhook}" denied the request'
        if status.get("message"):
            message = f"{denied}: {status['message']}"
        elif status.get("reason"):
            message = f"{denied}: {status['reason']}"
        else:
            message = f"{denied} without explanation"
        code = int(status.get("code") or 0)
        super().__init__(message, details=status.get("details"), code=code if code >= 400 else 400,
                         reason=str(status.get("reason") or ""))


@dataclass(frozen=True)
class Webhook:
    name: str
    configuration: str
    spec: dict[str, Any]

    @property
    def failure_ignored(self) -> bool:
        return self.spec.get("failurePolicy", "Fail") == "Ignore"

    @property
    def timeout(self) -> int:
        value = self.spec.get("timeoutSeconds")
        return max(1, min(30, value)) if isinstance(value, int) else 10


class WebhookSource:
    """The webhooks of one configuration kind, re-read only after a configuration changed."""

    def __init__(self, store: Store, plural: str) -> None:
        self._plural = plural
        self._hooks = StoreView(store, GROUP, (plural,), self._read)

    def _read(self, store: Store) -> list[Webhook]:
        items, _rv = store.list(GROUP, self._plural)
        configurations = sorted(items, key=lambda item: item.obj["metadata"]["name"])
        return [Webhook(str(spec.get("name", "")), item.obj["metadata"]["name"], spec)
                for item in configurations for spec in item.obj.get("webhooks") or []]

    def webhooks(self) -> list[Webhook]:
        return self._hooks.get()


class _WebhookPlugin:
    """What both webhook plugins share: matching, the AdmissionReview call and response checks."""

    plural = ""
    mutating = False

    def __init__(self, store: Store, registry: ResourceRegistry, authorizer: Authorizer | None = None) -> None:
        self.store = store
        self.registry = registry
        self.authorizer = authorizer
        self.source = WebhookSource(store, self.plural)

    def active(self) -> bool:
        return bool(self.source.webhooks())

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        return None

    def _namespace_labels(self, namespace: str) -> dict[str, str] | None:
        stored = self.store.get("", "namespaces", "", namespace)
        return None if stored is None else dict(stored.obj["metadata"].get("labels") or {})

    def selected_webhooks(self, attrs: AdmissionAttributes) -> list[tuple[Webhook, matching.MatchedResource]]:
        if matching.is_exempt(attrs.rt):
            return []
        selected = []
        for hook in self.source.webhooks():
            found = self._match(hook, attrs)
            if found is not None:
                selected.append((hook, found))
        return selected

    def _match(self, hook: Webhook, attrs: AdmissionAttributes) -> matching.MatchedResource | None:
        spec = hook.spec
        found = matching.match_rules(spec.get("rules") or [], str(spec.get("matchPolicy") or "Equivalent"), attrs,
                                     self.registry)
        if found is None:
            return None
        try:
            if not matching.namespace_selector_matches(spec.get("namespaceSelector"), attrs, self._namespace_labels):
                return None
            if not matching.object_selector_matches(spec.get("objectSelector"), attrs):
                return None
        except matching.SelectorInvalid as err:
            raise InternalError(f"Internal error occurred: failed calling webhook \"{hook.name}\": {err}") from None
        return found

    def call(self, hook: Webhook, found: matching.MatchedResource, attrs: AdmissionAttributes) -> dict[str, Any] | None:
        """The webhook's AdmissionResponse, or None when it does not apply (matchConditions) or failed open."""
        if attrs.dry_run and hook.spec.get("sideEffects") not in ("None", "NoneOnDryRun"):
            raise BadRequest(f'admission webhook "{hook.name}" does not support dry run')
        request = review_request(attrs, found)
        try:
            with authorizing(self.authorizer):
                holds = _conditions_hold(hook, attrs, request)
            if not holds:
                return None
            if _REVIEW_VERSION.split("/")[1] not in (hook.spec.get("admissionReviewVersions") or ["v1"]):
                raise transport.CallFailed(
                    f"webhook does not accept v1 AdmissionReview (admissionReviewVersions: "
                    f"{hook.spec.get('admissionReviewVersions')})")
            target = transport.resolve(hook.spec.get("clientConfig") or {}, self.store, hook.timeout)
            answer = transport.post_json(target, {"apiVersion": _REVIEW_VERSION, "kind": "AdmissionReview",
                                                  "request": request}, hook.timeout)
            response = _verified_response(answer, request["uid"], self.mutating)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            # a configuration the apiserver's validation would have refused: fail per failurePolicy, no traceback
            self._failed(hook, f"invalid webhook configuration: {err}")
            return None
        except transport.CallFailed as err:
            self._failed(hook, str(err))
            return None
        attrs.warnings.extend(str(warning) for warning in response.get("warnings") or [])
        for key, value in (response.get("auditAnnotations") or {}).items():
            attrs.audit_annotations[f"{hook.name}/{key}"] = str(value)
        if not response.get("allowed"):
            raise WebhookDenied(hook.name, response.get("status"))
        return response


    def _failed(self, hook: Webhook, reason: str) -> None:
        """Fail open (log) with ``failurePolicy: Ignore``, else raise the apiserver's internal error."""
        message = f'failed calling webhook "{hook.name}": {reason}'
        if not hook.failure_ignored:
            raise InternalError(f"Internal error occurred: {message}")
        log.warning("Failed calling webhook, failing open %s: %s", hook.name, message)


class MutatingWebhooks(_WebhookPlugin):
    name = "MutatingAdmissionWebhook"
    plural = "mutatingwebhookconfigurations"
    mutating = True

    def mutate(self, attrs: AdmissionAttributes) -> None:
        selected = self.selected_webhooks(attrs)
        if not selected:
            return
        last_change = -1
        ran: list[tuple[int, Webhook, matching.MatchedResource]] = []
        for index, (hook, found) in enumerate(selected):
            if self._run(hook, found, attrs):
                last_change = index
            ran.append((index, hook, found))
        if last_change < 0:
            return
        for index, hook, _found in ran:
            if index < last_change and hook.spec.get("reinvocationPolicy") == "IfNeeded":
                refreshed = self._match(hook, attrs)
                if refreshed is not None:
                    self._run(hook, refreshed, attrs)

    def _run(self, hook: Webhook, found: matching.MatchedResource, attrs: AdmissionAttributes) -> bool:
        response = self.call(hook, found, attrs)
        if response is None or not response.get("patch") or attrs.obj is None:
            return False
        try:
            operations = json.loads(base64.b64decode(str(response["patch"])))
            patched = jsonpatch.JsonPatch(operations).apply(attrs.obj, in_place=False)
        except Exception as err:
            raise InternalError(f"Internal error occurred: {err}") from None
        if not isinstance(patched, dict):
            raise InternalError("Internal error occurred: the patched object is not a JSON object")
        patched["apiVersion"], patched["kind"] = attrs.obj.get("apiVersion"), attrs.obj.get("kind")
        if not isinstance(patched.get("metadata"), dict):
            patched["metadata"] = {}
        if patched == attrs.obj:
            return False
        attrs.obj.clear()
        attrs.obj.update(patched)
        return True


class ValidatingWebhooks(_WebhookPlugin):
    name = "ValidatingAdmissionWebhook"
    plural = "validatingwebhookconfigurations"

    def validate(self, attrs: AdmissionAttributes) -> None:
        for hook, found in self.selected_webhooks(attrs):
            self.call(hook, found, attrs)


def review_request(attrs: AdmissionAttributes, found: matching.MatchedResource) -> dict[str, Any]:
    """AdmissionRequest v1 as the apiserver fills it."""
    rt, requested = found.rt, attrs.rt
    kind = rt.kind
    if attrs.operation == CONNECT and attrs.obj is not None:
        kind = str(attrs.obj.get("kind") or kind)      # the options object, e.g. PodExecOptions
    request: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": {"group": rt.group, "version": rt.version, "kind": kind},
        "resource": {"group": rt.group, "version": rt.version, "resource": rt.plural},
    }
    if attrs.subresource:
        request["subResource"] = attrs.subresource
    request["requestKind"] = {"group": requested.group, "version": requested.version,
                              "kind": kind if attrs.operation == CONNECT else requested.kind}
    request["requestResource"] = {"group": requested.group, "version": requested.version,
                                  "resource": requested.plural}
    if attrs.subresource:
        request["requestSubResource"] = attrs.subresource
    if attrs.name:
        request["name"] = attrs.name
    if attrs.namespace:
        request["namespace"] = attrs.namespace
    request["operation"] = attrs.operation
    request["userInfo"] = attrs.user.to_dict()
    request["object"] = _at_version(attrs.obj, rt.api_version)
    request["oldObject"] = _at_version(attrs.old, rt.api_version)
    request["dryRun"] = attrs.dry_run
    options_kind = _OPTION_KINDS.get(attrs.operation)
    request["options"] = {"kind": options_kind, "apiVersion": "meta.k8s.io/v1", **attrs.options} \
        if options_kind else None
    return request


def _at_version(obj: dict[str, Any] | None, api_version: str) -> dict[str, Any] | None:
    if obj is None:
        return None
    return obj if obj.get("apiVersion") == api_version else dict(obj, apiVersion=api_version)


def _verified_response(answer: dict[str, Any], uid: str, mutating: bool) -> dict[str, Any]:
    def invalid(reason: str) -> transport.CallFailed:
        return transport.CallFailed(f"received invalid webhook response: {reason}")

    if answer.get("apiVersion") != _REVIEW_VERSION or answer.get("kind") != "AdmissionReview":
        raise invalid(f"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
                      f"{answer.get('apiVersion', '') or '/'}, Kind={answer.get('kind', '')}")
    response = answer.get("response")
    if not isinstance(response, dict):
        raise invalid("webhook response was absent")
    if response.get("uid") != uid:
        raise invalid(f'expected response.uid="{uid}", got "{response.get("uid", "")}"')
    patch, patch_type = response.get("patch"), response.get("patchType")
    if not mutating:
        if patch:
            raise invalid("validating webhook may not return response.patch")
        if patch_type:
            raise invalid("validating webhook may not return response.patchType")
    elif patch and not patch_type:
        raise invalid("webhook returned response.patch but not response.patchType")
    elif patch_type and not patch:
        raise invalid("webhook returned response.patchType but not response.patch")
    elif patch_type and patch_type != "JSONPatch":
        raise invalid(f'webhook returned invalid response.patchType of "{patch_type}"')
    return response


def _conditions_hold(hook: Webhook, attrs: AdmissionAttributes, request: dict[str, Any]) -> bool:
    conditions = hook.spec.get("matchConditions") or []
    if not conditions:
        return True
    variables = {"object": request["object"], "oldObject": request["oldObject"], "request": request_variable(request),
                 "authorizer": authorizer_variable(attrs)}
    errors: list[str] = []
    for condition in conditions:
        try:
            if not evaluate_condition(str(condition.get("expression", "")), variables):
                return False
        except CelError as err:
            errors.append(f"expression '{condition.get('expression', '')}' resulted in error: {err}")
    if errors:
        raise transport.CallFailed("failed to evaluate match conditions: " + "; ".join(errors))
    return True

