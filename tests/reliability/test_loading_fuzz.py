"""Fuzzing the loader (hypothesis): mutated test files through the same code as ``test`` and ``lint``
give a one-line error or a valid document, never another exception, within bounded time and memory; and
``lint`` and ``test`` agree on which documents are valid. The CLI's documented exit codes are checked on
a sample: 0 for a valid document, 1 for anything refused, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading import validate
from chainsaw_py.loading.lint import lint_text
from chainsaw_py.loading.tests import parse_test
from chainsaw_py.yamldocs import parse_documents

REPO = Path(__file__).resolve().parents[2]
VALID = """\
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: fuzz
spec:
  timeouts:
    assert: 10s
  bindings:
  - name: greeting
    value: (concat('hello', ' world'))
  steps:
  - name: first
    try:
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm
          data:
            key: &value value
            other: *value
    - assert:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm
          data:
            (length(key) > `0`): true
    - script:
        content: echo hi
        check:
          ($error == null): true
"""
FRAGMENTS = ["", "\n", " ", "  ", "\t", ":", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: ", "!!int ", "!!binary ",
             "'", '"', "#", "---\n", "...\n", "(", ")", "`", "$", "null", "~", "99999999999999999999h",
             "9" * 5000, "1e999", "0x", "\x00", "\x1b[2J", "\ufeff", "é", "metadata:", "spec:", "steps: []",
             "timeout: ", "duration: ", "\\", "@", "%", "?", "|", ">", "!", "<<", "{" * 300, "[" * 300]


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        fragment = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)))
        if action == "insert":
            text = text[:position] + fragment + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(min_value=1, max_value=40)):]
        elif action == "replace":
            text = text[:position] + fragment + text[position + len(fragment):]
        else:
            end = min(len(text), position + draw(st.integers(min_value=1, max_value=200)))
            text = text[:end] + text[position:end] + text[end:]
    return text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)


def load_as_test_does(text: str) -> bool:
    """True if ``test`` would load the first document; False if it refuses it with a one-line error."""
    try:
        documents = parse_documents(text, "fuzz.yaml")
        if not documents:
            return False
        parse_test(documents[0])
    except ChainsawError as err:
        assert "\n" not in str(err) and "Traceback" not in str(err)
        return False
    return True


def lint_says_valid(text: str) -> bool:
    try:
        return lint_text("test", text, ".yaml", "fuzz.yaml") == []
    except ChainsawError as err:
        assert "\n" not in str(err)
        return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_files_give_one_line_errors_and_lint_agrees_with_test(text: str) -> None:
    loaded = load_as_test_does(text)
    if lint_says_valid(text):
        assert loaded, "lint called valid a document that test cannot load"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata", "spec", "extra"]), json_values,
                       max_size=5))
def test_arbitrary_documents_never_raise_anything_else(document: dict[str, object]) -> None:
    document.setdefault("apiVersion", "chainsaw.kyverno.io/v1alpha1")
    document.setdefault("kind", "Test")
    text = json.dumps(document)
    load_as_test_does(text)
    lint_says_valid(text)
    try:
        lint_text("test", text, ".json", "fuzz.json")
    except ChainsawError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_the_fast_validator_agrees_with_jsonschema(text: str) -> None:
    try:
        documents = parse_documents(text, "fuzz.yaml")
    except ChainsawError:
        return
    for document in documents:
        detailed = validate._validator("Test", "v1alpha1").is_valid(document.data)
        assert validate.is_valid(document.data, "Test", "v1alpha1") == detailed


def test_loading_stays_within_time_and_memory() -> None:
    """A large file with every costly feature (anchors, deep trees, expressions): bounded peak memory."""
    steps = "".join(VALID.split("  steps:\n", 1)[1].replace("name: first", f"name: s{i}") for i in range(300))
    text = VALID.split("  steps:\n", 1)[0] + "  steps:\n" + steps
    tracemalloc.start()
    try:
        assert load_as_test_does(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * len(text.encode()), f"{peak} bytes at peak for {len(text)} bytes of YAML"


@pytest.mark.parametrize(("text", "code"), [
    (VALID, 0),
    (VALID.replace("  name: fuzz\n", ""), 1),
    (VALID.replace("10s", "99999999999999999999h"), 1),
    (VALID.replace("echo hi", "echo hi\n" + "[" * 5000), 1),
    ("{" * 100_000, 1),
    ("\x00\x01", 1),
])
def test_cli_exit_codes(tmp_path: Path, text: str, code: int) -> None:
    _check_cli_exit_code(tmp_path, text, code)


@pytest.mark.parametrize(("assertion", "code"), [
    (f"? {'k' * 300_000}\n            : {'v' * 300_000}", 0),   # keys beyond 1024 characters are explicit
    (f"k: ({'v' * 300_000} -> b)", 1),
], ids=["valid", "binding-in-a-value"])
def test_long_assertion_keys_and_values(tmp_path: Path, assertion: str, code: int) -> None:
    """The "-> name" binding search of tree keys and values was quadratic: minutes at this size."""
    _check_cli_exit_code(tmp_path, VALID.replace("(length(key) > `0`): true", assertion), code)


def _check_cli_exit_code(tmp_path: Path, text: str, code: int) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED_CLI, "lint", "test", "-f", str(path)], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if code:
        assert str(path) in result.stdout + result.stderr


_LIMITED_CLI = f"""
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({2 * 1024**3}, {2 * 1024**3}))  # a runaway would fail, not swap
sys.argv = ["chainsaw_py", *sys.argv[1:]]
runpy.run_module("chainsaw_py", run_name="__main__")
"""

