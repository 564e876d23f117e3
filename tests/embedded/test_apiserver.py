"""Object semantics of the API server, in-process (no HTTP, no controllers): the apiserver's rules and words."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.embedded.apierrors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
)
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store
from chainsaw_py.embedded.writes import DeleteOptions, WriteOptions

MERGE = "application/merge-patch+json"


@pytest.fixture
def server() -> ApiServer:
    api = ApiServer(ResourceRegistry(), Store(), StrategyRegistry())
    namespaces = api.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    return api


def rt(server: ApiServer, api_version: str, kind: str) -> Any:
    found = server.registry.by_api_version_kind(api_version, kind)
    assert found is not None
    return found


def deployment(name: str = "d", replicas: int = 1) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def test_create_sets_metadata_and_defaults(server: ApiServer) -> None:
    created = server.create(rt(server, "apps/v1", "Deployment"), "ns", deployment()).obj
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
    assert int(meta["resourceVersion"]) == server.store.resource_version
    spec = created["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%",
                                                                          "maxUnavailable": "25%"}}
    container = spec["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always" and container["terminationMessagePolicy"] == "File"
    assert created["status"] == {}


def test_configmaps_have_no_generation(server: ApiServer) -> None:
    created = server.create(rt(server, "v1", "ConfigMap"), "ns", {"metadata": {"name": "c"}}).obj
    assert "generation" not in created["metadata"]


def test_generation_bumps_on_spec_change_only(server: ApiServer) -> None:
    deployments = rt(server, "apps/v1", "Deployment")
    server.create(deployments, "ns", deployment())
    labelled = server.patch(deployments, "ns", "d", MERGE, {"metadata": {"labels": {"x": "y"}}}).obj
    assert labelled["metadata"]["generation"] == 1
    scaled = server.patch(deployments, "ns", "d", MERGE, {"spec": {"replicas": 3}}).obj
    assert scaled["metadata"]["generation"] == 2
    status = server.patch(deployments, "ns", "d", MERGE, {"status": {"replicas": 3}}, subresource="status").obj
    assert status["metadata"]["generation"] == 2 and status["status"] == {"replicas": 3}


def test_no_op_update_keeps_resource_version(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    created = server.create(configmaps, "ns", {"metadata": {"name": "c"}, "data": {"a": "1"}}).obj
    again = server.patch(configmaps, "ns", "c", MERGE, {"data": {"a": "1"}}).obj
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_restating_the_undefaulted_spec_changes_nothing(server: ApiServer) -> None:
    """Controllers re-apply their objects without the server's defaults; that must not bump the generation nor
    write (the event would requeue them: a loop)."""
    deployments = rt(server, "apps/v1", "Deployment")
    created = server.create(deployments, "ns", deployment()).obj
    body = deployment()
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    again = server.update(deployments, "ns", "d", body).obj
    assert again["metadata"]["generation"] == 1
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_stale_resource_version_conflicts(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    created = server.create(configmaps, "ns", {"metadata": {"name": "c"}}).obj
    server.patch(configmaps, "ns", "c", MERGE, {"data": {"a": "1"}})
    with pytest.raises(Conflict) as conflict:
        server.update(configmaps, "ns", "c", created)
    assert conflict.value.message == ('Operation cannot be fulfilled on configmaps "c": the object has been '
                                      "modified; please apply your changes to the latest version and try again")


def test_main_resource_update_ignores_status(server: ApiServer) -> None:
    deployments = rt(server, "apps/v1", "Deployment")
    body = deployment()
    body["status"] = {"replicas": 99}
    assert server.create(deployments, "ns", body).obj["status"] == {}
    updated = server.patch(deployments, "ns", "d", MERGE, {"status": {"replicas": 5}}).obj
    assert updated["status"] == {}


def test_dry_run_writes_nothing(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    before = server.store.resource_version
    result = server.create(configmaps, "ns", {"metadata": {"name": "dry"}}, WriteOptions(dry_run=True))
    assert result.code == 201 and result.obj["metadata"]["uid"]
    assert server.store.resource_version == before
    assert server.store.get("", "configmaps", "ns", "dry") is None


@pytest.mark.parametrize(("mode", "outcome"), [("Strict", "error"), ("Warn", "warning"), ("Ignore", "silent")])
def test_field_validation_modes(server: ApiServer, mode: str, outcome: str) -> None:
    body = {"metadata": {"name": f"fv-{mode.lower()}"}, "data": {"foo": "bar"}, "bar": "baz"}
    configmaps = rt(server, "v1", "ConfigMap")
    if outcome == "error":
        with pytest.raises(BadRequest) as error:
            server.create(configmaps, "ns", body, WriteOptions(field_validation=mode))
        assert error.value.message == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict '
                                       'decoding error: unknown field "bar"')
        return
    result = server.create(configmaps, "ns", body, WriteOptions(field_validation=mode))
    assert result.warnings == (['unknown field "bar"'] if outcome == "warning" else [])
    assert "bar" not in result.obj


def test_type_errors_are_decode_errors(server: ApiServer) -> None:
    with pytest.raises(BadRequest) as error:
        server.create(rt(server, "v1", "ConfigMap"), "ns", {"metadata": {"name": "t", "labels": {"a": 1}}})
    assert error.value.message == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot '
                                   "unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")


@pytest.mark.parametrize(("body", "error", "message"), [
    ({"metadata": {"name": "x", "resourceVersion": "5"}}, ApiError,
     "Internal error occurred: resourceVersion should not be set on objects to be created"),
    ({"metadata": {}}, Invalid,
     'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'),
    ({"metadata": {"name": "x", "namespace": "other"}}, BadRequest,
     "the namespace of the provided object does not match the namespace sent on the request"),
    ({"apiVersion": "v2", "metadata": {"name": "x"}}, BadRequest,
     "the API version in the data (v2) does not match the expected API version (v1)"),
])
def test_create_errors(server: ApiServer, body: dict[str, Any], error: type[ApiError], message: str) -> None:
    with pytest.raises(error) as raised:
        server.create(rt(server, "v1", "ConfigMap"), "ns", body)
    assert raised.value.message == message


def test_missing_namespace_and_duplicates(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    with pytest.raises(NotFound, match='namespaces "absent" not found'):
        server.create(configmaps, "absent", {"metadata": {"name": "x"}})
    server.create(configmaps, "ns", {"metadata": {"name": "x"}})
    with pytest.raises(AlreadyExists, match='configmaps "x" already exists'):
        server.create(configmaps, "ns", {"metadata": {"name": "x"}})


def test_generate_name(server: ApiServer) -> None:
    created = server.create(rt(server, "v1", "ConfigMap"), "ns", {"metadata": {"generateName": "gen-"}}).obj
    assert created["metadata"]["name"].startswith("gen-") and len(created["metadata"]["name"]) == 9


def test_finalizers_hold_deletion(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    server.create(configmaps, "ns", {"metadata": {"name": "f", "finalizers": ["example.com/x"]}})
    deleting = server.delete(configmaps, "ns", "f").obj
    assert deleting["metadata"]["deletionTimestamp"] and deleting["metadata"]["deletionGracePeriodSeconds"] == 0
    with pytest.raises(Invalid, match="no new finalizers can be added if the object is being deleted"):
        server.patch(configmaps, "ns", "f", MERGE, {"metadata": {"finalizers": ["example.com/x", "new.io/y"]}})
    server.patch(configmaps, "ns", "f", MERGE, {"metadata": {"finalizers": None}})
    assert server.store.get("", "configmaps", "ns", "f") is None


def test_delete_returns_status_or_object(server: ApiServer) -> None:
    server.create(rt(server, "v1", "ConfigMap"), "ns", {"metadata": {"name": "c"}})
    status = server.delete(rt(server, "v1", "ConfigMap"), "ns", "c").obj
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "c" and status["details"]["kind"] == "configmaps"


def test_delete_preconditions(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    server.create(configmaps, "ns", {"metadata": {"name": "c"}})
    with pytest.raises(Conflict, match="Precondition failed: UID in precondition: nope"):
        server.delete(configmaps, "ns", "c", DeleteOptions(uid="nope"))


def test_terminating_namespace_forbids_creates(server: ApiServer) -> None:
    namespaces = rt(server, "v1", "Namespace")
    server.create(namespaces, "", {"metadata": {"name": "closing"}})
    assert server.delete(namespaces, "", "closing").obj["status"]["phase"] == "Terminating"
    with pytest.raises(Forbidden) as forbidden:
        server.create(rt(server, "v1", "ConfigMap"), "closing", {"metadata": {"name": "late"}})
    assert forbidden.value.message == ('configmaps "late" is forbidden: unable to create new content in namespace '
                                       "closing because it is being terminated")


@pytest.mark.parametrize(("kind_body", "message"), [
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}},
     'Pod "p" is invalid: spec.containers[0].image: Required value'),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}},
     'Pod "p" is invalid: spec.containers: Required value'),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a b": "x"}},
     ('ConfigMap "c" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric '
      "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
      "'[-._a-zA-Z0-9]+')")),
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}},
     ('Service "1svc" is invalid: metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower '
      "case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
      "character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")),
])
def test_kind_validation_messages(server: ApiServer, kind_body: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid) as invalid:
        server.create(rt(server, kind_body["apiVersion"], kind_body["kind"]), "ns", kind_body)
    assert invalid.value.message == message


def test_deployment_selector_must_match_template(server: ApiServer) -> None:
    body = deployment()
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(Invalid) as invalid:
        server.create(rt(server, "apps/v1", "Deployment"), "ns", body)
    assert invalid.value.message == ('Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: '
                                     'map[string]string{"app":"d"}: `selector` does not match template `labels`')


def test_pod_spec_is_mostly_immutable(server: ApiServer) -> None:
    pods = rt(server, "v1", "Pod")
    server.create(pods, "ns", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "a"}]}})
    assert server.patch(pods, "ns", "p", "application/strategic-merge-patch+json",
                        {"spec": {"containers": [{"name": "c", "image": "b"}]}}).obj["spec"]["containers"][0][
        "image"] == "b"
    with pytest.raises(Invalid, match="pod updates may not change fields other than"):
        server.patch(pods, "ns", "p", MERGE, {"spec": {"restartPolicy": "Never"}})


def test_list_selectors_and_pagination(server: ApiServer) -> None:
    configmaps = rt(server, "v1", "ConfigMap")
    for index in range(5):
        server.create(configmaps, "ns", {"metadata": {"name": f"c{index}", "labels": {"even": str(index % 2 == 0)}}})
    assert [i.obj["metadata"]["name"] for i in server.list(configmaps, "ns", "even=True").items] == ["c0", "c2", "c4"]
    assert [i.obj["metadata"]["name"] for i in server.list(configmaps, "ns", None, "metadata.name=c3").items] == ["c3"]
    first = server.list(configmaps, "ns", limit=2)
    assert [i.obj["metadata"]["name"] for i in first.items] == ["c0", "c1"] and first.remaining == 3
    second = server.list(configmaps, "ns", limit=2, continue_token=first.continue_token)
    assert [i.obj["metadata"]["name"] for i in second.items] == ["c2", "c3"]
    with pytest.raises(BadRequest, match="field label not supported: spec.nodeName"):
        server.list(configmaps, "ns", None, "spec.nodeName=x")


def test_custom_resource_schema_defaults_and_pruning(server: ApiServer) -> None:
    crds = rt(server, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
    from chainsaw_py.embedded.crds import CrdRegistrar

    server.store.add_listener(CrdRegistrar(server.registry).on_event)
    server.create(crds, "", {"metadata": {"name": "things.example.com"}, "spec": {
        "group": "example.com", "scope": "Namespaced", "names": {"kind": "Thing", "plural": "things"},
        "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                          "spec": {"type": "object", "required": ["size"], "properties": {
                              "size": {"type": "integer", "maximum": 10},
                              "mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]}}}}}}}]}})
    things = rt(server, "example.com/v1", "Thing")
    created = server.create(things, "ns", {"metadata": {"name": "t"}, "spec": {"size": 3, "extra": 1},
                                           "status": {"ready": True}})
    assert created.obj["spec"] == {"size": 3, "mode": "fast"} and "status" not in created.obj
    assert created.warnings == ['unknown field "spec.extra"', 'unknown field "status"']
    with pytest.raises(Invalid) as invalid:
        server.create(things, "ns", {"metadata": {"name": "u"}, "spec": {"size": "big", "mode": "medium"}})
    assert invalid.value.message == (
        'Thing.example.com "u" is invalid: [spec.size: Invalid value: "string": spec.size in body must be of type '
        'integer: "string", spec.mode: Unsupported value: "medium": supported values: "fast", "slow"]')
    with pytest.raises(Invalid, match=r"spec.size: Required value"):
        server.create(things, "ns", {"metadata": {"name": "v"}, "spec": {}})


def _crd_with_rules(server: ApiServer, rules: list[dict[str, Any]]) -> Any:
    from chainsaw_py.embedded.crds import CrdRegistrar

    server.store.add_listener(CrdRegistrar(server.registry).on_event)
    crds = rt(server, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
    server.create(crds, "", {"metadata": {"name": "ranges.example.com"}, "spec": {
        "group": "example.com", "scope": "Namespaced", "names": {"kind": "Range", "plural": "ranges"},
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {
                "type": "object", "x-kubernetes-validations": rules,
                "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}}}}}}}]}})
    return rt(server, "example.com/v1", "Range")


def test_cel_validation_rules(server: ApiServer) -> None:
    ranges = _crd_with_rules(server, [
        {"rule": "self.min <= self.max", "message": "min must not exceed max"},
        {"rule": "self.max <= oldSelf.max * 2"},
    ])
    server.create(ranges, "ns", {"metadata": {"name": "r"}, "spec": {"min": 1, "max": 5}})
    with pytest.raises(Invalid) as invalid:
        server.create(ranges, "ns", {"metadata": {"name": "bad"}, "spec": {"min": 9, "max": 5}})
    assert invalid.value.message == 'Range.example.com "bad" is invalid: spec: Invalid value: "object": min must ' \
                                    "not exceed max"
    with pytest.raises(Invalid) as transition:
        server.patch(ranges, "ns", "r", MERGE, {"spec": {"max": 11}})
    assert 'spec: Invalid value: "object": failed rule: self.max <= oldSelf.max * 2' in transition.value.message
    assert server.patch(ranges, "ns", "r", MERGE, {"spec": {"max": 10}}).obj["spec"]["max"] == 10


def test_crd_rules_with_optional_syntax_are_accepted_and_enforced(server: ApiServer) -> None:
    """cel-go's optional syntax, as in real CRDs (CrunchyData's PostgresCluster): fields may be absent."""
    ranges = _crd_with_rules(server, [
        {"rule": "self.?min.orValue(0) <= self.?max.orValue(100)", "message": "min must not exceed max"},
        {"rule": "self.?max.orValue(1) > 0", "message": "max must be positive"},
        {"rule": "!has(oldSelf.min) || self[?'min'].hasValue()", "message": "min cannot be removed"},
    ])
    server.create(ranges, "ns", {"metadata": {"name": "empty"}, "spec": {}})
    server.create(ranges, "ns", {"metadata": {"name": "low"}, "spec": {"min": 50}})
    with pytest.raises(Invalid) as invalid:
        server.create(ranges, "ns", {"metadata": {"name": "high"}, "spec": {"min": 101}})
    assert invalid.value.message == 'Range.example.com "high" is invalid: spec: Invalid value: "object": min must ' \
                                    "not exceed max"
    with pytest.raises(Invalid, match="max must be positive"):
        server.create(ranges, "ns", {"metadata": {"name": "zero"}, "spec": {"max": 0}})
    with pytest.raises(Invalid, match="min cannot be removed"):
        server.patch(ranges, "ns", "low", MERGE, {"spec": {"min": None}})


def test_crd_with_uncompilable_rule_is_rejected(server: ApiServer) -> None:
    with pytest.raises(Invalid, match=r"x-kubernetes-validations\[0\]\.rule: Invalid value: \"self.min <=\": "
                                      r"compilation failed: ERROR"):
        _crd_with_rules(server, [{"rule": "self.min <="}])
