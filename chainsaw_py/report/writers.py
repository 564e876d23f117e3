"""Report files in Chainsaw's formats: JSON, and JUnit at test, step or operation granularity.

The JSON mirrors Chainsaw's ``pkg/report/json.go``; the XML mirrors go-junit-report v2 as Chainsaw uses
it (attribute order, ``omitempty`` rules, Go's XML escaping, ``%.6f`` seconds, no XML declaration).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.formats import FORMATS
from chainsaw_py.report.model import OperationReport, ProcessLog, Report, StepReport, TestReport
from chainsaw_py.util.terminal import sanitize

EXTENSIONS = {"JSON": "json", "XML": "xml", "JUNIT-TEST": "xml", "JUNIT-STEP": "xml", "JUNIT-OPERATION": "xml",
              "HTML": "html"}


def report_formats(text: str, path: str = "", name: str = "chainsaw-report") -> list[str]:
    """The formats of a ``--report-format`` value: one format, or several separated by commas
    (``JSON,HTML``: a chainsaw_py extension), each written once, in the order given. Two formats that
    would write the same file are refused."""
    formats = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    files: dict[Path, str] = {}
    for format in formats:
        if format not in FORMATS:
            raise ChainsawError(f"unknown report format: {format}")
        file = report_file(path, name, EXTENSIONS[format])
        if file in files:
            raise ChainsawError(f"report formats {files[file]} and {format} would both write {file}: "
                                "give formats with different file extensions")
        files[file] = format
    return formats


def save_reports(report: Report, formats: str, path: str = "", name: str = "chainsaw-report", *,
                 mask: Callable[[str], str] | None = None) -> list[Path]:
    """Write ``report`` once per format of ``formats`` (see ``report_formats``); return the files written.
    The HTML report, the slowest to render, comes last: a second Ctrl-C's short budget writes the others."""
    chosen = sorted(report_formats(formats, path, name), key=lambda format: format == "HTML")
    if mask is not None:
        report = masked(report, mask)
    return [save_report(report, format, path, name) for format in chosen]


def report_file(path: str, name: str, extension: str) -> Path:
    if not os.path.splitext(name)[1]:
        name = f"{name}.{extension.lower()}"
    return Path(path) / name if path else Path(name)


def save_report(report: Report, format: str, path: str = "", name: str = "chainsaw-report", *,
                mask: Callable[[str], str] | None = None) -> Path:
    """Write ``report`` in ``format`` to ``<path>/<name>[.json|.xml]`` and return the file written;
    ``mask`` hides secret values in every text of the report (``util.masking``), and control characters
    are escaped as on the console (``util.terminal.sanitize``)."""
    report = sanitized(report, mask)
    if format == "JSON":
        file = report_file(path, name, "json")
        content = render_json(report)
    elif format in ("XML", "JUNIT-TEST"):
        file, content = report_file(path, name, "xml"), render_junit_test(report)
    elif format == "JUNIT-STEP":
        file, content = report_file(path, name, "xml"), render_junit_step(report)
    elif format == "JUNIT-OPERATION":
        file, content = report_file(path, name, "xml"), render_junit_operation(report)
    elif format == "HTML":
        from chainsaw_py.report.html import render_html

        file, content = report_file(path, name, "html"), render_html(report)
    else:
        raise ChainsawError(f"unknown report format: {format}")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)
        file.chmod(0o600)
    except OSError as err:
        raise ChainsawError(f"failed to write report {file}: {err.strerror or err}") from err
    return file


def masked(report: Report, mask: Callable[[str], str]) -> Report:
    """A copy of ``report`` with ``mask`` applied to every text: names, paths, errors, outputs, labels,
    settings and process logs."""
    return _with_texts(report, mask)


def sanitized(report: Report, mask: Callable[[str], str] | None = None) -> Report:
    """A copy of ``report`` as the report files show it: secrets masked and control characters escaped in
    every name, path and error (``util.terminal.sanitize``)."""
    return _with_texts(report, lambda text: sanitize(text, mask))


