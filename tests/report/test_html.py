"""The HTML report: a well-formed, self-contained page holding every test and error, masked and escaped,
with a timeline of one lane per worker (checked in a real headless browser when Debian's chromium is
installed)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chainsaw_py.api import TestOptions, run_to_string
from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.sut import ProcessSpec, Readiness
from chainsaw_py.report.html import OPEN_FAILURES, assign_lanes, duration_text, render_html
from chainsaw_py.report.html import test_status as status_of
from chainsaw_py.report.model import OperationReport, OutputBudget, ProcessLog, Report, StepReport, TestReport
from chainsaw_py.report.recording import RecordingStepLogger
from chainsaw_py.report.writers import (
    render_json,
    render_junit_operation,
    report_formats,
    save_report,
    save_reports,
)
from chainsaw_py.steplog import ObjectRef, StreamedSection, section
from chainsaw_py.util.masking import MASK

REPO = Path(__file__).resolve().parents[2]
START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
DIFF_ERROR = textwrap.dedent("""\
    v1/ConfigMap/ns/cm
    * data.key: Invalid value: "actual": Expected value: "expected"

    --- expected
    +++ actual
    @@ -1,3 +1,3 @@
     data:
    -  key: expected
    +  key: actual""")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def operation(kind: str, start: float, end: float, error: str | None = None, output: str = "") -> OperationReport:
    return OperationReport(type=kind, start_time=at(start), end_time=at(end), error=error, output=output)


def make_test(name: str, start: float, end: float, *, error: str | None = None, group: str = "",
              labels: dict[str, str] | None = None) -> TestReport:
    test = TestReport(base_path=f"e2e/{name}", name=name, start_time=at(start), end_time=at(end),
                      namespace=f"ns-{name}", labels=labels or {}, group=group)
    step = StepReport(name="create", start_time=at(start), end_time=at(end))
    middle = (start + end) / 2
    step.add(operation("apply", start, middle, output="APPLY DONE v1/ConfigMap @ ns/cm"))
    step.add(operation("assert", middle, end - 0.5, error=error))
    step.blocks["catch"] = [operation("script", end - 0.5, end, output="=== STDOUT\ncaught <it> & more")]
    test.add(step)
    return test


def sample_report() -> Report:
    report = Report(start_time=START, end_time=at(20), settings=["Parallel 2", "ReportFormat 'HTML'"],
                    cluster="embedded cluster at https://127.0.0.1:1234")
    report.add(make_test("first", 0, 8, labels={"team": "storage"}))
    report.add(make_test("second", 2, 12, error=DIFF_ERROR, labels={"team": "network"}))
    report.add(make_test("third", 9, 18))
    skipped = TestReport(base_path="e2e/skipped", name="skipped", start_time=at(18), end_time=at(18), skipped=True)
    report.add(skipped)
    broken = make_test("broken", 12, 16)
    broken.errors.append("namespace setup failed: forbidden")
    report.add(broken)
    return report


class StrictParser(HTMLParser):
    """Fails on an end tag that closes nothing or the wrong element, or one left open; collects text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:] or 'nothing'}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> StrictParser:
    assert page.startswith("<!DOCTYPE html>")
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    assert parser.open == [], f"unclosed elements: {parser.open}"
    return parser


def test_the_page_is_well_formed_and_holds_every_test_and_error() -> None:
    report = sample_report()
    parser = parse(render_html(report))
    text = "".join(parser.text)
    for test in report.tests:
        assert test.name in text
        assert test.base_path in text
    assert DIFF_ERROR in text  # the whole error, line for line
    assert "namespace setup failed: forbidden" in text
    assert "caught <it> & more" in text  # the catch output, escaped in the source
    assert "embedded cluster at https://127.0.0.1:1234" in text
    assert "ReportFormat 'HTML'" in text
    assert "2 passed" in text and "2 failed" in text and "1 skipped" in text


