"""``chainsaw_py.declare``: each builder's YAML, validation at declaration, durations, the YAML round trip
over Chainsaw's example suite (accepted by upstream's schema), callables and extensions."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from chainsaw_py import declare as d
from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.loading import discover_tests, model
from tests.shared import CORPUS, SHARED

from .helpers import write_files

UPSTREAM_TEST_SCHEMA = SHARED / "reference" / "upstream-schemas" / "test-chainsaw-v1alpha1.json"
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}


def module_level_check(ctx: Any) -> None:
    """A function with an importable name (``<this module>:module_level_check``)."""


OPERATIONS: list[tuple[str, model.Operation, dict[str, Any]]] = [
    ("apply file", d.apply("cm.yaml"), {"apply": {"file": "cm.yaml"}}),
    ("apply resource", d.apply(resource=CM, outputs={"name": "($metadata.name)"}, timeout="10s",
                               expect=[d.expect(check={"($error)": None})], continue_on_error=True),
     {"continueOnError": True, "apply": {"resource": CM, "expect": [{"check": {"($error)": None}}],
                                         "outputs": [{"name": "name", "value": "($metadata.name)"}], "timeout": "10s"}}),
    ("create dry run", d.create(resource=CM, dry_run=True), {"create": {"resource": CM, "dryRun": True}}),
    ("update", d.update("cm.yaml", template=False), {"update": {"file": "cm.yaml", "template": False}}),
    ("patch status", d.patch(resource=CM, subresource="status"), {"patch": {"resource": CM, "subresource": "status"}}),
    ("assert with bindings", d.assert_("assert.yaml", bindings={"n": 2}, description="count"),
     {"description": "count", "assert": {"file": "assert.yaml", "bindings": [{"name": "n", "value": 2}]}}),
    ("error cel", d.error(resource={"(x)": 1}, compiler="cel"), {"compiler": "cel", "error": {"resource": {"(x)": 1}}}),
    ("delete by reference", d.delete(api_version="v1", kind="ConfigMap", name="cm", labels={"a": "b"}),
     {"delete": {"ref": {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "labels": {"a": "b"}}}}),
    ("delete file", d.delete("cm.yaml", deletion_propagation_policy="Foreground"),
     {"delete": {"file": "cm.yaml", "deletionPropagationPolicy": "Foreground"}}),
    ("command", d.command("kubectl", "get", "pods", env={"A": "1"}, check={"($error)": None}),
     {"command": {"entrypoint": "kubectl", "args": ["get", "pods"], "env": [{"name": "A", "value": "1"}],
                  "check": {"($error)": None}}}),
    ("script", d.script("echo hi", shell="bash", shell_args=["-e", "-c"], work_dir="sub", skip_log_output=True),
     {"script": {"content": "echo hi", "shell": "bash", "shellArgs": ["-e", "-c"], "workDir": "sub",
                 "skipLogOutput": True}}),
    ("sleep timedelta", d.sleep(datetime.timedelta(minutes=1, seconds=30)), {"sleep": {"duration": "1m30s"}}),
    ("sleep ms", d.sleep(datetime.timedelta(milliseconds=250)), {"sleep": {"duration": "250ms"}}),
    ("get", d.get("v1", "Pod", selector="app=x", format="yaml"),
     {"get": {"apiVersion": "v1", "kind": "Pod", "selector": "app=x", "format": "yaml"}}),
    ("describe", d.describe("v1", "Pod", name="p", show_events=False),
     {"describe": {"apiVersion": "v1", "kind": "Pod", "name": "p", "showEvents": False}}),
    ("events", d.events(namespace="ns"), {"events": {"namespace": "ns"}}),
    ("pod logs", d.pod_logs(selector="app=x", container="c", tail=10),
     {"podLogs": {"selector": "app=x", "container": "c", "tail": 10}}),
    ("proxy", d.proxy("v1", "Service", name="svc", port="80", path="/metrics", outputs={"body": "(@)"}),
     {"proxy": {"apiVersion": "v1", "kind": "Service", "name": "svc", "port": "80", "path": "/metrics",
                "outputs": [{"name": "body", "value": "(@)"}]}}),
    ("wait condition", d.wait("v1", "Pod", d.for_condition("Ready", "true"), name="p", timeout="1m"),
     {"wait": {"apiVersion": "v1", "kind": "Pod", "name": "p", "for": {"condition": {"name": "Ready", "value": "true"}},
               "timeout": "1m"}}),
    ("wait deletion", d.wait("v1", "Pod", d.for_deletion(), selector="a=b"),
     {"wait": {"apiVersion": "v1", "kind": "Pod", "selector": "a=b", "for": {"deletion": {}}}}),
    ("wait json path", d.wait("v1", "Pod", d.for_json_path("{.status.phase}", "Running"), name="p"),
     {"wait": {"apiVersion": "v1", "kind": "Pod", "name": "p",
               "for": {"jsonPath": {"path": "{.status.phase}", "value": "Running"}}}}),
    ("wait creation", d.wait("v1", "Pod", d.for_creation(), name="p"),
     {"wait": {"apiVersion": "v1", "kind": "Pod", "name": "p", "for": {"creation": {}}}}),
    ("python string", d.python("helpers.py:make", args={"name": "($namespace)"}, timeout=datetime.timedelta(seconds=2)),
     {"python": {"function": "helpers.py:make", "args": {"name": "($namespace)"}, "timeout": "2s"}}),
]


@pytest.mark.parametrize(("case", "operation", "expected"), OPERATIONS, ids=[case for case, _, _ in OPERATIONS])
def test_each_builder_gives_chainsaw_yaml(case: str, operation: model.Operation, expected: dict[str, Any]) -> None:
    assert operation.to_dict() == expected
    test = d.Test("t", steps=[d.Step(try_=[operation])])  # and the schema accepts it
    assert test.spec.steps[0].try_[0] is operation


def test_a_whole_test() -> None:
    test = d.Test(
        "full", description="everything", labels={"tier": "e2e"}, annotations={"owner": "me"},
        bindings={"a": 1}, scenarios=[d.scenario("one", {"x": 1}), d.scenario(bindings={"x": 2})],
        timeouts={"assert": datetime.timedelta(seconds=90), "exec": "10s"}, namespace="fixed", skip=False,
        concurrent=False, skip_delete=True, template=True, compiler="jp", fast_namespace_deletion=True,
        force_termination_grace_period="5s", delay_before_cleanup="1s", deletion_propagation_policy="Orphan",
        catch=[d.events()],
        steps=[d.Step(name="first", description="step one", try_=[d.sleep("1ms")], catch=[d.get("v1", "Pod")],
                      finally_=[d.script("true")], cleanup=[d.delete(api_version="v1", kind="Pod", name="p")],
                      bindings={"b": 2}, timeouts={"apply": "1s"}, skip_delete=False, template=False,
                      compiler="cel", deletion_propagation_policy="Foreground")])
    data = yaml.safe_load(d.to_yaml(test))
    assert list(data) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(data["spec"])[-1] == "steps"
    assert data["metadata"] == {"name": "full", "labels": {"tier": "e2e"}, "annotations": {"owner": "me"}}
    assert data["spec"]["timeouts"] == {"assert": "1m30s", "exec": "10s"}
    assert data["spec"]["scenarios"] == [{"name": "one", "bindings": [{"name": "x", "value": 1}]},
                                         {"bindings": [{"name": "x", "value": 2}]}]
    step = data["spec"]["steps"][0]
    assert list(step) == ["name", "description", "timeouts", "deletionPropagationPolicy", "skipDelete", "template",
                          "compiler", "bindings", "try", "catch", "finally", "cleanup"]
    assert d.from_yaml(d.to_yaml(test)) == [test]


@pytest.mark.parametrize(("build", "message"), [
    (lambda: d.apply("f.yaml", resource=CM), "spec.steps[0].try[0].apply"),
    (lambda: d.sleep("soon"), 'invalid duration "soon"'),
    (lambda: d.assert_(resource={"x": 1}, bindings={"not a name": 1}), "invalid binding name"),
    (lambda: d.script("true", compiler="python"), "spec.steps[0].try[0].compiler"),
    (lambda: d.assert_(resource={"($x ==)": 1}), "spec.steps[0].try[0].assert.resource"),
])
def test_an_invalid_test_fails_at_declaration(build: Any, message: str) -> None:
    with pytest.raises(LoadError) as caught:
        d.Test("bad", steps=[d.Step(try_=[build()])])
    assert str(caught.value).startswith("test 'bad'") and message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: d.Test("t", steps=[], timeouts={"apply": "1s", "wait": "1s"}),
     "unknown timeout 'wait': expected one of apply, assert, cleanup, delete, error, exec"),
    (lambda: d.sleep(5),  # type: ignore[arg-type]
     "expected a duration (a string such as 30s, or a timedelta), got int"),
    (lambda: d.python(42),  # type: ignore[arg-type]
     "python: expected a function or a 'module:attr' string, got int"),
])
def test_bad_arguments_are_chainsaw_errors(build: Any, message: str) -> None:
    with pytest.raises(ChainsawError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_callables_in_yaml() -> None:
    portable = d.Test("named", steps=[d.Step(try_=[d.python(module_level_check)])])
    text = d.to_yaml(portable)
    assert f"function: {__name__}:module_level_check" in text
    (loaded,) = d.from_yaml(text)
    assert loaded.spec.steps[0].try_[0].action.function == f"{__name__}:module_level_check"
    local = d.Test("local", steps=[d.Step(try_=[d.python(lambda ctx: None)])])
    with pytest.raises(ChainsawError, match="has no importable name to write in YAML"):
        d.to_yaml(local)


def test_extensions_used() -> None:
    portable = d.Test("p", steps=[d.Step(try_=[d.sleep("1s")])])
    assert d.extensions_used(portable) == []
    extended = d.Test("e", compiler="jsonpath", steps=[
        d.Step(try_=[d.sleep("1s"), d.python("h.py:f")], cleanup=[d.python("h.py:g")]),
        d.Step(try_=[d.assert_(resource={"a": 1}, compiler="jsonpath")])])
    assert d.extensions_used(extended) == ["spec.steps[0].try[1]: python", "spec.steps[0].cleanup[0]: python",
                                           "spec.steps[1].try[0]: compiler jsonpath", "spec: compiler jsonpath"]


def test_several_tests_in_one_file_and_multiline_scripts(tmp_path: Path) -> None:
    first = d.Test("one", steps=[d.Step(try_=[d.script("echo a\necho b\n")])])
    second = d.Test("two", steps=[d.Step(try_=[d.sleep("1s")])])
    text = d.to_yaml([first, second])
    assert "content: |\n" in text and text.count("kind: Test") == 2
    write_files(tmp_path, {"chainsaw-test.yaml": text})
    assert [found.test for found in discover_tests([str(tmp_path)])] == [first, second]


def test_from_yaml_resolves_step_templates(tmp_path: Path) -> None:
    write_files(tmp_path, {"template.yaml": """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: StepTemplate
        metadata:
          name: tpl
        spec:
          try:
          - sleep:
              duration: 1s
        """})
    text = textwrap.dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: uses
        spec:
          steps:
          - use:
              template: template.yaml
        """)
    (test,) = d.from_yaml(text, base_path=tmp_path, file=tmp_path / "chainsaw-test.yaml")
    assert test.spec.steps[0].try_[0].type == "sleep" and test.base_path == tmp_path
    with pytest.raises(LoadError, match="template.yaml"):
        d.from_yaml(text, base_path=tmp_path / "elsewhere")


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("chainsaw-test.yaml")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/chainsaw-examples is not available")
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda path: str(path.parent.relative_to(CORPUS)))
def test_corpus_round_trip_accepted_by_upstream(path: Path) -> None:
    upstream = jsonschema.Draft7Validator(json.loads(UPSTREAM_TEST_SCHEMA.read_text(encoding="utf-8")))
    tests = d.from_yaml(path.read_text(encoding="utf-8"), base_path=path.parent, file=path)
    text = d.to_yaml(tests)
    assert d.from_yaml(text, base_path=path.parent) == tests
    for document in yaml.safe_load_all(text):
        assert not [error.message for error in upstream.iter_errors(document)]
