"""The embedded cluster of a run starts its local S3 only when the suite could use it (a program: script,
command or python operation anywhere, the configuration's catch, the system under test), since starting
and stopping moto costs about a second."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from chainsaw_py import api
from chainsaw_py.loading import discover_tests, load_configuration

CREDENTIALS_ABSENT = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: no-programs
spec:
  steps:
  - try:
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: plain
    - error:
        resource:
          apiVersion: v1
          kind: Secret
          metadata:
            name: aws-creds
            namespace: kube-system
"""

CREDENTIALS_PRESENT = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: with-a-script
spec:
  steps:
  - try:
    - assert:
        resource:
          apiVersion: v1
          kind: Secret
          metadata:
            name: aws-creds
            namespace: kube-system
    - script:
        content: echo "endpoint=$AWS_ENDPOINT_URL"
        check:
          (contains($stdout, 'endpoint=http://127.0.0.1:')): true
"""

CLEANUP_SCRIPT = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: cleanup-script
spec:
  steps:
  - try:
    - sleep:
        duration: 1ms
    cleanup:
    - script:
        content: "true"
"""

CATCH_IN_CONFIGURATION = """
apiVersion: chainsaw.kyverno.io/v1alpha2
kind: Configuration
metadata:
  name: catch
spec:
  error:
    catch:
    - command:
        entrypoint: "true"
"""


def _suite(tmp_path: Path, *tests: str) -> Path:
    for index, text in enumerate(tests):
        folder = tmp_path / "suite" / f"t{index}"
        folder.mkdir(parents=True)
        (folder / "chainsaw-test.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "suite"


def _run(suite: Path) -> api.Outcome:
    stream = io.StringIO()
    outcome = api.run(api.TestOptions(test_dirs=[str(suite)], embedded=True), stream, handle_signals=False)
    assert outcome.ok, stream.getvalue()[-3000:]
    return outcome


def test_a_suite_without_programs_runs_without_a_local_s3(tmp_path: Path) -> None:
    _run(_suite(tmp_path, CREDENTIALS_ABSENT))
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_a_script_gets_the_local_s3_and_its_credentials(tmp_path: Path) -> None:
    _run(_suite(tmp_path, CREDENTIALS_ABSENT.replace("- error:", "- assert:"), CREDENTIALS_PRESENT))


@pytest.mark.parametrize(("tests", "configuration", "expected"), [
    ((CREDENTIALS_ABSENT,), None, False),
    ((CREDENTIALS_ABSENT, CLEANUP_SCRIPT), None, True),
    ((CREDENTIALS_PRESENT,), None, True),
    ((CREDENTIALS_ABSENT,), CATCH_IN_CONFIGURATION, True),
])
def test_which_runs_may_use_the_local_s3(tmp_path: Path, tests: tuple[str, ...], configuration: str | None,
                                         expected: bool) -> None:
    suite = _suite(tmp_path, *tests)
    path = None
    if configuration is not None:
        path = tmp_path / "config.yaml"
        path.write_text(configuration, encoding="utf-8")
    spec = load_configuration(path)[0].spec
    discovered = [found.test for found in discover_tests([str(suite)])]
    assert api._may_use_local_s3(discovered, spec, None) is expected
