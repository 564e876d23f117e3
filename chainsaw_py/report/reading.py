"""Reading a JSON report back (Chainsaw's ``pkg/report/json.go`` structure, as ``writers.render_json`` writes it
and as upstream Chainsaw writes it: ``status`` fields, or the older ``skipped`` flag).

The structure is checked with a JSON schema first, so that a file that is not a Chainsaw report is refused
in one line naming the field and what was expected.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.model import OperationReport, Report, ShardInfo, StepReport, TestReport
from chainsaw_py.util.files import FileReadError, read_text

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$"}
_STATUS = {"enum": ["passed", "failed", "skipped"]}
_OPERATION = {"type": "object", "required": ["startTime", "endTime"], "properties": {
    "name": {"type": "string"}, "type": {"type": "string"}, "status": _STATUS, "startTime": _TIME, "endTime": _TIME,
    "failure": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_STEP = {"type": "object", "required": ["startTime", "endTime"], "properties": {
    "name": {"type": "string"}, "status": _STATUS, "startTime": _TIME, "endTime": _TIME,
    "operations": {"type": "array", "items": _OPERATION}}}
_TEST = {"type": "object", "required": ["startTime", "endTime"], "properties": {
    "basePath": {"type": "string"}, "name": {"type": "string"}, "concurrent": {"type": "boolean"},
    "status": _STATUS, "skipped": {"type": "boolean"}, "startTime": _TIME, "endTime": _TIME,
    "namespace": {"type": "string"}, "group": {"type": "string"}, "steps": {"type": "array", "items": _STEP}}}
REPORT_SCHEMA: dict[str, Any] = {"type": "object", "required": ["startTime", "endTime"], "properties": {
    "name": {"type": "string"}, "startTime": _TIME, "endTime": _TIME, "interrupted": {"type": "boolean"},
    "shard": {"type": "object", "required": ["index", "count", "suite"], "properties": {
        "index": {"type": "integer", "minimum": 0}, "count": {"type": "integer", "minimum": 1},
        "suite": {"type": "string"}}},
    "tests": {"type": "array", "items": _TEST}}}


def read_report(path: str | Path) -> Report:
    """The report in the JSON file at ``path``; a one-line ``ChainsawError`` naming the file otherwise."""
    try:
        text = read_text(path)
    except FileReadError as err:
        raise ChainsawError(f"{path}: cannot read the report: {err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ChainsawError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    except RecursionError:
        raise ChainsawError(f"{path}: invalid JSON: nested too deeply") from None
    except ValueError as err:  # e.g. an integer longer than Python converts
        raise ChainsawError(f"{path}: invalid JSON: {err}") from None
    return parse_report(data, str(path))


def parse_report(data: Any, source: str) -> Report:
    """A ``Report`` from decoded JSON; ``source`` names the file in errors."""
    _check_structure(data, source)
    try:
        return _report(data)
    except ValueError as err:  # a time of the right shape that is no date, such as month 13
        raise ChainsawError(f"{source}: not a Chainsaw JSON report: {err}") from None


def _report(data: dict[str, Any]) -> Report:
    report = Report(name=data.get("name", ""), start_time=_time(data["startTime"]), end_time=_end(data["endTime"]),
                    interrupted=bool(data.get("interrupted", False)))
    shard = data.get("shard")
    if shard is not None:
        report.shard = ShardInfo(shard["index"], shard["count"], shard["suite"])
    report.tests = [_test(item) for item in data.get("tests", [])]
    return report


@functools.cache
def _fast_validator() -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(REPORT_SCHEMA, use_default=False,  # type: ignore[no-any-return]
                                  detailed_exceptions=False)


def _check_structure(data: Any, source: str) -> None:
    """A compiled validator passes a good report quickly; jsonschema words what is wrong with a bad one."""
    import fastjsonschema
    import jsonschema

    try:
        _fast_validator()(data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(REPORT_SCHEMA).iter_errors(data))
    if error is None:
        return
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    field = where.lstrip(".") or "(document)"
    raise ChainsawError(f"{source}: not a Chainsaw JSON report: {field}: {_expected(error)}")


def _expected(error: Any) -> str:
    """What the schema wanted, in words."""
    if error.validator == "required":
        missing = next((name for name in error.validator_value if name not in error.instance), "a field")
        return f"expected a {missing!r} field"
    if error.validator == "type":
        return f"expected {'an' if error.validator_value in ('object', 'array', 'integer') else 'a'} " \
               f"{error.validator_value}, got {json.dumps(error.instance)[:60]}"
    if error.validator == "pattern":
        return f"expected an RFC 3339 time, got {json.dumps(error.instance)[:60]}"
    if error.validator == "enum":
        return f"expected one of {', '.join(error.validator_value)}, got {json.dumps(error.instance)[:60]}"
    return str(error.message)


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid time {text!r}: expected an RFC 3339 time") from None


def _end(text: str) -> datetime | None:
    return None if text == GO_ZERO_TIME else _time(text)


def _test(data: dict[str, Any]) -> TestReport:
    skipped = data.get("status") == "skipped" or bool(data.get("skipped", False))
    return TestReport(base_path=data.get("basePath", ""), name=data.get("name", ""),
                      concurrent=data.get("concurrent"), start_time=_time(data["startTime"]),
                      end_time=_end(data["endTime"]), namespace=data.get("namespace", ""), skipped=skipped,
                      steps=[_step(item) for item in data.get("steps", [])], group=data.get("group", ""))


def _step(data: dict[str, Any]) -> StepReport:
    return StepReport(name=data.get("name", ""), start_time=_time(data["startTime"]), end_time=_end(data["endTime"]),
                      operations=[_operation(item) for item in data.get("operations", [])])


def _operation(data: dict[str, Any]) -> OperationReport:
    failure = data.get("failure")
    error = failure.get("error", "") if failure is not None else ("" if data.get("status") == "failed" else None)
    return OperationReport(type=data.get("type", ""), start_time=_time(data["startTime"]),
                           end_time=_end(data["endTime"]), error=error, name=data.get("name", ""))
