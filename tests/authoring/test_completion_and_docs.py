"""``completion`` (scripts that work once sourced, checked in real shells) and ``docs`` (cobra's Markdown
reference pages, checked against pages of upstream's published command reference)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainsaw_py.cli import build_root
from chainsaw_py.commands.completion import complete
from tests.authoring.conftest import Cli

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("typed", "current", "values", "directive"), [
    ([], "te", ["test"], 4),
    ([], "", ["assert", "build", "cluster", "completion", "create", "docs", "export", "help", "lint", "migrate",
              "renovate", "report", "test", "version"], 4),
    (["test"], "--no-c", ["--no-cluster", "--no-color"], 4),
    (["test", "--no-cluster"], "--no-c", ["--no-color"], 4),
    (["test", "--values", "a.yaml"], "--val", ["--values"], 4),  # a list flag may be given again
    (["test"], "--report-format=JU", ["--report-format=JUNIT-TEST", "--report-format=JUNIT-STEP",
                                      "--report-format=JUNIT-OPERATION"], 4),
    (["test", "--deletion-propagation-policy"], "", ["Foreground", "Background", "Orphan"], 4),
    (["test", "--config"], "", [], 0),
    (["test", "--parallel"], "", [], 4),
    (["test", "--no-cluster"], "", [], 0),
    (["lint"], "", ["test", "configuration"], 4),
    (["lint", "test"], "", [], 4),
    (["docs", "-o"], "", [], 16),
    (["migrate", "kuttl"], "", ["config", "tests"], 4),
    (["version"], "", [], 4),
    (["export", "schemas", "out"], "", [], 4),
    (["nope"], "", [], 1),
    (["help"], "mi", ["migrate"], 4),
    (["help", "migrate", "kuttl"], "", ["config", "tests"], 4),
    (["assert"], "-", ["--clustered", "--file", "-f", "--help", "-h"], 4),
])
def test_complete(typed: list[str], current: str, values: list[str], directive: int) -> None:
    candidates, got = complete(build_root(), typed, current)
    found = [value for value, _ in candidates]
    assert got == directive
    assert found[:len(values)] == values if current == "-" else found == values


def test_complete_command_prints_candidates_and_directive(cli: Cli) -> None:
    assert cli("__complete", "test", "--no-cl").out == "--no-cluster\tRuns without cluster\n:4\n"
    assert cli("__completeNoDesc", "test", "--no-cl").out == "--no-cluster\n:4\n"
    assert cli("__complete").out.startswith("assert\tEvaluate assertion\n")


@pytest.fixture
def program(tmp_path: Path) -> dict[str, str]:
    """An environment where ``chainsaw-py`` on PATH runs this checkout."""
    folder = tmp_path / "bin"
    folder.mkdir()
    launcher = folder / "chainsaw-py"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m chainsaw_py "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    (tmp_path / "suite" / "a").mkdir(parents=True)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO)}


def _shell(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


BASH_PROBE = r"""
source <(chainsaw-py completion bash)
complete -p chainsaw-py
probe() {  # $1: the line typed; the remaining arguments: COMP_WORDS as bash splits them
    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    __chainsaw_py_complete
    echo "${COMPREPLY[*]}"
}
probe "chainsaw-py te" chainsaw-py te
probe "chainsaw-py test --no-c" chainsaw-py test --no-c
probe "chainsaw-py test --report-format=JUNIT-S" chainsaw-py test --report-format = JUNIT-S
probe "chainsaw-py lint " chainsaw-py lint ""
probe "chainsaw-py test su" chainsaw-py test su
probe "chainsaw-py version " chainsaw-py version ""
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_script_completes_when_sourced(program: dict[str, str], tmp_path: Path) -> None:
    lines = _shell(["bash", "-c", BASH_PROBE], program, tmp_path).splitlines()
    assert lines[0].startswith("complete ") and lines[0].endswith(" -F __chainsaw_py_complete chainsaw-py")
    assert lines[1:] == ["test", "--no-cluster --no-color", "JUNIT-STEP", "test configuration", "suite", ""]


ZSH_PROBE = r"""
autoload -U compinit; compinit -u -D
source <(chainsaw-py completion zsh)
_describe() { print -r -- "${(j:|:)${(@P)4}}"; }
_files() { print -r -- "files $*"; }
probe() { words=("$@"); CURRENT=${#words}; __chainsaw_py_complete; }
probe chainsaw-py te
probe chainsaw-py test --deletion-propagation-policy ""
probe chainsaw-py test su
probe chainsaw-py docs --output ""
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_completes_when_sourced(program: dict[str, str], tmp_path: Path) -> None:
    lines = _shell(["zsh", "-f", "-c", ZSH_PROBE], program, tmp_path).splitlines()
    assert lines == ["test:Run tests", "Foreground|Background|Orphan", "files ", "files -/"]


FISH_PROBE = """
chainsaw-py completion fish | source
complete -C "chainsaw-py te"
complete -C "chainsaw-py test --report-format=JUNIT-S"
complete -C "chainsaw-py migrate kuttl "
complete -C "chainsaw-py test su"
"""


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_completes_when_sourced(program: dict[str, str], tmp_path: Path) -> None:
    lines = _shell(["fish", "--no-config", "-c", FISH_PROBE], program, tmp_path).splitlines()
    assert lines == ["test\tRun tests", "--report-format=JUNIT-STEP", "config\tMigrate KUTTL config to Chainsaw",
                     "tests\tMigrate KUTTL tests to Chainsaw", "suite/"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_scripts_name_the_program_and_honour_no_descriptions(cli: Cli, shell: str) -> None:
    script = cli("completion", shell).out
    assert "chainsaw-py" in script and "__complete" in script and "__completeNoDesc" not in script
    assert "__completeNoDesc" in cli("completion", shell, "--no-descriptions").out


# Upstream's published reference (website/docs/reference/commands/), with the program's name.
DOCS_PAGE = """## chainsaw-py docs

