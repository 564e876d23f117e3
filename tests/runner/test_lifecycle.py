"""The runner without a cluster: step lifecycle, ordering, scheduling flags, outputs and reports."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from chainsaw_py.api import Outcome, TestOptions, run_to_string


def write_test(folder: Path, body: str, name: str = "chainsaw-test.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def run(tmp_path: Path, **options: object) -> tuple[Outcome, str]:
    return run_to_string(TestOptions(test_dirs=[str(tmp_path / "suite")], no_cluster=True, no_color=True,
                                     **options))  # type: ignore[arg-type]


def events(output: str) -> list[str]:
    """The log lines as ``step OP STATUS`` (time and test columns dropped)."""
    rows = []
    for line in output.splitlines():
        match = re.match(r"^    \| \d\d:\d\d:\d\d \| [^|]+ \| (?:[^|]+ \| )?([^|]+) \| (\S+)\s*\| (\S+)\s*\|", line)
        if match:
            rows.append(" ".join(part.strip() for part in match.groups()))
    return rows


def test_try_catch_finally_cleanup_order(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: order
        spec:
          catch:
          - script:
              content: echo test-catch
          steps:
          - name: first
            try:
            - script:
                content: echo one
            finally:
            - script:
                content: echo first-finally
            cleanup:
            - script:
                content: echo first-cleanup
          - name: second
            try:
            - script:
                content: exit 1
            - script:
                content: echo never
            catch:
            - script:
                content: echo step-catch
            finally:
            - script:
                content: echo second-finally
            cleanup:
            - script:
                content: echo second-cleanup
          - name: third
            try:
            - script:
                content: echo not-reached
    """)
    outcome, output = run(tmp_path)
    assert outcome.summary.failed == 1
    stdout = [line.strip() for line in output.splitlines() if line.startswith("        ") and "===" not in line]
    assert [s for s in stdout if not s.startswith("/")] == [
        "one", "first-finally", "exit status 1", "test-catch", "step-catch", "second-finally",
        "second-cleanup", "first-cleanup"]
    assert "never" not in output and "not-reached" not in output
    assert [e for e in events(output) if e.split()[-2] in ("TRY", "CATCH", "FINALLY", "CLEANUP")] == [
        "first TRY BEGIN", "first TRY END", "first FINALLY BEGIN", "first FINALLY END",
        "second TRY BEGIN", "second TRY END", "second CATCH BEGIN", "second CATCH END",
        "second FINALLY BEGIN", "second FINALLY END",
        "second CLEANUP BEGIN", "second CLEANUP END", "first CLEANUP BEGIN", "first CLEANUP END"]


def test_catch_runs_only_when_the_test_failed(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: passing
        spec:
          steps:
          - try:
            - script:
                content: "true"
            catch:
            - script:
                content: echo caught
    """)
    outcome, output = run(tmp_path)
    assert outcome.summary.passed == 1
    assert "caught" not in output
    assert "CATCH" not in output


def test_continue_on_error_keeps_going_and_triggers_catch_of_later_steps(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: continue
        spec:
          steps:
          - try:
            - continueOnError: true
              script:
                content: exit 2
            - script:
                content: echo still-running
          - try:
            - script:
                content: echo next-step
            catch:
            - script:
                content: echo catch-of-step-two
    """)
    outcome, output = run(tmp_path)
    assert outcome.summary.failed == 1
    for text in ("still-running", "next-step", "catch-of-step-two"):
        assert text in output


def test_outputs_visible_in_step_not_in_next_step(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: outputs
        spec:
          steps:
          - try:
            - script:
                content: echo hello
                outputs:
                - name: greeting
                  value: (trim_space($stdout))
            - assert:
                resource:
                  ($greeting): hello
            finally:
            - script:
                env:
                - name: G
                  value: ($greeting)
                content: echo "finally sees $G"
          - try:
            - assert:
                timeout: 100ms
                resource:
                  ($greeting): hello
    """)
    outcome, output = run(tmp_path)
    assert "finally sees hello" in output
    assert outcome.summary.failed == 1
    assert outcome.results[0].errors == ["($greeting): Internal error: variable not defined: $greeting"]


def test_bindings_scopes_and_builtins(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: bindings
          labels:
            team: a
        spec:
          bindings:
          - name: a
            value: 1
          - name: b
            value: ($a + `1`)
          steps:
          - bindings:
            - name: a
              value: 10
            try:
            - script:
                bindings:
                - name: c
                  value: ($a + $b)
                env:
                - name: OUT
                  value: (join(',', [to_string($c), $test.metadata.name, to_string($step.id), to_string($operation.id), to_string($timeouts.exec)]))
                content: echo $OUT
                check:
                  (trim_space($stdout)): 12,bindings,1,1,5s
    """)
    outcome, output = run(tmp_path)
    assert outcome.summary.passed == 1, output


