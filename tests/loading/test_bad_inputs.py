"""Bad input gives one clear line, ``<file>:<line>: <field path>: <message>``, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.loading import discover_tests

from .conftest import TEST_HEADER, Writer

STEP = "metadata:\n  name: bad\nspec:\n  steps:\n  - try:\n"

# (case, test file text, expected line, expected field path or None, message fragment)
CASES: list[tuple[str, str, int | None, str | None, str]] = [
    ("malformed YAML", TEST_HEADER + STEP + "    - apply: {file: [x}\n", 8, None,
     "invalid YAML: "),
    ("tab indentation", TEST_HEADER + STEP + "    - apply:\n\t\tfile: x\n", 9, None,
     "invalid YAML: found a tab character; YAML indentation must use spaces"),
    ("duplicate key", TEST_HEADER + STEP + "    - sleep:\n        duration: 1s\n        duration: 2s\n", 10, None,
     'duplicate key "duration"'),
    ("unknown field", TEST_HEADER + STEP + "    - apply:\n        fle: x.yaml\n", 9,
     "spec.steps[0].try[0].apply.fle", 'unknown field "fle" (did you mean "file"?)'),
    ("unknown operation", TEST_HEADER + STEP + "    - aply:\n        file: x.yaml\n", 8,
     "spec.steps[0].try[0].aply", 'unknown operation "aply": expected one of apply, assert, command'),
    ("two operations in one entry", TEST_HEADER + STEP + "    - apply: {file: a.yaml}\n      assert: {file: b.yaml}\n",
     8, "spec.steps[0].try[0]", "only one operation is allowed per entry, found apply, assert"),
    ("no operation", TEST_HEADER + STEP + "    - description: nothing to do\n", 8,
     "spec.steps[0].try[0]", "missing operation: expected one of apply, assert"),
    ("wrong type", TEST_HEADER + STEP + "    - sleep: {duration: 1s}\n    skipDelete: sometimes\n", 9,
     "spec.steps[0].skipDelete", 'expected a boolean, got string "sometimes"'),
    ("bad duration", TEST_HEADER + STEP + "    - sleep:\n        duration: 5 seconds\n", 9,
     "spec.steps[0].try[0].sleep.duration", 'invalid duration "5 seconds": expected a Go duration'),
    ("bad binding name", TEST_HEADER + STEP + "    - sleep: {duration: 1s}\n    bindings:\n    - name: my-var\n"
     "      value: 1\n", 10, "spec.steps[0].bindings[0].name", 'invalid binding name "my-var"'),
    ("bad JMESPath in an expression field", TEST_HEADER + STEP + "    - apply:\n        file: ($dir + )\n", 9,
     "spec.steps[0].try[0].apply.file", 'invalid expression "($dir + )"'),
    ("bad JMESPath in an assertion key", TEST_HEADER + STEP + "    - assert:\n        resource:\n"
     "          (length(items[):\n            a: 1\n", 10, "spec.steps[0].try[0].assert.resource.(length(items[)",
     'invalid expression "(length(items[)"'),
    ("bad JMESPath in a binding value", TEST_HEADER + "metadata:\n  name: bad\nspec:\n  bindings:\n  - name: x\n"
     "    value: (foo[)\n  steps: []\n", 8, "spec.bindings[0].value", 'invalid expression "(foo[)"'),
    ("binding in a scalar of a tree", TEST_HEADER + STEP + "    - assert:\n        resource:\n"
     "          a: (foo) -> bar\n", 10, "spec.steps[0].try[0].assert.resource.a",
     "binding is not supported in scalar projections"),
    ("use together with try", TEST_HEADER + "metadata:\n  name: bad\nspec:\n  steps:\n  - use:\n"
     "      template: t.yaml\n    try:\n    - sleep: {duration: 1s}\n", 7, "spec.steps[0]",
     '"use" cannot be combined with "try"'),
    ("missing required field", TEST_HEADER + "metadata:\n  name: bad\nspec:\n  description: no steps\n", 5,
     "spec", 'missing required field "steps"'),
    ("missing use.template file", TEST_HEADER + "metadata:\n  name: bad\nspec:\n  steps:\n  - use:\n"
     "      template: missing-template.yaml\n", 8, "spec.steps[0].use.template",
     "cannot load step template"),
    ("wrong kind", "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nspec: {}\n", 1, None,
     "type not supported chainsaw.kyverno.io/v1alpha1, Kind=Configuration"),
    ("wrong apiVersion", "apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Test\nspec: {steps: []}\n", 1, None,
     "type not supported chainsaw.kyverno.io/v1alpha2, Kind=Test"),
    ("core kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", 1, None,
     "type not supported /v1, Kind=ConfigMap"),
    ("no apiVersion and kind", "metadata: {name: x}\nspec: {steps: []}\n", 1, None,
     "missing apiVersion and kind"),
    ("not an object", "- just\n- a list\n", 1, None, "expected a Test object, got a list"),
]


@pytest.mark.parametrize(("text", "line", "path", "fragment"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_test_files_give_one_line(write: Writer, tmp_path: Path, text: str, line: int | None,
                                      path: str | None, fragment: str) -> None:
    file = write("suite/case/chainsaw-test.yaml", text)
    with pytest.raises(LoadError) as caught:
        discover_tests([str(tmp_path / "suite")])
    error = caught.value
    message = str(error)
    assert "\n" not in message
    assert error.file == str(file)
    assert error.line == line
    assert error.path == path
    prefix = f"{file}:{line}: " + (f"{path}: " if path else "")
    assert message.startswith(prefix), message
    assert fragment in message, message


def test_empty_file(write: Writer, tmp_path: Path) -> None:
    file = write("suite/chainsaw-test.yaml", "# nothing here\n---\n")
    with pytest.raises(LoadError, match=f"^found no test in {re.escape(str(file))}$"):
        discover_tests([str(tmp_path / "suite")])


def test_missing_test_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    expected = f"error checking path {missing}: stat {missing}: no such file or directory"
    with pytest.raises(ChainsawError, match=f"^{re.escape(expected)}$"):
        discover_tests([str(missing)])


def test_bad_selector(write: Writer, tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match="unable to parse requirement"):
        discover_tests([str(tmp_path)], selector=["a in (b"])


def test_unreadable_test_file(write: Writer, tmp_path: Path) -> None:
    (tmp_path / "suite" / "chainsaw-test.yaml").mkdir(parents=True)
    with pytest.raises(LoadError, match="is a directory"):
        discover_tests([str(tmp_path / "suite")])


def test_cli_prints_one_line_and_exits_1(write: Writer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chainsaw_py.cli import main

    file = write("suite/chainsaw-test.yaml", TEST_HEADER + STEP + "    - aply: {}\n")
    assert main(["lint", "test", "-f", str(file)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err == "Error: document is not valid\n"
    assert f"- {file}:8: spec.steps[0].try[0].aply: unknown operation" in captured.out
