"""``report merge``: the JSON reports of a suite's shards read back and merged, with one-line errors for bad
files, reports of different runs, overlapping and missing shards."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chainsaw_py import api
from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.merge import load_shards, merge_reports, suite_fingerprint
from chainsaw_py.report.model import OperationReport, Report, ShardInfo, StepReport, TestReport
from chainsaw_py.report.reading import parse_report, read_report
from chainsaw_py.report.writers import render_json, save_report
from tests.shared import REPO, TESTDATA

PASSING = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: {name}
spec:
  steps:
  - try:
    - script:
        content: echo {name}
"""
FAILING = PASSING.replace("echo {name}", "echo {name}; exit 3")


def _suite(tmp_path: Path) -> Path:
    for name in ("alpha", "bravo", "charlie", "delta", "echo"):
        folder = tmp_path / "suite" / name
        folder.mkdir(parents=True)
        (folder / "chainsaw-test.yaml").write_text((FAILING if name == "delta" else PASSING).format(name=name))
    return tmp_path / "suite"


def _run_shards(tmp_path: Path, count: int = 3) -> list[str]:
    suite = _suite(tmp_path)
    files = []
    for index in range(count):
        options = api.TestOptions(test_dirs=[str(suite)], no_cluster=True, quiet=True, shard_index=index,
                                  shard_count=count, report_format="JSON", report_path=str(tmp_path / f"s{index}"))
        outcome, _ = api.run_to_string(options)
        assert outcome.report_file is not None
        files.append(str(outcome.report_file))
    return files


def test_three_shards_merge_into_one_report(tmp_path: Path) -> None:
    files = _run_shards(tmp_path)
    shards = [read_report(file) for file in files]
    assert [shard.shard and (shard.shard.index, shard.shard.count) for shard in shards] == [(0, 3), (1, 3), (2, 3)]
    outcome = api.merge_reports(list(reversed(files)), formats=["JSON", "JUNIT-TEST"], path=str(tmp_path / "m"),
                                name="merged")
    report = outcome.report
    # shards in index order; within one shard, tests in completion order (they ran in parallel)
    assert sorted((test.group, test.name) for test in report.tests) == [(group, name) for name, group in [
        ("alpha", "shard-0"), ("bravo", "shard-1"), ("charlie", "shard-1"), ("delta", "shard-2"), ("echo", "shard-2")]]
    assert [test.group for test in report.tests] == ["shard-0", "shard-1", "shard-1", "shard-2", "shard-2"]
    assert (outcome.summary.passed, outcome.summary.failed, outcome.summary.skipped) == (4, 1, 0)
    assert report.start_time == min(shard.start_time for shard in shards)
    assert report.end_time == max(shard.end_time for shard in shards if shard.end_time)
    assert [file.name for file in outcome.files] == ["merged.json", "merged.xml"]
    written = json.loads(outcome.files[0].read_text())
    assert written["name"] == "merged" and "shard" not in written
    assert [test["group"] for test in written["tests"]] == ["shard-0", "shard-1", "shard-1", "shard-2", "shard-2"]
    xml = outcome.files[1].read_text()
    assert xml.count("<testcase ") == 5 and 'failures="1"' in xml and "exit status 3" in xml


def test_json_reports_read_back_unchanged(tmp_path: Path) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    step = StepReport("s", moment, moment, [OperationReport("apply", moment, moment, None, "op 1"),
                                            OperationReport("assert", moment, None, "boom", "op 2"),
                                            OperationReport("script", moment, moment, "", "op 3")])
    report = Report("r", moment, moment, [TestReport("p", "t", True, moment, moment, "ns", False, [step]),
                                          TestReport("p", "u", None, moment, moment, skipped=True)],
                    shard=ShardInfo(1, 2, "sha256:abc"))
    assert render_json(parse_report(json.loads(render_json(report)), "x")) == render_json(report)


def test_upstream_chainsaw_json_reads(tmp_path: Path) -> None:
    golden = TESTDATA / "report" / "JSON.json"
    if not golden.exists():
        pytest.skip("../shared/reference/chainsaw-testdata is not available")
    report = read_report(golden)
    assert [(test.name, test.status) for test in report.tests] == [("test-report", "failed"),
                                                                   ("test-report-skipped", "skipped")]
    assert report.tests[0].steps[0].operations[1].error == "dummy"