def test_an_error_outside_the_try_operations_fails_the_test_in_the_page_only() -> None:
    report = sample_report()
    broken = report.tests[4]
    assert broken.status == "passed"  # the JSON keeps Chainsaw's status
    assert status_of(broken) == "failed"
    catch_failed = make_test("catch-failed", 0, 2)
    catch_failed.steps[0].blocks["catch"][0].error = "exit status 1"
    assert (catch_failed.status, status_of(catch_failed)) == ("passed", "failed")
    assert status_of(report.tests[3]) == "skipped" and status_of(report.tests[0]) == "passed"
    assert 'data-status="failed" data-name="broken"' in render_html(report)


def test_nothing_is_fetched_from_elsewhere() -> None:
    page = render_html(sample_report())
    parser = parse(page)
    assert not {"link", "img", "iframe", "object", "embed"} & set(parser.tags)
    for tag, name, value in parser.attributes:
        assert name != "src", f"<{tag} src={value}>"
        if name == "href":
            assert value is not None and value.startswith("#"), f"<{tag} href={value}>"
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest|WebSocket", page)


def test_texts_are_escaped() -> None:
    report = Report(start_time=START, end_time=at(1))
    hostile = make_test('<script>alert("x")</script>', 0, 1, error="</pre><b>boom</b>",
                        labels={"k": '"><img src=x>'})
    hostile.steps[0].operations[0].output = "<!-- not a comment -->"
    report.add(hostile)
    page = render_html(report)
    parser = parse(page)
    assert 'alert("x")' not in "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    assert "img" not in parser.tags and "b" not in parser.tags
    assert "</pre><b>boom</b>" in "".join(parser.text)
    assert "<!-- not a comment -->" in "".join(parser.text)


def test_diff_lines_are_coloured() -> None:
    page = render_html(sample_report())
    assert '<span class="diff-del">-  key: expected</span>' in page
    assert '<span class="diff-add">+  key: actual</span>' in page
    assert '<span class="diff-hunk">@@ -1,3 +1,3 @@</span>' in page
    assert '<span class="diff-file">--- expected</span>' in page
    # lines before the diff are not diff lines, even when they start with a dash
    plain = render_html(_single_error("- not a diff line\n+ neither"))
    assert 'class="diff-del"' not in plain and 'class="diff-add"' not in plain


def _single_error(error: str) -> Report:
    report = Report(start_time=START, end_time=at(2))
    report.add(make_test("one", 0, 2, error=error))
    return report


def test_lanes_come_from_interval_colouring() -> None:
    intervals = [(at(0), at(8)), (at(2), at(12)), (at(9), at(18)), (at(12), at(16)), (at(18), at(18))]
    lanes = assign_lanes(intervals)
    assert lanes == [0, 1, 0, 1, 0]
    for i, (start_i, end_i) in enumerate(intervals):
        for j, (start_j, end_j) in enumerate(intervals):
            if i < j and start_i < end_j and start_j < end_i:
                assert lanes[i] != lanes[j], "overlapping tests share a lane"
    three = assign_lanes([(at(0), at(10)), (at(1), at(10)), (at(2), at(10)), (at(11), at(12))])
    assert max(three) + 1 == 3 and three[3] == 0


def _lanes_per_group(page: str) -> dict[str, int]:
    groups = re.findall(r'<div class="group" data-group="([^"]*)">(.*?)</div>\n', page, re.S)
    return {name: body.count('<div class="lane">') for name, body in groups}


def test_the_timeline_has_one_lane_per_worker_and_one_block_per_group() -> None:
    page = render_html(sample_report())
    assert _lanes_per_group(page) == {"": 2}
    assert page.count('<a class="bar ') == 5
    assert 'title="second — 10.00s (failed)"' in page
    assert 'title="create / operation 2 (assert) — 4.50s (failed)"' in page
    merged = Report(start_time=START, end_time=at(40))
    for shard in ("shard-0", "shard-1"):
        for test in sample_report().tests:
            test.group = shard
            merged.add(test)
    assert _lanes_per_group(render_html(merged)) == {"shard-0": 2, "shard-1": 2}


def test_durations_read_well() -> None:
    assert [duration_text(s) for s in (0, 0.25, 3.214, 120, 125.5, 3725)] == ["0s", "250ms", "3.21s", "2m0s", "2m5.5s",
                                                                   "1h2m5s"]