def test_command_check_replaces_exit_code(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: check
        spec:
          steps:
          - try:
            - command:
                entrypoint: sh
                args: ["-c", "echo oops >&2; exit 3"]
                check:
                  ($error): exit status 3
                  ($stderr): "oops\\n"
            - script:
                content: echo fine
                check:
                  ($stdout): nope
    """)
    outcome, _ = run(tmp_path)
    assert outcome.summary.failed == 1
    assert outcome.results[0].errors == ['($stdout): Invalid value: "fine\\n": Expected value: "nope"']


def test_timeout_kills_script_and_sets_error(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: slow
        spec:
          steps:
          - try:
            - script:
                timeout: 300ms
                content: sleep 20
    """)
    outcome, _ = run(tmp_path)
    assert outcome.results[0].errors == ["signal: killed"]


def test_skip_and_concurrency_order(tmp_path: Path) -> None:
    for name, concurrent in (("a-parallel", "true"), ("b-serial", "false"), ("c-skipped", None), ("d-serial", "false")):
        spec = "skip: true" if concurrent is None else f"concurrent: {concurrent}"
        write_test(tmp_path / "suite" / name, f"""
            apiVersion: chainsaw.kyverno.io/v1alpha1
            kind: Test
            metadata:
              name: {name}
            spec:
              {spec}
              steps:
              - try:
                - script:
                    content: echo {name}
        """)
    outcome, output = run(tmp_path, parallel=1)
    runs = [line.split()[-1] for line in output.splitlines() if line.startswith("=== CONT  chainsaw/")
            or (line.startswith("=== RUN   chainsaw/") and "serial" in line)]
    assert runs == ["chainsaw/b-serial", "chainsaw/d-serial", "chainsaw/a-parallel", "chainsaw/c-skipped"]
    assert (outcome.summary.passed, outcome.summary.skipped) == (3, 1)
    assert "--- SKIP: chainsaw/c-skipped" in output


def test_fail_fast_skips_tests_started_after_a_failure(tmp_path: Path) -> None:
    for index, content in enumerate(("exit 1", "true", "true")):
        write_test(tmp_path / "suite" / f"t{index}", f"""
            apiVersion: chainsaw.kyverno.io/v1alpha1
            kind: Test
            metadata:
              name: t{index}
            spec:
              concurrent: false
              steps:
              - try:
                - script:
                    content: "{content}"
        """)
    outcome, _ = run(tmp_path, fail_fast=True)
    assert [r.status for r in outcome.results] == ["failed", "skipped", "skipped"]


def test_repeat_count_and_duplicate_names(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: again
        spec:
          steps:
          - try:
            - sleep:
                duration: 1ms
    """)
    outcome, output = run(tmp_path, repeat_count=2)
    assert outcome.summary.passed == 2
    # Go's testing runs each -test.count pass with a fresh matcher: the same names in every pass
    assert output.count("--- PASS: chainsaw/again ") == 2 and "again#01" not in output
    anchored, _ = run(tmp_path, repeat_count=3, include_test_regex="chainsaw/again$")
    assert anchored.summary.passed == 3


def test_include_and_exclude_regex(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        write_test(tmp_path / "suite" / name, f"""
            apiVersion: chainsaw.kyverno.io/v1alpha1
            kind: Test
            metadata:
              name: {name}
            spec:
              steps:
              - try:
                - sleep:
                    duration: 1ms
        """)
    outcome, _ = run(tmp_path, include_test_regex="chainsaw/alp")
    assert [r.name for r in outcome.results] == ["alpha"]
    outcome, _ = run(tmp_path, exclude_test_regex="chainsaw/alp")
    assert [r.name for r in outcome.results] == ["beta"]


def test_quiet_shows_only_failing_logs_and_the_summary(tmp_path: Path) -> None:
    for name, content in (("good", "echo good-output"), ("bad", "echo bad-output; exit 1")):
        write_test(tmp_path / "suite" / name, f"""
            apiVersion: chainsaw.kyverno.io/v1alpha1
            kind: Test
            metadata:
              name: {name}
            spec:
              steps:
              - try:
                - script:
                    content: "{content}"
        """)
    _, output = run(tmp_path, quiet=True)
    assert "good-output" not in output
    assert "bad-output" in output
    assert "Version:" not in output and "Tests Summary..." in output


def test_report_files(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: reported
        spec:
          steps:
          - name: s1
            try:
            - script:
                content: "true"
            - sleep:
                duration: 1ms
          - try:
            - script:
                content: exit 4
    """)
    outcome, output = run(tmp_path, report_format="JSON", report_path=str(tmp_path / "out"))
    assert outcome.report_file == tmp_path / "out" / "chainsaw-report.json"
    data = json.loads(outcome.report_file.read_text())
    test = data["tests"][0]
    assert [s["name"] for s in test["steps"]] == ["s1", "step 2"]
    assert [(o["type"], o["status"]) for o in test["steps"][0]["operations"]] == [("script", "passed"), ("sleep", "passed")]
    assert test["steps"][1]["operations"][0]["failure"] == {"error": "exit status 4"}
    assert "Saving report..." in output and output.rstrip().endswith("Done with failures.")


def test_load_error_is_one_line(tmp_path: Path) -> None:
    write_test(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: broken
        spec:
          steps:
          - try:
            - scrpt:
                content: "true"
    """)
    from chainsaw_py.errors import LoadError

    with pytest.raises(LoadError) as caught:
        run(tmp_path)
    assert "\n" not in str(caught.value)
    assert "chainsaw-test.yaml:9" in str(caught.value)