def _with_texts(report: Report, mask: Callable[[str], str]) -> Report:
    def operation(op: OperationReport) -> OperationReport:
        return replace(op, name=mask(op.name), error=None if op.error is None else mask(op.error),
                       output=mask(op.output))

    def step(item: StepReport) -> StepReport:
        return replace(item, name=mask(item.name), operations=[operation(op) for op in item.operations],
                       blocks={name: [operation(op) for op in ops] for name, ops in item.blocks.items()})

    def test(item: TestReport) -> TestReport:
        return replace(item, name=mask(item.name), base_path=mask(item.base_path), namespace=mask(item.namespace),
                       steps=[step(s) for s in item.steps], scenario=mask(item.scenario),
                       labels={mask(k): mask(v) for k, v in item.labels.items()},
                       errors=[mask(error) for error in item.errors], group=mask(item.group))

    def process(item: ProcessLog) -> ProcessLog:
        return replace(item, name=mask(item.name), command=mask(item.command), log_path=mask(item.log_path),
                       lines=[(moment, mask(line)) for moment, line in item.lines])

    with report._lock:
        tests = list(report.tests)
    return replace(report, name=mask(report.name), tests=[test(t) for t in tests],
                   settings=[mask(line) for line in report.settings], cluster=mask(report.cluster),
                   processes=[process(p) for p in report.processes])


# --------------------------------------------------------------------------------------- JSON


def go_time(moment: datetime | None) -> str:
    """Go's ``time.Time`` JSON form (RFC 3339 with trimmed fractional seconds, ``Z`` for UTC)."""
    if moment is None:
        return "0001-01-01T00:00:00Z"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    offset = moment.utcoffset()
    if offset is None or offset.total_seconds() == 0:
        return text + "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _operation_json(op: OperationReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if op.name:
        out["name"] = op.name
    if op.type:
        out["type"] = op.type
    out["status"] = "failed" if op.failed else "passed"
    out["startTime"] = go_time(op.start_time)
    out["endTime"] = go_time(op.end_time)
    if op.error is not None:
        out["failure"] = {"error": op.error} if op.error else {}
    return out


