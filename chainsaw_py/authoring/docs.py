"""``build docs``: a README per test folder and an optional catalog, laid out as upstream's templates do.

Per test (several tests of one folder are concatenated in file order)::

    # Test: `<name>`

    <description or *No description*>

    ## Bindings            (only when the test has bindings: #, `name`, value as JSON)
    ## Steps               (#, [name](#step-name), bindings, try, catch + test catch, finally, cleanup counts)
    ### Step: `<name>`     (per step: description, then Bindings, Try, Catch, Finally, Cleanup tables,
                            each only when the step has entries; Catch lists the test's catch first)

    ---

Steps without a name are called ``step-<n>``. Binding values are printed with Go's ``json.Marshal`` (sprig's
``toJson``: sorted keys, ``<``/``>``/``&`` escaped). The catalog lists every test as ``- [name](path)``,
the path to its README relative to the catalog's folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.golang.filepath import RelError, directory, relative
from chainsaw_py.golang.fmt import json_marshal
from chainsaw_py.loading.model import Binding, Operation, Step, Test

NO_DESCRIPTION = "*No description*"
_OPERATION_NAMES = {"podLogs": "pod logs"}
_STEPS_HEADER = ("| # | Name | Bindings | Try | Catch | Finally | Cleanup |\n"
                 "|:-:|---|:-:|:-:|:-:|:-:|:-:|")
_BINDINGS_HEADER = "| # | Name | Value |\n|:-:|---|---|"
_OPERATIONS_HEADER = "| # | Operation | Bindings | Outputs | Description |\n|:-:|---|:-:|:-:|---|"


@dataclass
class DocumentedTest:
    """A test to document and the folder it was found in (as discovery spelled it)."""

    test: Test
    folder: str


def render_readme(tests: Sequence[Test]) -> str:
    """The README of one folder holding ``tests``."""
    return "".join(_render_test(test) for test in tests)


def render_catalog(tests: Sequence[DocumentedTest], readme_file: str, catalog_path: str) -> str:
    """The catalog file at ``catalog_path`` linking every test's README."""
    base = directory(catalog_path)
    try:
        lines = [f"\n- [{item.test.name}]({relative(base, gopath.join(item.folder, readme_file))})"
                 for item in tests]
    except RelError as error:
        raise ChainsawError(str(error)) from None
    return "# Tests catalog\n" + "".join(lines) + "\n"


def build_docs(test_dirs: Sequence[str], test_file: str = "chainsaw-test", readme_file: str = "README.md",
               catalog: str = "") -> list[str]:
    """Write the README of every test folder under ``test_dirs`` (and the catalog); returns the files written.

    As upstream, no test directory means no tests (the current directory is not searched).
    """
    tests = discover(test_dirs, test_file)
    written: list[str] = []
    for folder, folder_tests in _by_folder(tests).items():
        written.append(_write(gopath.join(folder, readme_file), render_readme(folder_tests)))
    if catalog:
        written.append(_write(catalog, render_catalog(tests, readme_file, catalog)))
    return written


def discover(test_dirs: Sequence[str], test_file: str) -> list[DocumentedTest]:
    if not test_dirs:
        return []
    from chainsaw_py.loading.discovery import discover_tests

    return [DocumentedTest(found.test, gopath.clean(str(found.base_path)))
            for found in discover_tests(list(test_dirs), test_file=test_file)]


def _by_folder(tests: Sequence[DocumentedTest]) -> dict[str, list[Test]]:
    grouped: dict[str, list[Test]] = {}
    for item in tests:
        grouped.setdefault(item.folder, []).append(item.test)
    return grouped


def _write(path: str, content: str) -> str:
    try:
        Path(path).write_text(content, encoding="utf-8")
    except OSError as err:
        raise ChainsawError(f"cannot write {path}: {err.strerror or err}") from None
    return path


# --- one test ---------------------------------------------------------------------------------------------------


def _render_test(test: Test) -> str:
    spec = test.spec
    parts = [f"# Test: `{test.name}`\n\n{spec.description or NO_DESCRIPTION}"]
    if spec.bindings:
        parts.append(_bindings_table("## Bindings", spec.bindings))
    parts.append("\n\n## Steps")
    if spec.steps:
        parts.append("\n\n" + _STEPS_HEADER + "".join(
            _step_row(index, step, len(spec.catch)) for index, step in enumerate(spec.steps)))
    for index, step in enumerate(spec.steps):
        parts.append(_render_step(index, step, spec.catch))
    parts.append("\n\n---\n\n")
    return "".join(parts)


def _step_name(index: int, step: Step) -> str:
    return step.name or f"step-{index + 1}"


def _step_row(index: int, step: Step, test_catch: int) -> str:
    name = _step_name(index, step)
    counts = (len(step.bindings), len(step.try_), len(step.catch) + test_catch, len(step.finally_),
              len(step.cleanup))
    return f"\n| {index + 1} | [{name}](#step-{name}) | " + " | ".join(map(str, counts)) + " |"


def _render_step(index: int, step: Step, test_catch: Sequence[Operation]) -> str:
    parts = [f"\n\n### Step: `{_step_name(index, step)}`\n\n{step.description or NO_DESCRIPTION}"]
    if step.bindings:
        parts.append(_bindings_table("#### Bindings", step.bindings))
    blocks = (("Try", step.try_), ("Catch", [*test_catch, *step.catch] if step.catch else []),
              ("Finally", step.finally_), ("Cleanup", step.cleanup))
    for title, operations in blocks:
        if operations:
            parts.append(f"\n\n#### {title}\n\n{_OPERATIONS_HEADER}"
                         + "".join(_operation_row(number, operation)
                                   for number, operation in enumerate(operations, start=1)))
    return "".join(parts)


def _bindings_table(title: str, bindings: Sequence[Binding]) -> str:
    rows = "".join(f"\n| {number} | `{binding.name}` | {json_marshal(binding.value)} |"
                   for number, binding in enumerate(bindings, start=1))
    return f"\n\n{title}\n\n{_BINDINGS_HEADER}{rows}"


def _operation_row(number: int, operation: Operation) -> str:
    name = _OPERATION_NAMES.get(operation.type, operation.type)
    bindings = len(getattr(operation.action, "bindings", None) or [])
    outputs = len(getattr(operation.action, "outputs", None) or [])
    return f"\n| {number} | `{name}` | {bindings} | {outputs} | {operation.description or NO_DESCRIPTION} |"
