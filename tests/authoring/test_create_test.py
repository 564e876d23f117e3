"""``create test``: the scaffolded sample test."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.authoring.conftest import Cli, dedent

SAMPLE = dedent("""
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata:
      name: {name}
    spec:
      description: test description
      steps:
      - catch:
        - description: sample events collector
          events:
            name: foo
        - description: sample pod logs collector
          podLogs:
            selector: app=foo
        description: sample step 1
        finally:
        - description: sample sleep operation
          sleep:
            duration: 5s
        name: step 1
        try:
        - apply:
            file: resources.yaml
          description: sample apply operation
        - assert:
            file: assert.yaml
          description: sample assert operation
        - description: sample error operation
          error:
            file: error.yaml
        - delete:
            ref:
              apiVersion: v1
              kind: Pod
              name: foo
          description: sample delete operation
        - description: sample script operation
          script:
            content: echo "test namespace = $NAMESPACE"
    """)


def test_prints_a_sample_named_after_the_folder(tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "My_Feature"
    folder.mkdir()
    result = cli("create", "test", ".", cwd=folder)
    assert result.code == 0
    assert result.out == SAMPLE.format(name="my-feature") + "\n"


def test_without_descriptions(cli: Cli) -> None:
    out = cli("create", "test", "x", "--description=false").out
    assert "description" not in out
    assert "name: step 1" in out and "- sleep:\n        duration: 5s" in out


def test_several_folders(cli: Cli) -> None:
    out = cli("create", "test", "a", "b/c_d").out
    assert out == SAMPLE.format(name="a") + "\n" + SAMPLE.format(name="c-d") + "\n"


def test_save_writes_a_private_file_and_loads(tmp_path: Path, cli: Cli) -> None:
    from chainsaw_py.loading import load_test_file

    result = cli("create", "test", "new/feature", "--save")
    target = tmp_path / "new" / "feature" / "chainsaw-test.yaml"
    assert result.code == 0
    assert result.out == "Saving file new/feature/chainsaw-test.yaml ...\n"
    assert target.read_text() == SAMPLE.format(name="feature")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    (test,) = load_test_file(target)
    assert [operation.type for operation in test.spec.steps[0].try_] == ["apply", "assert", "error", "delete",
                                                                        "script"]


def test_an_existing_test_is_only_replaced_with_force(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "t" / "chainsaw-test.yaml"
    target.parent.mkdir()
    target.write_text("mine\n")
    refused = cli("create", "test", "t", "u", "--save")
    assert refused.code == 1
    assert refused.err == "Error: t/chainsaw-test.yaml already exists (use --force to replace it)\n"
    assert target.read_text() == "mine\n" and not (tmp_path / "u").exists()
    assert cli("create", "test", "t", "--save", "--force").code == 0
    assert target.read_text() == SAMPLE.format(name="t")


def test_a_folder_that_is_a_file_is_one_line(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "plain").write_text("x")
    result = cli("create", "test", "plain", "--save")
    assert result.code == 1
    assert result.err.startswith("Error: cannot write plain/chainsaw-test.yaml: ")
    assert result.err.count("\n") == 1
