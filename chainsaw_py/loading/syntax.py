"""Load-time syntax checks of the expressions in a Test, StepTemplate or Configuration document.

Chainsaw parses Expression fields (``file``, ``name``, ``selector``, binding names...) when it loads a
file, and compiles whole assertion trees before it runs an operation, so a syntax error there can only
ever fail. chainsaw_py reports all of them at load time, each checked with the compiler that will
apply to it: an inline ``(jp; ...)``/``(cel; ...)``/``(jsonpath; ...)`` prefix, else the nearest
``compiler:`` (binding value, operation, step, test), else the configuration's default.

Checked: Expression fields; binding, output and env names and values; assertion trees (``assert`` and
``error`` inline resources, ``check``, ``match``, ``expect``) keys and values; namespace templates.
Not checked: inline resources of apply/create/patch/update/delete, whose templating can be switched off.
"""

from __future__ import annotations

import re
from typing import Any

from chainsaw_py.errors import LoadError
from chainsaw_py.golang.fmt import quote
from chainsaw_py.grammar import ExpressionSyntaxError, check_field_syntax
from chainsaw_py.grammar.statement import binding_search
from chainsaw_py.yamldocs import Document, YamlPath

_FOREACH = re.compile(r"~(\w+)?\.(.*)", re.ASCII)

_EXPRESSION_FIELDS = ("file", "apiVersion", "kind", "namespace", "name", "selector", "container", "format",
                      "port", "path")
_TREE_FIELDS = ("check",)
_ACTION_FIELDS = ("cluster", *_EXPRESSION_FIELDS)


def check_test_expressions(document: Document, default_compiler: str = "jp") -> list[LoadError]:
    checker = _Checker(document)
    spec = _mapping(document.data.get("spec"))
    compiler = spec.get("compiler") or default_compiler
    path: YamlPath = ("spec",)
    checker.bindings(spec.get("bindings"), (*path, "bindings"), compiler)
    for index, scenario in enumerate(_list(spec.get("scenarios"))):
        scenario_bindings = _mapping(scenario).get("bindings")
        checker.bindings(scenario_bindings, (*path, "scenarios", index, "bindings"), compiler)
    checker.field(spec.get("cluster"), (*path, "cluster"), compiler)
    checker.projection(spec.get("namespaceTemplate"), (*path, "namespaceTemplate"),
                       spec.get("namespaceTemplateCompiler") or compiler)
    checker.operations(spec.get("catch"), (*path, "catch"), compiler)
    for index, step in enumerate(_list(spec.get("steps"))):
        checker.step(_mapping(step), (*path, "steps", index), compiler)
    return checker.errors


def check_step_template_expressions(document: Document, compiler: str = "jp") -> list[LoadError]:
    """Checks a StepTemplate with ``compiler`` (the compiler of the step using it)."""
    checker = _Checker(document)
    checker.step_lists(_mapping(document.data.get("spec")), ("spec",), compiler)
    return checker.errors


def check_configuration_expressions(document: Document) -> list[LoadError]:
    checker = _Checker(document)
    spec = _mapping(document.data.get("spec"))
    if document.data.get("apiVersion", "").endswith("/v1alpha1"):
        compiler = spec.get("compiler") or "jp"
        checker.projection(spec.get("namespaceTemplate"), ("spec", "namespaceTemplate"),
                           spec.get("namespaceTemplateCompiler") or compiler)
        checker.operations(spec.get("catch"), ("spec", "catch"), compiler)
        return checker.errors
    compiler = _mapping(spec.get("templating")).get("compiler") or "jp"
    namespace = _mapping(spec.get("namespace"))
    checker.projection(namespace.get("template"), ("spec", "namespace", "template"),
                       namespace.get("compiler") or compiler)
    checker.operations(_mapping(spec.get("error")).get("catch"), ("spec", "error", "catch"), compiler)
    return checker.errors


