"""The project's JSON schemas: up to date with their source, valid draft-07, and differential against
Chainsaw's own schemas (corpus accepted by both; invalid documents rejected by both)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chainsaw_py.loading.schema_source import EXTENSION_OPERATIONS, SCHEMA_FILES, build_schemas, render
from chainsaw_py.loading.validate import SCHEMA_DIR, schema_errors
from chainsaw_py.yamldocs import Document, load_documents, read_documents

from .conftest import CORPUS, TEMPOSTACK, UPSTREAM_SCHEMAS, requires_shared

FILE_OF_KIND = {(kind, version): name for name, (kind, version) in SCHEMA_FILES.items()}


def test_shipped_schemas_are_generated_from_the_source() -> None:
    shipped = sorted(path.name for path in SCHEMA_DIR.glob("*.json"))
    assert shipped == sorted(SCHEMA_FILES)
    for name, schema in build_schemas().items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(schema), (
            f"{name} is stale: run python -m chainsaw_py.loading.schema_source")


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_schemas_are_valid_draft7(name: str) -> None:
    jsonschema.Draft7Validator.check_schema(json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")))


def _ours(kind: str, version: str, data: Any) -> list[str]:
    return [str(error) for error in schema_errors(Document(data, "doc.yaml"), kind, version)]


def _upstream_validator(kind: str, version: str) -> jsonschema.protocols.Validator:
    schema = json.loads((UPSTREAM_SCHEMAS / FILE_OF_KIND[(kind, version)]).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _corpus_documents() -> list[tuple[str, str, str, Any]]:
    files = sorted([*CORPUS.rglob("*.yaml"), *CORPUS.rglob("*.yml"), *TEMPOSTACK.glob("*.yaml")])
    documents = []
    for path in files:
        for document in read_documents(path):
            data = document.data
            if isinstance(data, dict) and str(data.get("apiVersion", "")).startswith("chainsaw.kyverno.io/"):
                version = data["apiVersion"].rpartition("/")[2]
                documents.append((str(path), data["kind"], version, data))
    return documents


@requires_shared
def test_every_corpus_document_upstream_accepts_is_accepted() -> None:
    documents = _corpus_documents()
    kinds = {(kind, version) for _, kind, version, _ in documents}
    assert {("Test", "v1alpha1"), ("StepTemplate", "v1alpha1"), ("Configuration", "v1alpha1"),
            ("Configuration", "v1alpha2")} <= kinds
    checked = 0
    for path, kind, version, data in documents:
        if list(_upstream_validator(kind, version).iter_errors(data)):
            continue
        assert _ours(kind, version, data) == [], path
        checked += 1
    assert checked >= 45


TEST = {"apiVersion": "chainsaw.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"}}


def _test(spec: Any) -> dict[str, Any]:
    return {**TEST, "spec": spec}


def _step(*operations: Any, **extra: Any) -> dict[str, Any]:
    return _test({"steps": [{"try": list(operations), **extra}]})


def _catch(*operations: Any) -> dict[str, Any]:
    return _test({"steps": [{"try": [{"sleep": {"duration": "1s"}}], "catch": list(operations)}]})


def _config(version: str, spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"chainsaw.kyverno.io/{version}", "kind": "Configuration", "spec": spec}


def _template(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "chainsaw.kyverno.io/v1alpha1", "kind": "StepTemplate", "spec": spec}


INVALID: list[tuple[str, str, str, Any]] = [
    ("unknown top-level field", "Test", "v1alpha1", {**_test({"steps": []}), "extra": 1}),
    ("unknown spec field", "Test", "v1alpha1", _test({"steps": [], "stepz": []})),
    ("missing steps", "Test", "v1alpha1", _test({})),
    ("steps not a list", "Test", "v1alpha1", _test({"steps": {}})),
    ("wrong kind", "Test", "v1alpha1", {**_test({"steps": []}), "kind": "Tests"}),
    ("unknown operation", "Test", "v1alpha1", _step({"aply": {"file": "x"}})),
    ("empty operation", "Test", "v1alpha1", _step({"description": "nothing"})),
    ("two operations", "Test", "v1alpha1", _step({"apply": {"file": "x"}, "assert": {"file": "y"}})),
    ("unknown action field", "Test", "v1alpha1", _step({"apply": {"fle": "x"}})),
    ("file and resource", "Test", "v1alpha1", _step({"apply": {"file": "x", "resource": {"kind": "A"}}})),
    ("name and selector", "Test", "v1alpha1", _step({"get": {"apiVersion": "v1", "kind": "Pod", "name": "a",
                                                             "selector": "b"}})),
    ("delete file and ref", "Test", "v1alpha1", _step({"delete": {"file": "x", "ref": {"apiVersion": "v1",
                                                                                        "kind": "Pod"}}})),
    ("delete ref without kind", "Test", "v1alpha1", _step({"delete": {"ref": {"apiVersion": "v1"}}})),
    ("use with try", "Test", "v1alpha1", _test({"steps": [{"use": {"template": "t.yaml"},
                                                            "try": [{"sleep": {"duration": "1s"}}]}]})),
    ("use without template", "Test", "v1alpha1", _test({"steps": [{"use": {}}]})),
    ("empty try", "Test", "v1alpha1", _step()),
    ("bad compiler", "Test", "v1alpha1", _step({"sleep": {"duration": "1s"}, "compiler": "python"})),
    ("bad binding name", "Test", "v1alpha1", _test({"steps": [], "bindings": [{"name": "a-b", "value": 1}]})),
    ("binding without value", "Test", "v1alpha1", _test({"steps": [], "bindings": [{"name": "a"}]})),
    ("sleep without duration", "Test", "v1alpha1", _step({"sleep": {}})),
    ("command without entrypoint", "Test", "v1alpha1", _step({"command": {"args": ["x"]}})),
    ("wait without for", "Test", "v1alpha1", _step({"wait": {"apiVersion": "v1", "kind": "Pod"}})),
    ("bad format", "Test", "v1alpha1", _step({"get": {"apiVersion": "v1", "kind": "Pod", "format": "xml"}})),
    ("tail not an integer", "Test", "v1alpha1", _step({"podLogs": {"name": "x", "tail": "ten"}})),
    ("bad propagation policy", "Test", "v1alpha1", _test({"steps": [], "deletionPropagationPolicy": "Now"})),
    ("skip not a boolean", "Test", "v1alpha1", _test({"steps": [], "skip": "maybe"})),
    ("apply resource not an object", "Test", "v1alpha1", _step({"apply": {"resource": "kind: Pod"}})),
    ("apply in catch", "Test", "v1alpha1", _catch({"apply": {"file": "x"}})),
    ("continueOnError in catch", "Test", "v1alpha1", _catch({"sleep": {"duration": "1s"},
                                                             "continueOnError": True})),
    ("cluster without kubeconfig", "Test", "v1alpha1", _test({"steps": [], "clusters": {"a": {"context": "x"}}})),
    ("template without try", "StepTemplate", "v1alpha1", _template({"bindings": []})),
    ("template with use", "StepTemplate", "v1alpha1", _template({"try": [{"sleep": {"duration": "1s"}}],
                                                                 "use": {"template": "x"}})),
    ("config v1alpha2 unknown field", "Configuration", "v1alpha2", _config("v1alpha2", {"timeout": {}})),
    ("config parallel 0", "Configuration", "v1alpha2", _config("v1alpha2", {"execution": {"parallel": 0}})),
    ("config report format", "Configuration", "v1alpha2", _config("v1alpha2", {"report": {"format": "HTML"}})),
    ("config v1alpha1 field in v1alpha2", "Configuration", "v1alpha2", _config("v1alpha2", {"failFast": True})),
    ("config v1alpha2 field in v1alpha1", "Configuration", "v1alpha1", _config("v1alpha1", {"execution": {}})),
    ("config repeatCount 0", "Configuration", "v1alpha1", _config("v1alpha1", {"repeatCount": 0})),
    ("config catch apply", "Configuration", "v1alpha1", _config("v1alpha1", {"catch": [{"apply": {}}]})),
    ("null operation", "Test", "v1alpha1", _step(None)),
    ("null step", "Test", "v1alpha1", _test({"steps": [None]})),
]


@requires_shared
@pytest.mark.parametrize(("kind", "version", "data"), [case[1:] for case in INVALID],
                         ids=[case[0] for case in INVALID])
def test_documents_upstream_rejects_are_rejected(kind: str, version: str, data: Any) -> None:
    assert list(_upstream_validator(kind, version).iter_errors(data)), "the case should be invalid upstream"
    assert _ours(kind, version, data)


STRICTER: list[tuple[str, Any]] = [
    # Chainsaw's loader parses durations (metav1.Duration) and fails on these; its schema does not say so.
    ("bad duration", _step({"sleep": {"duration": "5 seconds"}})),
    ("bad timeout", _test({"steps": [], "timeouts": {"apply": "fast"}})),
]


@requires_shared
@pytest.mark.parametrize("data", [case[1] for case in STRICTER], ids=[case[0] for case in STRICTER])
def test_where_the_project_schema_is_deliberately_stricter(data: Any) -> None:
    assert not list(_upstream_validator("Test", "v1alpha1").iter_errors(data))
    assert _ours("Test", "v1alpha1", data)


@pytest.mark.parametrize(("kind", "version", "data"), [
    ("Test", "v1alpha1", _test({"compiler": "jsonpath", "steps": []})),
    ("Test", "v1alpha1", _step({"assert": {"resource": {"a": 1}}, "compiler": "jsonpath"})),
    ("Test", "v1alpha1", _test({"steps": [], "bindings": [{"name": "x", "value": 1, "compiler": "jsonpath"}]})),
    ("Configuration", "v1alpha2", _config("v1alpha2", {"templating": {"compiler": "jsonpath"},
                                                      "namespace": {"compiler": "jsonpath"}})),
    ("Configuration", "v1alpha1", _config("v1alpha1", {"compiler": "jsonpath"})),
])
def test_the_jsonpath_compiler_extension_is_accepted(kind: str, version: str, data: Any) -> None:
    assert _ours(kind, version, data) == []


def test_yaml_quirks_reach_the_schema_as_go_sees_them() -> None:
    (data,) = load_documents("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\nspec:\n  skip: yes\n"
                             "  steps: []\n  description: on\n")
    errors = _ours("Test", "v1alpha1", data)
    assert errors == ["doc.yaml: spec.description: expected a string, got boolean true"]


def test_export_writes_every_schema(tmp_path: Path) -> None:
    from chainsaw_py.cli import main

    target = tmp_path / "out" / "schemas"
    assert main(["export", "schemas", str(target)]) == 0
    assert sorted(path.name for path in target.iterdir()) == sorted(SCHEMA_FILES)
    for path in target.iterdir():
        assert path.read_bytes() == (SCHEMA_DIR / path.name).read_bytes()


def _properties(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rpartition("/")[2]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
    return set(schema.get("properties", {}))


def _child(schema: dict[str, Any], root: dict[str, Any], *path: str) -> dict[str, Any]:
    for part in path:
        if "$ref" in schema:
            schema = root["definitions"][schema["$ref"].rpartition("/")[2]]
        if "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        schema = schema["items"] if part == "[]" else schema["properties"][part]
    return schema


FIELD_PATHS: list[tuple[str, tuple[str, ...]]] = [
    ("test-chainsaw-v1alpha1.json", ()),
    ("test-chainsaw-v1alpha1.json", ("spec",)),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]")),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "use")),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "try", "[]")),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "catch", "[]")),
    ("test-chainsaw-v1alpha1.json", ("spec", "scenarios", "[]")),
    ("test-chainsaw-v1alpha1.json", ("spec", "bindings", "[]")),
    ("test-chainsaw-v1alpha1.json", ("spec", "timeouts")),
    ("test-chainsaw-v1alpha1.json", ("metadata",)),
    *[("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "try", "[]", kind)) for kind in
      ("apply", "assert", "command", "create", "delete", "describe", "error", "events", "get", "patch", "podLogs",
       "proxy", "script", "sleep", "update", "wait")],
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "try", "[]", "wait", "for")),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "try", "[]", "delete", "ref")),
    ("test-chainsaw-v1alpha1.json", ("spec", "steps", "[]", "try", "[]", "apply", "outputs", "[]")),
    ("steptemplate-chainsaw-v1alpha1.json", ("spec",)),
    ("configuration-chainsaw-v1alpha1.json", ("spec",)),
    ("configuration-chainsaw-v1alpha1.json", ("spec", "timeouts")),
    ("configuration-chainsaw-v1alpha2.json", ("spec",)),
    *[("configuration-chainsaw-v1alpha2.json", ("spec", section)) for section in
      ("cleanup", "deletion", "discovery", "error", "execution", "namespace", "report", "templating", "timeouts")],
]


@requires_shared
@pytest.mark.parametrize(("name", "path"), FIELD_PATHS, ids=[f"{n.split('-')[0]}:{'.'.join(p)}" for n, p in FIELD_PATHS])
def test_same_fields_as_upstream(name: str, path: tuple[str, ...]) -> None:
    ours = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    upstream = json.loads((UPSTREAM_SCHEMAS / name).read_text(encoding="utf-8"))
    # chainsaw_py's extension operations are the one deliberate addition.
    ours_fields = _properties(_child(ours, ours, *path), ours) - set(EXTENSION_OPERATIONS)
    assert ours_fields == _properties(_child(upstream, upstream, *path), upstream)


def test_schemas_and_model_have_the_same_fields() -> None:
    import dataclasses

    from chainsaw_py.loading import codec, model

    def fields(cls: type) -> set[str]:
        return {codec.json_name(f) for f in dataclasses.fields(cls) if not f.metadata.get("internal")}

    test_schema = json.loads((SCHEMA_DIR / "test-chainsaw-v1alpha1.json").read_text(encoding="utf-8"))
    definitions = test_schema["definitions"]
    for name, cls in {**{kind[0].upper() + kind[1:]: action for kind, action in model.ACTION_TYPES.items()},
                      "Binding": model.Binding, "Output": model.Output, "Expectation": model.Expectation,
                      "Cluster": model.Cluster, "Timeouts": model.Timeouts, "TestStep": model.Step}.items():
        assert set(definitions[name]["properties"]) == fields(cls), name
    assert set(test_schema["properties"]["spec"]["properties"]) == fields(model.TestSpec)
    config = json.loads((SCHEMA_DIR / "configuration-chainsaw-v1alpha2.json").read_text(encoding="utf-8"))
    spec = config["properties"]["spec"]["properties"]
    assert set(spec) == fields(model.ConfigurationSpec)
    sections = {field.name: field.type for field in dataclasses.fields(model.ConfigurationSpec)}
    for key in ("cleanup", "deletion", "discovery", "error", "execution", "namespace", "templating", "timeouts"):
        cls = getattr(model, str(sections[key]).split(" ")[0])
        assert set(spec[key]["properties"]) == fields(cls), key
