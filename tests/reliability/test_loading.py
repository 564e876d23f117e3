"""Reliability of loading (test files, --config, --values, lint, operation files): each case of the fault
campaign replayed at a small size, with the limits lowered where the real case is large."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.golang import fmt as gofmt
from chainsaw_py.golang.durations import DurationError, parse_duration_ns
from chainsaw_py.loading import load_configuration, load_test_file, load_values
from chainsaw_py.loading.discovery import check_folders, discover_folders
from chainsaw_py.loading.lint import lint_text
from chainsaw_py.operations.base import OperationError
from chainsaw_py.operations.internal.resources import load_glob
from chainsaw_py.report.console import Console, ConsoleStepLogger
from chainsaw_py.util import files, limits
from chainsaw_py.yamldocs import load_documents, parse_documents

REPO = Path(__file__).resolve().parents[2]
HEADER = "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\n"
STEPS = "spec:\n  steps:\n  - try:\n    - script:\n        content: echo hi\n"


def cli(*argv: str, cwd: Path = REPO, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "chainsaw_py", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# -- empty metadata / spec ----------------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("metadata:\n" + STEPS, "t.yaml:3: metadata: expected an object, got null"),
    ("metadata:\n  name: x\nspec:\n", "t.yaml:5: spec: expected an object, got null"),
    (STEPS, 't.yaml:1: missing required field "metadata"'),
])
def test_empty_metadata_or_spec_is_one_line_for_test_and_lint(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + body)
    with pytest.raises(LoadError) as caught:
        load_test_file(path)
    assert str(caught.value) == f"{tmp_path}/{expected}"
    assert lint_text("test", HEADER + body, ".yaml", "t.yaml") == [expected]


def test_lint_builds_the_model_like_test(tmp_path: Path) -> None:
    text = HEADER + "metadata:\n" + STEPS
    path = tmp_path / "t.yaml"
    path.write_text(text)
    linted = cli("lint", "test", "-f", str(path))
    assert linted.returncode == 1
    assert "metadata: expected an object, got null" in linted.stdout + linted.stderr
    assert "Traceback" not in linted.stdout + linted.stderr


# -- depth and size limits ----------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_refused_with_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_NESTING_DEPTH", 5)
    text = "a:\n  b:\n    - c:\n        d:\n          e:\n            f: 1\n"
    with pytest.raises(LoadError) as caught:
        parse_documents(text, "deep.yaml")
    assert str(caught.value) == 'deep.yaml:5: a.b[0].c.d: exceeded max depth of 5 (nested mappings and lists)'
    assert load_documents("a:\n  b:\n    - c: {d: 1}\n") == [{"a": {"b": [{"c": {"d": 1}}]}}]


@pytest.mark.parametrize("text", [
    "a: " + "[" * 20_000 + "]" * 20_000,
    "a: " + "{b: " * 20_000 + "1" + "}" * 20_000,
    "".join(f"{'  ' * level}k:\n" for level in range(2_000)) + "  " * 2_000 + "v\n",
])
def test_deep_documents_at_the_default_limit_fail_cleanly(text: str) -> None:
    with pytest.raises(LoadError, match=f"exceeded max depth of {limits.MAX_NESTING_DEPTH}"):
        parse_documents(text, "deep.yaml")


def test_alias_expansion_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ALIAS_NODES", 1_000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    with pytest.raises(LoadError, match="document contains excessive aliasing"):
        parse_documents(bomb, "bomb.yaml")


@pytest.mark.parametrize(("text", "expected"), [
    ("9" * 5_000, "9" * 5_000),  # out of float64 range: Go keeps the string
    ("-" + "1" * 5_000, "-" + "1" * 5_000),
    ("1" * 30, 1.1111111111111111e29),  # beyond uint64: a float, as go-yaml's ParseFloat
    ("1e999", "1e999"),
    ("0x" + "f" * 5_000, "0x" + "f" * 5_000),
])
def test_huge_numbers_read_as_go_reads_them(text: str, expected: object) -> None:
    assert load_documents(f"v: {text}\n") == [{"v": expected}]


def test_huge_numbers_elsewhere_are_one_line_errors(tmp_path: Path) -> None:
    document = {"apiVersion": "chainsaw.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "x"},
                "spec": {"steps": []}}
    text = json.dumps(document)[:-1] + ', "x": ' + "9" * 5_000 + "}"
    with pytest.raises(LoadError, match="cannot unmarshal number"):
        lint_text("test", text, ".json", "t.json")
    with pytest.raises(ChainsawError, match="value out of range"):
        load_values([], [f"a[{'9' * 5_000}]=1"], [])
    assert load_values([], [f"a={'9' * 5_000}"], []) == {"a": "9" * 5_000}


def test_expression_nesting_is_refused_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EXPRESSION_DEPTH", 10)
    deep = "(" * 11 + "a" + ")" * 11
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + "metadata:\n  name: x\nspec:\n  steps:\n  - try:\n    - assert:\n"
                    f"        resource:\n          ({deep}): true\n")
    with pytest.raises(LoadError, match=r"t.yaml:10: spec.steps\[0\].try\[0\].assert.resource.*: invalid expression .*: "
                                        "expression nests too deeply: more than 10 levels"):
        load_test_file(path)


# -- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", ["99999999999999999999h", "9223372036854775807s", "2562048h"])
def test_durations_go_refuses_are_refused_at_load(tmp_path: Path, duration: str) -> None:
    message = f'time: invalid duration "{duration}"'
    with pytest.raises(DurationError, match=message):
        parse_duration_ns(duration)
    test = HEADER + "metadata:\n  name: x\nspec:\n  timeouts:\n    apply: " + duration + "\n  steps: []\n"
    path = tmp_path / "chainsaw-test.yaml"
    path.write_text(test)
    with pytest.raises(LoadError) as caught:
        load_test_file(path)
    assert str(caught.value) == f"{path}:7: spec.timeouts.apply: {message}"
    assert lint_text("test", test, ".yaml", "t.yaml") == [f"t.yaml:7: spec.timeouts.apply: {message}"]
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nmetadata:\n  name: c\n"
                      f"spec:\n  timeouts:\n    exec: {duration}\n")
    with pytest.raises(LoadError, match=f"spec.timeouts.exec: {message}"):
        load_configuration(config)


def test_durations_at_the_edge_of_go_range_load() -> None:
    assert parse_duration_ns("2562047h") == 2562047 * 3600 * 10**9
    assert parse_duration_ns("9223372036854775807ns") == 2**63 - 1
    assert parse_duration_ns("-9223372036854775808ns") == -(2**63)


# -- only regular files, within a size --------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_without_blocking(fifo: Path) -> None:
    with pytest.raises(files.FileReadError, match=r"not a regular file \(a named pipe\)"):
        files.read_bytes(fifo)
    with pytest.raises(LoadError, match="not a regular file"):
        load_test_file(fifo)
    with pytest.raises(LoadError, match="not a regular file"):
        load_configuration(fifo)
    with pytest.raises(LoadError, match="not a regular file"):
        load_values([str(fifo)], [], [])
    with pytest.raises(OperationError, match=f"open {fifo}: not a regular file"):
        load_glob(str(fifo), manifest=True)


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(LoadError, match=r"not a regular file \(a character device\)"):
        load_test_file(link)
    with pytest.raises(OperationError, match="not a regular file"):
        load_glob(str(tmp_path / "*.yaml"), manifest=False)


def test_files_over_the_size_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 64)
    path = tmp_path / "big.yaml"
    path.write_text(HEADER + "metadata:\n  name: x\n" + STEPS)
    with pytest.raises(LoadError, match="file too large: more than 64 bytes"):
        load_test_file(path)
    with pytest.raises(OperationError, match="file too large"):
        load_glob(str(path), manifest=False)
    path.write_text("a: 1\n")
    assert files.read_text(path) == "a: 1\n"


def test_cli_refuses_a_fifo_test_file_quickly(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "chainsaw-test.yaml")
    result = cli("test", str(tmp_path), "--no-cluster", timeout=60)
    assert result.returncode == 1
    assert "chainsaw-test.yaml: not a regular file (a named pipe)" in one_error_line(result)


# -- empty runs and unreadable paths -----------------------------------------------------------------


def test_empty_runs_keep_exit_0_and_say_so_per_path(tmp_path: Path) -> None:
    regular = tmp_path / "file.yaml"
    regular.write_text("a: 1\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    dangling = tmp_path / "dangling"
    dangling.mkdir()
    (dangling / "chainsaw-test.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = cli("test", str(regular), "/dev/null", str(empty), str(dangling), "--no-cluster")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: no test found under")]
    assert warnings == [
        f"Warning: no test found under {regular}: it is not a directory",
        "Warning: no test found under /dev/null: it is not a directory",
        f"Warning: no test found under {empty}: no chainsaw-test.yaml or chainsaw-test.yml and no numbered "
        "step files (01-name.yaml) in it or its sub-folders",
        f"Warning: no test found under {dangling}: {dangling}/chainsaw-test.yaml is a dangling symlink",
    ]


def test_a_test_file_that_cannot_be_checked_is_an_error_not_a_skipped_test(tmp_path: Path) -> None:
    """Chainsaw stats the test file: only a missing one (a dangling symlink) means no test there."""
    folder = tmp_path / "looping"
    folder.mkdir()
    test_file = folder / "chainsaw-test.yaml"
    test_file.symlink_to(test_file)
    result = cli("test", str(folder), "--no-cluster")
    assert result.returncode == 1, result.stderr
    assert one_error_line(result) == f"Error: stat {test_file}: too many levels of symbolic links"


def test_a_path_that_cannot_be_checked_is_upstreams_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(ChainsawError, match=f"^error checking path {loop}: stat {loop}: too many levels of "
                                            "symbolic links$"):
        discover_folders([str(loop)])
    result = cli("test", str(loop), "--no-cluster")  # `test` checks its folders first (CheckFolders)
    assert result.returncode == 1
    assert one_error_line(result) == f"Error: stat {loop}: too many levels of symbolic links"


def test_a_missing_test_path_is_upstreams_error(tmp_path: Path) -> None:
    missing, other = tmp_path / "missing", tmp_path / "other"
    with pytest.raises(ChainsawError) as raised:
        discover_folders([str(missing), str(tmp_path), str(other)])
    assert str(raised.value) == (f"error checking path {missing}: stat {missing}: no such file or directory; "
                                 f"error checking path {other}: stat {other}: no such file or directory")
    result = cli("test", str(tmp_path), str(missing), str(other), "--no-cluster")
    assert result.returncode == 1
    assert "Loading tests..." in result.stdout
    assert one_error_line(result) == f"Error: stat {missing}: no such file or directory"


@pytest.mark.parametrize(("path", "message"), [
    ("a:b", "error checking path a:b: stat a:b: no such file or directory"),  # a URL scheme: not checked first
    ("x%zz", 'parse "x%zz": invalid URL escape "%zz"'),
    ("1a:b", 'parse "1a:b": first path segment in URL cannot contain colon'),
    ("nope?x=1", "stat nope: no such file or directory"),
    ("a%00b", "stat a\\x00b: invalid argument"),
])
def test_test_paths_are_checked_as_urls_like_upstream(tmp_path: Path, path: str, message: str) -> None:
    result = cli("test", path, "--no-cluster", cwd=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result) == f"Error: {message}"


# -- terminal escapes ---------------------------------------------------------------------------------


def test_control_characters_in_names_and_messages_are_printed_escaped() -> None:
    out = _stream()
    console = Console(out)
    ConsoleStepLogger(console, "evil\x1b[2Jname", "", "step\rx").log("SCRIPT", "ERROR", None, "=== STDERR\nbad\x07\tok")
    console.write("=== RUN   chainsaw/evil\x1b]0;title\x07")
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "evil\\x1b[2Jname | step\\rx | SCRIPT" in text
    assert "        bad\\x07\tok" in text
    assert text.endswith("=== RUN   chainsaw/evil\\x1b]0;title\\x07\n")


def test_normal_names_print_byte_for_byte_as_before() -> None:
    out = _stream()
    ConsoleStepLogger(Console(out), "my-test", "", "step-1").log("SCRIPT", "DONE", None, "=== STDOUT\nhello\n\tworld")
    line = out.getvalue()
    assert line.split(" | ", 2)[2] == "my-test | step-1 | SCRIPT    | DONE  |\n        === STDOUT\n        hello\n" \
                                      "        \tworld\n"


def _stream() -> io.StringIO:
    return io.StringIO()


def test_the_loading_benchmark_runs_at_a_tiny_size() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "loading.py"), "--megabytes", "0.02",
                             "--tests", "5"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith(("one test file", "suite of"))]
    assert len(rows) == 5 and rows[-1].startswith("suite of 5 tests (5)"), result.stdout


# -- kubeconfig files ------------------------------------------------------------------------------------


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
    certificate-authority: {authority}
contexts:
- name: c
  context: {{cluster: c, user: u}}
current-context: c
users:
- name: u
  user:
    tokenFile: {token}
"""


