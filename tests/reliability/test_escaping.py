"""Control characters from test data, script output, cluster objects or error messages (ANSI escapes,
carriage returns, other C0/C1 controls, bidirectional overrides) are written escaped in the console, the
``Error:`` line and the JSON and JUnit reports (issue 10), after secret values are masked; the JUnit
file is always well-formed XML 1.0."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.api import TestOptions, run_to_string
from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.model import OperationReport, Report, StepReport, TestReport
from chainsaw_py.report.writers import FORMATS, save_report, xml_escape
from chainsaw_py.util.masking import MASK, Masker, active
from chainsaw_py.util.terminal import escape_controls, sanitize

from .runner_support import REPO, write_suite

HOSTILE = "a\x1b[2Jb\rc\x07d\x9be\u202ef\u2066g\x00h\ud800i\ufffe"
ESCAPED = "a\\x1b[2Jb\\rc\\x07d\\x9be\\u202ef\\u2066g\\x00h\\ud800i\\ufffe"
_RAW = ("\x1b", "\r", "\x07", "\x9b", "\u202e", "\u2066", "\x00", "\ud800", "\ufffe")


def test_every_control_and_bidi_override_is_escaped() -> None:
    assert escape_controls(HOSTILE) == ESCAPED
    assert escape_controls("tab\tand\nnewline") == "tab\tand\nnewline"
    assert escape_controls("tab\tand\nnewline", keep_line_breaks=False) == "tab\\tand\\nnewline"
    assert escape_controls("plain ünïcode ✓") == "plain ünïcode ✓"


def test_secrets_are_masked_before_the_characters_are_escaped() -> None:
    masker = Masker()
    masker.add("pass\rword-value")  # a value holding a control character is still found whole
    assert sanitize("x pass\rword-value y\x1b", masker.mask) == f"x {MASK} y\\x1b"


def _hostile_report() -> Report:
    operation = OperationReport("script", error=f"exit status 1: {HOSTILE}\nsecond line", name=f"op{HOSTILE}")
    operation.end_time = operation.start_time
    step = StepReport(f"step{HOSTILE}", operations=[operation])
    return Report(tests=[TestReport(f"base{HOSTILE}", f"test{HOSTILE}", namespace="ns", steps=[step])])


@pytest.mark.parametrize("report_format", FORMATS)
def test_reports_hold_escaped_text(tmp_path: Path, report_format: str) -> None:
    file = save_report(_hostile_report(), report_format, str(tmp_path))
    content = file.read_text(encoding="utf-8")
    assert not any(char in content for char in _RAW)
    if report_format == "JSON":
        texts = json.dumps(json.loads(content), ensure_ascii=False)
        assert f"test{ESCAPED}".replace("\\", "\\\\") in texts
    else:
        ElementTree.fromstring(content)  # well-formed
        assert f"test{ESCAPED}" in content or f"step{ESCAPED}" in content


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=40))
def test_junit_is_well_formed_whatever_the_text(text: str) -> None:
    ElementTree.fromstring(f'<r a="{xml_escape(text)}">{xml_escape(text)}</r>')
    ElementTree.fromstring(f'<r a="{xml_escape(sanitize(text))}"></r>')


@pytest.mark.parametrize(("path", "line"), [
    ("bad\u202edir\x85x", "Error: stat bad\\u202edir\\x85x: no such file or directory"),
    ("bad\x1b[2Jdir", 'Error: parse "bad\\x1b[2Jdir": net/url: invalid control character in URL'),  # Go quotes it
])
def test_the_error_line_is_escaped(tmp_path: Path, path: str, line: str) -> None:
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", path, "--no-cluster"],
                            cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr == line + "\n"


def test_an_error_leaving_a_run_is_masked() -> None:
    masker = Masker()
    with pytest.raises(ChainsawError) as raised, active(masker):
        masker.add("hunter2-secret")
        raise ChainsawError("failed: hunter2-secret")
    assert str(raised.value) == f"failed: {MASK}"


SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: noisy
spec:
  steps:
  - name: output
    try:
    - script:
        content: printf 'evil\\033[2J\\r\\342\\200\\256end'
        check:
          ($stdout): clean
"""


@pytest.mark.parametrize("report_format", ["JSON", "JUNIT-OPERATION"])
def test_script_output_is_escaped_on_the_console_and_in_reports(tmp_path: Path, report_format: str) -> None:
    suite = write_suite(tmp_path / "suite", SUITE)
    outcome, output = run_to_string(TestOptions(test_dirs=[str(suite)], no_cluster=True, no_color=True,
                                                report_format=report_format, report_path=str(tmp_path)))
    assert not outcome.ok and outcome.report_file is not None
    report = outcome.report_file.read_text(encoding="utf-8")
    for text in (output, report):
        assert not any(char in text for char in _RAW)
    assert "evil\\x1b[2J\\r\\u202eend" in output
    loaded = json.loads(report) if report_format == "JSON" else None
    if loaded is not None:
        error = loaded["tests"][0]["steps"][0]["operations"][0]["failure"]["error"]
        assert "evil\\x1b[2J\\r\\u202eend" in error
    else:
        ElementTree.fromstring(report)
        assert "evil\\x1b[2J\\r\\u202eend" in report


def test_lint_prints_its_errors_escaped(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text('apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: x\nspec:\n'
                    '  steps:\n  - try:\n    - "\\e]0;title\\a": 1\n')
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "lint", "test", "-f", str(file)], cwd=tmp_path,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert 'unknown operation "\\x1b]0;title\\x07"' in result.stdout