def _write(path: Path, data: object) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def _plain(name: str, *tests: str) -> dict[str, object]:
    times = {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:01Z"}
    return {"name": name, **times, "tests": [{"basePath": f"suite/{test}", "name": test, **times} for test in tests]}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "{file}:1: invalid JSON: Expecting property name enclosed in double quotes"),
    ("[1, 2]", "{file}: not a Chainsaw JSON report: (document): expected an object, got [1, 2]"),
    ({"kind": "Pod"}, "{file}: not a Chainsaw JSON report: (document): expected a 'startTime' field"),
    ({"startTime": "yesterday", "endTime": "2026-01-01T00:00:00Z"},
     '{file}: not a Chainsaw JSON report: startTime: expected an RFC 3339 time, got "yesterday"'),
    ({**_plain("r", "a"), "tests": [{"name": "a", "startTime": 3, "endTime": "2026-01-01T00:00:00Z"}]},
     "{file}: not a Chainsaw JSON report: tests[0].startTime: expected a string, got 3"),
    ({"startTime": "2026-13-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"},
     "{file}: not a Chainsaw JSON report: invalid time '2026-13-01T00:00:00Z': expected an RFC 3339 time"),
    ("[" * 100000 + "]" * 100000, "{file}: invalid JSON: nested too deeply"),
])
def test_bad_files_are_one_line_errors(tmp_path: Path, content: object, message: str) -> None:
    file = _write(tmp_path / "bad.json", content)
    with pytest.raises(ChainsawError) as caught:
        load_shards([file])
    assert str(caught.value) == message.format(file=file)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match=r"nope.json: cannot read the report: no such file or directory$"):
        load_shards([str(tmp_path / "nope.json")])
    with pytest.raises(ChainsawError, match=r": cannot read the report: is a directory$"):
        load_shards([str(tmp_path)])


def _sharded(index: int, count: int, suite: str, *tests: str) -> dict[str, object]:
    return {**_plain("chainsaw-report", *tests), "shard": {"index": index, "count": count, "suite": suite}}


