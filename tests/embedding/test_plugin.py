"""The pytest plugin, run as users run it (pytest in a child process): collection and naming, markers,
outcomes, failure blocks, log sections, JUnit XML, options and ini settings, fail-fast and
``concurrent: false`` under pytest-xdist, one-line errors. Without a cluster, so it is fast."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .helpers import collect, make_test, run_pytest, write_files

QUICK = "  timeouts:\n    assert: 100ms\n"
BASIC = make_test("passes", "  - try:\n    - script:\n        content: echo hello from passes\n",
                  metadata="  labels:\n    tier: e2e\n    app.kubernetes.io/name: demo\n    skip: 'yes'\n") + \
    "---\n" + make_test("fails", "  - try:\n    - assert:\n        resource:\n          ($values.answer): 42\n",
                        metadata="  labels:\n    tier: smoke\n", spec=QUICK) + \
    "---\n" + make_test("passes", "  - try:\n    - script:\n        content: 'true'\n")
SCENARIOS = make_test("matrix", "  - try:\n    - assert:\n        resource:\n          ($size < `3`): true\n",
                      spec=QUICK + "  scenarios:\n  - name: small\n    bindings:\n    - name: size\n      value: 1\n"
                           "  - name: very big\n    bindings:\n    - name: size\n      value: 3\n"
                           "  - bindings:\n    - name: size\n      value: 2\n")
SUITE = {
    "basic/chainsaw-test.yaml": BASIC,
    "scenarios/chainsaw-test.yaml": SCENARIOS,
    "skipped/chainsaw-test.yaml": make_test("skipped", "  - try:\n    - script:\n        content: exit 1\n",
                                            spec="  skip: true\n"),
    "serial/chainsaw-test.yaml": make_test("serial-one", "  - try:\n    - script:\n        content: 'true'\n",
                                           spec="  concurrent: false\n"),
    "kuttl-folder/00-assert.yaml": "($values.answer): 41\n",
    "kuttl-folder/01-assert.yaml": "($values.answer): 41\n",
    "kuttl-folder/README.md": "not a test\n",
}
NODE_IDS = [  # concurrent: false first, then discovery order
    "serial/chainsaw-test.yaml::serial-one",
    "basic/chainsaw-test.yaml::passes",
    "basic/chainsaw-test.yaml::fails",
    "basic/chainsaw-test.yaml::passes#01",
    "kuttl-folder/00-assert.yaml::kuttl-folder",
    "scenarios/chainsaw-test.yaml::matrix[small]",
    "scenarios/chainsaw-test.yaml::matrix[very_big]",
    "scenarios/chainsaw-test.yaml::matrix[scenario_#3]",
    "skipped/chainsaw-test.yaml::skipped",
]
OUTCOMES = {
    "serial-one": "passed", "passes": "passed", "fails": "failed", "passes#01": "passed", "kuttl-folder": "passed",
    "matrix[small]": "passed", "matrix[very_big]": "failed", "matrix[scenario_#3]": "passed", "skipped": "skipped",
}
PLUGIN = ["--chainsaw", "--chainsaw-cluster=none", "--chainsaw-set", "answer=41", "--strict-markers",
          "-W", "error::pytest.PytestUnknownMarkWarning"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("suite"), SUITE)


@pytest.fixture(scope="module")
def full_run(suite: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    junit = tmp_path_factory.mktemp("junit") / "junit.xml"
    run = run_pytest([*PLUGIN, "-rA", "--junitxml", str(junit)], suite)
    assert run.returncode == 1, run.output
    return run.output, junit


def _collected(suite: Path, *args: str) -> list[str]:
    return collect([*PLUGIN, *args], suite)


def test_off_unless_asked_for(suite: Path) -> None:
    run = run_pytest(["--collect-only", "-q"], suite)
    assert run.returncode == 5 and "no tests collected" in run.output, run.output


def test_items_are_named_like_chainsaw_names_tests(suite: Path) -> None:
    assert _collected(suite) == NODE_IDS


def test_outcomes_in_junit(full_run: tuple[str, Path]) -> None:
    _, junit = full_run
    statuses = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = case.find("failure") is not None
        statuses[case.get("name")] = "failed" if failed else "skipped" if case.find("skipped") is not None else "passed"
    assert statuses == OUTCOMES


def test_failure_shows_the_chainsaw_error_block(full_run: tuple[str, Path]) -> None:
    output, junit = full_run
    assert "chainsaw test 'fails' failed:\n($values.answer): Invalid value: 41: Expected value: 42" in output
    assert "chainsaw test 'matrix' (very big) failed:\n($size < `3`): Invalid value: false: Expected value: true" \
        in output
    assert "Traceback" not in output and "chainsaw_py/" not in output
    failure = next(case for case in ET.parse(junit).getroot().iter("testcase")
                   if case.get("name") == "fails").find("failure")
    assert failure is not None and "Expected value: 42" in (failure.get("message") or "")


def test_the_chainsaw_log_is_a_report_section(full_run: tuple[str, Path]) -> None:
    output, _ = full_run
    assert "Captured chainsaw call" in output
    assert re.search(r"\| fails \| step #1 +\| ASSERT +\| ERROR \|", output), output
    assert "hello from passes" in output  # -rA shows the sections of passing tests too


def test_skip_true_is_a_skip(full_run: tuple[str, Path]) -> None:
    output, _ = full_run
    assert re.search(r"SKIPPED \[1\] skipped/chainsaw-test.yaml(:\d+)?: skip: true", output), output


@pytest.mark.parametrize(("expression", "expected"), [
    ("chainsaw", NODE_IDS),
    ("tier", ["basic/chainsaw-test.yaml::passes", "basic/chainsaw-test.yaml::fails"]),
    ("tier(value='e2e')", ["basic/chainsaw-test.yaml::passes"]),
    ("app.kubernetes.io/name", ["basic/chainsaw-test.yaml::passes"]),
    ("label-skip", ["basic/chainsaw-test.yaml::passes"]),
    ("not tier and not chainsaw", []),
])
def test_labels_are_markers(suite: Path, expression: str, expected: list[str]) -> None:
    assert _collected(suite, "-m", expression) == expected


def test_selector_filters_collection(suite: Path) -> None:
    assert _collected(suite, "--chainsaw-selector", "tier in (smoke)") == ["basic/chainsaw-test.yaml::fails"]


def test_test_file_option(tmp_path: Path) -> None:
    write_files(tmp_path, {"a/my-test.yaml": make_test("custom", "  - try:\n    - sleep:\n        duration: 1ms\n"),
                           "b/chainsaw-test.yaml": make_test("default", "  - try:\n    - sleep:\n"
                                                                        "        duration: 1ms\n")})
    assert _collected(tmp_path, "--chainsaw-test-file", "my-test") == ["a/my-test.yaml::custom"]


def test_ini_settings(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "pytest.ini": "[pytest]\nchainsaw = true\nchainsaw_cluster = none\nchainsaw_values = conf/values.yaml\n"
                      "chainsaw_set = extra=1\n",
        "conf/values.yaml": "answer: 41\n",
        "t/chainsaw-test.yaml": make_test("from-ini", "  - try:\n    - assert:\n        resource:\n"
                                                      "          ($values.answer): 41\n          ($values.extra): 1\n"),
    })
    run = run_pytest(["-q"], tmp_path / "t")
    assert run.returncode == 0 and "1 passed" in run.output, run.output


def test_configuration_regexes_deselect(tmp_path: Path, suite: Path) -> None:
    config = write_files(tmp_path, {"config.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\n"
                                                   "metadata:\n  name: c\nspec:\n  discovery:\n"
                                                   "    excludeTestRegex: chainsaw/pass\n"}) / "config.yaml"
    collected = _collected(suite, f"--chainsaw-config={config}")
    assert "basic/chainsaw-test.yaml::passes" not in collected and "basic/chainsaw-test.yaml::fails" in collected


def test_fail_fast_skips_the_rest(suite: Path) -> None:
    run = run_pytest([*PLUGIN, "--chainsaw-fail-fast", "-rs"], suite)
    assert "1 failed, 2 passed, 6 skipped" in run.output, run.output
    counts = re.findall(r"SKIPPED \[(\d+)\] (\S+?):\d+: failFast: skipped after an earlier failure", run.output)
    assert {path: int(count) for count, path in counts} == {
        "basic/chainsaw-test.yaml": 1, "kuttl-folder/00-assert.yaml": 1, "scenarios/chainsaw-test.yaml": 3}


def test_fail_fast_across_xdist_workers(tmp_path: Path) -> None:
    """With ``--dist loadfile`` each worker gets one file. ``fails-at-once`` (in a) fails only once ``waits`` (in
    b) has started, and ``waits`` holds its worker until the failure is recorded, so ``waits`` passes and ``after``
    is skipped whatever the load and however long each worker takes to start."""
    from chainsaw_py.pytest_plugin.workers import FAILED_MARK

    basetemp = tmp_path / "basetemp"  # the workers' shared folder is its parent: basetemp itself
    mark, started = basetemp / FAILED_MARK, tmp_path / "waits-started"
    fail = f"until [ -e {started} ]; do sleep 0.05; done; exit 1"
    wait = f"touch {started}; until [ -e {mark} ]; do sleep 0.05; done"
    write_files(tmp_path / "suite", {
        "a/chainsaw-test.yaml": make_test("fails-at-once", f"  - try:\n    - script:\n        content: '{fail}'\n"
                                                           "        timeout: 2m\n"),
        "b/chainsaw-test.yaml": make_test("waits", f"  - try:\n    - script:\n        content: '{wait}'\n"
                                                   "        timeout: 2m\n") + "---\n"
        + make_test("after", "  - try:\n    - script:\n        content: 'true'\n"),
    })
    run = run_pytest([*PLUGIN, "--chainsaw-fail-fast", "-n", "2", "--dist", "loadfile", "-rA",
                      f"--basetemp={basetemp}"], tmp_path / "suite")
    assert "1 failed, 1 passed, 1 skipped" in run.output, run.output
    assert re.search(r"SKIPPED .*failFast", run.output), run.output


def test_concurrent_false_runs_alone_under_xdist(tmp_path: Path) -> None:
    log = tmp_path / "intervals.log"

    def timed(name: str, spec: str = "") -> str:
        script = f"echo {name} start $(date +%s.%N) >> {log}; sleep 0.3; echo {name} end $(date +%s.%N) >> {log}"
        return make_test(name, f"  - try:\n    - script:\n        content: \"{script}\"\n", spec=spec)

    write_files(tmp_path / "suite", {
        "a/chainsaw-test.yaml": timed("alone-1", "  concurrent: false\n") + "---\n" + timed("free-1"),
        "b/chainsaw-test.yaml": timed("free-2") + "---\n" + timed("alone-2", "  concurrent: false\n"),
        "c/chainsaw-test.yaml": timed("free-3") + "---\n" + timed("free-4"),
    })
    run = run_pytest([*PLUGIN, "-n", "2", "-q"], tmp_path / "suite")
    assert "6 passed" in run.output, run.output
    intervals: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        name, _, stamp = line.split()
        intervals.setdefault(name, []).append(float(stamp))
    for name in ("alone-1", "alone-2"):
        start, end = intervals[name]
        for other, (other_start, other_end) in intervals.items():
            if other != name:
                assert other_end <= start or other_start >= end, (name, other, intervals)


def test_a_bad_test_file_is_one_collection_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"bad/chainsaw-test.yaml": make_test("bad", "  - try:\n    - sleep:\n"
                                                                      "        duration: soon\n")})
    run = run_pytest([*PLUGIN, "-q"], tmp_path)
    assert run.returncode == 2, run.output
    assert re.search(r"chainsaw-test.yaml:\d+: spec.steps\[0\].try\[0\].sleep.duration: invalid duration \"soon\"",
                     run.output), run.output
    assert "Traceback" not in run.output


def test_a_bad_configuration_is_a_usage_error(suite: Path) -> None:
    run = run_pytest([*PLUGIN, "--chainsaw-config", "missing.yaml"], suite)
    assert run.returncode == 4, run.output
    assert "ERROR: chainsaw: missing.yaml" in run.output and "Traceback" not in run.output


def test_a_bad_cluster_setting_is_a_usage_error(suite: Path) -> None:
    run = run_pytest(["--chainsaw", "-o", "chainsaw_cluster=cloud"], suite)
    assert run.returncode == 4 and "chainsaw_cluster: invalid value 'cloud'" in run.output, run.output


def test_no_kubeconfig_fails_each_item_with_one_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"t/chainsaw-test.yaml": make_test("needs-cluster", "  - try:\n    - sleep:\n"
                                                                             "        duration: 1ms\n")})
    run = run_pytest(["--chainsaw", "--chainsaw-cluster=kubeconfig", "-q"], tmp_path, HOME=str(tmp_path))
    assert run.returncode == 1, run.output
    assert "chainsaw: no kubeconfig found (set KUBECONFIG or --chainsaw-kubeconfig)" in run.output
    assert "Traceback" not in run.output


def test_ctrl_c_cleans_up_then_stops(tmp_path: Path) -> None:
    import signal
    import time

    from .helpers import finish, start_pytest

    started, cleaned = tmp_path / "started", tmp_path / "cleaned"
    write_files(tmp_path / "suite", {
        "a/chainsaw-test.yaml": make_test(
            "long", f"  - try:\n    - script:\n        content: touch {started}; sleep 30\n        timeout: 1m\n"
                    f"    cleanup:\n    - script:\n        content: touch {cleaned}\n"),
        "b/chainsaw-test.yaml": make_test("never", "  - try:\n    - script:\n        content: 'true'\n"),
    })
    process = start_pytest([*PLUGIN, "-q"], tmp_path / "suite")
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert started.exists(), finish(process).output
    process.send_signal(signal.SIGINT)
    run = finish(process, timeout=30)
    assert run.returncode == 2, run.output
    assert cleaned.exists(), run.output
    assert "Interrupted: interrupted (Ctrl-C): the running Chainsaw test was stopped and cleaned up" in run.output
    assert "chainsaw test 'long' failed:\ninterrupted" in run.output and "1 failed" in run.output, run.output


@pytest.mark.parametrize(("key", "marker"), [
    ("tier", "tier"), ("app.kubernetes.io/name", "app.kubernetes.io/name"), ("skip", "label-skip"),
    ("xfail", "label-xfail"), ("chainsaw", "label-chainsaw"), ("_private", "label-_private"),
    ("a b(c)", "a_b_c_"), ("x:y", "x_y"), ("", "label-"),
])
def test_marker_names(key: str, marker: str) -> None:
    from chainsaw_py.pytest_plugin import marker_name

    assert marker_name(key) == marker


def test_the_names_of_the_single_module_plugin_still_import() -> None:
    """The plugin became a package: what users could import from ``chainsaw_py.pytest_plugin`` still imports."""
    import chainsaw_py.pytest_plugin as plugin

    names = ["CLUSTER_MODES", "RESERVED_MARKERS", "ChainsawFailure", "ChainsawFile", "ChainsawItem", "ChainsawRuntime",
             "ChainsawSetupError", "ClusterInfo", "Discovery", "PluginSettings", "S3Info", "chainsaw_cluster",
             "chainsaw_run", "chainsaw_s3", "chainsaw_session", "check_result", "marker_name", "pytest_addoption",
             "pytest_collect_file", "pytest_collection_modifyitems", "pytest_configure", "pytest_sessionfinish",
             "pytest_terminal_summary", "pytest_unconfigure", "read_settings", "representative_file",
             "stop_if_interrupted"]
    assert [name for name in names if not hasattr(plugin, name)] == []


def test_a_run_that_cannot_start_fails_each_item_with_the_reason(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "config.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nmetadata:\n  name: c\n"
                       "spec:\n  namespace:\n    name: Not_A_Valid_Name\n",
        "t/chainsaw-test.yaml": make_test("one", "  - try:\n    - sleep:\n        duration: 1ms\n") + "---\n"
        + make_test("two", "  - try:\n    - sleep:\n        duration: 1ms\n"),
    })
    run = run_pytest(["--chainsaw", "--chainsaw-cluster=embedded", "--chainsaw-config=config.yaml", "-q"], tmp_path)
    assert "2 failed" in run.output, run.output
    sections = run.output.split("chainsaw: the run could not start (see the console output)\n")[1:3]
    assert len(sections) == 2 and all('Namespace "Not_A_Valid_Name" is invalid' in text for text in sections), \
        run.output
    assert "Traceback" not in run.output


def _process_dying_on(trigger: Path, folder: Path) -> str:
    """A system-under-test file whose process is ready at once and exits with code 3 once ``trigger`` exists."""
    import sys

    write_files(folder, {
        "op.py": f"""
            import os, sys, time
            print("ready")
            while not os.path.exists({str(trigger)!r}):
                time.sleep(0.02)
            print("fatal: lost the lease")
            sys.exit(3)
            """,
        "sut.yaml": f"processes:\n- name: op\n  command: [{sys.executable!r}, -u, {str(folder / 'op.py')!r}]\n"
                    "  ready: {log: ready}\n",
    })
    return f"--chainsaw-sut={folder / 'sut.yaml'}"


def test_a_process_that_dies_fails_the_running_and_the_remaining_tests(tmp_path: Path) -> None:
    """As the CLI fails the run: the running test fails with the process's exit code and last lines, and
    so does every test that had not started (they are not skipped)."""
    trigger = tmp_path / "trigger"
    sut = _process_dying_on(trigger, tmp_path)
    write_files(tmp_path / "suite", {
        "a/chainsaw-test.yaml": make_test("running", f"  - try:\n    - script:\n        content: touch {trigger}; "
                                                     "sleep 60\n        timeout: 2m\n"),
        "b/chainsaw-test.yaml": make_test("not-started", "  - try:\n    - script:\n        content: 'true'\n"),
        "c/chainsaw-test.yaml": SCENARIOS,
    })
    run = run_pytest([*PLUGIN, sut, "-p", "no:randomly", "-q"], tmp_path / "suite")
    assert run.returncode == 1 and "5 failed" in run.output and "skipped" not in run.output, run.output
    assert "chainsaw test 'running' failed:\nprocess op exited with code 3 while the tests were running" in run.output
    for name in ("'not-started'", "'matrix' (small)", "'matrix' (very big)", "'matrix' (scenario #3)"):
        assert f"chainsaw test {name} not run:\nprocess op exited with code 3 while the tests were running" \
            in run.output, run.output
    assert run.output.count("  fatal: lost the lease") >= 5 and "Traceback" not in run.output


def test_a_process_that_dies_after_the_last_test_fails_the_session(tmp_path: Path) -> None:
    """The CLI fails such a run too; the plugin says why in a ``chainsaw processes`` section."""
    trigger = tmp_path / "trigger"
    sut = _process_dying_on(trigger, tmp_path)
    write_files(tmp_path / "suite", {
        "a/chainsaw-test.yaml": make_test("passes", "  - try:\n    - script:\n        content: 'true'\n"),
        "test_last.py": f"""
            import pathlib


            def test_last(chainsaw_session):
                pathlib.Path({str(trigger)!r}).touch()
                assert chainsaw_session.cancel.wait(120)  # True once the exit of the process is noticed
            """,
    })
    run = run_pytest([*PLUGIN, sut, "-p", "no:randomly", "-q"], tmp_path / "suite")
    assert run.returncode == 1 and "2 passed" in run.output, run.output
    assert re.search(r"chainsaw processes =+\nprocess op exited with code 3 while the tests were running", run.output), \
        run.output
    assert "  fatal: lost the lease" in run.output
