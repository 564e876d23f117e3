"""``chainsaw-py lint test|configuration -f FILE|-`` (Chainsaw's ``pkg/commands/lint``)."""

from __future__ import annotations

import io
import json

import pytest

from chainsaw_py.cli import main

from .conftest import Writer, make_test

VALID_OUTPUT = "Processing input...\nThe document is valid\n"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["lint", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_yaml_file(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("t.yaml", make_test())
    assert _run(capsys, "test", "-f", str(path)) == (0, VALID_OUTPUT, "")


def test_valid_json_file(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    document = {"apiVersion": "chainsaw.kyverno.io/v1alpha2", "kind": "Configuration", "spec": {}}
    path = write("c.json", json.dumps(document))
    assert _run(capsys, "configuration", "--file", str(path)) == (0, VALID_OUTPUT, "")


def test_invalid_document_lists_every_error(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("t.yaml", make_test(body="spec:\n  stepz: []\n  steps:\n  - try:\n    - sleep: {duration: x}\n"))
    code, out, err = _run(capsys, "test", "-f", str(path))
    assert code == 1 and err == "Error: document is not valid\n"
    assert out.splitlines() == [
        "Processing input...",
        "The schema is not valid. See errors:",
        f'- {path}:6: spec.stepz: unknown field "stepz" (did you mean "steps"?)',
        (f'- {path}:9: spec.steps[0].try[0].sleep.duration: invalid duration "x": expected a Go duration such as '
        "30s, 1m30s or 500ms"),
    ]


def test_expression_errors_are_reported(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("t.yaml", make_test(body="spec:\n  steps:\n  - try:\n    - assert:\n        file: (a[)\n"))
    code, out, _ = _run(capsys, "test", "-f", str(path))
    assert code == 1
    assert f'- {path}:9: spec.steps[0].try[0].assert.file: invalid expression "(a[)"' in out


def test_only_the_first_document_is_linted(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("t.yaml", make_test() + "---\nnot: a test\n")
    assert _run(capsys, "test", "-f", str(path))[0] == 0


@pytest.mark.parametrize(("stdin", "code"), [
    ('{"apiVersion": "chainsaw.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"}, '
     '"spec": {"steps": []}}', 0),
    (make_test(), 0),
    ('{"apiVersion": "chainsaw.kyverno.io/v1alpha1", "kind": "Test", "spec": {"stepz": []}}', 1),
])
def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str,
                        code: int) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    result, out, _ = _run(capsys, "test", "-f", "-")
    assert result == code
    if code:
        assert "- <stdin>:1: spec: missing required field \"steps\"" in out


@pytest.mark.parametrize(("name", "text", "error"), [
    ("t.yml", make_test(), "Error: unsupported file format: .yml\n"),
    ("t.txt", make_test(), "Error: unsupported file format: .txt\n"),
    ("t.json", "{not json", ("Error: t.json:1: invalid JSON: Expecting property name enclosed in double quotes "
                            "(column 2)\n")),
    ("t.yaml", "kind: Test\nspec: {}\n", "Error: t.yaml:1: apiVersion is missing or not a string\n"),
    ("t.yaml", "# empty\n", "Error: t.yaml: the document is empty\n"),
    ("t.yaml", make_test().replace("v1alpha1", "v1alpha2"),
     "Error: open test-chainsaw-v1alpha2.json: file does not exist\n"),
    ("t.yaml", make_test().replace("v1alpha1", "v" + "9" * 300),  # was OSError: File name too long
     f"Error: open test-chainsaw-v{'9' * 300}.json: file does not exist\n"),
])
def test_inputs_that_cannot_be_linted(write: Writer, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, name: str, text: str, error: str) -> None:
    path = write(name, text)
    monkeypatch.chdir(path.parent)
    code, out, err = _run(capsys, "test", "-f", name)
    assert (code, out, err) == (1, "Processing input...\n", error)


def test_a_file_or_stdin_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "test") == (1, "", "Error: no file or standard input specified\n")


def test_kind_must_be_test_or_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "steptemplate", "-f", "x.yaml"]) == 1
    assert capsys.readouterr().err == 'Error: invalid argument "steptemplate" for "chainsaw-py lint"\n'


def test_configuration_checked_against_the_wrong_kind(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("c.yaml", "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nspec: {}\n")
    code, out, _ = _run(capsys, "test", "-f", str(path))
    assert code == 1
    assert f'- {path}:2: kind: unsupported value "Configuration": expected one of "Test"' in out


def test_valid_document_with_extensions_says_where(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("spec:\n  steps:\n  - try:\n    - python: {function: 'helpers.py:make'}\n"
            "    - assert:\n        resource:\n          (jsonpath; $.a): 1\n    - compiler: jsonpath\n"
            "      script: {content: 'true'}\n")
    path = write("t.yaml", make_test(body=body))
    assert _run(capsys, "test", "-f", str(path)) == (0, VALID_OUTPUT + (
        "It uses chainsaw_py extensions that upstream Chainsaw cannot run:\n"
        "- spec.steps[0].try[0]: python\n"
        "- spec.steps[0].try[1].assert.resource.(jsonpath; $.a): jsonpath expression\n"
        "- spec.steps[0].try[2]: compiler jsonpath\n"), "")


def test_configuration_with_the_jsonpath_compiler(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    document = {"apiVersion": "chainsaw.kyverno.io/v1alpha2", "kind": "Configuration",
                "spec": {"templating": {"compiler": "jsonpath"}}}
    path = write("c.yaml", json.dumps(document))
    code, out, _ = _run(capsys, "configuration", "-f", str(path))
    assert code == 0 and out.endswith("- spec.templating: compiler jsonpath\n")