def test_process_lines_are_shown_under_the_tests_they_ran_alongside() -> None:
    report = sample_report()
    report.processes = [ProcessLog("operator", "python op.py", "/tmp/process-operator.log",
                                   [(at(1), "reconciling first"), (at(13), "reconciling broken")], None)]
    page = render_html(report)
    first = page[page.index('id="test-0"'):page.index('id="test-1"')]
    broken = page[page.index('id="test-4"'):]
    assert "reconciling first" in first and "reconciling broken" not in first
    assert "reconciling broken" in broken.split('<section id="processes">')[0]
    assert "python op.py" in page and "running at the end" in page


def test_html_only_fields_leave_json_and_junit_unchanged() -> None:
    plain = sample_report()
    for test in plain.tests:
        test.labels, test.errors, test.group = {}, [], ""
        for step in test.steps:
            step.blocks = {}
            for op in step.operations:
                op.output = ""
    plain.settings, plain.cluster = [], ""
    rich = sample_report()
    rich.processes = [ProcessLog("p", "c", "l", [(at(1), "x")])]
    assert render_json(rich) == render_json(plain)
    assert render_junit_operation(rich) == render_junit_operation(plain)
    assert "output" not in json.loads(render_json(rich))["tests"][0]["steps"][0]["operations"][0]


def test_save_report_writes_html_masked(tmp_path: Path) -> None:
    report = sample_report()
    report.tests[0].steps[0].operations[0].output = "token is s3cr3t-value"
    report.processes = [ProcessLog("p", "run --token s3cr3t-value", "log", [(at(1), "got s3cr3t-value")])]
    file = save_report(report, "HTML", str(tmp_path), "run", mask=lambda text: text.replace("s3cr3t-value", MASK))
    assert file == tmp_path / "run.html"
    page = file.read_text()
    parse(page)
    assert "s3cr3t-value" not in page and f"token is {MASK}" in page


def test_several_formats_at_once(tmp_path: Path) -> None:
    files = save_reports(sample_report(), "JSON,HTML,JUNIT-STEP", str(tmp_path))
    assert [f.name for f in files] == ["chainsaw-report.json", "chainsaw-report.xml", "chainsaw-report.html"]
    assert report_formats("JSON, HTML,JSON") == ["JSON", "HTML"]
    with pytest.raises(ChainsawError, match="report formats JUNIT-TEST and JUNIT-STEP would both write"):
        report_formats("JUNIT-TEST,JUNIT-STEP")
    with pytest.raises(ChainsawError, match="unknown report format: PDF"):
        report_formats("JSON,PDF")


# --------------------------------------------------------------------------------------- a real run

PASSWORD = "hunter2-very-secret"
SUITE = f"""
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: alpha
  labels:
    team: storage
spec:
  steps:
  - name: create
    try:
    - apply:
        resource:
          apiVersion: v1
          kind: Secret
          metadata:
            name: creds
          stringData:
            password: {PASSWORD}
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm
          data:
            key: actual-value
    - script:
        content: echo "the password is {PASSWORD}"; sleep 0.5
    - assert:
        timeout: 1s
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm
          data:
            key: expected-value
    catch:
    - script:
        content: echo caught-it
    finally:
    - script:
        content: echo "finally-ran with {PASSWORD}"
"""
TICKER = "import time\nfor n in range(600):\n    print(f'tick {n}', flush=True)\n    time.sleep(0.05)\n"


