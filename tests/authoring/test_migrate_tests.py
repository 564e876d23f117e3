"""``migrate kuttl tests``: kuttl step folders converted as upstream Chainsaw converts them."""

from __future__ import annotations

import pytest

from tests.authoring.conftest import Cli, Files, dedent

SCHEMA = ("# yaml-language-server: $schema=https://raw.githubusercontent.com/kyverno/chainsaw/main/"
          ".schemas/json/test-chainsaw-v1alpha1.json")

CONFIGMAP = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      mode: fast
    """

SUITE = {
    "suite/My_Test/01-install.yaml": CONFIGMAP,
    "suite/My_Test/01-setup.yaml": """
        apiVersion: kuttl.dev/v1beta1
        kind: TestStep
        commands:
        - script: echo setup
          timeout: 90
        - command: kubectl get pods -n "my ns"
          skipLogOutput: true
        apply:
        - extra.yaml
        assert:
        - extra-assert.yaml
        error:
        - extra-error.yaml
        delete:
        - apiVersion: v1
          kind: Secret
          name: s1
        - apiVersion: v1
          kind: Pod
          labels:
            app: web
        """,
    "suite/My_Test/01-assert.yaml": """
        apiVersion: kuttl.dev/v1beta1
        kind: TestAssert
        commands:
        - command: kubectl get cm
        collectors:
        - type: pod
          pod: web
          namespace: ns
          container: c
          tail: 10
        - selector: app=web
        - type: events
          selector: app=web
        - command: kubectl describe pods
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          mode: fast
        """,
    "suite/My_Test/02-errors.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: gone
        """,
    "suite/My_Test/02-delete.yaml": """
        apiVersion: kuttl.dev/v1beta1
        kind: TestStep
        delete:
        - apiVersion: v1
          kind: ConfigMap
          name: settings
        """,
    "suite/done/01-a.yaml": CONFIGMAP,
    "suite/done/chainsaw-test.yaml": "not read: a folder with a Chainsaw test is left alone\n",
    "suite/nested/deeper/01-a.yaml": CONFIGMAP,
}

# TestStep operations go before everything the step had so far (here the apply of 01-install.yaml); the
# TestAssert's commands are appended, then the file's remaining documents are asserted; collectors go to catch.
MY_TEST = dedent("""
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata:
      name: my-test
    spec:
      steps:
      - catch:
        - podLogs:
            container: c
            name: web
            namespace: ns
            tail: 10
        - podLogs:
            selector: app=web
        - events:
            selector: app=web
        - script:
            content: kubectl describe pods
        name: step-01
        try:
        - script:
            content: echo setup
            timeout: 1m30s
        - command:
            args:
            - get
            - pods
            - -n
            - my ns
            entrypoint: kubectl
            skipLogOutput: true
        - apply:
            file: extra.yaml
        - assert:
            file: extra-assert.yaml
        - error:
            file: extra-error.yaml
        - delete:
            ref:
              apiVersion: v1
              kind: Secret
              name: s1
        - delete:
            ref:
              apiVersion: v1
              kind: Pod
              labels:
                app: web
        - apply:
            file: 01-install.yaml
        - script:
            content: kubectl get cm
        - assert:
            file: 01-assert.yaml
      - name: step-02
        try:
        - delete:
            ref:
              apiVersion: v1
              kind: ConfigMap
              name: settings
        - error:
            file: 02-errors.yaml
    """)

DEEPER = dedent("""
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata:
      name: deeper
    spec:
      steps:
      - name: step-01
        try:
        - apply:
            file: 01-a.yaml
    """)


def test_prints_every_converted_folder_in_order(files: Files, cli: Cli) -> None:
    files(SUITE)
    result = cli("migrate", "kuttl", "tests", "suite")
    assert result.code == 0
    assert result.out == f"{SCHEMA}\n{MY_TEST}\n{SCHEMA}\n{DEEPER}\n"
    assert result.err == "Converting test suite/My_Test ...\nConverting test suite/nested/deeper ...\n"


