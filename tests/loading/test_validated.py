"""The on-disk record of valid documents: a document seen valid before skips jsonschema; invalid ones are
never recorded; the record stays bounded and an unusable cache directory only means validating again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.errors import LoadError
from chainsaw_py.loading import validate, validated
from chainsaw_py.yamldocs import parse_documents

REPO = Path(__file__).resolve().parents[2]
VALID = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: quick
spec:
  steps:
  - try:
    - script:
        content: echo hello
"""


def document(text: str) -> Any:
    return parse_documents(textwrap.dedent(text), "chainsaw-test.yaml")[0]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAINSAW_PY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validated, "_known", {})
    return tmp_path / "cache"


def forbid_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any) -> Any:
        raise AssertionError("jsonschema used")

    monkeypatch.setattr(validate, "schema_errors", fail)


def test_a_valid_document_is_recognised_the_next_time(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validate.validate_document(document(VALID), "Test", "v1alpha1")
    assert len(list(cache.glob("valid-test-*.txt"))) == 1
    monkeypatch.setattr(validated, "_known", {})  # as a new process would
    forbid_jsonschema(monkeypatch)
    validate.validate_document(document(VALID), "Test", "v1alpha1")


def test_an_invalid_document_is_never_recorded(cache: Path) -> None:
    invalid = VALID.replace("content: echo hello", "contnt: echo hello")
    for _ in range(2):
        with pytest.raises(LoadError, match='unknown field "contnt"'):
            validate.validate_document(document(invalid), "Test", "v1alpha1")
    assert not any(cache.glob("*.txt")) or all(path.read_text() == "" for path in cache.glob("*.txt"))


def test_a_changed_document_is_validated_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validate.validate_document(document(VALID), "Test", "v1alpha1")
    forbid_jsonschema(monkeypatch)
    with pytest.raises(AssertionError, match="jsonschema used"):
        validate.validate_document(document(VALID.replace("quick", "other")), "Test", "v1alpha1")


def test_the_record_is_trimmed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validated, "LIMIT", 10)
    monkeypatch.setattr(validated, "KEEP", 4)
    schema = validate.SCHEMA_DIR / validate.schema_file_name("Test", "v1alpha1")
    for index in range(25):
        validated.remember_valid(schema, f"{index:064x}")
    lines = next(cache.glob("valid-test-*.txt")).read_text().split()
    assert 4 <= len(lines) < 10 and lines[-1] == f"{24:064x}"


def test_an_unusable_cache_directory_only_means_validating_again(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CHAINSAW_PY_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(validated, "_known", {})
    validate.validate_document(document(VALID), "Test", "v1alpha1")
    monkeypatch.setenv("CHAINSAW_PY_CACHE_DIR", "")
    validate.validate_document(document(VALID), "Test", "v1alpha1")


STARTUP_FORBIDDEN = {
    # structlog always imports asyncio: the console writes Chainsaw's lines itself (diagnostics import it)
    "structlog", "asyncio", "rich", "colorama",
    # expression parsers: a suite without expressions checks and evaluates none
    "jmespath", "chainsaw_py.grammar.jmes_parser", "chainsaw_py.kubecel", "cel", "jsonpath_ng",
    # no cluster: no client, no HTTP, no sockets nor TLS, no embedded cluster
    "kubernetes", "chainsaw_py.client.client", "chainsaw_py.client.watch", "chainsaw_py.embedded.apiserver",
    "http.client", "socket", "ssl", "urllib.request",
    # no system under test, no shards, no report, no checks
    "chainsaw_py.loading.sut", "chainsaw_py.runner.processes", "chainsaw_py.embedded.runtime.images",
    "chainsaw_py.report.merge", "chainsaw_py.report.html", "chainsaw_py.checks",
    # schema validation of documents validated before
    "fastjsonschema", "jsonschema", "referencing",
    # uuid (and platform with it) only for process marks: util.processes.new_mark
    "uuid",
    # concurrent.futures imports logging: the runner's threads are util.threads'
    "concurrent", "logging",
    # only for what the run does not do: argparse (handlers get a SimpleNamespace), a CSV flag, a
    # did-you-mean hint, a report, a test filter (RE2)
    "argparse", "csv", "difflib", "chainsaw_py.report.writers", "chainsaw_py.golang.regexp", "re2",
}
"""What a ``--no-cluster`` run of a known one-script test must not import (issue 14's start-up)."""


def test_a_run_of_known_tests_imports_no_schema_validator_nor_what_it_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "chainsaw-test.yaml").write_text(textwrap.dedent(VALID))
    probe = ("import json, sys, runpy\nsys.argv = ['chainsaw_py', 'test', '--no-cluster=true', 't1']\n"
             "try:\n    runpy.run_module('chainsaw_py', run_name='__main__')\nexcept SystemExit as exit:\n"
             "    code = exit.code\nprint(json.dumps([code, sorted(sys.modules)]))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHAINSAW_PY_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120, check=False) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    (first_code, first), (second_code, second) = (json.loads(run.stdout.splitlines()[-1]) for run in runs)
    assert first_code == second_code == 0, runs[0].stdout
    assert "fastjsonschema" in first and "jsonschema" not in first  # jsonschema only words errors
    assert list((tmp_path / "cache").glob("generated-code-*.marshal"))  # util.generated_code's record
    # Start-up (issue 14): the second run validates nothing and runs only the script operation.
    imported = set(second)
    assert not {name for name in imported if name.split(".")[0] in STARTUP_FORBIDDEN or name in STARTUP_FORBIDDEN}
    operations = {name for name in imported if name.startswith("chainsaw_py.operations.") and name.count(".") == 2}
    assert operations == {"chainsaw_py.operations.base", "chainsaw_py.operations.bindings",
                          "chainsaw_py.operations.registry", "chainsaw_py.operations.internal",
                          "chainsaw_py.operations.script"}