def _step_json(step: StepReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if step.name:
        out["name"] = step.name
    out["status"] = "failed" if step.failed else "passed"
    out["startTime"] = go_time(step.start_time)
    out["endTime"] = go_time(step.end_time)
    if step.operations:
        out["operations"] = [_operation_json(op) for op in step.operations]
    return out


def _test_json(test: TestReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if test.base_path:
        out["basePath"] = test.base_path
    if test.name:
        out["name"] = test.name
    if test.concurrent is not None:
        out["concurrent"] = test.concurrent
    out["status"] = test.status
    out["startTime"] = go_time(test.start_time)
    out["endTime"] = go_time(test.end_time)
    if test.namespace:
        out["namespace"] = test.namespace
    if test.steps:
        out["steps"] = [_step_json(step) for step in test.steps]
    if test.group:
        out["group"] = test.group  # a chainsaw_py addition: the shard of a merged report
    return out


def render_json(report: Report) -> str:
    out: dict[str, Any] = {"name": report.name} if report.name else {}
    out["startTime"] = go_time(report.start_time)
    out["endTime"] = go_time(report.end_time)
    if report.interrupted:
        out["interrupted"] = True  # a chainsaw_py addition: the run was cut short
    if report.shard is not None:  # a chainsaw_py addition: which shard of which suite (``report merge``)
        out["shard"] = {"index": report.shard.index, "count": report.shard.count, "suite": report.shard.suite}
    if report.tests:
        out["tests"] = [_test_json(test) for test in report.tests]
    return json.dumps(out, indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------------------- JUnit


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "0.000000"
    return f"{(end - start).total_seconds():.6f}"


_XML_ESCAPES = {
    '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;",
    "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;",
}


_NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
"""Compiled on first use (by ``re``'s cache): its ranges cost ~6 ms to compile, in every run otherwise."""


def xml_escape(text: str) -> str:
    """Escape like Go's ``xml.EscapeText`` (used for attribute values and character data): characters
    outside XML 1.0's range become U+FFFD, as Go writes them, so the file is always well-formed."""
    return "".join(_XML_ESCAPES.get(ch, ch) for ch in re.sub(_NOT_XML, "\ufffd", text))


@dataclass
class _Case:
    """A JUnit ``testcase``."""

    name: str
    classname: str
    time: str
    failure: str | None = None
    skipped: bool = False

    def render(self, indent: str) -> list[str]:
        head = f'{indent}<testcase name="{xml_escape(self.name)}" classname="{xml_escape(self.classname)}" time="{self.time}">'
        if self.skipped:
            return [head, f'{indent}  <skipped message=""></skipped>', f"{indent}</testcase>"]
        if self.failure is not None:
            return [head, f'{indent}  <failure message="{xml_escape(self.failure)}"></failure>', f"{indent}</testcase>"]
        return [head + "</testcase>"]


@dataclass
class _Suite:
    """A JUnit ``testsuite`` and its cases."""

    name: str
    time: str
    package: str = ""
    timestamp: str = ""
    properties: dict[str, str] | None = None
    cases: list[_Case] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(1 for c in self.cases if c.failure is not None)

    @property
    def skipped(self) -> int:
        return sum(1 for c in self.cases if c.skipped)

    def render(self, indent: str) -> list[str]:
        attrs = [f'name="{xml_escape(self.name)}"', f'tests="{len(self.cases)}"', f'failures="{self.failures}"',
                 'errors="0"', 'id="0"']
        if self.package:
            attrs.append(f'package="{xml_escape(self.package)}"')
        if self.skipped:
            attrs.append(f'skipped="{self.skipped}"')
        attrs.append(f'time="{self.time}"')
        if self.timestamp:
            attrs.append(f'timestamp="{self.timestamp}"')
        lines = [f"{indent}<testsuite {' '.join(attrs)}>"]
        if self.properties is not None:
            lines.append(f"{indent}  <properties>")
            for key, value in self.properties.items():
                lines.append(f'{indent}    <property name="{xml_escape(key)}" value="{xml_escape(value)}"></property>')
            lines.append(f"{indent}  </properties>")
        for case in self.cases:
            lines.extend(case.render(indent + "  "))
        lines.append(f"{indent}</testsuite>")
        return lines


def _render_suites(report: Report, suites: list[_Suite]) -> str:
    attrs = [f'name="{xml_escape(report.name)}"'] if report.name else []
    attrs.append(f'time="{_seconds(report.start_time, report.end_time)}"')
    tests = sum(len(s.cases) for s in suites)
    failures = sum(s.failures for s in suites)
    skipped = sum(s.skipped for s in suites)
    for key, value in (("tests", tests), ("failures", failures), ("skipped", skipped)):
        if value:
            attrs.append(f'{key}="{value}"')
    if report.interrupted:
        attrs.append('interrupted="true"')  # a chainsaw_py addition: the run was cut short
    lines = [f"<testsuites {' '.join(attrs)}>"]
    for suite in suites:
        lines.extend(suite.render("  "))
    lines.append("</testsuites>")
    return "\n".join(lines)


def _errors_of(operations: list[OperationReport]) -> str | None:
    errors = [op.error or "" for op in operations if op.failed]
    return "; ".join(errors) if errors else None


def _skipped_case(test: TestReport) -> _Case:
    return _Case(test.name, "", _seconds(test.start_time, test.end_time), skipped=True)


def _timestamp(moment: datetime) -> str:
    return go_time(moment.replace(microsecond=0)) if moment.tzinfo else moment.replace(
        tzinfo=UTC, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_junit_test(report: Report) -> str:
    per_folder: dict[str, list[TestReport]] = {}
    for test in report.tests:
        per_folder.setdefault(test.base_path, []).append(test)
    suites = []
    for folder, tests in per_folder.items():
        suite = _Suite(folder, "")
        for test in tests:
            if test.skipped:
                suite.cases.append(_skipped_case(test))
                continue
            failure = _errors_of([op for step in test.steps for op in step.operations])
            suite.cases.append(_Case(test.name, "", _seconds(test.start_time, test.end_time), failure))
        suites.append(suite)
    return _render_suites(report, suites)


def _test_suite(report: Report, test: TestReport) -> _Suite:
    return _Suite(test.name, _seconds(test.start_time, test.end_time), package=test.base_path,
                  timestamp=_timestamp(report.start_time), properties={"namespace": test.namespace})


def render_junit_step(report: Report) -> str:
    suites = []
    for test in report.tests:
        suite = _test_suite(report, test)
        if test.skipped:
            suite.cases.append(_skipped_case(test))
        else:
            for step in test.steps:
                suite.cases.append(_Case(step.name, "", _seconds(step.start_time, step.end_time),
                                         _errors_of(step.operations)))
        suites.append(suite)
    return _render_suites(report, suites)


def render_junit_operation(report: Report) -> str:
    suites = []
    for test in report.tests:
        suite = _test_suite(report, test)
        if test.skipped:
            suite.cases.append(_skipped_case(test))
        else:
            for step in test.steps:
                for op in step.operations:
                    suite.cases.append(_Case(f"{step.name} / {op.name}", op.type,
                                             _seconds(op.start_time, op.end_time), op.error if op.failed else None))
        suites.append(suite)
    return _render_suites(report, suites)