def test_a_run_writes_json_and_html_with_everything_collected(tmp_path: Path) -> None:
    suite = tmp_path / "suite" / "alpha"
    suite.mkdir(parents=True)
    (suite / "chainsaw-test.yaml").write_text(SUITE)
    ticker = ProcessSpec(name="ticker", command=(sys.executable, "-u", "-c", TICKER), ready=Readiness(log="tick 0"),
                         stop_timeout=2)
    outcome, output = run_to_string(TestOptions(
        test_dirs=[str(suite.parent)], embedded=True, no_color=True, report_format="JSON,HTML",
        report_path=str(tmp_path / "out"), processes=[ticker]))
    assert [f.name for f in outcome.report_files] == ["chainsaw-report.json", "chainsaw-report.html"]
    page = (tmp_path / "out" / "chainsaw-report.html").read_text()
    data = json.loads((tmp_path / "out" / "chainsaw-report.json").read_text())
    assert PASSWORD not in page and PASSWORD not in output
    text = "".join(parse(page).text)
    assert f"the password is {MASK}" in text  # a try operation's output, masked
    assert "caught-it" in text and f"finally-ran with {MASK}" in text
    assert '<span class="diff-del">-  key: expected-value</span>' in page
    assert "team=storage" in text
    assert "embedded cluster at https://127.0.0.1:" in text
    assert "ReportFormat 'JSON,HTML'" in text
    assert re.search(r"process ticker: \d+ log lines while the test ran", text)
    assert {op["type"] for op in data["tests"][0]["steps"][0]["operations"]} == {"apply", "script", "assert"}
    assert "output" not in json.dumps(data)  # the JSON stays Chainsaw's


def test_clashing_formats_are_refused_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match="would both write"):
        run_to_string(TestOptions(test_dirs=[str(tmp_path)], no_cluster=True, report_format="XML,JUNIT-TEST"))
    assert not list(tmp_path.iterdir())


def test_the_timeline_reads_as_text_too() -> None:
    page = render_html(sample_report())
    assert html.escape("second — 10.00s (failed)") in page


# --------------------------------------------------------------------------------------- recording


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str | StreamedSection,
            color: str | None = None) -> None:
        self.lines.append((operation, status))

    def with_step(self, step: str) -> Lines:
        return self


class Chunks:
    def __init__(self, count: int) -> None:
        self.count = count
        self.read = 0

    def stripped_chunks(self) -> Iterator[str]:
        for _ in range(self.count):
            self.read += 1
            yield "x" * 1000 + "\n"


def test_an_operation_output_is_recorded_bounded_and_without_its_error() -> None:
    inner, entry = Lines(), OperationReport(type="script")
    logger = RecordingStepLogger(inner, entry, OutputBudget(), limit=5000)
    logger.log("CMD", "RUN", None, section("COMMAND", "echo hi"))
    logger.log("SCRIPT", "ERROR", ObjectRef("v1", "Pod", "ns", "p"), section("ERROR", "exit status 1"))
    assert inner.lines == [("CMD", "RUN"), ("SCRIPT", "ERROR")]  # the console still gets everything
    assert entry.output == "CMD RUN\n=== COMMAND\necho hi\nSCRIPT ERROR v1/Pod @ ns/p"
    streamed = Chunks(1_000_000)
    logger.with_step("other").log("SCRIPT", "LOG", None, StreamedSection("stdout", streamed))
    assert streamed.read <= 6  # a huge spilled output is read only up to the limit
    assert len(entry.output) < 5100 and entry.output.endswith("[output truncated: see the console]")
    logger.log("SCRIPT", "DONE")
    assert entry.output.endswith("[output truncated: see the console]")


def test_the_run_wide_budget_bounds_all_outputs_together() -> None:
    budget = OutputBudget(100)
    entries = [OperationReport(type="script") for _ in range(3)]
    for entry in entries:
        RecordingStepLogger(Lines(), entry, budget, limit=80).log("SCRIPT", "LOG", None, "y" * 70)
    whole, note = "SCRIPT LOG\n" + "y" * 70, "\n[output truncated: see the console]"
    assert [entry.output for entry in entries] == [whole[:80] + note, whole[:20] + note, note]
    silent = OperationReport(type="apply")
    RecordingStepLogger(Lines(), silent, OutputBudget(0)).log("APPLY", "DONE")
    assert silent.output == ""  # no HTML report: nothing recorded


def test_an_empty_report_is_a_page_too() -> None:
    text = "".join(parse(render_html(Report(start_time=START, end_time=at(1)))).text)
    assert "No tests ran." in text and "0 tests" in text