def test_kubeconfig_files_are_read_within_bounds(tmp_path: Path, fifo: Path) -> None:
    from chainsaw_py.client.kubeconfig import load_selection

    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 3_000 + "]" * 3_000 + "\n")
    with pytest.raises(ChainsawError, match=f'^error loading config file "{deep}": {deep}:1: exceeded max depth'):
        load_selection(deep)
    with pytest.raises(ChainsawError, match=r"^error loading config file .*: not a regular file \(a named pipe\)$"):
        load_selection(fifo)
    for authority, token, expected in (("/dev/zero", "t", "certificate-authority /dev/zero: not a regular file"),
                                       ("", fifo, f"tokenFile {fifo}: not a regular file (a named pipe)")):
        config = tmp_path / "config.yaml"
        config.write_text(KUBECONFIG.format(authority=authority or '""', token=token).replace(
            '    certificate-authority: ""\n', ""))
        with pytest.raises(ChainsawError, match=f"^unable to read {re.escape(expected)}"):
            load_selection(config)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab/:%?#.-+1 \x00\x7fé")), max_size=20))
def test_any_test_path_is_checked_with_one_line_or_passes(text: str) -> None:
    from chainsaw_py.golang import urls

    try:
        parsed = urls.parse(text)
    except ValueError as error:
        assert str(error).startswith(f"parse {gofmt.quote(text.partition('#')[0])}: ") or "#" in text
        return
    assert parsed.scheme or parsed.path is not None
    for check in (check_folders, discover_folders):
        try:
            check([text])
        except ChainsawError as error:
            assert "\n" not in str(error)