def test_save_writes_the_test_and_keeps_only_plain_documents(files: Files, cli: Cli) -> None:
    root = files(SUITE)
    result = cli("migrate", "kuttl", "tests", "suite", "--save")
    assert result.code == 0 and result.out == ""
    folder = root / "suite" / "My_Test"
    assert (folder / "chainsaw-test.yaml").read_text() == f"{SCHEMA}\n{MY_TEST}"
    assert (folder / "01-assert.yaml").read_text() == dedent("""
        apiVersion: v1
        data:
          mode: fast
        kind: ConfigMap
        metadata:
          name: settings
        """)
    assert (folder / "01-setup.yaml").exists() and (folder / "02-delete.yaml").exists()
    assert "Saving file suite/My_Test/01-assert.yaml ...\n" in result.err
    assert not (root / "suite" / "done" / "README.md").exists()
    assert (root / "suite" / "done" / "chainsaw-test.yaml").read_text().startswith("not read")


def test_cleanup_deletes_only_fully_converted_files(files: Files, cli: Cli) -> None:
    root = files(SUITE)
    result = cli("migrate", "kuttl", "tests", "suite", "--save", "--cleanup")
    assert result.code == 0
    folder = root / "suite" / "My_Test"
    assert sorted(path.name for path in folder.iterdir()) == [
        "01-assert.yaml", "01-install.yaml", "02-errors.yaml", "chainsaw-test.yaml"]
    assert "Deleting file suite/My_Test/01-setup.yaml ...\n" in result.err
    assert "Deleting file suite/My_Test/02-delete.yaml ...\n" in result.err


def test_cleanup_without_save_deletes_nothing(files: Files, cli: Cli) -> None:
    root = files(SUITE)
    assert cli("migrate", "kuttl", "tests", "suite", "--cleanup").code == 0
    assert (root / "suite" / "My_Test" / "01-setup.yaml").exists()
    assert not (root / "suite" / "My_Test" / "chainsaw-test.yaml").exists()


def test_converted_test_loads_and_lists_the_same_files(files: Files, cli: Cli) -> None:
    from chainsaw_py.loading import load_test_file

    root = files(SUITE)
    assert cli("migrate", "kuttl", "tests", "suite", "--save").code == 0
    (test,) = load_test_file(root / "suite" / "My_Test" / "chainsaw-test.yaml")
    assert [step.name for step in test.spec.steps] == ["step-01", "step-02"]
    assert [op.type for op in test.spec.steps[1].try_] == ["delete", "error"]


