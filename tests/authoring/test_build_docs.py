"""``build docs``: READMEs and the catalog in upstream's layout."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from chainsaw_py.golang.filepath import RelError, relative
from tests.authoring.conftest import CORPUS, Cli, Files, dedent


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared (Chainsaw corpus) is not available")
def test_corpus_readmes_and_catalog_are_reproduced(tmp_path: Path, cli: Cli) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(CORPUS, copy)
    expected = {path.relative_to(copy): path.read_text() for path in copy.rglob("*.md")}
    for path in copy.rglob("*.md"):
        path.unlink()
    result = cli("build", "docs", "--test-dir", "examples", "--catalog", "examples/CATALOG.md")
    assert result.code == 0, result.err
    produced = {path.relative_to(copy): path.read_text() for path in copy.rglob("*.md")}
    assert sorted(produced) == sorted(expected)
    for name, text in expected.items():
        assert produced[name] == text, name


TEST = """
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata:
      name: {name}
    spec:
    {spec}
    """

RICH_SPEC = """
  description: Checks <everything> & more
  bindings:
  - name: greeting
    value: {b: "<hi>", a: [1, 2.5, true, null]}
  catch:
  - events: {}
  steps:
  - try:
    - description: make it
      apply:
        file: a.yaml
        bindings:
        - name: x
          value: 1
        outputs:
        - name: o
          value: ($x)
    - proxy:
        name: p
        kind: Service
        apiVersion: v1
        outputs:
        - name: body
          value: (@)
    catch:
    - podLogs:
        selector: app=a
    finally:
    - sleep:
        duration: 1s
    cleanup:
    - script:
        content: echo bye
  - name: named
    description: second step
    bindings:
    - name: yy
      value: '2'
    try:
    - wait:
        apiVersion: v1
        kind: Pod
        for:
          deletion: {}
