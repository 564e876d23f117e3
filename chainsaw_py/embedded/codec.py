"""The HTTP codec of the API: request bodies (JSON, YAML, Kubernetes protobuf), write/delete/patch options
from a request, warning headers; and the response-making interface subresources need from the handler."""

from __future__ import annotations

import json
from typing import Any, Protocol

from chainsaw_py.embedded.apierrors import BadRequest, UnsupportedMediaType
from chainsaw_py.embedded.decoding import load_json
from chainsaw_py.embedded.httpserver import Request, Response
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

JSON = "application/json"


class Responder(Protocol):
    """Makes the response for an object or a write result, negotiated (JSON or Table) from the request."""

    def object_response(self, request: Request, rt: ResourceType, stored: StoredObject,
                        status: int = 200, warnings: list[str] | None = None) -> Response: ...

    def result_response(self, request: Request, rt: ResourceType, result: Result) -> Response: ...


def decode_body(request: Request, duplicates: list[str] | None = None) -> Any:
    """The request body as data (JSON, YAML or Kubernetes protobuf); repeated JSON keys are appended to
    ``duplicates`` when a list is given."""
    content_type = request.header("content-type", JSON).split(";")[0].strip().lower()
    body = request.body
    if not body:
        raise BadRequest("the body of the request was empty")
    if content_type == "application/vnd.kubernetes.protobuf":
        return decode_object(body)
    if content_type in (JSON, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, "") or body[:1] in (b"{", b"["):
        try:
            return load_json(body, duplicates)
        except ValueError as err:
            if content_type not in ("application/yaml", APPLY_PATCH):
                raise BadRequest(f"error decoding body: {err}") from None
    if content_type in ("application/yaml", APPLY_PATCH, "application/x-yaml", "text/yaml"):
        import yaml

        try:
            return yaml.safe_load(body)
        except yaml.YAMLError as err:
            raise BadRequest(f"error converting YAML to JSON: {err}") from None
    raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types "
                               f"include: application/json, application/yaml ({content_type})")


def write_options(request: Request) -> WriteOptions:
    dry_run = request.query.get("dryRun") or []
    if any(value not in ("All",) for value in dry_run):
        raise BadRequest(f'dryRun: Unsupported value: "{dry_run[0]}": supported values: "All"')
    agent = request.header("user-agent").split("/")[0][:128]
    return WriteOptions(dry_run=bool(dry_run), field_validation=request.param("fieldValidation") or "Warn",
                        field_manager=request.param("fieldManager"), force=request.flag("force"),
                        agent_manager=agent)


def delete_options(request: Request) -> DeleteOptions:
    body: dict[str, Any] | None = None
    if request.body:
        decoded = decode_body(request)
        body = decoded if isinstance(decoded, dict) else None
    grace = request.param("gracePeriodSeconds")
    orphan = request.param("orphanDependents")
    return DeleteOptions.from_body(
        body, propagation=request.param("propagationPolicy") or None,
        grace_period=int(grace) if grace.lstrip("-").isdigit() else None,
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