_GOOD_KUBECONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
                    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                    "users": [{"name": "u", "user": {"tokenFile": None}}],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}


@pytest.mark.parametrize(("where", "value", "expected"), [
    ("clusters", 5, "json: cannot unmarshal number into Go struct field Config.clusters of type []v1.NamedCluster"),
    ("current-context", [True], "json: cannot unmarshal array into Go struct field Config.current-context of type string"),
    ("cluster", "https://h", "json: cannot unmarshal string into Go struct field NamedCluster.clusters.cluster of type v1.Cluster"),
    ("user", {"as-groups": 1}, "json: cannot unmarshal number into Go struct field AuthInfo.users.user.as-groups of type []string"),
    ("whole", [1], "json: cannot unmarshal array into Go value of type v1.Config"),
])
def test_malformed_kubeconfigs_are_one_line(tmp_path: Path, where: str, value: object, expected: str) -> None:
    from chainsaw_py.client.kubeconfig import load_selection

    config: object = json.loads(json.dumps(_GOOD_KUBECONFIG))
    assert isinstance(config, dict)
    if where == "whole":
        config = value
    elif where == "cluster":
        config["clusters"][0]["cluster"] = value
    elif where == "user":
        config["users"][0]["user"] = value
    else:
        config[where] = value
    file = tmp_path / "config.yaml"
    file.write_text(json.dumps(config))
    with pytest.raises(ChainsawError) as raised:
        load_selection(file)
    assert str(raised.value) == f'error loading config file "{file}": {expected}'


