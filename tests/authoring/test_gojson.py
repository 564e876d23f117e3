"""Model objects shaped as Go's encoding/json marshals Chainsaw's structs."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.authoring.gojson import go_duration, go_json
from chainsaw_py.loading.model import (
    Apply,
    Binding,
    Command,
    Configuration,
    Delete,
    ExecutionOptions,
    ObjectMeta,
    ObjectReference,
    Operation,
    PodLogs,
    ReportOptions,
    Script,
    Sleep,
    Step,
    TemplatingOptions,
    Wait,
    WaitFor,
)

CASES: list[tuple[str, Any, Any]] = [
    ("empty always-written list is a nil slice", Step(name="s"), {"name": "s", "try": None}),
    ("zero values of omitempty fields are left out",
     Command(entrypoint="", args=[], skip_log_output=False), {"entrypoint": ""}),
    ("set pointer fields are written even when zero",
     ExecutionOptions(parallel=0, repeat_count=None), {"parallel": 0}),
    ("durations are printed as Go prints them",
     Script(content="x", timeout="90s"), {"content": "x", "timeout": "1m30s"}),
    ("sleep duration", Sleep(duration="1.5h"), {"duration": "1h30m0s"}),
    ("an omitempty string with a default is left out when empty",
     ReportOptions(format="", name="r"), {"name": "r"}),
    ("a non-omitempty bool is written when false", TemplatingOptions(enabled=False), {"enabled": False}),
    ("an empty string map is left out",
     ObjectReference(api_version="v1", kind="Pod", labels={}), {"apiVersion": "v1", "kind": "Pod"}),
    ("an empty struct pointer is written", Wait(kind="Pod", for_=WaitFor(deletion={})),
     {"kind": "Pod", "for": {"deletion": {}}}),
    ("a null binding value is written", Binding(name="a"), {"name": "a", "value": None}),
    ("operation base fields then the action",
     Operation("delete", Delete(ref=ObjectReference(kind="Pod")), description="d", continue_on_error=False),
     {"description": "d", "continueOnError": False, "delete": {"ref": {"kind": "Pod"}}}),
    ("pod logs tail pointer", PodLogs(selector="a=b", tail=0), {"selector": "a=b", "tail": 0}),
    ("lists of models", [Operation("apply", Apply(file="a.yaml"))], [{"apply": {"file": "a.yaml"}}]),
]


@pytest.mark.parametrize(("value", "expected"), [(case[1], case[2]) for case in CASES],
                         ids=[case[0] for case in CASES])
def test_go_json(value: Any, expected: Any) -> None:
    assert go_json(value) == expected


def test_configuration_writes_every_non_optional_section() -> None:
    shaped = go_json(Configuration(metadata=ObjectMeta(name="c")))
    assert sorted(shaped["spec"]) == ["cleanup", "deletion", "discovery", "error", "execution", "namespace",
                                      "templating", "timeouts"]
    assert shaped["spec"]["timeouts"] == {"apply": "5s", "assert": "30s", "cleanup": "30s", "delete": "15s",
                                          "error": "30s", "exec": "5s"}
    assert shaped["spec"]["discovery"] == {"testFile": "chainsaw-test"}
    assert shaped["metadata"] == {"name": "c"}


@pytest.mark.parametrize(("text", "expected"), [
    ("5s", "5s"), ("300s", "5m0s"), ("1h", "1h0m0s"), ("500ms", "500ms"), ("0", "0s"), ("not a duration", "not a duration"),
])
def test_go_duration(text: str, expected: str) -> None:
    assert go_duration(text) == expected
