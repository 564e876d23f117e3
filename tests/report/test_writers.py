"""Report files: structure, naming and formatting as Chainsaw writes them (pkg/report)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.model import OperationReport, Report, StepReport, TestReport
from chainsaw_py.report.writers import (
    go_time,
    render_json,
    render_junit_operation,
    render_junit_step,
    render_junit_test,
    report_file,
    save_report,
    xml_escape,
)

START = datetime(2009, 11, 17, 20, 34, 58, 651387, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def report() -> Report:
    operation_ok = OperationReport(type="apply", start_time=at(2), end_time=at(3))
    operation_failed = OperationReport(type="assert", start_time=at(2), end_time=at(3), error="dummy")
    step = StepReport(name="step-report", start_time=at(2), end_time=at(3))
    step.add(operation_ok)
    step.add(operation_failed)
    test = TestReport(base_path="base-path", name="test-report", start_time=at(1), end_time=at(4),
                      namespace="demo")
    test.add(step)
    skipped = TestReport(base_path="base-path", name="test-report-skipped", concurrent=True,
                         start_time=at(1), end_time=at(4), namespace="skipped", skipped=True)
    return Report(start_time=START, end_time=at(10), tests=[test, skipped])


def test_json_structure(report: Report) -> None:
    data = json.loads(render_json(report))
    assert data["name"] == "chainsaw-report"
    assert data["startTime"] == "2009-11-17T20:34:58.651387Z"
    first, second = data["tests"]
    assert first["status"] == "failed"
    assert "concurrent" not in first
    step = first["steps"][0]
    assert step == {
        "name": "step-report",
        "status": "failed",
        "startTime": "2009-11-17T20:36:58.651387Z",
        "endTime": "2009-11-17T20:37:58.651387Z",
        "operations": [
            {"name": "operation 1", "type": "apply", "status": "passed",
             "startTime": "2009-11-17T20:36:58.651387Z", "endTime": "2009-11-17T20:37:58.651387Z"},
            {"name": "operation 2", "type": "assert", "status": "failed",
             "startTime": "2009-11-17T20:36:58.651387Z", "endTime": "2009-11-17T20:37:58.651387Z",
             "failure": {"error": "dummy"}},
        ],
    }
    assert second["status"] == "skipped" and second["concurrent"] is True and "steps" not in second


def test_json_is_indented_with_two_spaces(report: Report) -> None:
    assert render_json(report).splitlines()[1] == '  "name": "chainsaw-report",'


def test_junit_operation(report: Report) -> None:
    assert render_junit_operation(report) == """\
<testsuites name="chainsaw-report" time="600.000000" tests="3" failures="1" skipped="1">
  <testsuite name="test-report" tests="2" failures="1" errors="0" id="0" package="base-path" time="180.000000" timestamp="2009-11-17T20:34:58Z">
    <properties>
      <property name="namespace" value="demo"></property>
    </properties>
    <testcase name="step-report / operation 1" classname="apply" time="60.000000"></testcase>
    <testcase name="step-report / operation 2" classname="assert" time="60.000000">
      <failure message="dummy"></failure>
    </testcase>
  </testsuite>
  <testsuite name="test-report-skipped" tests="1" failures="0" errors="0" id="0" package="base-path" skipped="1" time="180.000000" timestamp="2009-11-17T20:34:58Z">
    <properties>
      <property name="namespace" value="skipped"></property>
    </properties>
    <testcase name="test-report-skipped" classname="" time="180.000000">
      <skipped message=""></skipped>
    </testcase>
  </testsuite>
</testsuites>"""


def test_junit_step(report: Report) -> None:
    lines = render_junit_step(report).splitlines()
    assert lines[0] == '<testsuites name="chainsaw-report" time="600.000000" tests="2" failures="1" skipped="1">'
    assert '    <testcase name="step-report" classname="" time="60.000000">' in lines
    assert '      <failure message="dummy"></failure>' in lines


def test_junit_test_groups_by_folder(report: Report) -> None:
    assert render_junit_test(report) == """\
<testsuites name="chainsaw-report" time="600.000000" tests="2" failures="1" skipped="1">
  <testsuite name="base-path" tests="2" failures="1" errors="0" id="0" skipped="1" time="">
    <testcase name="test-report" classname="" time="180.000000">
      <failure message="dummy"></failure>
    </testcase>
    <testcase name="test-report-skipped" classname="" time="180.000000">
      <skipped message=""></skipped>
    </testcase>
  </testsuite>
</testsuites>"""


def test_junit_failure_joins_operation_errors() -> None:
    step = StepReport(name="s", start_time=START, end_time=START)
    step.add(OperationReport(type="script", start_time=START, end_time=START, error="a"))
    step.add(OperationReport(type="script", start_time=START, end_time=START, error='b "quoted"\nline'))
    test = TestReport(base_path="p", name="t", start_time=START, end_time=START)
    test.add(step)
    xml = render_junit_test(Report(start_time=START, end_time=START, tests=[test]))
    assert '<failure message="a; b &#34;quoted&#34;&#xA;line"></failure>' in xml


@pytest.mark.parametrize(("path", "name", "extension", "expected"), [
    ("", "chainsaw-report", "json", "chainsaw-report.json"),
    ("out", "chainsaw-report", "xml", "out/chainsaw-report.xml"),
    ("out", "custom.txt", "json", "out/custom.txt"),
])
def test_report_file_naming(path: str, name: str, extension: str, expected: str) -> None:
    assert report_file(path, name, extension) == Path(expected)


def test_save_report_writes_file(tmp_path: Path, report: Report) -> None:
    written = save_report(report, "JUNIT-STEP", str(tmp_path / "reports"), "run")
    assert written == tmp_path / "reports" / "run.xml"
    assert written.read_text().startswith("<testsuites")


def test_unknown_format_is_a_user_error(report: Report) -> None:
    with pytest.raises(ChainsawError, match="unknown report format: YAML"):
        save_report(report, "YAML")


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), "2020-01-02T03:04:05Z"),
    (datetime(2020, 1, 2, 3, 4, 5, 120000, tzinfo=timezone(timedelta(hours=2))), "2020-01-02T03:04:05.12+02:00"),
    (None, "0001-01-01T00:00:00Z"),
])
def test_go_time(moment: datetime | None, text: str) -> None:
    assert go_time(moment) == text


def test_xml_escape_like_go() -> None:
    assert xml_escape("<a & 'b'>\t") == "&lt;a &amp; &#39;b&#39;&gt;&#x9;"