_KUBECONFIG_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["c", "u", "", "https://h:1", "."])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "cluster", "user", "context", "server", "token", "tokenFile", "certificate-authority",
         "namespace", "exec", "as-groups", "clusters"]), children, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_KUBECONFIG_VALUES, st.sampled_from(["clusters", "users", "contexts", "current-context", "cluster", "user"]))
def test_any_kubeconfig_loads_or_is_one_line(tmp_path_factory: pytest.TempPathFactory, value: object,
                                             where: str) -> None:
    from chainsaw_py.client.kubeconfig import load_selection

    config = json.loads(json.dumps(_GOOD_KUBECONFIG))
    if where == "cluster":
        config["clusters"][0]["cluster"] = value
    elif where == "user":
        config["users"][0]["user"] = value
    else:
        config[where] = value
    file = tmp_path_factory.mktemp("kubeconfig") / "config.yaml"
    file.write_text(json.dumps(config))
    try:
        load_selection(file)
    except ChainsawError as error:
        assert "\n" not in str(error)


@pytest.mark.parametrize("argv", [["lint", "test", "-f", "-"], ["test", "--no-cluster", "--values", "-"]])
def test_standard_input_is_read_within_the_size_limit(tmp_path: Path, argv: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHAINSAW_PY_MAX_FILE_BYTES": "1000"}
    (tmp_path / "t").mkdir()
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", *argv], cwd=tmp_path, env=env,
                            input="a: b\n" * 1_000, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert one_error_line(result) == ("Error: <stdin>: more than 1000 characters "
                                      "(set CHAINSAW_PY_MAX_FILE_BYTES to raise the limit)")


@pytest.mark.parametrize(("kind", "shown"), [("null", ""), ("[a]", ""), ("1", ""), ("Foo", "Foo")])
def test_a_configuration_of_an_unknown_kind_is_upstreams_error(tmp_path: Path, kind: str, shown: str) -> None:
    """A non-string kind is Go's empty kind (it printed Python's ``None``); the line is upstream's (golden)."""
    path = tmp_path / "config.yaml"
    path.write_text(f"apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: {kind}\nspec: {{}}\n")
    with pytest.raises(LoadError) as caught:
        load_configuration(str(path))
    assert str(caught.value) == ("failed to parse document (failed to retrieve validator: "
                                 f"kind {shown} not found in chainsaw.kyverno.io/v1alpha2 groupversion)")