class _Checker:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.errors: list[LoadError] = []

    def report(self, path: YamlPath, message: str) -> None:
        self.errors.append(self.document.error(message, path))

    # --- leaves ---------------------------------------------------------------------------

    def field(self, value: Any, path: YamlPath, compiler: str) -> None:
        if not isinstance(value, str) or value[:1] != "(" or value[-1:] != ")":
            return  # only "(...)" can be an expression (the rest is plain or escaped text)
        try:
            check_field_syntax(value, compiler)
        except ExpressionSyntaxError as err:
            self.report(path, f"invalid expression {quote(value)}: {err}")

    def projection(self, value: Any, path: YamlPath, compiler: str) -> None:
        """A templated value: string leaves are expressions, map keys are not evaluated."""
        if isinstance(value, dict):
            for key, child in value.items():
                self.projection(child, (*path, key), compiler)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.projection(child, (*path, index), compiler)
        else:
            self.field(value, path, compiler)

    def tree(self, value: Any, path: YamlPath, compiler: str) -> None:
        """An assertion tree: keys and string values are compiled before the operation runs."""
        if isinstance(value, dict):
            for key, child in value.items():
                self.field(_key_statement(key), (*path, key), compiler)
                self.tree(child, (*path, key), compiler)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self.tree(child, (*path, index), compiler)
        elif isinstance(value, str):
            if _FOREACH.match(value) or binding_search(value):
                feature = "foreach" if _FOREACH.match(value) else "binding"
                message = f"{feature} is not supported in scalar projections"
                self.report(path, f"invalid value {quote(value)}: {message}")
            else:
                self.field(value, path, compiler)

    def bindings(self, bindings: Any, path: YamlPath, compiler: str) -> None:
        for index, binding in enumerate(_list(bindings)):
            binding = _mapping(binding)
            self.field(binding.get("name"), (*path, index, "name"), compiler)
            value_compiler = binding.get("compiler") or compiler
            self.projection(binding.get("value"), (*path, index, "value"), value_compiler)
            if "match" in binding:
                self.tree(binding.get("match"), (*path, index, "match"), compiler)

    # --- structure ------------------------------------------------------------------------

    def step(self, step: dict[str, Any], path: YamlPath, compiler: str) -> None:
        compiler = step.get("compiler") or compiler
        self.field(step.get("cluster"), (*path, "cluster"), compiler)
        with_ = _mapping(_mapping(step.get("use")).get("with"))
        self.bindings(with_.get("bindings"), (*path, "use", "with", "bindings"), compiler)
        self.step_lists(step, path, compiler)

    def step_lists(self, step: dict[str, Any], path: YamlPath, compiler: str) -> None:
        self.bindings(step.get("bindings"), (*path, "bindings"), compiler)
        for block in ("try", "catch", "finally", "cleanup"):
            self.operations(step.get(block), (*path, block), compiler)

    def operations(self, entries: Any, path: YamlPath, compiler: str) -> None:
        for index, entry in enumerate(_list(entries)):
            entry = _mapping(entry)
            entry_compiler = entry.get("compiler") or compiler
            for kind, action in entry.items():
                if kind not in ("description", "continueOnError", "compiler"):
                    self.action(kind, _mapping(action), (*path, index, kind), entry_compiler)

    def action(self, kind: str, action: dict[str, Any], path: YamlPath, compiler: str) -> None:
        for name in _ACTION_FIELDS:
            if name in action:
                self.field(action[name], (*path, name), compiler)
        for name in ("bindings", "outputs", "env"):
            if name in action:
                self.bindings(action[name], (*path, name), compiler)
        for name in _TREE_FIELDS:
            if name in action:
                self.tree(action[name], (*path, name), compiler)
        for index, expectation in enumerate(_list(action.get("expect"))):
            for name in ("match", "check"):
                self.tree(_mapping(expectation).get(name), (*path, "expect", index, name), compiler)
        if kind in ("assert", "error"):
            self.tree(action.get("resource"), (*path, "resource"), compiler)
        reference = _mapping(action.get("ref"))
        for name in ("apiVersion", "kind", "namespace", "name"):
            self.field(reference.get(name), (*path, "ref", name), compiler)
        wait_for = _mapping(action.get("for"))
        for condition in ("condition", "jsonPath"):
            fields = _mapping(wait_for.get(condition))
            for name in ("name", "path", "value"):
                self.field(fields.get(name), (*path, "for", condition, name), compiler)


def _key_statement(key: str) -> str:
    """What kyverno-json compiles for a map key: the key without its ``~name.`` and ``-> name`` parts."""
    foreach = _FOREACH.match(key)
    if foreach:
        key = foreach.group(2)
    binding = binding_search(key)
    if binding:
        key = binding.group(1)
    return key


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
