"""The HTTP codec of the API: request bodies (JSON, YAML, Kubernetes protobuf), write/delete/patch options
from a request, warning headers; and the response-making interface subresources need from the handler."""

from __future__ import annotations

import json
import random
from typing import Any, Protocol

from chainsaw_py.embedded.apierrors import ApiError, BadRequest, UnsupportedMediaType, go_value
from chainsaw_py.embedded.bodies import PROTOBUF, BodyError, accepted_types, decode, media_type, unsupported
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.protobuf import decode_object
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.store import StoredObject
from chainsaw_py.embedded.writes import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    DeleteOptions,
    Result,
    WriteOptions,
)
from chainsaw_py.golang.fmt import json_kind
from chainsaw_py.golang.strconv import parse_int, parse_uint

JSON = "application/json"
DEFAULT_LIMITS = Limits()
_INT64_WRAP = 1 << 64
_NANOSECONDS = 1_000_000_000
MIN_REQUEST_TIMEOUT = 1800
"""kube-apiserver's --min-request-timeout: a watch without timeoutSeconds lasts 1 to 2 times this."""


class Responder(Protocol):
    """Makes the response for an object or a write result, negotiated (JSON or Table) from the request."""

    def object_response(self, request: Request, rt: ResourceType, stored: StoredObject,
                        status: int = 200, warnings: list[str] | None = None) -> Response: ...

    def result_response(self, request: Request, rt: ResourceType, result: Result) -> Response: ...


def decode_body(request: Request, duplicates: list[str] | None = None, rt: ResourceType | None = None,
                max_depth: int = DEFAULT_LIMITS.max_json_depth) -> Any:
    """The request body as data -- JSON, YAML or (for built-in kinds) Kubernetes protobuf -- within
    kube-apiserver's limits (see ``bodies``); repeated JSON keys are appended to ``duplicates`` when a list is
    given. ``rt`` names the kind in error messages and decides whether protobuf is accepted."""
    content_type = media_type(request.header("content-type"))
    protobuf = rt is None or rt.builtin
    if request.method == "PATCH":
        content_type = patch_content_type(request)
    elif content_type not in accepted_types(protobuf):
        raise _api_error(unsupported(accepted_types(protobuf)))
    body = request.body
    if not body:
        raise BadRequest("the body of the request was empty")
    if content_type == PROTOBUF:
        return decode_object(body)
    try:
        return decode(body, content_type, rt.kind if rt is not None else "", max_depth, duplicates)
    except BodyError as err:
        raise _api_error(err) from None


def _api_error(err: BodyError) -> ApiError:
    if err.status == 415:
        return UnsupportedMediaType(err.message)
    return BadRequest(err.message)


def write_options(request: Request) -> WriteOptions:
    dry_run = request.query.get("dryRun") or []
    if any(value not in ("All",) for value in dry_run):
        raise BadRequest(f'dryRun: Unsupported value: "{dry_run[0]}": supported values: "All"')
    agent = request.header("user-agent").split("/")[0][:128]
    return WriteOptions(dry_run=bool(dry_run), field_validation=request.param("fieldValidation") or "Warn",
                        field_manager=request.param("fieldManager"), force=request.flag("force"),
                        agent_manager=agent)


def int64_param(request: Request, name: str) -> int | None:
    """An int64 query parameter as apimachinery's parameter conversion reads it: ``strconv.ParseInt`` of
    its first value (``?limit=`` is ``""``, invalid); None when absent. A malformed one is a 400 with Go's
    message (``strconv.ParseInt: parsing "1e23": invalid syntax``)."""
    values = request.query.get(name)
    if not values:
        return None
    try:
        return parse_int(values[0])
    except ValueError as err:
        raise BadRequest(str(err)) from None


def parse_resource_version(text: str) -> int:
    """The storage versioner's ``ParseResourceVersion``: "" and "0" are 0, else a uint64; a ``ValueError``
    with its field error otherwise."""
    if text in ("", "0"):
        return 0
    try:
        return parse_uint(text)
    except ValueError as err:
        raise ValueError(f"resourceVersion: Invalid value: {go_value(text)}: {err}") from None


def watch_timeout(seconds: int) -> float:
    """How long a watch lasts, as the handler computes it: ``time.Duration(timeoutSeconds) * time.Second``
    (int64 nanoseconds, wrapping on overflow as Go does), 0 meaning the server's default. Not above 0: the
    watch ends at once."""
    nanoseconds = (seconds * _NANOSECONDS) % _INT64_WRAP
    if nanoseconds >= _INT64_WRAP // 2:
        nanoseconds -= _INT64_WRAP
    if nanoseconds == 0:
        return MIN_REQUEST_TIMEOUT * (random.random() + 1.0)
    return nanoseconds / _NANOSECONDS


_DELETE_OPTION_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "gracePeriodSeconds": (int, "int64"), "propagationPolicy": (str, "v1.DeletionPropagation"),
    "orphanDependents": (bool, "bool"), "dryRun": (list, "[]string"), "preconditions": (dict, "v1.Preconditions"),
}
_PRECONDITION_TYPES = {"uid": "types.UID", "resourceVersion": "string"}


def _check_delete_options(body: dict[str, Any]) -> None:
    """The DeleteOptions fields the server reads, typed as Go decodes them: a wrong type is encoding/json's
    error, which DeleteResource hands on unclassified (500, no reason)."""
    for name, (kind, go_type) in _DELETE_OPTION_TYPES.items():
        value = body.get(name)
        if value is None:
            continue
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if not wrong and name == "dryRun":
            wrong = not all(isinstance(item, str) for item in value)
            go_type = "string" if wrong else go_type
            value = next((item for item in value if not isinstance(item, str)), value)
        if wrong or (kind is int and isinstance(value, float)):
            _unmarshal_error(value, f"DeleteOptions.{name}", go_type)
    for name, go_type in _PRECONDITION_TYPES.items():
        value = (body.get("preconditions") or {}).get(name)
        if value is not None and not isinstance(value, str):
            _unmarshal_error(value, f"Preconditions.preconditions.{name}", go_type)


def _unmarshal_error(value: Any, field: str, go_type: str) -> None:
    kind = json_kind(value)
    number = f" {json.dumps(value)}" if kind == "number" and isinstance(value, float) else ""
    raise ApiError(f"json: cannot unmarshal {kind}{number} into Go struct field {field} of type {go_type}", reason="")


def delete_options(request: Request) -> DeleteOptions:
    body: dict[str, Any] | None = None
    grace: int | None = None
    if request.body:
        decoded = decode_body(request)
        body = decoded if isinstance(decoded, dict) else None
        if body is not None:
            _check_delete_options(body)
    else:  # the query is read only without a body, as DeleteResource does
        grace = int64_param(request, "gracePeriodSeconds")
    orphan = request.param("orphanDependents")
    return DeleteOptions.from_body(
        body, propagation=request.param("propagationPolicy") or None,
        grace_period=grace,
        orphan=None if not orphan else request.flag("orphanDependents"), dry_run=bool(request.query.get("dryRun")))


def patch_content_type(request: Request) -> str:
    content_type = request.header("content-type").split(";")[0].strip().lower()
    if content_type not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH):
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: {JSON_PATCH}, "
            f"{MERGE_PATCH}, {APPLY_PATCH}, {STRATEGIC_PATCH}")
    return content_type


def warning_headers(warnings: list[str]) -> list[tuple[str, str]]:
    return [("Warning", '299 - ' + json.dumps(warning)) for warning in warnings]
