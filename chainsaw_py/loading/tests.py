"""Loading Test and StepTemplate files, and merging step templates into the steps that use them.

A test file holds one or more ``chainsaw.kyverno.io/v1alpha1`` Test documents (anything else is
``type not supported <gvk>``); a step template file holds exactly one StepTemplate. Every document is
validated against the schema, then its expressions are syntax-checked, before it becomes a model object.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from chainsaw_py.errors import LoadError
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.loading.model import ObjectMeta, Operation, Step, StepTemplate, Test
from chainsaw_py.loading.syntax import check_step_template_expressions, check_test_expressions
from chainsaw_py.loading.validate import describe_value, validate_document
from chainsaw_py.yamldocs import Document, PathPart, gc_paused, read_documents

GROUP_VERSION = "chainsaw.kyverno.io/v1alpha1"


def gvk_string(api_version: Any, kind: Any) -> str:
    """Go's ``GroupVersionKind.String()``: ``chainsaw.kyverno.io/v1alpha1, Kind=Test``, ``/v1, Kind=Pod``."""
    api_version = api_version if isinstance(api_version, str) else ""
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind if isinstance(kind, str) else ''}"


def check_kind(document: Document, expected_kind: str, versions: tuple[str, ...] = (GROUP_VERSION,)) -> str:
    """Check the document is an object of ``expected_kind`` at one of ``versions``; return the version."""
    data = document.data
    if not isinstance(data, dict):
        raise document.error(f"expected a {expected_kind} object, got {describe_value(data)}")
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not api_version and not kind:
        raise document.error(f"missing apiVersion and kind (expected apiVersion: {versions[-1]}, "
                             f"kind: {expected_kind})")
    if kind != expected_kind or api_version not in versions:
        raise document.error(f"type not supported {gvk_string(api_version, kind)}")
    return str(api_version).rpartition("/")[2]


def load_test_file(path: str | Path, default_compiler: str = "jp", base_path: str | Path | None = None,
                   resolve_templates: bool = True) -> list[Test]:
    """Every Test in the file, validated, with ``base_path`` (default: the file's folder) and ``file`` set.

    Steps that ``use`` a step template are replaced by the merged step (templates are found relative
    to ``base_path``) unless ``resolve_templates`` is false.
    """
    with gc_paused():
        documents = read_documents(path)
        tests = [parse_test(document, default_compiler) for document in documents]
    if not tests:
        raise LoadError(f"found no test in {path}")
    folder = Path(base_path) if base_path is not None else Path(path).parent
    for test, document in zip(tests, documents, strict=True):
        test.base_path = folder
        test.file = Path(path)
        if resolve_templates:
            resolve_step_templates(test, document, folder, default_compiler)
    return tests


def parse_test(document: Document, default_compiler: str = "jp") -> Test:
    check_kind(document, "Test")
    validate_document(document, "Test", "v1alpha1")
    _raise_first(check_test_expressions(document, default_compiler))
    test = Test.from_dict(document.data)
    _blank_null_labels(test.metadata)
    spec_path: tuple[PathPart, ...] = ("spec",)
    _set_operation_lines(test.spec.catch, document, (*spec_path, "catch"))
    for index, step in enumerate(test.spec.steps):
        _set_step_lines(step, document, (*spec_path, "steps", index))
    return test


def load_step_template(path: str | Path, compiler: str = "jp") -> list[StepTemplate]:
    """The StepTemplates in the file (Chainsaw requires exactly one where a step uses it)."""
    documents = read_documents(path)
    templates = [parse_step_template(document, compiler) for document in documents]
    if not templates:
        raise LoadError("found no step template", path)
    return templates


def parse_step_template(document: Document, compiler: str = "jp") -> StepTemplate:
    check_kind(document, "StepTemplate")
    validate_document(document, "StepTemplate", "v1alpha1")
    _raise_first(check_step_template_expressions(document, compiler))
    template = StepTemplate.from_dict(document.data)
    _set_step_lines(template.spec, document, ("spec",))
    return template


def resolve_step_templates(test: Test, document: Document, base_path: str | Path,
                           default_compiler: str = "jp") -> None:
    """Replace every ``use:`` step of ``test`` (parsed from ``document``) by the merged step, in place.

    Template paths are joined to ``base_path`` like Go's ``filepath.Join`` (so even absolute paths are
    taken relative to it, as Chainsaw does).
    """
    compiler = test.spec.compiler or default_compiler
    for index, step in enumerate(test.spec.steps):
        if step.use is None:
            continue
        where = ("spec", "steps", index, "use", "template")
        template_path = gopath.join(str(base_path), step.use.template)
        try:
            templates = load_step_template(template_path, step.compiler or compiler)
        except LoadError as err:
            if err.file != template_path or err.line is not None:
                raise
            raise document.error(f"cannot load step template {template_path}: {err.message}", where) from None
        if len(templates) != 1:
            raise document.error(f"step template not found or multiple templates exist ({len(templates)} in "
                                 f"{template_path})", where)
        test.spec.steps[index] = merge_step_template(step, templates[0])


def merge_step_template(step: Step, template: StepTemplate) -> Step:
    """Chainsaw's merge: bindings = step + template + ``with`` (later ones hide earlier ones); try, catch,
    finally and cleanup = step's then template's; ``use`` cleared."""
    assert step.use is not None
    spec = template.spec
    return dataclasses.replace(
        step,
        use=None,
        bindings=[*step.bindings, *spec.bindings, *step.use.with_.bindings],
        try_=[*step.try_, *spec.try_],
        catch=[*step.catch, *spec.catch],
        finally_=[*step.finally_, *spec.finally_],
        cleanup=[*step.cleanup, *spec.cleanup],
    )


def _set_step_lines(step: Any, document: Document, path: tuple[PathPart, ...]) -> None:
    for block, name in (("try_", "try"), ("catch", "catch"), ("finally_", "finally"), ("cleanup", "cleanup")):
        _set_operation_lines(getattr(step, block), document, (*path, name))


def _set_operation_lines(operations: list[Operation], document: Document, path: tuple[PathPart, ...]) -> None:
    for index, operation in enumerate(operations):
        operation.line = document.line_of((*path, index))


def _blank_null_labels(metadata: ObjectMeta) -> None:
    metadata.labels = {key: value if value is not None else "" for key, value in metadata.labels.items()}
    metadata.annotations = {key: value if value is not None else "" for key, value in
                            metadata.annotations.items()}


def _raise_first(errors: list[LoadError]) -> None:
    if errors:
        raise errors[0]