def test_the_command_line_writes_several_formats(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent("""\
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: quick
        spec:
          steps:
          - try:
            - sleep:
                duration: 10ms
        """))
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(suite), "--no-cluster", "--no-color",
                             "--report-format", "HTML,JUNIT-TEST", "--report-path", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert "- ReportFormat 'HTML,JUNIT-TEST'" in result.stdout
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["chainsaw-report.html",
                                                                         "chainsaw-report.xml"]
    text = "".join(parse((tmp_path / "out" / "chainsaw-report.html").read_text()).text)
    assert "quick" in text and "none (--no-cluster)" in text


def test_the_rendering_benchmark_runs() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "html_report.py"), "--tests", "20", "--workers",
                             "3", "--json"], capture_output=True, text=True, timeout=120, check=True)
    figures = json.loads(result.stdout)
    assert figures["operations"] == 500 and figures["lanes"] == 3


RENDEZVOUS = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: {name}
spec:
  steps:
  - try:
    - script:
        timeout: 60s
        content: touch {folder}/{name}; while [ ! -f {folder}/{other} ]; do sleep 0.02; done
"""


def test_tests_that_ran_at_once_get_their_own_lanes(tmp_path: Path) -> None:
    """Two tests wait for each other (so they surely overlap), a third runs after them: two lanes."""
    marks = tmp_path / "marks"
    marks.mkdir()
    for name, other in (("left", "right"), ("right", "left"), ("later", "left")):
        (tmp_path / "suite" / name).mkdir(parents=True)
        (tmp_path / "suite" / name / "chainsaw-test.yaml").write_text(
            RENDEZVOUS.format(name=name, other=other, folder=marks))
    outcome, _ = run_to_string(TestOptions(test_dirs=[str(tmp_path / "suite")], no_cluster=True, parallel=2,
                                           report_format="HTML", report_path=str(tmp_path)))
    assert outcome.ok
    page = (tmp_path / "chainsaw-report.html").read_text()
    assert _lanes_per_group(page) == {"": 2}
    assert page.count('<a class="bar passed"') == 3


def test_failed_tests_are_open_unless_there_are_many() -> None:
    few = render_html(sample_report())
    assert re.search(r'<details id="test-1" class="test failed"[^>]*\bopen>', few)
    many = Report(start_time=START, end_time=at(100))
    for index in range(OPEN_FAILURES + 1):
        many.add(make_test(f"t{index}", index, index + 2, error="boom"))
    page = render_html(many)
    assert page.count('class="test failed"') == OPEN_FAILURES + 1
    assert not re.search(r'<details id="test-\d+" class="test failed"[^>]*\bopen>', page)


def test_the_cluster_is_described_by_its_kubeconfig_context(tmp_path: Path) -> None:
    from chainsaw_py.client.clusters import connect

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://staging.example:6443"}
        users:
        - name: u
          user: {token: abc}
        contexts:
        - name: staging
          context: {cluster: c, user: u}
        current-context: staging
        """))
    cluster = connect(kubeconfig)
    try:
        assert cluster.description == f"kubeconfig {kubeconfig}, context staging, server https://staging.example:6443"
    finally:
        cluster.close()


def test_merged_shards_get_one_timeline_block_each(tmp_path: Path) -> None:
    from chainsaw_py.api import merge_reports

    suite = tmp_path / "suite"
    for name in ("alpha", "bravo", "charlie"):
        (suite / name).mkdir(parents=True)
        (suite / name / "chainsaw-test.yaml").write_text(RENDEZVOUS.format(name=name, other=name, folder=tmp_path))
    files = []
    for index in range(2):
        outcome, _ = run_to_string(TestOptions(test_dirs=[str(suite)], no_cluster=True, quiet=True, parallel=1,
                                               shard_index=index, shard_count=2, report_format="JSON",
                                               report_path=str(tmp_path / f"s{index}")))
        files.append(str(outcome.report_file))
    merged = merge_reports(files, formats=["HTML"], path=str(tmp_path / "merged"))
    page = merged.files[0].read_text()
    parse(page)
    assert _lanes_per_group(page) == {"shard-0": 1, "shard-1": 1}
    assert page.count('<a class="bar passed"') == 3