def test_a_step_without_operations_has_a_null_try(files: Files, cli: Cli) -> None:
    files({"t/01-assert.yaml": """
        apiVersion: kuttl.dev/v1beta1
        kind: TestAssert
        collectors:
        - type: events
        """})
    result = cli("migrate", "kuttl", "tests", "t")
    assert result.out == f"{SCHEMA}\n" + dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: t
        spec:
          steps:
          - catch:
            - events: {}
            name: step-01
            try: null
        """) + "\n"


def test_later_test_steps_go_first(files: Files, cli: Cli) -> None:
    step = "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\ncommands:\n- command: echo {}\n"
    files({"t/01-a.yaml": step.format("a"), "t/01-b.yaml": step.format("b")})
    out = cli("migrate", "kuttl", "tests", "t").out
    assert out.index("- b") < out.index("- a")


def test_dropped_kuttl_fields_are_reported(files: Files, cli: Cli) -> None:
    files({"t/01-assert.yaml": """
        apiVersion: kuttl.dev/v1beta1
        kind: TestAssert
        timeout: 120
        assertAll:
        - celExpr: "true"
        commands:
        - script: "true"
        - command: kubectl get pods
          namespaced: true
        """})
    result = cli("migrate", "kuttl", "tests", "t")
    assert result.code == 0
    assert "WARNING: t/01-assert.yaml: TestAssert field 'assertAll' is not converted\n" in result.err
    assert ("WARNING: t/01-assert.yaml: TestAssert field 'timeout' is not converted (a step's "
            "timeouts.assert can hold it)\n") in result.err
    assert ("WARNING: t/01-assert.yaml: TestAssert command 'kubectl get pods': namespaced=true is not converted "
            "(the script runs as written)\n") in result.err
    assert "content: kubectl get pods" in result.out


BAD_FOLDERS = [
    ("background", "commands:\n- command: sleep 1\n  background: true\n",
     ("failed to convert TestStep (t/01-a.yaml): found a command with background=true, "
     "this is not supported in chainsaw")),
    ("namespaced", "commands:\n- command: kubectl get pods\n  namespaced: true\n",
     ("failed to convert TestStep (t/01-a.yaml): found a command with namespaced=true, "
     "this is not supported in chainsaw")),
    ("ignoreFailure", "commands:\n- script: exit 1\n  ignoreFailure: true\n",
     ("failed to convert TestStep (t/01-a.yaml): found a command with ignoreFailure=true, "
     "this is not supported in chainsaw")),
    ("unknown field", "comands:\n- script: echo\nfoo: 1\n",
     ('failed to convert TestStep (t/01-a.yaml): strict decoding error: unknown field "comands", '
     'unknown field "foo"')),
    ("nested unknown field", "commands:\n- scirpt: echo\n",
     'failed to convert TestStep (t/01-a.yaml): strict decoding error: unknown field "commands[0].scirpt"'),
    ("wrong type", "commands:\n- command: echo\n  timeout: soon\n",
     "failed to convert TestStep (t/01-a.yaml): unrecognized type: int"),
    ("not a list", "apply: one.yaml\n",
     "failed to convert TestStep (t/01-a.yaml): cannot restore slice from string"),
    ("bad quoting", "commands:\n- command: echo 'open\n",
     "failed to convert TestStep (t/01-a.yaml): EOF found when expecting closing quote"),
    ("nothing to run", "commands:\n- command: '# just a comment'\n",
     "failed to convert TestStep (t/01-a.yaml): command '# just a comment' has no words to run"),
]


@pytest.mark.parametrize(("body", "message"), [case[1:] for case in BAD_FOLDERS],
                         ids=[case[0] for case in BAD_FOLDERS])
def test_bad_test_steps(files: Files, cli: Cli, body: str, message: str) -> None:
    files({"t/01-a.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\n" + body, "u/01-a.yaml": CONFIGMAP})
    result = cli("migrate", "kuttl", "tests", "t", "u")
    assert result.code == 1
    assert f"ERROR: failed to process folder t: {message}\n" in result.err
    assert result.err.endswith("Error: 1 of 2 folders could not be converted\n")
    assert "name: u" in result.out  # the other folder is still converted


BAD_FILES = [
    ("TestStep in an assert file", {"t/01-assert.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\n"},
     "type not supported kuttl.dev/v1beta1 / TestStep"),
    ("unknown kuttl kind", {"t/01-a.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\n"},
     "type not supported kuttl.dev/v1beta1 / TestSuite"),
    ("unknown collector", {"t/01-a.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestAssert\n"
                                          "collectors:\n- type: logs\n"},
     "failed to convert TestAssert (t/01-a.yaml): unknown collector type: logs"),
    ("command collector without a command", {"t/01-a.yaml": "apiVersion: kuttl.dev/v1beta1\n"
                                                            "kind: TestAssert\ncollectors:\n- type: command\n"},
     "failed to convert TestAssert (t/01-a.yaml): cmd must be set when type is command"),
    ("empty file", {"t/01-a.yaml": "# nothing\n"}, "found no resource in t/01-a.yaml"),
    ("no kind", {"t/01-a.yaml": "apiVersion: v1\nmetadata:\n  name: x\n"},
     """t/01-a.yaml: Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"x"}}'"""),
    ("bad yaml", {"t/01-a.yaml": "a: [\n"}, "t/01-a.yaml:2: invalid YAML"),
]


@pytest.mark.parametrize(("contents", "message"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_files(files: Files, cli: Cli, contents: dict[str, str], message: str) -> None:
    files(contents)
    result = cli("migrate", "kuttl", "tests", "t")
    assert result.code == 1
    assert f"ERROR: failed to process folder t: {message}" in result.err


def test_list_documents_count_as_their_items(files: Files, cli: Cli) -> None:
    files({"t/01-a.yaml": """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: kuttl.dev/v1beta1
          kind: TestStep
          commands:
          - command: echo hi
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: c
        """})
    root_out = cli("migrate", "kuttl", "tests", "t").out
    assert "entrypoint: echo" in root_out and "file: 01-a.yaml" in root_out


def test_missing_folder_is_one_line(cli: Cli) -> None:
    result = cli("migrate", "kuttl", "tests", "nowhere")
    assert result.code == 1
    reason = "error checking path nowhere: stat nowhere: no such file or directory"
    assert result.err == f"ERROR: failed to discover folders: {reason}\nError: {reason}\n"

