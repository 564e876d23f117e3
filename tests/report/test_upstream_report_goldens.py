"""Reports against upstream Chainsaw's golden files (``../shared/reference/chainsaw-testdata/report``): the
report upstream's ``pkg/report/report_test.go`` saves in every format, compared byte for byte. Go's times
have nanoseconds and Python's microseconds, so the goldens' fractions are cut to microseconds. ``JSON.json``
predates the ``status`` fields upstream's ``pkg/report/json.go`` writes today in place of ``skipped``
(upstream's test reads back the file it has just written, so the golden went stale): it is compared without
them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chainsaw_py.report.model import OperationReport, Report, StepReport, TestReport
from chainsaw_py.report.writers import save_report
from tests.shared import TESTDATA, requires_shared

pytestmark = requires_shared("reference", "chainsaw-testdata", "report")


def _at(minute: int, second: int = 58) -> datetime:
    return datetime(2009, 11, 17, 20, minute, second, 651387, tzinfo=UTC)


def _report() -> Report:
    step = StepReport("step-report", start_time=_at(36), end_time=_at(37), operations=[
        OperationReport("apply", start_time=_at(36), end_time=_at(37), name="operation-report"),
        OperationReport("assert", start_time=_at(36), end_time=_at(37), error="dummy", name="operation-report-err"),
    ])
    return Report(name="report", start_time=_at(34), end_time=_at(44), tests=[
        TestReport("base-path", "test-report", start_time=_at(35), end_time=_at(38), namespace="demo",
                   steps=[step]),
        TestReport("base-path", "test-report-skipped", concurrent=True, start_time=_at(35), end_time=_at(38),
                   namespace="skipped", skipped=True),
    ])


@pytest.mark.parametrize(("format", "golden"), [("XML", "XML.xml"),
                                                ("JUNIT-TEST", "JUNIT-TEST.xml"), ("JUNIT-STEP", "JUNIT-STEP.xml"),
                                                ("JUNIT-OPERATION", "JUNIT-OPERATION.xml")])
def test_report_matches_upstream(tmp_path: Path, format: str, golden: str) -> None:
    written = save_report(_report(), format, str(tmp_path), "report")
    expected = (TESTDATA / "report" / golden).read_text(encoding="utf-8")
    expected = re.sub(r"(\.\d{6})\d{3}Z", r"\1Z", expected)
    assert written.read_text(encoding="utf-8") == expected


def _without_status(value: object) -> object:
    if isinstance(value, dict):
        return {key: _without_status(item) for key, item in value.items() if key not in ("status", "skipped")}
    if isinstance(value, list):
        return [_without_status(item) for item in value]
    return value


def test_json_report_matches_upstream_but_the_status_fields(tmp_path: Path) -> None:
    written = json.loads(save_report(_report(), "JSON", str(tmp_path), "report").read_text(encoding="utf-8"))
    expected = re.sub(r"(\.\d{6})\d{3}Z", r"\1Z", (TESTDATA / "report" / "JSON.json").read_text(encoding="utf-8"))
    assert _without_status(written) == _without_status(json.loads(expected))
    assert [test["status"] for test in written["tests"]] == ["failed", "skipped"]
