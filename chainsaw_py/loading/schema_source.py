"""The source of chainsaw_py's JSON Schemas (``chainsaw_py/schemas/*.json``).

The schemas are built here so that the pieces Test, StepTemplate and Configuration share (operations,
bindings, clusters, ...) are written once; the JSON files are the shipped artifact that validation,
``lint`` and ``export schemas`` use. After changing this module, regenerate them with
``python -m chainsaw_py.loading.schema_source`` (a test fails while they are out of date).

They are as strict as Chainsaw's (unknown fields rejected, one operation per entry, ``use`` exclusive with
``try``/``catch``/``finally``/``cleanup``, required fields, enums) and also check Go durations and binding
names with patterns. chainsaw_py extensions: the compiler value ``jsonpath`` is accepted wherever a
compiler is, and the ``python`` operation (``EXTENSION_OPERATIONS``) in try, catch, finally and cleanup.
Upstream Chainsaw rejects files that use either.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from chainsaw_py.loading.model import OPERATION_KINDS
from chainsaw_py.loading.patterns import (
    BINDING_NAME_PATTERN,
    COMPILERS,
    DURATION_FORMAT,
    DURATION_PATTERN,
    FORMAT_PATTERN,
    FUNCTION_PATTERN,
)

Schema = dict[str, Any]

DRAFT = "http://json-schema.org/draft-07/schema#"
GROUP = "chainsaw.kyverno.io"
PROPAGATION_POLICIES = ["Orphan", "Background", "Foreground"]
REPORT_FORMATS = ["JSON", "XML", "JUNIT-TEST", "JUNIT-STEP", "JUNIT-OPERATION"]

TRY_OPERATIONS = list(OPERATION_KINDS)
CATCH_OPERATIONS = [key for key, kind in OPERATION_KINDS.items() if kind.in_catch]
EXTENSION_OPERATIONS = [key for key, kind in OPERATION_KINDS.items() if kind.extension]
"""Operations only chainsaw_py runs (in both lists above; upstream Chainsaw's schemas do not have them)."""


SCHEMA_FILES: dict[str, tuple[str, str]] = {
    "configuration-chainsaw-v1alpha1.json": ("Configuration", "v1alpha1"),
    "configuration-chainsaw-v1alpha2.json": ("Configuration", "v1alpha2"),
    "steptemplate-chainsaw-v1alpha1.json": ("StepTemplate", "v1alpha1"),
    "test-chainsaw-v1alpha1.json": ("Test", "v1alpha1"),
}
"""File name -> (kind, version), named like Chainsaw's ``<kind>-chainsaw-<version>.json``."""


# ---------------------------------------------------------------------------------------------
# Small builders


def ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


def string(description: str = "", nullable: bool = True, **extra: Any) -> Schema:
    return _describe({"type": ["string", "null"] if nullable else "string", **extra}, description)


def boolean(description: str = "", **extra: Any) -> Schema:
    return _describe({"type": ["boolean", "null"], **extra}, description)


def integer(description: str = "", **extra: Any) -> Schema:
    return _describe({"type": ["integer", "null"], **extra}, description)


def array(items: Schema, description: str = "", nullable: bool = True, **extra: Any) -> Schema:
    schema = {"type": ["array", "null"] if nullable else "array", "items": items, **extra}
    return _describe(schema, description)


def anything(description: str) -> Schema:
    return {"description": description}


def duration(description: str = "", nullable: bool = True, **extra: Any) -> Schema:
    """A Go duration: the pattern gives the syntax, the ``go-duration`` format the range (Go's int64
    nanoseconds, so ``99999999999999999999h`` is refused as ``time.ParseDuration`` refuses it)."""
    return string(description or "A Go duration such as 30s, 1m30s or 500ms.", nullable,
                  pattern=DURATION_PATTERN, format=DURATION_FORMAT, **extra)


def obj(properties: dict[str, Schema], description: str = "", required: tuple[str, ...] = (),
        nullable: bool = True, **extra: Any) -> Schema:
    schema: Schema = {"type": ["object", "null"] if nullable else "object"}
    if required:
        schema["required"] = list(required)
    schema.update({"additionalProperties": False, "properties": dict(sorted(properties.items())), **extra})
    return _describe(schema, description)


def string_map(description: str) -> Schema:
    return _describe({"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
                     description)


def _describe(schema: Schema, description: str) -> Schema:
    return {"description": description, **schema} if description else schema


def exclusive(*names: str) -> Schema:
    """A ``not`` clause: at most one of ``names`` may be set."""
    return {"not": {"required": list(names)}}


# ---------------------------------------------------------------------------------------------
# Shared definitions

EXPR = "An expression field: a literal, (jmespath), (jp; ...), (cel; ...), (jsonpath; ...) or \\escaped\\."


def _object_meta() -> Schema:
    owner_reference = obj({
        "apiVersion": string(nullable=False), "kind": string(nullable=False), "name": string(nullable=False),
        "uid": string(nullable=False), "controller": boolean(), "blockOwnerDeletion": boolean(),
    }, required=("apiVersion", "kind", "name", "uid"), nullable=False)
    managed_field = obj({
        "apiVersion": string(), "fieldsType": string(), "fieldsV1": {"type": ["object", "null"]},
        "manager": string(), "operation": string(), "subresource": string(), "time": string(),
    }, nullable=False)
    return obj({
        "name": string("The name; tests are displayed and selected by it."),
        "generateName": string(), "namespace": string(),
        "labels": string_map("Labels, matched by --selector."),
        "annotations": string_map("Annotations."),
        "uid": string(), "resourceVersion": string(), "selfLink": string(),
        "generation": integer(),
        "creationTimestamp": string(), "deletionTimestamp": string(),
        "deletionGracePeriodSeconds": integer(),
        "finalizers": array({"type": ["string", "null"]}),
        "ownerReferences": array(owner_reference),
        "managedFields": array(managed_field),
    }, "Standard Kubernetes object metadata.")


def _shared_definitions() -> dict[str, Schema]:
    binding_properties: dict[str, Schema] = {
        "name": string("The binding name: a word, or an expression that evaluates to one.", nullable=False,
                       pattern=BINDING_NAME_PATTERN),
        "compiler": ref("Compiler"),
        "value": anything("The value: any YAML; string leaves like (expr) are evaluated."),
    }
    return {
        "ObjectMeta": _object_meta(),
        "Compiler": {"description": "Expression language: jp (JMESPath, the default), cel, or jsonpath "
                                    "(a chainsaw_py extension, not portable to upstream Chainsaw).",
                     "type": "string", "enum": COMPILERS},
        "Duration": duration(),
        "PropagationPolicy": string("How dependents are deleted.", enum=PROPAGATION_POLICIES),
        "Binding": obj(binding_properties, "A named value.", required=("name", "value"), nullable=False),
        "Output": obj({**binding_properties, "match": anything("An assertion tree; the output is only bound "
                                                               "when it matches.")},
                      "A binding set from the result of the operation.", required=("name", "value"),
                      nullable=False),
        "Expectation": obj({"match": anything("An assertion tree selecting the resources this applies to."),
                            "check": anything("An assertion tree checked against the result ($error, @).")},
                           "A check applied to the result of an operation.", required=("check",),
                           nullable=False),
        "Cluster": obj({"kubeconfig": string("Path to a kubeconfig file.", nullable=False),
                        "context": string("Context to use in the kubeconfig.")},
                       "A cluster reached through a kubeconfig.", required=("kubeconfig",), nullable=False),
        "Clusters": {"description": "Clusters registered by name.", "type": ["object", "null"],
                     "additionalProperties": ref("Cluster")},
        "Timeouts": obj({name: ref("Duration") for name in ("apply", "assert", "cleanup", "delete", "error",
                                                            "exec")},
                        "Per-operation-kind timeouts overriding the configuration."),
        **_operation_definitions(),
    }


def _common_action(*, bindings: bool = False, outputs: bool = False) -> dict[str, Schema]:
    properties: dict[str, Schema] = {
        "cluster": string("The cluster to use (an expression); empty means the default cluster."),
        "clusters": ref("Clusters"),
        "timeout": ref("Duration"),
    }
    if bindings:
        properties["bindings"] = array(ref("Binding"), "Bindings available to this operation.")
    if outputs:
        properties["outputs"] = array(ref("Output"), "Bindings set from the operation's result.")
    return properties


def _resource_action(*, inline_object: bool) -> dict[str, Schema]:
    resource = ({"description": "An inline resource.", "type": ["object", "null"]} if inline_object
                else anything("An inline resource or assertion tree."))
    return {"file": string("A file (glob, URL or expression) holding the resources. " + EXPR),
            "resource": resource,
            "template": boolean("Whether to template the resource.")}


def _write_action(*, subresource: bool = False) -> Schema:
    properties = {
        **_common_action(bindings=True, outputs=True), **_resource_action(inline_object=True),
        "dryRun": boolean("Send the request with dryRun=All (nothing is persisted or cleaned up)."),
        "expect": array(ref("Expectation"), "Checks applied to the result."),
    }
    if subresource:
        properties["subresource"] = string("The subresource to patch, e.g. status.")
    return obj(properties, **exclusive("file", "resource"))


def _check_action() -> Schema:
    return obj({**_common_action(bindings=True), **_resource_action(inline_object=False)},
               **exclusive("file", "resource"))


def _exec_action(extra: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    properties = {
        **_common_action(bindings=True, outputs=True),
        "env": array(ref("Binding"), "Environment variables (values must be strings)."),
        "check": anything("An assertion tree checked against the result ($error, $stdout, $stderr)."),
        "workDir": string("The working directory, relative to the test folder."),
        "skipLogOutput": boolean("Do not log the output."),
        "skipCommandOutput": boolean("Do not log the command."),
        **extra,
    }
    return obj(properties, required=required)


def _object_selector(*, typed: bool, required: bool) -> dict[str, Schema]:
    properties: dict[str, Schema] = {
        "namespace": string("Namespace of the objects. " + EXPR),
        "name": string("Name of the object. " + EXPR),
        "selector": string("Label selector. " + EXPR),
    }
    if typed:
        properties["apiVersion"] = string("API version of the objects. " + EXPR, nullable=not required)
        properties["kind"] = string("Kind of the objects. " + EXPR, nullable=not required)
    return properties


def _operation_definitions() -> dict[str, Schema]:
    fmt = string("Output format: json, yaml or an expression.", pattern=FORMAT_PATTERN)
    object_reference = obj({
        "apiVersion": string("API version. " + EXPR, nullable=False),
        "kind": string("Kind. " + EXPR, nullable=False),
        "namespace": string("Namespace. " + EXPR), "name": string("Name. " + EXPR),
        "labels": string_map("Label selector (equality)."),
    }, "The objects to delete.", required=("apiVersion", "kind"))
    wait_for = obj({
        "creation": obj({}, "Wait until the objects exist."),
        "deletion": obj({}, "Wait until the objects are deleted."),
        "condition": obj({"name": string("Condition type. " + EXPR, nullable=False),
                          "value": string("Condition status. " + EXPR)},
                         "Wait for a condition.", required=("name",)),
        "jsonPath": obj({"path": string("JSONPath to read. " + EXPR, nullable=False),
                         "value": string("Expected value. " + EXPR)},
                        "Wait for a JSONPath value.", required=("path",)),
    }, "What to wait for.", nullable=False)
    return {
        "Apply": _write_action(),
        "Create": _write_action(),
        "Update": _write_action(),
        "Patch": _write_action(subresource=True),
        "Assert": _check_action(),
        "Error": _check_action(),
        "Command": _exec_action({
            "entrypoint": string("The program to run.", nullable=False),
            "args": array({"type": ["string", "null"]}, "Arguments; $VAR and ${VAR} are expanded."),
        }, required=("entrypoint",)),
        "Script": _exec_action({
            "content": string("The script, run as <shell> <shellArgs> <content>."),
            "shell": string("The shell (default sh)."),
            "shellArgs": array({"type": ["string", "null"]}, "Shell arguments (default [-c])."),
        }),
        "Delete": obj({
            **_common_action(bindings=True),
            "expect": array(ref("Expectation"), "Checks applied to the result."),
            "template": boolean("Whether to template the resource."),
            "file": string("A file holding the objects to delete. " + EXPR),
            "ref": object_reference,
            "deletionPropagationPolicy": ref("PropagationPolicy"),
        }, **exclusive("file", "ref")),
        "Describe": obj({**_common_action(), **_object_selector(typed=True, required=True),
                         "showEvents": boolean("Show events.")},
                        required=("apiVersion", "kind"), **exclusive("name", "selector")),
        "Events": obj({**_common_action(), **_object_selector(typed=False, required=False), "format": fmt},
                      **exclusive("name", "selector")),
        "Get": obj({**_common_action(), **_object_selector(typed=True, required=True), "format": fmt},
                   required=("apiVersion", "kind"), **exclusive("name", "selector")),
        "PodLogs": obj({**_common_action(), **_object_selector(typed=False, required=False),
                        "container": string("Container name. " + EXPR),
                        "tail": integer("Number of lines to show.")},
                       **exclusive("name", "selector")),
        "Proxy": obj({**_common_action(outputs=True),
                      "apiVersion": string("API version. " + EXPR, nullable=False),
                      "kind": string("Kind. " + EXPR, nullable=False),
                      "namespace": string("Namespace. " + EXPR), "name": string("Name. " + EXPR),
                      "port": string("Target port. " + EXPR), "path": string("Target path. " + EXPR)},
                     required=("apiVersion", "kind")),
        "Sleep": obj({"duration": duration("How long to sleep.", nullable=False)}, required=("duration",)),
        "Python": _python_action(),
        "Wait": obj({**_common_action(), **_object_selector(typed=True, required=True), "format": fmt,
                     "for": wait_for},
                    required=("apiVersion", "for", "kind"), **exclusive("name", "selector")),
        "Operation": _operation_entry(TRY_OPERATIONS, continue_on_error=True),
        "CatchFinally": _operation_entry(CATCH_OPERATIONS, continue_on_error=False),
    }


def _python_action() -> Schema:
    return obj({
        **_common_action(bindings=True),
        "function": string("The function to call: module:attr, or file.py:attr relative to the test folder. It "
                           "receives the operation context and the args as keyword arguments, and returns a "
                           "mapping of outputs (or None); raising fails the operation.", nullable=False,
                           pattern=FUNCTION_PATTERN),
        "args": {"description": "Keyword arguments, evaluated like binding values.", "type": ["object", "null"]},
    }, "chainsaw_py extension, not portable to upstream Chainsaw: call a Python function "
       "(see docs/embedding.md).", required=("function",))


def _operation_entry(kinds: list[str], *, continue_on_error: bool) -> Schema:
    properties: dict[str, Schema] = {
        "description": string("What the operation does."),
        "compiler": ref("Compiler"),
        **{kind: ref(kind[0].upper() + kind[1:]) for kind in kinds},
    }
    if continue_on_error:
        properties["continueOnError"] = boolean("Keep going with the step when this operation fails.")
    return obj(properties, f"Exactly one of: {', '.join(kinds)}.", nullable=False,
               oneOf=[{"required": [kind]} for kind in kinds])


# ---------------------------------------------------------------------------------------------
# Documents


def _step_lists(try_schema: Schema) -> dict[str, Schema]:
    return {
        "bindings": array(ref("Binding"), "Bindings available to the operations."),
        "try": try_schema,
        "catch": array(ref("CatchFinally"), "Run when the test has failed."),
        "finally": array(ref("CatchFinally"), "Always run at the end of the step."),
        "cleanup": array(ref("CatchFinally"), "Run when the test ends."),
    }


def _test_step() -> Schema:
    use = obj({
        "template": string("Path of a StepTemplate file, relative to the test folder.", nullable=False),
        "with": obj({"bindings": array(ref("Binding"), "Bindings overriding the template's.")},
                    default={}),
    }, "Use a step template.", required=("template",))
    properties: dict[str, Schema] = {
        "name": string("The step name (default: step #N)."),
        "use": use,
        "description": string("What the step does."),
        "timeouts": ref("Timeouts"),
        "deletionPropagationPolicy": ref("PropagationPolicy"),
        "cluster": string("The cluster to use (an expression)."),
        "clusters": ref("Clusters"),
        "skipDelete": boolean("Do not delete the resources created by this step."),
        "template": boolean("Whether to template resources."),
        "compiler": ref("Compiler"),
        **_step_lists(array(ref("Operation"), "Operations run in order.", minItems=1)),
    }
    uses_lists = {"required": ["use"], "anyOf": [{"required": [name]} for name in
                                                  ("try", "catch", "finally", "cleanup")]}
    step = obj(properties, "A test step.", nullable=False)
    step["not"] = uses_lists
    return step


def _test_spec() -> Schema:
    scenario = obj({"name": string("The scenario name."),
                    "bindings": array(ref("Binding"), "Bindings of this scenario.")},
                   "The test runs once per scenario.", nullable=False)
    return obj({
        "description": string("What the test does."),
        "steps": array(ref("TestStep"), "The steps, run in order.", nullable=False),
        "bindings": array(ref("Binding"), "Test bindings."),
        "scenarios": array(scenario, "Run the whole test once per scenario."),
        "timeouts": ref("Timeouts"),
        "skip": boolean("Skip the test."),
        "concurrent": boolean("Run concurrently with other tests (default true)."),
        "failFast": boolean("Accepted for compatibility; Chainsaw does not read it."),
        "skipDelete": boolean("Do not delete created resources or the test namespace."),
        "template": boolean("Whether to template resources."),
        "compiler": ref("Compiler"),
        "namespace": string("A fixed namespace for the test."),
        "namespaceTemplate": anything("Merged onto the test Namespace object."),
        "namespaceTemplateCompiler": ref("Compiler"),
        "fastNamespaceDeletion": boolean("Do not wait for the namespace deletion."),
        "cluster": string("The cluster to use (an expression)."),
        "clusters": ref("Clusters"),
        "catch": array(ref("CatchFinally"), "Run in every step when the test has failed."),
        "forceTerminationGracePeriod": ref("Duration"),
        "delayBeforeCleanup": ref("Duration"),
        "deletionPropagationPolicy": ref("PropagationPolicy"),
    }, "The test definition.", required=("steps",))


def _default_timeouts() -> Schema:
    defaults = {"apply": "5s", "assert": "30s", "cleanup": "30s", "delete": "15s", "error": "30s",
                "exec": "5s"}
    return obj({name: duration(default=value) for name, value in defaults.items()},
               "Default timeouts per operation kind.", default={})


def _configuration_v1alpha1_spec() -> Schema:
    return obj({
        "timeouts": _default_timeouts(),
        "skipDelete": boolean("Do not delete created resources."),
        "failFast": boolean("Skip the remaining tests after a failure."),
        "parallel": integer("Maximum number of tests run in parallel.", minimum=1),
        "repeatCount": integer("Run the suite this many times.", minimum=1),
        "reportFormat": string("Report format (empty: no report).", enum=REPORT_FORMATS),
        "reportPath": string("Folder of the report."),
        "reportName": string("Report file name.", default="chainsaw-report"),
        "namespace": string("Use this namespace for every test."),
        "namespaceTemplate": anything("Merged onto the Namespace objects."),
        "namespaceTemplateCompiler": ref("Compiler"),
        "fullName": boolean("Name tests with their path."),
        "includeTestRegex": string("Only run tests matching this regex."),
        "excludeTestRegex": string("Skip tests matching this regex."),
        "testFile": string("The test file name.", default="chainsaw-test"),
        "forceTerminationGracePeriod": ref("Duration"),
        "delayBeforeCleanup": ref("Duration"),
        "deletionPropagationPolicy": string("How dependents are deleted.", enum=PROPAGATION_POLICIES,
                                            default="Background"),
        "template": boolean("Whether to template resources.", default=True),
        "compiler": ref("Compiler"),
        "clusters": ref("Clusters"),
        "catch": array(ref("CatchFinally"), "Run in every step when a test has failed."),
        "fastNamespaceDeletion": boolean("Do not wait for namespace deletion."),
    }, "Configuration options.")


def _configuration_v1alpha2_spec() -> Schema:
    return obj({
        "cleanup": obj({"skipDelete": boolean("Do not delete created resources."),
                        "delayBeforeCleanup": ref("Duration")}, "Cleanup options.", default={}),
        "clusters": ref("Clusters"),
        "deletion": obj({"propagation": string("How dependents are deleted.", enum=PROPAGATION_POLICIES,
                                               default="Background")}, "Deletion options.", default={}),
        "discovery": obj({"testFile": string("The test file name.", default="chainsaw-test"),
                          "fullName": boolean("Name tests with their path."),
                          "includeTestRegex": string("Only run tests matching this regex."),
                          "excludeTestRegex": string("Skip tests matching this regex.")},
                         "Discovery options.", default={}),
        "error": obj({"catch": array(ref("CatchFinally"), "Run in every step when a test has failed.")},
                     "Error handling options.", default={}),
        "execution": obj({"failFast": boolean("Skip the remaining tests after a failure."),
                          "parallel": integer("Maximum number of tests run in parallel.", minimum=1),
                          "repeatCount": integer("Run the suite this many times.", minimum=1),
                          "forceTerminationGracePeriod": ref("Duration")},
                         "Execution options.", default={}),
        "namespace": obj({"name": string("Use this namespace for every test."),
                          "template": anything("Merged onto the Namespace objects."),
                          "compiler": ref("Compiler"),
                          "fastDelete": boolean("Do not wait for namespace deletion.")},
                         "Namespace options.", default={}),
        "report": obj({"format": string("Report format.", enum=REPORT_FORMATS, default="JSON"),
                       "path": string("Folder of the report."),
                       "name": string("Report file name.", default="chainsaw-report")},
                      "Report options (no report when absent)."),
        "templating": obj({"enabled": boolean("Whether to template resources.", default=True),
                           "compiler": ref("Compiler")}, "Templating options.", default={}),
        "timeouts": _default_timeouts(),
    }, "Configuration options.")


def _document(kind: str, version: str, spec: Schema, definitions: dict[str, Schema],
              requires_metadata: bool = True) -> Schema:
    """The document schema. Tests and step templates need an object for ``metadata`` and ``spec`` (a null
    one is refused: Go would load it as empty, and the test would then have no name or no steps)."""
    metadata: Schema = ref("ObjectMeta")
    required = ["apiVersion", "kind", "spec"]
    if requires_metadata:
        metadata = {**definitions["ObjectMeta"], "type": "object"}
        spec = {**spec, "type": "object"}
        required.insert(2, "metadata")
    return {
        "$schema": DRAFT,
        "title": f"{GROUP}/{version} {kind} (chainsaw_py)",
        "description": f"A Chainsaw {kind}. Written for chainsaw_py; accepts what Chainsaw accepts plus the "
                       "jsonpath compiler and the python operation (chainsaw_py extensions).",
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"type": "string", "enum": [f"{GROUP}/{version}"]},
            "kind": {"type": "string", "enum": [kind]},
            "metadata": metadata,
            "spec": spec,
        },
        "definitions": _reachable(spec, definitions),
    }


def _reachable(root: Schema, definitions: dict[str, Schema]) -> dict[str, Schema]:
    """The definitions ``root`` refers to, directly or not (each file only carries what it uses)."""
    found: set[str] = set()
    pending: list[Any] = [root, ref("ObjectMeta")]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            target = node.get("$ref", "")
            if target.startswith("#/definitions/") and target[14:] not in found:
                found.add(target[14:])
                pending.append(definitions[target[14:]])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return {name: definitions[name] for name in sorted(found)}


def build_schemas() -> dict[str, Schema]:
    """File name -> schema, for every schema chainsaw_py ships."""
    shared = _shared_definitions()
    test_definitions = {**shared, "TestStep": _test_step()}
    template_spec = obj(_step_lists(array(ref("Operation"), "Operations run in order.", nullable=False,
                                          minItems=1)),
                        "The step template.", required=("try",))
    return {
        "configuration-chainsaw-v1alpha1.json": _document("Configuration", "v1alpha1",
                                                          _configuration_v1alpha1_spec(), shared,
                                                          requires_metadata=False),
        "configuration-chainsaw-v1alpha2.json": _document("Configuration", "v1alpha2",
                                                          _configuration_v1alpha2_spec(), shared,
                                                          requires_metadata=False),
        "steptemplate-chainsaw-v1alpha1.json": _document("StepTemplate", "v1alpha1", template_spec, shared),
        "test-chainsaw-v1alpha1.json": _document("Test", "v1alpha1", _test_spec(), test_definitions),
    }


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in build_schemas().items():
        target = directory / name
        target.write_text(render(schema), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "schemas"
    for path in write_schemas(output):
        print(path)