Generate reference documentation

```
chainsaw-py docs [flags]
```

### Options

```
      --autogenTag      Determines if the generated docs should contain a timestamp (default true)
  -h, --help            help for docs
  -o, --output string   Output path (default ".")
      --website         Website version
```

### SEE ALSO

* [chainsaw-py](chainsaw-py.md)\t - Stronger tool for e2e testing

"""
KUTTL_PAGE = """## chainsaw-py migrate kuttl

Migrate KUTTL resources to Chainsaw

```
chainsaw-py migrate kuttl [flags]
```

### Options

```
  -h, --help   help for kuttl
```

### SEE ALSO

* [chainsaw-py migrate](chainsaw-py_migrate.md)\t - Migrate resources to Chainsaw
* [chainsaw-py migrate kuttl config](chainsaw-py_migrate_kuttl_config.md)\t - Migrate KUTTL config to Chainsaw
* [chainsaw-py migrate kuttl tests](chainsaw-py_migrate_kuttl_tests.md)\t - Migrate KUTTL tests to Chainsaw

"""
COMPLETION_HEAD = """## chainsaw-py completion

Generate the autocompletion script for the specified shell

### Synopsis

Generate the autocompletion script for chainsaw-py for the specified shell.
See each sub-command's help for details on how to use the generated script.


### Options
"""


def test_docs_writes_a_page_per_command(cli: Cli, tmp_path: Path) -> None:
    result = cli("docs", "--output", "reference/commands", "--autogenTag=false")
    assert (result.code, result.out, result.err) == (0, "", "")
    folder = tmp_path / "reference" / "commands"
    names = sorted(path.name for path in folder.iterdir())
    assert names == sorted(["chainsaw-py.md", "chainsaw-py_assert.md", "chainsaw-py_build.md",
                            "chainsaw-py_build_docs.md", "chainsaw-py_cluster.md", "chainsaw-py_cluster_serve.md",
                            "chainsaw-py_completion.md", *(f"chainsaw-py_completion_{shell}.md" for shell in
                                                            ("bash", "zsh", "fish", "powershell")),
                            "chainsaw-py_create.md", "chainsaw-py_create_test.md", "chainsaw-py_docs.md",
                            "chainsaw-py_export.md", "chainsaw-py_export_schemas.md", "chainsaw-py_lint.md",
                            "chainsaw-py_migrate.md", "chainsaw-py_migrate_kuttl.md",
                            "chainsaw-py_migrate_kuttl_config.md", "chainsaw-py_migrate_kuttl_tests.md",
                            "chainsaw-py_renovate.md", "chainsaw-py_renovate_config.md", "chainsaw-py_report.md",
                            "chainsaw-py_report_merge.md", "chainsaw-py_test.md",
                            "chainsaw-py_version.md"])
    assert (folder / "chainsaw-py_docs.md").read_text(encoding="utf-8") == DOCS_PAGE
    assert (folder / "chainsaw-py_migrate_kuttl.md").read_text(encoding="utf-8") == KUTTL_PAGE
    assert (folder / "chainsaw-py_completion.md").read_text(encoding="utf-8").startswith(COMPLETION_HEAD)
    test_page = (folder / "chainsaw-py_test.md").read_text(encoding="utf-8")
    assert "```\nchainsaw-py test [flags]... [test directories]...\n```\n" in test_page
    assert "      --shard-index --shard-count                 Current shard index (if --shard-count > 0)\n" in test_page


def test_docs_website_version_and_autogen_tag(cli: Cli, tmp_path: Path) -> None:
    assert cli("docs", "-o", "site", "--website").code == 0
    page = (tmp_path / "site" / "chainsaw-py_docs.md").read_text(encoding="utf-8")
    assert re.match(r'---\ndate: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\ntitle: "chainsaw-py docs"\n'
                    r"weight: 35\n---\n## chainsaw-py docs\n", page)
    assert "* [chainsaw-py](../chainsaw-py)\t - Stronger tool for e2e testing\n" in page
    assert re.search(r"\n###### Auto generated by chainsaw_py on \d{1,2}-[A-Z][a-z]{2}-\d{4}\n$", page)


@pytest.mark.parametrize(("argv", "message"), [
    (["docs", "--output", ""], "path is required"),
    (["docs", "--output", "x", "extra"], 'unknown command "extra" for "chainsaw-py docs"'),
    (["docs", "--foo"], "unknown flag: --foo"),
])
def test_docs_errors(cli: Cli, argv: list[str], message: str) -> None:
    result = cli(*argv)
    assert (result.code, result.err) == (1, f"Error: {message}\n")