def test_reports_of_different_runs(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.json", _sharded(0, 2, "sha256:1", "x"))
    other_count = _write(tmp_path / "b.json", _sharded(1, 3, "sha256:1", "y"))
    other_suite = _write(tmp_path / "c.json", _sharded(1, 2, "sha256:2", "y"))
    plain = _write(tmp_path / "d.json", _plain("chainsaw-report", "y"))
    renamed = _write(tmp_path / "e.json", _plain("other", "z"))
    cases = [
        ([a, other_count], f"{other_count}: a report of a different run: shard 1 of 3 of suite sha256:1, expected "
                           f"the shard count of {a} (shard 0 of 2 of suite sha256:1)"),
        ([a, other_suite], f"{other_suite}: a report of a different run: shard 1 of 2 of suite sha256:2, expected "
                           f"the suite of {a} (shard 0 of 2 of suite sha256:1)"),
        ([plain, a], f"{plain}: a report of a different run: it has no shard record while {a} is shard 0 of 2 (run "
                     "with --shard-index and --shard-count)"),
        ([plain, renamed], f"{renamed}: a report of a different run: its name is 'other', expected "
                           f"'chainsaw-report' as in {plain} (shards of one run share --report-name)"),
    ]
    for files, message in cases:
        with pytest.raises(ChainsawError) as caught:
            merge_reports(load_shards(files))
        assert str(caught.value) == message


def test_overlapping_shards(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.json", _sharded(0, 2, "sha256:1", "x"))
    again = _write(tmp_path / "b.json", _sharded(0, 2, "sha256:1", "y"))
    with pytest.raises(ChainsawError) as caught:
        merge_reports(load_shards([first, again]))
    assert str(caught.value) == f"overlapping shards: {first} and {again} are both shard 0 of 2"
    left = _write(tmp_path / "left.json", _plain("r", "x", "y"))
    right = _write(tmp_path / "right.json", _plain("r", "y", "z"))
    with pytest.raises(ChainsawError) as caught:
        merge_reports(load_shards([left, right]))
    assert str(caught.value) == f"overlapping shards: test 'y' (suite/y) is in both {left} and {right}"


def test_missing_shards(tmp_path: Path) -> None:
    files = [_write(tmp_path / f"{index}.json", _sharded(index, 4, "sha256:1", f"t{index}")) for index in (0, 2)]
    with pytest.raises(ChainsawError) as caught:
        merge_reports(load_shards(files))
    assert str(caught.value) == ("missing shard(s) 1, 3 of 4: no report given for them (--allow-missing-shards "
                                 "merges the others)")
    merged = merge_reports(load_shards(files), allow_missing=True)
    assert [test.group for test in merged.tests] == ["shard-0", "shard-2"]


def test_plain_chainsaw_reports_are_grouped_by_label_or_file(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
    one = _write(tmp_path / "one" / "chainsaw-report.json", _plain("r", "x"))
    two = _write(tmp_path / "two" / "chainsaw-report.json", _plain("r", "y"))
    assert [shard.group for shard in load_shards([one, two])] == [str(Path(one).with_suffix("")),
                                                                  str(Path(two).with_suffix(""))]
    assert [shard.group for shard in load_shards([f"linux={one}", f"arm={two}"])] == ["linux", "arm"]
    with pytest.raises(ChainsawError, match="shard label 'same' is also the label of"):
        load_shards([f"same={one}", f"same={two}"])


def test_formats_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    file = save_report(Report(tests=[TestReport("p", "t")]), "JSON", str(tmp_path), "in")
    with pytest.raises(ChainsawError, match="report formats JUNIT-TEST and JUNIT-STEP would both write"):
        api.merge_reports([str(file)], formats=["JUNIT-TEST", "JUNIT-STEP"], path=str(tmp_path / "out"))
    with pytest.raises(ChainsawError, match="unknown report format: PDF"):
        api.merge_reports([str(file)], formats=["PDF"], path=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_fingerprint_depends_on_the_suite_and_its_order() -> None:
    assert suite_fingerprint([("a", "x"), ("b", "y")]) == suite_fingerprint([("a", "x"), ("b", "y")])
    assert suite_fingerprint([("a", "x"), ("b", "y")]) != suite_fingerprint([("b", "y"), ("a", "x")])
    assert suite_fingerprint([("a", "x")]) != suite_fingerprint([("a", "x"), ("b", "y")])


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chainsaw_py", *argv], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_cli_merges_and_reports_errors_in_one_line(tmp_path: Path) -> None:
    files = _run_shards(tmp_path)
    result = _cli("report", "merge", "--report-format", "JSON", "--report-format", "JUNIT-OPERATION",
                  "--report-path", "out", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Merged 3 reports: 5 tests", "- Passed  tests 4", "- Failed  tests 1",
                                          "- Skipped tests 0", "Saved out/chainsaw-report.json",
                                          "Saved out/chainsaw-report.xml"]
    result = _cli("report", "merge", files[0], files[0], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"Error: overlapping shards: {files[0]} and {files[0]} are both shard 0 of 3\n"
    result = _cli("report", "merge", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("Error: requires at least 1 arg(s)")


def test_shards_of_one_suite_in_different_places_merge(tmp_path: Path) -> None:
    """Each machine (a CI runner, a pod's volume) may hold the suite elsewhere: the fingerprint is of the paths
    under the test directories."""
    import shutil

    suite = _suite(tmp_path)
    elsewhere = tmp_path / "elsewhere" / "copy"
    shutil.copytree(suite, elsewhere)
    files = []
    for index, folder in enumerate((suite, elsewhere)):
        options = api.TestOptions(test_dirs=[str(folder)], no_cluster=True, quiet=True, shard_index=index,
                                  shard_count=2, report_format="JSON", report_path=str(tmp_path / f"r{index}"))
        outcome, _ = api.run_to_string(options)
        assert outcome.report_file is not None
        files.append(str(outcome.report_file))
    merged = api.merge_reports(files, path=str(tmp_path / "m")).report
    assert sorted(test.name for test in merged.tests) == ["alpha", "bravo", "charlie", "delta", "echo"]
    (elsewhere / "echo").rename(elsewhere / "foxtrot")  # another suite: not the same shards
    options = api.TestOptions(test_dirs=[str(elsewhere)], no_cluster=True, quiet=True, shard_index=1,
                              shard_count=2, report_format="JSON", report_path=str(tmp_path / "other"))
    outcome, _ = api.run_to_string(options)
    with pytest.raises(ChainsawError, match="a report of a different run: shard 1 of 2 of suite sha256:"):
        api.merge_reports([files[0], str(outcome.report_file)])
