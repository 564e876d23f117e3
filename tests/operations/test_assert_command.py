"""``chainsaw-py assert`` (Chainsaw's ``pkg/commands/assert``): against the cluster of the kubeconfig, or local resources."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

from chainsaw_py.cli import main
from chainsaw_py.embedded import EmbeddedCluster
from tests.operations.harness import Harness, configmap

ASSERTION = textwrap.dedent("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: quick-start
    data:
      foo: bar
""")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_local_resources_pass_and_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assertion = write(tmp_path, "a.yaml", ASSERTION)
    assert main(["assert", "-f", assertion, "-r", assertion]) == 0
    assert capsys.readouterr().out == "Assertion(s) PASSED\n"
    other = write(tmp_path, "r.yaml", ASSERTION.replace("foo: bar", "foo: baz"))
    assert main(["assert", assertion, "--resource", other]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: assertion failed\n------------------------\nv1/ConfigMap/quick-start\n")
    assert '* data.foo: Invalid value: "baz": Expected value: "bar"' in err


def test_local_lookup_matches_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assertion = write(tmp_path, "a.yaml", ASSERTION)
    resources = write(tmp_path, "r.yaml", ASSERTION.replace("quick-start", "someone-else"))
    assert main(["assert", assertion, "-r", resources]) == 1
    assert "actual resource not found" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["assert"], "either a file path as an argument or the --file flag must be provided"),
    (["assert", "/nonexistent.yaml"], "failed to load file '/nonexistent.yaml'"),
])
def test_bad_input_is_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_against_the_cluster(harness: Harness, embedded: EmbeddedCluster, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KUBECONFIG", str(embedded.kubeconfig_path))
    harness.apply(configmap("quick-start", foo="bar"))
    assertion = write(tmp_path, "a.yaml", ASSERTION)
    assert main(["assert", assertion, "--namespace", harness.namespace]) == 0
    assert capsys.readouterr().out == "Assertion(s) PASSED\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(ASSERTION))
    assert main(["assert", "-f", "-", "--namespace", harness.namespace]) == 0
    assert main(["assert", assertion, "--timeout", "300ms"]) == 1  # the default namespace has no such ConfigMap
    assert capsys.readouterr().err == "Error: assertion failed\nactual resource not found\n"