"""

RICH_README = dedent("""
    # Test: `rich`

    Checks <everything> & more

    ## Bindings

    | # | Name | Value |
    |:-:|---|---|
    | 1 | `greeting` | {"a":[1,2.5,true,null],"b":"\\u003chi\\u003e"} |

    ## Steps

    | # | Name | Bindings | Try | Catch | Finally | Cleanup |
    |:-:|---|:-:|:-:|:-:|:-:|:-:|
    | 1 | [step-1](#step-step-1) | 0 | 2 | 2 | 1 | 1 |
    | 2 | [named](#step-named) | 1 | 1 | 1 | 0 | 0 |

    ### Step: `step-1`

    *No description*

    #### Try

    | # | Operation | Bindings | Outputs | Description |
    |:-:|---|:-:|:-:|---|
    | 1 | `apply` | 1 | 1 | make it |
    | 2 | `proxy` | 0 | 1 | *No description* |

    #### Catch

    | # | Operation | Bindings | Outputs | Description |
    |:-:|---|:-:|:-:|---|
    | 1 | `events` | 0 | 0 | *No description* |
    | 2 | `pod logs` | 0 | 0 | *No description* |

    #### Finally

    | # | Operation | Bindings | Outputs | Description |
    |:-:|---|:-:|:-:|---|
    | 1 | `sleep` | 0 | 0 | *No description* |

    #### Cleanup

    | # | Operation | Bindings | Outputs | Description |
    |:-:|---|:-:|:-:|---|
    | 1 | `script` | 0 | 0 | *No description* |

    ### Step: `named`

    second step

    #### Bindings

    | # | Name | Value |
    |:-:|---|---|
    | 1 | `yy` | "2" |

    #### Try

    | # | Operation | Bindings | Outputs | Description |
    |:-:|---|:-:|:-:|---|
    | 1 | `wait` | 0 | 0 | *No description* |

    ---

    """)


def _test(name: str, spec: str) -> str:
    return dedent(TEST).format(name=name, spec=textwrap.indent(dedent(spec), "  ").rstrip("\n"))


def test_readme_layout(files: Files, cli: Cli) -> None:
    root = files({"t/rich/chainsaw-test.yaml": _test("rich", RICH_SPEC)})
    assert cli("build", "docs", "--test-dir", "t").code == 0
    assert (root / "t" / "rich" / "README.md").read_text() == RICH_README


def test_the_step_catch_column_counts_the_test_catch_even_without_a_step_catch(files: Files, cli: Cli) -> None:
    # upstream's quirk: the steps table adds the test's catch to every step, the Catch table only shows when
    # the step has its own catch (then with the test's entries first)
    root = files({"t/rich/chainsaw-test.yaml": _test("rich", RICH_SPEC)})
    cli("build", "docs", "--test-dir", "t")
    readme = (root / "t" / "rich" / "README.md").read_text()
    assert "| 2 | [named](#step-named) | 1 | 1 | 1 | 0 | 0 |" in readme
    assert readme.count("#### Catch") == 1


def test_folders_with_several_tests_and_kuttl_steps(files: Files, cli: Cli) -> None:
    minimal = "steps:\n- try:\n  - sleep:\n      duration: 1s\n"
    root = files({
        "t/two/chainsaw-test.yaml": _test("first", minimal) + "---\n" + _test("second", minimal),
        "t/Kuttl_Dir/01-a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    })
    result = cli("build", "docs", "--test-dir", "t", "--catalog", "t/CATALOG.md")
    assert result.code == 0
    two = (root / "t" / "two" / "README.md").read_text()
    assert two.startswith("# Test: `first`") and "\n---\n\n# Test: `second`" in two and two.endswith("---\n\n")
    assert "| 1 | `apply` | 0 | 0 | *No description* |" in (root / "t" / "Kuttl_Dir" / "README.md").read_text()
    assert (root / "t" / "CATALOG.md").read_text() == (
        "# Tests catalog\n\n- [kuttl-dir](Kuttl_Dir/README.md)\n- [first](two/README.md)\n"
        "- [second](two/README.md)\n")


def test_custom_file_names_and_a_catalog_elsewhere(files: Files, cli: Cli) -> None:
    minimal = "steps:\n- try:\n  - sleep:\n      duration: 1s\n"
    root = files({"tests/a/my-test.yaml": _test("a", minimal), "docs/.keep": ""})
    result = cli("build", "docs", "--test-dir", "tests", "--test-file", "my-test", "--readme-file", "DOCS.md",
                 "--catalog", "docs/index.md")
    assert result.code == 0
    assert (root / "tests" / "a" / "DOCS.md").is_file()
    assert (root / "docs" / "index.md").read_text() == "# Tests catalog\n\n- [a](../tests/a/DOCS.md)\n"


def test_no_test_directory_writes_nothing(files: Files, cli: Cli) -> None:
    root = files({"a/chainsaw-test.yaml": _test("a", "steps: []\n")})
    assert cli("build", "docs").code == 0
    assert not (root / "a" / "README.md").exists()


def test_empty_catalog(files: Files, cli: Cli) -> None:
    root = files({"empty/.keep": ""})
    assert cli("build", "docs", "--test-dir", "empty", "--catalog", "empty/CATALOG.md").code == 0
    assert (root / "empty" / "CATALOG.md").read_text() == "# Tests catalog\n\n"


@pytest.mark.parametrize(("contents", "args", "message"), [
    ({"t/a/chainsaw-test.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nspec: {steps: 1}\n"},
     ("--test-dir", "t"), "Error: t/a/chainsaw-test.yaml:"),
    ({}, ("--test-dir", "missing"), "Error: error checking path missing: stat missing: no such file or directory"),
    ({"t/.keep": ""}, ("--test-dir", "t", "--catalog", "no/such/dir/CATALOG.md"),
     "Error: cannot write no/such/dir/CATALOG.md: No such file or directory"),
])
def test_bad_input_is_one_line(files: Files, cli: Cli, contents: dict[str, str], args: tuple[str, ...],
                               message: str) -> None:
    files(contents)
    result = cli("build", "docs", *args)
    assert result.code == 1
    assert result.err.startswith(message) and result.err.count("\n") == 1


@pytest.mark.parametrize(("base", "target", "expected"), [
    ("a", "a/b/README.md", "b/README.md"),
    (".", "a/README.md", "a/README.md"),
    ("docs", "tests/a/README.md", "../tests/a/README.md"),
    ("a/b", "a", ".."),
    ("a/./b/", "a/b", "."),
    ("/x/y", "/x/z/R.md", "../z/R.md"),
    ("../up", "../up/t/R.md", "t/R.md"),
])
def test_go_rel(base: str, target: str, expected: str) -> None:
    assert relative(base, target) == expected


@pytest.mark.parametrize(("base", "target"), [("/abs", "rel"), ("rel", "/abs"), ("../up", "x")])
def test_go_rel_errors(base: str, target: str) -> None:
    with pytest.raises(RelError, match="Rel: can't make"):
        relative(base, target)
