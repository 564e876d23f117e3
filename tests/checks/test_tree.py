"""Assertion-tree rules (kyverno-json's pkg/core/assertion), each with pass and fail cases and
the exact field-error text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chainsaw_py.checks import AssertionHardError, AssertionTree, FieldError, assert_tree, match_tree
from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import Bindings


@dataclass
class Case:
    name: str
    tree: Any
    value: Any
    errors: list[str] = field(default_factory=list)
    hard: str | None = None
    bindings: dict[str, Any] = field(default_factory=dict)


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "ns", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "envoy:1.0"},
        ]}},
    },
    "status": {
        "readyReplicas": 2,
        "conditions": [
            {"type": "Available", "status": "True"},
            {"type": "Progressing", "status": "False"},
        ],
    },
}

CASES: list[Case] = [
    # --- maps: partial match, missing fields, null parents -------------------------------------------------
    Case("partial map matches, extra fields ignored", {"spec": {"replicas": 2}}, DEPLOYMENT),
    Case("scalar mismatch", {"spec": {"replicas": 3}}, DEPLOYMENT,
         ["spec.replicas: Invalid value: 2: Expected value: 3"]),
    Case("string mismatch", {"metadata": {"name": "api"}}, DEPLOYMENT,
         ['metadata.name: Invalid value: "web": Expected value: "api"']),
    Case("missing field", {"spec": {"paused": True}}, DEPLOYMENT,
         ["spec.paused: Required value: field not found in the input object"]),
    Case("missing parent reports the parent only", {"spec": {"strategy": {"type": "Recreate"}}}, DEPLOYMENT,
         ["spec.strategy: Required value: field not found in the input object"]),
    Case("null parent counts as missing", {"a": {"b": 1}}, {"a": None},
         ["a.b: Required value: field not found in the input object"]),
    Case("non-map parent is a hard error", {"metadata": {"name": {"first": "w"}}}, DEPLOYMENT,
         hard="metadata.name.first: Internal error: projection not recognized"),
    Case("a list is not a map either", {"spec": {"template": {"spec": {"containers": {"name": "nginx"}}}}},
         DEPLOYMENT, hard="spec.template.spec.containers.name: Internal error: projection not recognized"),
    Case("errors come in tree order", {"spec": {"replicas": 1}, "metadata": {"name": "x", "uid": "u"}}, DEPLOYMENT,
         ["spec.replicas: Invalid value: 2: Expected value: 1",
          'metadata.name: Invalid value: "web": Expected value: "x"',
          "metadata.uid: Required value: field not found in the input object"]),
    # --- {} and null ----------------------------------------------------------------------------------------
    Case("{} accepts any non-null value", {"status": {}}, DEPLOYMENT),
    Case("{} rejects null (kyverno-json test)", {"foo": {}}, {"foo": None},
         ["foo: Invalid value: null: invalid value, must not be null"]),
    Case("{} requires presence", {"foo": {}}, {}, ["foo: Required value: field not found in the input object"]),
    Case("{} accepts a scalar too", {"foo": {}}, {"foo": 42}),
    Case("plain key with null needs a present null", {"a": None}, {"a": None}),
    Case("plain key with null: absent is Required", {"a": None}, {},
         ["a: Required value: field not found in the input object"]),
    Case("plain key with null: value present", {"a": None}, {"a": 1},
         ["a: Invalid value: 1: Expected value: <nil>"]),
    Case("expression key with null asserts absence", {"(a)": None}, {}),
    Case("expression key with null: value present", {"(a)": None}, {"a": "x"},
         ['(a): Invalid value: "x": Expected value: <nil>']),
    Case("expected value vs actual null", {"a": 1}, {"a": None}, ["a: Invalid value: null: Expected value: 1"]),
    Case("root {} vs null (nil root path)", {}, None, ["<nil>: Invalid value: null: invalid value, must not be null"]),
    # --- lists ----------------------------------------------------------------------------------------------
    Case("list matches index by index", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx"}, {"name": "sidecar"}]}}}}, DEPLOYMENT),
    Case("list element mismatch path", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.26"}, {}]}}}}, DEPLOYMENT,
         ['spec.template.spec.containers[0].image: Invalid value: "nginx:1.25": Expected value: "nginx:1.26"']),
    Case("list lengths must be equal", {"status": {"conditions": [{"type": "Available"}]}}, DEPLOYMENT,
         [('status.conditions: Invalid value: [{"status":"True","type":"Available"},{"status":"False",'
          '"type":"Progressing"}]: lengths of slices don\'t match')]),
    Case("null list", {"items": [1]}, {"items": None}, ["items: Invalid value: null: value is null"]),
    Case("non-list actual is a hard error", {"metadata": {"name": ["web"]}}, DEPLOYMENT,
         hard='metadata.name: Invalid value: "web": expected a slice'),
    Case("non-list actual (a map) shows JSON", {"metadata": {"labels": ["web"]}}, DEPLOYMENT,
         hard='metadata.labels: Invalid value: {"app":"web","tier":"front"}: expected a slice'),
    Case("root list vs scalar", ["a"], "a", hard='<nil>: Invalid value: "a": expected a slice'),
    Case("nested lists", {"m": [[1, 2], [3]]}, {"m": [[1, 2], [4]]}, ["m[1][0]: Invalid value: 4: Expected value: 3"]),
    # --- scalars --------------------------------------------------------------------------------------------
    Case("numbers compare across int and float", {"a": 2.0, "b": 3}, {"a": 2, "b": 3.0}),
    Case("float expected value printed with %v", {"a": 1.5}, {"a": 2}, ["a: Invalid value: 2: Expected value: 1.5"]),
    Case("large float printed like Go", {"a": 1e6}, {"a": 5}, ["a: Invalid value: 5: Expected value: 1e+06"]),
    Case("bool mismatch", {"a": True}, {"a": False}, ["a: Invalid value: false: Expected value: true"]),
    Case("string vs number is a hard error", {"spec": {"replicas": "2"}}, DEPLOYMENT,
         hard="spec.replicas: Internal error: types are not comparable, string - int64"),
    Case("number vs string is a hard error", {"metadata": {"name": 1}}, DEPLOYMENT,
         hard="metadata.name: Internal error: types are not comparable, int64 - string"),
    Case("bool vs number is a hard error", {"a": True}, {"a": 1},
         hard="a: Internal error: types are not comparable, bool - int64"),
    Case("scalar vs map is a hard error", {"metadata": {"labels": "app"}}, DEPLOYMENT,
         hard="metadata.labels: Internal error: types are not comparable, string - map"),
    Case("strings are quoted with Go escapes", {"a": "tab\there"}, {"a": "new\nline"},
         ['a: Invalid value: "new\\nline": Expected value: "tab\\there"']),
    Case("escaped value is a literal", {"a": "\\(x)\\"}, {"a": "(x)"}),
    Case("escaped value mismatch shows the literal", {"a": "\\(x)\\"}, {"a": "x"},
         ['a: Invalid value: "x": Expected value: "(x)"']),
    Case("value with an unknown engine is its statement", {"a": "(nope; x)"}, {"a": " x"}),
    Case("value that is not an expression", {"a": "(x"}, {"a": "(x"}),
    # --- expression values ----------------------------------------------------------------------------------
    Case("expression value with @ = actual", {"spec": {"replicas": "(@)"}}, DEPLOYMENT),
    Case("expression value computed", {"spec": {"replicas": "(`1` + `1`)"}}, DEPLOYMENT),
    Case("expression value mismatch", {"spec": {"replicas": "(`3`)"}}, DEPLOYMENT,
         ["spec.replicas: Invalid value: 2: Expected value: 3"]),
    Case("expression value giving a map: subset match", {"metadata": {"labels": "({app: 'web'})"}}, DEPLOYMENT),
    Case("expression value giving a map: mismatch uses %#v",
         {"metadata": {"labels": "({app: 'api'})"}}, DEPLOYMENT,
         [('metadata.labels: Invalid value: {"app":"web","tier":"front"}: '
          'Expected value: map[string]interface {}{"app":"api"}')]),
    Case("expression value giving a list: mismatch uses %#v", {"a": "([`1`, 'x'])"}, {"a": [1, "y"]},
         ['a: Invalid value: [1,"y"]: Expected value: []interface {}{1, "x"}']),
    Case("expression value giving null", {"a": "(missing)"}, {"a": 1}, ["a: Invalid value: 1: Expected value: <nil>"]),
    Case("binding in a value", {"metadata": {"namespace": "($namespace)"}}, DEPLOYMENT,
         bindings={"namespace": "ns"}),
    Case("binding in a value, mismatch", {"metadata": {"namespace": "($namespace)"}}, DEPLOYMENT,
         ['metadata.namespace: Invalid value: "ns": Expected value: "other"'], bindings={"namespace": "other"}),
    Case("undefined binding is a hard error", {"metadata": {"name": "($nope)"}}, DEPLOYMENT,
         hard="metadata.name: Internal error: variable not defined: $nope"),
    Case("unknown function is a hard error (chainsaw assert test)", {"spec": {"(foo('bar'))": "test-pod"}},
         {"spec": {}}, hard="spec.(foo('bar')): Internal error: unknown function: foo"),
    Case("expression result vs string is a hard error", {"a": "(`1`)"}, {"a": "1"},
         hard="a: Internal error: types are not comparable, int64 - string"),
    # --- expression keys -------------------------------------------------------------------------------------
    Case("expression key projects with @ = the node", {"(length(spec.template.spec.containers))": 2}, DEPLOYMENT),
    Case("comparison idiom", {"(spec.replicas > `1`)": True}, DEPLOYMENT),
    Case("comparison idiom, failing", {"(spec.replicas > `5`)": True}, DEPLOYMENT,
         ["(spec.replicas > `5`): Invalid value: false: Expected value: true"]),
    Case("filter key with index path",
         {"status": {"(conditions[?type == 'Available'])": [{"status": "False"}]}}, DEPLOYMENT,
         ["status.(conditions[?type == 'Available'])[0].status: Invalid value: \"True\": Expected value: \"False\""]),
    Case("forced jp engine", {"(jp; metadata.name)": "web"}, DEPLOYMENT),
    Case("unknown engine key is a plain lookup of the statement", {"(nope; x)": 1}, {" x": 1}),
    Case("unknown engine key, missing", {"(nope; x)": 1}, {"x": 1},
         ["(nope; x): Required value: field not found in the input object"]),
    Case("expression key on a null node still projects", {"a": {"(b)": None}}, {"a": None}),
    Case("expression key mismatch under a map", {"metadata": {"(labels.app)": "api"}}, DEPLOYMENT,
         ['metadata.(labels.app): Invalid value: "web": Expected value: "api"']),
    # --- escaped keys ----------------------------------------------------------------------------------------
    Case("escaped key is looked up literally", {"\\(weird)\\": 1}, {"(weird)": 1}),
    Case("escaped key path shows the key as written", {"\\(weird)\\": 1}, {"(weird)": 2},
         ["\\(weird)\\: Invalid value: 2: Expected value: 1"]),
    Case("non-string keys are their JSON text", {1: "one", False: "no"}, {"1": "one", "false": "no"}),
    # --- foreach ---------------------------------------------------------------------------------------------
    Case("foreach over a list", {"spec": {"template": {"spec": {"~.(containers)": {"image": "(@)"}}}}}, DEPLOYMENT),
    Case("foreach over a list: failing element path",
         {"spec": {"template": {"spec": {"~.(containers)": {"ports": {}}}}}}, DEPLOYMENT,
         ["spec.template.spec.~.(containers)[1].ports: Required value: field not found in the input object"]),
    Case("foreach with a plain key", {"~.items": {"ok": True}}, {"items": [{"ok": True}, {"ok": False}]},
         ["~.items[1].ok: Invalid value: false: Expected value: true"]),
    Case("foreach binds the index", {"~i.(items)": {"n": "($i)"}}, {"items": [{"n": 0}, {"n": 1}, {"n": 5}]},
         ["~i.(items)[2].n: Invalid value: 5: Expected value: 2"]),
    Case("foreach over a map binds the key", {"metadata": {"~k.(labels)": "(join('', [$k, '']))"}},
         {"metadata": {"labels": {"app": "app", "tier": "web"}}},
         ['metadata.~k.(labels)[tier]: Invalid value: "web": Expected value: "tier"']),
    Case("foreach over an empty list passes", {"~.(items)": {"x": 1}}, {"items": []}),
    Case("foreach over a scalar is a hard error", {"~.(spec.replicas)": {"x": 1}}, DEPLOYMENT,
         hard="~.(spec.replicas): Invalid value: 2: expected a slice or a map"),
    Case("foreach over null is a hard error", {"~.(missing)": {"x": 1}}, {},
         hard="~.(missing): Invalid value: null: expected a slice or a map"),
    Case("foreach with a missing plain key", {"~.items": {"x": 1}}, {},
         ["~.items: Required value: field not found in the input object"]),
    Case("foreach with a binding of the whole list", {"~.(items)->all": {"(length($all))": 2}},
         {"items": [{}, {}]}),
    Case("nested foreach: paths carry both the list index and the map key",
         {"~.(items)": {"l": [1, {"~k.(m)": {"v": "($k)"}}]}},
         {"items": [{"l": [1, {"m": {"a": {"v": "a"}}}]}, {"l": [2, {"m": {"b": {"v": "c"}, "d": {}}}]}]},
         ["~.(items)[1].l[0]: Invalid value: 2: Expected value: 1",
          '~.(items)[1].l[1].~k.(m)[b].v: Invalid value: "c": Expected value: "b"',
          "~.(items)[1].l[1].~k.(m)[d].v: Required value: field not found in the input object"]),
    # --- bindings (-> name) ----------------------------------------------------------------------------------
    Case("binding visible to descendants", {"(spec.replicas)->r": "($r)"}, DEPLOYMENT),
    Case("binding visible to later siblings", {"(spec.replicas)->r": {}, "status": {"readyReplicas": "($r)"}},
         DEPLOYMENT),
    Case("binding visible to later siblings, mismatch",
         {"(`3`)->want": {}, "status": {"readyReplicas": "($want)"}}, DEPLOYMENT,
         ["status.readyReplicas: Invalid value: 2: Expected value: 3"]),
    Case("binding not visible to earlier siblings", {"status": {"readyReplicas": "($r)"}, "(spec.replicas)->r": {}},
         DEPLOYMENT, hard="status.readyReplicas: Internal error: variable not defined: $r"),
    Case("binding on a plain key", {"metadata->m": {"name": "($m.name)"}}, DEPLOYMENT),
    Case("binding with spaces before the arrow makes a plain key", {"(spec) -> s": {}}, DEPLOYMENT,
         ["(spec) -> s: Required value: field not found in the input object"]),
    # --- malformed trees (hard errors at compile time) ------------------------------------------------------
    Case("foreach in a value (kyverno-json test)", {"foo": {"bar": "~.(`42`)"}}, {},
         hard='foo.bar: Invalid value: "~.(`42`)": foreach is not supported in scalar projections'),
    Case("binding in a value", {"a": "x -> y"}, {"a": "x -> y"},
         hard='a: Invalid value: "x -> y": binding is not supported in scalar projections'),
    Case("malformed tree fails even where the value would not reach", {"missing": {"b": "~.x"}}, {},
         hard='missing.b: Invalid value: "~.x": foreach is not supported in scalar projections'),
]


def _bindings(values: dict[str, Any]) -> Bindings:
    return Bindings().register_all(values)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_assertion_rules(case: Case) -> None:
    if case.hard is not None:
        with pytest.raises(AssertionHardError) as raised:
            assert_tree(case.tree, case.value, _bindings(case.bindings))
        assert str(raised.value) == case.hard
        assert str(raised.value.error) == case.hard
        return
    errors = assert_tree(case.tree, case.value, _bindings(case.bindings))
    assert [str(error) for error in errors] == case.errors
    assert match_tree(case.tree, case.value, _bindings(case.bindings)) is (not case.errors)


def test_syntax_error_is_reported_at_compile_time_with_the_statement() -> None:
    with pytest.raises(AssertionHardError) as raised:
        AssertionTree({"spec": {"(replicas ==)": 1}})
    assert str(raised.value).startswith('spec.(replicas ==): Invalid value: "replicas ==": ')


def test_compiled_tree_is_reusable_with_other_bindings() -> None:
    tree = AssertionTree({"metadata": {"name": "($name)"}})
    assert tree.check(DEPLOYMENT, _bindings({"name": "web"})) == []
    errors = tree.check(DEPLOYMENT, _bindings({"name": "api"}))
    assert [str(error) for error in errors] == ['metadata.name: Invalid value: "web": Expected value: "api"']


def test_bindings_default_to_empty() -> None:
    assert assert_tree({"a": "(`1`)"}, {"a": 1}) == []


def test_field_error_is_structured() -> None:
    (error,) = assert_tree({"spec": {"replicas": 3}}, DEPLOYMENT)
    assert isinstance(error, FieldError)
    assert (error.field, error.bad_value, error.expected, error.detail) == (
        "spec.replicas", 2, 3, "Expected value: 3")


def test_unknown_default_compiler_is_a_user_error() -> None:
    with pytest.raises(ChainsawError, match="unknown compiler 'python'"):
        assert_tree({"a": 1}, {"a": 1}, compiler="python")


def test_match_tree_raises_hard_errors() -> None:
    with pytest.raises(AssertionHardError):
        match_tree({"a": "1"}, {"a": 1})


def test_tree_is_not_modified() -> None:
    tree = {"~.(items)->x": {"a": [1, {"b": "(@)"}]}}
    snapshot = repr(tree)
    assert_tree(tree, {"items": [{"a": [1, {"b": 2}]}]})
    assert repr(tree) == snapshot


ENGINES: list[tuple[str, Any, Any, str, list[str]]] = [
    ("cel key", {"(cel; object.spec.replicas)": 2}, DEPLOYMENT, "jp", []),
    ("cel key mismatch keeps the key verbatim", {"(cel; object.spec.replicas)": 3}, DEPLOYMENT, "jp",
     ["(cel; object.spec.replicas): Invalid value: 2: Expected value: 3"]),
    ("cel bindings.resolve", {"spec": {"replicas": '(cel; bindings.resolve("n"))'}}, DEPLOYMENT, "jp",
     ["spec.replicas: Invalid value: 2: Expected value: 5"]),
    ("cel as the default compiler", {"(object.spec.replicas > 1)": True, "spec": {"replicas": "(object)"}},
     DEPLOYMENT, "cel", []),
    ("jp forced under a cel default", {"(jp; spec.replicas)": 2}, DEPLOYMENT, "cel", []),
    ("jsonpath key (chainsaw_py extension)", {"(jsonpath; $.spec.replicas)": 3}, DEPLOYMENT, "jp",
     ["(jsonpath; $.spec.replicas): Invalid value: 2: Expected value: 3"]),
    ("jsonpath key with several matches gives a list",
     {"(jsonpath; $.spec.template.spec.containers[*].name)": ["nginx", "envoy"]}, DEPLOYMENT, "jp",
     ['(jsonpath; $.spec.template.spec.containers[*].name)[1]: Invalid value: "sidecar": Expected value: "envoy"']),
    ("jsonpath as the default compiler", {"($.metadata.name)": "web"}, DEPLOYMENT, "jsonpath", []),
]


@pytest.mark.parametrize(("name", "tree", "value", "compiler", "errors"), ENGINES, ids=[e[0] for e in ENGINES])
def test_engines(name: str, tree: Any, value: Any, compiler: str, errors: list[str]) -> None:
    found = assert_tree(tree, value, _bindings({"n": 5}), compiler)
    assert [str(error) for error in found] == errors


def test_cel_evaluation_error_is_hard() -> None:
    with pytest.raises(AssertionHardError) as raised:
        assert_tree({"(cel; object.missing.field)": 1}, {}, compiler="jp")
    assert str(raised.value).startswith("(cel; object.missing.field): Internal error: ")


def test_null_tree_is_refused_like_chainsaw() -> None:
    with pytest.raises(ChainsawError, match="^check value is null$"):
        assert_tree(None, {})


def test_compiler_none_means_jp() -> None:
    assert assert_tree({"(a)": 1}, {"a": 1}, compiler=None) == []
