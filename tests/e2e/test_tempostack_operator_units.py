"""The simulated Tempo operator's pure parts: storage checks, manifests, status, container start-up."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import SCENARIO, TempoSim

NAMESPACE = "chainsaw-brave-otter"
ENDPOINT = "http://127.0.0.1:9000"
STATIC = {"bucket": "traces", "endpoint": ENDPOINT, "access_key_id": "AKIAEXAMPLE", "access_key_secret": "s3cr3t"}
TOKEN = {"bucket": "traces", "region": "us-east-2", "role_arn": "arn:aws:iam::123456789012:role/tempo"}


def stack(**spec_changes: Any) -> dict[str, Any]:
    """The scenario's TempoStack, as the API server stores it in the test namespace."""
    document = yaml.safe_load((SCENARIO / "01-install-tempostack.yaml").read_text())
    document["metadata"].update({"namespace": NAMESPACE, "uid": "0b5d6c3e-0000-4000-8000-000000000001"})
    document["spec"].update(spec_changes)
    return dict(document)


def secret(values: dict[str, str], name: str = "s3-secret") -> dict[str, Any]:
    data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NAMESPACE}, "data": data}


def lookup(*objects: dict[str, Any]) -> Any:
    by_name = {obj["metadata"]["name"]: obj for obj in objects}
    return lambda name: by_name.get(name)


def none(_: str) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Storage checks (tempo-operator internal/handlers/storage)


@pytest.mark.parametrize(("values", "mode"), [
    (STATIC, "static"),
    (TOKEN, "token"),
    ({"bucket": "traces"}, "static"),
    ({"bucket": "traces", "region": "us-east-2"}, "token"),
])
def test_credential_mode_is_discovered_from_the_keys(sim: TempoSim, values: dict[str, str], mode: str) -> None:
    data = {key: value.encode() for key, value in values.items()}
    assert sim.storage.discover_credential_mode(data) == mode


MIXED = "storage secret contains fields for long lived and short lived configuration"


@pytest.mark.parametrize(("values", "details"), [
    ({**STATIC, "region": "us-east-2"}, [MIXED]),
    ({**TOKEN, "access_key_id": "AKIAEXAMPLE"}, [MIXED]),
    ({**STATIC, "access_key_secret": ""}, ['storage secret must contain "access_key_secret" field']),
    ({"endpoint": ENDPOINT}, ['storage secret must contain "bucket" field',
                              'storage secret must contain "access_key_id" field',
                              'storage secret must contain "access_key_secret" field']),
    ({**STATIC, "endpoint": "s3.us-east-2.amazonaws.com"},
     ['"endpoint" field of storage secret must be a valid URL']),
    ({**STATIC, "endpoint": ""}, ['storage secret must contain "endpoint" field',
                                  '"endpoint" field of storage secret must be a valid URL']),
    ({"bucket": "traces", "role_arn": "arn:aws:iam::123456789012:role/tempo"},
     ['storage secret must contain "region" field']),
])
def test_invalid_secrets_give_the_operators_messages(sim: TempoSim, values: dict[str, str],
                                                    details: list[str]) -> None:
    with pytest.raises(sim.errors.ConfigurationError) as caught:
        sim.storage.s3_storage(stack(), lookup(secret(values)), none)
    assert caught.value.details == details
    assert caught.value.reason == "InvalidStorageConfig"
    assert caught.value.message == ", ".join(details)


@pytest.mark.parametrize(("value", "valid"), [
    ("http://127.0.0.1:9000", True),
    ("https://s3.us-east-2.amazonaws.com", True),
    ("localhost:9000", True),          # Go reads "localhost" as the scheme
    ("s3.us-east-2.amazonaws.com", False),
    ("/just/a/path", False),           # ParseRequestURI accepts it, but it has no scheme
    ("", False),
    (":9000", False),
    ("http://bad host", False),
    ("http://host\n", False),
])
def test_endpoint_url_check_follows_go_parse_request_uri(sim: TempoSim, value: str, valid: bool) -> None:
    assert sim.storage.is_request_uri_with_scheme(value) is valid


def test_static_secret_gives_endpoint_without_scheme(sim: TempoSim) -> None:
    params = sim.storage.s3_storage(stack(), lookup(secret(STATIC)), none)
    assert (params.credential_mode, params.bucket, params.endpoint, params.insecure) == \
        ("static", "traces", "127.0.0.1:9000", True)
    tls = stack(storage={"secret": {"name": "s3-secret", "type": "s3"}, "tls": {"enabled": True}})
    assert sim.storage.s3_storage(tls, lookup(secret(STATIC)), none).insecure is False


def test_token_secret_uses_the_regional_endpoint_over_https(sim: TempoSim) -> None:
    params = sim.storage.s3_storage(stack(), lookup(secret(TOKEN)), none)
    assert (params.credential_mode, params.endpoint, params.insecure, params.region, params.role_arn) == \
        ("token", "s3.us-east-2.amazonaws.com", False, "us-east-2", TOKEN["role_arn"])


@pytest.mark.parametrize(("storage", "objects", "message"), [
    ({"secret": {"name": "s3-secret", "type": "s3"}}, [],
     ('could not fetch storage configuration secret: secrets "s3-secret" not found. '
     "Tempo will start once the storage secret is available")),
    ({"secret": {"name": "s3-secret", "type": "s3", "credentialMode": "token-cco"}}, [],
     "cannot configure tempo in CCO mode without CCO environment"),
    ({"secret": {"name": "s3-secret", "type": "s3"}, "tls": {"enabled": True, "caName": "storage-ca"}},
     [secret(STATIC)], 'could not fetch ConfigMap: configmaps "storage-ca" not found'),
    ({"secret": {"name": "s3-secret", "type": "s3"}, "tls": {"enabled": True, "caName": "storage-ca"}},
     [secret(STATIC), {"metadata": {"name": "storage-ca"}, "data": {"other": "x"}}],
     "CA ConfigMap must contain a 'service-ca.crt', 'ca.crt', or 'ca-bundle.crt' key"),
])
def test_configuration_errors_before_the_keys(sim: TempoSim, storage: dict[str, Any], objects: list[dict[str, Any]],
                                              message: str) -> None:
    with pytest.raises(sim.errors.ConfigurationError) as caught:
        sim.storage.s3_storage(stack(storage=storage), lookup(*objects), lookup(*objects))
    assert caught.value.message == message


def test_a_storage_type_other_than_s3_is_declared_not_simulated(sim: TempoSim) -> None:
    azure = stack(storage={"secret": {"name": "s3-secret", "type": "azure"}})
    with pytest.raises(sim.errors.NotSimulated, match="azure"):
        sim.storage.s3_storage(azure, lookup(secret(STATIC)), none)


# ---------------------------------------------------------------------------------------------
# Manifests


def built(sim: TempoSim, values: dict[str, str] = STATIC, **spec_changes: Any) -> list[dict[str, Any]]:
    obj = stack(**spec_changes)
    params = sim.storage.s3_storage(obj, lookup(secret(values)), none)
    return list(sim.manifests.build_all(sim.manifests.from_object(obj), params))


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name)


def test_every_object_the_step_01_assert_expects_is_built(sim: TempoSim) -> None:
    """01-assert.yaml's objects (without their status, which the cluster adds) match what the simulated
    operator builds: names, labels, selectors, ports, the ingress backend."""
    from chainsaw_py.checks import assert_tree
    from chainsaw_py.expressions import Bindings

    objects = built(sim)
    expected = [doc for doc in yaml.safe_load_all((SCENARIO / "01-assert.yaml").read_text())
                if doc and doc["kind"] != "TempoStack"]
    assert len(expected) == 14
    for document in expected:
        tree = {key: value for key, value in document.items() if key != "status"}
        candidate = find(objects, document["kind"], document["metadata"]["name"])
        assert assert_tree(tree, candidate, Bindings()) == [], document["metadata"]["name"]


def test_workloads_select_their_pods_and_join_the_gossip_ring(sim: TempoSim) -> None:
    objects = built(sim)
    gossip = find(objects, "Service", "tempo-simplest-gossip-ring")["spec"]["selector"]
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template_labels = obj["spec"]["template"]["metadata"]["labels"]
        assert obj["spec"]["selector"]["matchLabels"].items() <= template_labels.items()
        assert gossip.items() <= template_labels.items()
        ports = {p["name"] for c in obj["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        component = obj["metadata"]["labels"]["app.kubernetes.io/component"]
        service = find(objects, "Service", obj["metadata"]["name"])
        served = {p["targetPort"] for p in service["spec"]["ports"]}
        # The operator's querier service also lists grpc, which its container does not declare.
        assert served - ports <= ({"grpc"} if component == "querier" else set()), component


def test_storage_components_get_the_keys_from_the_secret(sim: TempoSim) -> None:
    objects = built(sim)
    for component in ("compactor", "querier", "query-frontend", "distributor"):
        container = find(objects, "Deployment", f"tempo-simplest-{component}")["spec"]["template"]["spec"][
            "containers"][0]
        env = {entry["name"]: entry.get("valueFrom", {}).get("secretKeyRef") for entry in container.get("env", [])}
        if component == "distributor":
            assert env == {}
            continue
        assert env == {"S3_SECRET_KEY": {"name": "s3-secret", "key": "access_key_secret"},
                       "S3_ACCESS_KEY": {"name": "s3-secret", "key": "access_key_id"}}
        assert "--storage.trace.s3.access_key=$(S3_ACCESS_KEY)" in container["args"]
    config = yaml.safe_load(find(objects, "ConfigMap", "tempo-simplest")["data"]["tempo.yaml"])
    assert config["storage"]["trace"]["s3"] == {"endpoint": "127.0.0.1:9000", "bucket": "traces", "insecure": True}
    assert "s3cr3t" not in yaml.safe_dump(objects)


def test_token_form_puts_the_role_on_the_service_account(sim: TempoSim) -> None:
    objects = built(sim, TOKEN)
    account = find(objects, "ServiceAccount", "tempo-simplest")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/audience": "sts.amazonaws.com",
                                                  "eks.amazonaws.com/role-arn": TOKEN["role_arn"]}
    ingester = find(objects, "StatefulSet", "tempo-simplest-ingester")["spec"]["template"]["spec"]["containers"][0]
    assert "env" not in ingester


def test_resources_are_split_from_the_total_like_the_operator(sim: TempoSim) -> None:
    objects = built(sim)
    distributor = find(objects, "Deployment", "tempo-simplest-distributor")
    # 27% of 2 CPUs and 12% of 2Gi, requests at 30% of the limits, with the operator's float32 arithmetic.
    assert distributor["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "540m", "memory": "257698032"}, "requests": {"cpu": "162m", "memory": "77309416"}}
    ingester = find(objects, "StatefulSet", "tempo-simplest-ingester")
    assert ingester["spec"]["volumeClaimTemplates"][0]["spec"]["resources"] == {"requests": {"storage": "200M"}}


def test_ingress_host_gives_a_rule_instead_of_the_default_backend(sim: TempoSim) -> None:
    template = copy.deepcopy(stack()["spec"]["template"])
    template["queryFrontend"]["jaegerQuery"]["ingress"].update({"host": "tempo.example.com",
                                                                "ingressClassName": "nginx"})
    ingress = find(built(sim, template=template), "Ingress", "tempo-simplest-query-frontend")
    assert ingress["spec"] == {"ingressClassName": "nginx", "rules": [{"host": "tempo.example.com", "http": {
        "paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": "tempo-simplest-query-frontend", "port": {"name": "jaeger-ui"}}}}]}}]}


def test_without_jaeger_query_there_is_no_ingress_and_one_container(sim: TempoSim) -> None:
    objects = built(sim, template={})
    assert not [obj for obj in objects if obj["kind"] == "Ingress"]
    frontend = find(objects, "Deployment", "tempo-simplest-query-frontend")
    assert [c["name"] for c in frontend["spec"]["template"]["spec"]["containers"]] == ["tempo"]
    assert "tempo-query.yaml" not in find(objects, "ConfigMap", "tempo-simplest")["data"]


def test_a_custom_service_account_is_not_created(sim: TempoSim) -> None:
    objects = built(sim, serviceAccount="my-account")
    assert not [obj for obj in objects if obj["kind"] == "ServiceAccount"]
    pod_accounts = {obj["spec"]["template"]["spec"]["serviceAccountName"] for obj in objects
                    if obj["kind"] in ("Deployment", "StatefulSet")}
    assert pod_accounts == {"my-account"}


def test_extra_config_overrides_the_generated_configuration(sim: TempoSim) -> None:
    objects = built(sim, extraConfig={"tempo": {"querier": {"max_concurrent_queries": 7}}})
    config = yaml.safe_load(find(objects, "ConfigMap", "tempo-simplest")["data"]["tempo.yaml"])
    assert config["querier"]["max_concurrent_queries"] == 7
    assert config["querier"]["frontend_worker"]["frontend_address"] == "tempo-simplest-query-frontend-discovery:9095"


def test_limits_and_search_settings_reach_the_configuration(sim: TempoSim) -> None:
    objects = built(sim, limits={"global": {"ingestion": {"maxTracesPerUser": 1000},
                                            "query": {"maxSearchDuration": "24h"}}},
                    search={"maxDuration": "1h", "defaultResultLimit": 50})
    config = yaml.safe_load(find(objects, "ConfigMap", "tempo-simplest")["data"]["tempo.yaml"])
    assert config["overrides"] == {"max_traces_per_user": 1000, "max_search_duration": "24h"}
    assert config["query_frontend"]["search"] == {"max_spans_per_span_set": 0, "max_duration": "1h",
                                                  "default_result_limit": 50}
    assert "overrides" not in yaml.safe_load(find(built(sim), "ConfigMap", "tempo-simplest")["data"]["tempo.yaml"])


def test_replicas_default_to_one_and_zero_stays_zero(sim: TempoSim) -> None:
    objects = built(sim, template={"querier": {"replicas": 0}, "distributor": {"component": {"replicas": 3}}})
    assert find(objects, "Deployment", "tempo-simplest-querier")["spec"]["replicas"] == 0
    assert find(objects, "Deployment", "tempo-simplest-distributor")["spec"]["replicas"] == 3
    assert find(objects, "StatefulSet", "tempo-simplest-ingester")["spec"]["replicas"] == 1


@pytest.mark.parametrize(("spec", "fields"), [
    ({}, []),
    ({"template": {"gateway": {"enabled": True}}}, ["spec.template.gateway.enabled"]),
    ({"size": "1x.small", "observability": {"metrics": {"createServiceMonitors": True}}},
     ["spec.size", "spec.observability.metrics.createServiceMonitors"]),
    ({"template": {"queryFrontend": {"jaegerQuery": {"enabled": True, "ingress": {"type": "route"}}}}},
     ["spec.template.queryFrontend.jaegerQuery.ingress.type: route"]),
    ({"hashRing": {"memberlist": {"instanceAddrType": "podIP"}}, "limits": {"perTenant": {"t": {}}}},
     ["spec.hashRing.memberlist.instanceAddrType: podIP", "spec.limits.perTenant"]),
])
def test_unsupported_features_are_named(sim: TempoSim, spec: dict[str, Any], fields: list[str]) -> None:
    assert sim.manifests.unsupported_features(spec) == fields


# ---------------------------------------------------------------------------------------------
# Status (tempo-operator internal/status)


def pod(name: str, phase: str, ready: bool | None = None, deleting: bool = False) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if ready is not None:
        status["containerStatuses"] = [{"name": "tempo", "ready": ready}]
    meta: dict[str, Any] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": status}


@pytest.mark.parametrize(("phase", "ready", "expected"), [
    ("Running", True, "Ready"), ("Running", False, "Running"), ("Pending", None, "Pending"),
    ("Failed", None, "Failed"), ("Succeeded", None, "Succeeded"), ("", None, "Unknown"),
])
def test_pod_status(sim: TempoSim, phase: str, ready: bool | None, expected: str) -> None:
    assert sim.status.pod_status(pod("p", phase, ready)) == expected


ONE_EACH = {"compactor": 1, "distributor": 1, "ingester": 1, "querier": 1, "query-frontend": 1}


@pytest.mark.parametrize(("pods", "expected"), [
    ({c: [pod(c, "Running", True)] for c in ONE_EACH}, "Ready"),
    ({**{c: [pod(c, "Running", True)] for c in ONE_EACH}, "querier": [pod("q", "Running", False)]}, "Pending"),
    ({**{c: [pod(c, "Running", True)] for c in ONE_EACH}, "ingester": [pod("i", "Failed")]}, "Failed"),
    ({**{c: [pod(c, "Running", True)] for c in ONE_EACH}, "compactor": []}, "Pending"),
    ({**{c: [pod(c, "Running", True)] for c in ONE_EACH}, "compactor": [pod("c", "Running", True, deleting=True)]},
     "Pending"),
])
def test_summary(sim: TempoSim, pods: dict[str, list[dict[str, Any]]], expected: str) -> None:
    assert sim.status.summary(sim.status.components(pods), ONE_EACH) == expected


def test_components_list_every_component_by_pod_status(sim: TempoSim) -> None:
    result = sim.status.components({"querier": [pod("b", "Running", False), pod("a", "Running", True)]})
    assert result == {"compactor": {}, "distributor": {}, "ingester": {}, "querier": {"Ready": ["a"], "Running": ["b"]},
                      "queryFrontend": {}, "gateway": {}}


def test_update_condition_makes_one_condition_true(sim: TempoSim) -> None:
    first = sim.status.summary_condition([], "Pending", "t1")
    assert first == [{"type": "Pending", "status": "True", "reason": "PendingComponents",
                      "message": "Some Tempo components are pending on dependencies", "lastTransitionTime": "t1"}]
    ready = sim.status.summary_condition(first, "Ready", "t2")
    assert [(c["type"], c["status"], c["lastTransitionTime"]) for c in ready] == [("Pending", "False", "t2"),
                                                                                  ("Ready", "True", "t2")]
    assert sim.status.summary_condition(ready, "Ready", "t3") is ready
    broken = sim.status.update_condition(ready, "ConfigurationError", "InvalidStorageConfig", "bad", "t4")
    assert [(c["type"], c["status"]) for c in broken] == [("Pending", "False"), ("Ready", "False"),
                                                          ("ConfigurationError", "True")]


# ---------------------------------------------------------------------------------------------
# Simulated containers


def test_environment_comes_from_the_secret_as_the_kubelet_builds_it(sim: TempoSim) -> None:
    container = {"env": [{"name": "A", "value": "x"}, {"name": "B", "value": "$(A)-y"},
                         {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3-secret", "key": "access_key_id"}}}],
                 "args": ["--storage.trace.s3.access_key=$(KEY)", "-keep=$(MISSING)"]}
    env = sim.containers.resolve_env(container, NAMESPACE, lookup(secret(STATIC)), none)
    assert env == {"A": "x", "B": "x-y", "KEY": "AKIAEXAMPLE"}
    assert sim.containers.expanded_args(container, env) == ["--storage.trace.s3.access_key=AKIAEXAMPLE",
                                                            "-keep=$(MISSING)"]


@pytest.mark.parametrize(("objects", "message"), [
    ([], 'secret "s3-secret" not found'),
    ([secret({"bucket": "traces"})], f"couldn't find key access_key_id in Secret {NAMESPACE}/s3-secret"),
])
def test_unresolvable_environment_is_a_container_config_error(sim: TempoSim, objects: list[dict[str, Any]],
                                                              message: str) -> None:
    container = {"env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3-secret",
                                                                        "key": "access_key_id"}}}]}
    with pytest.raises(sim.containers.ContainerConfigError) as caught:
        sim.containers.resolve_env(container, NAMESPACE, lookup(*objects), none)
    assert str(caught.value) == message


def test_store_target_needs_static_keys(sim: TempoSim) -> None:
    config = {"storage": {"trace": {"s3": {"bucket": "traces", "endpoint": "127.0.0.1:9000", "insecure": True}}}}
    target = sim.containers.store_target(config, ["--storage.trace.s3.access_key=AK",
                                                  "--storage.trace.s3.secret_key=SK"])
    assert (target.url, target.bucket, target.access_key_id, target.secret_access_key) == \
        ("http://127.0.0.1:9000", "traces", "AK", "SK")
    reason = sim.containers.store_target(config, [])
    assert isinstance(reason, str) and "web identity" in reason


@pytest.mark.parametrize(("restarts", "seconds"), [(0, 10), (1, 10), (2, 20), (3, 40), (6, 300), (30, 300)])
def test_crash_loop_back_off(sim: TempoSim, restarts: int, seconds: float) -> None:
    assert sim.containers.backoff_seconds(restarts) == seconds


def test_a_crashed_container_waits_in_crash_loop_back_off(sim: TempoSim) -> None:
    status = {"name": "tempo", "ready": False, "restartCount": 0, "containerID": "containerd://1",
              "state": {"running": {"startedAt": "t0"}}, "lastState": {}}
    crashed = sim.containers.crashed(status, "p_ns(uid)", "t0", "t1")
    assert crashed["restartCount"] == 1
    assert crashed["state"] == {"waiting": {"reason": "CrashLoopBackOff",
                                            "message": "back-off 10s restarting failed container=tempo pod=p_ns(uid)"}}
    assert crashed["lastState"]["terminated"] == {"exitCode": 1, "reason": "Error", "startedAt": "t0",
                                                  "finishedAt": "t1", "containerID": "containerd://1"}
    assert sim.containers.crashed(crashed, "p_ns(uid)", "t1", "t2")["state"]["waiting"]["message"].startswith(
        "back-off 20s")


def test_log_lines_are_logfmt(sim: TempoSim) -> None:
    line = sim.containers.log_line("info", "checking the trace store", "2026-01-01T00:00:00Z", bucket="b",
                                   endpoint="http://127.0.0.1:1", note="two words")
    assert line == ('level=info ts=2026-01-01T00:00:00Z caller=simulated msg="checking the trace store" bucket=b '
                    'endpoint=http://127.0.0.1:1 note="two words"')


# ---------------------------------------------------------------------------------------------
# CRD


def test_crd_schema_declares_the_scenario_and_common_fields(sim: TempoSim) -> None:
    schema = sim.crd.custom_resource_definition()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = schema["properties"]["spec"]["properties"]
    assert {"storage", "storageSize", "resources", "template", "retention", "limits", "search", "images",
            "serviceAccount", "tenants", "observability", "managementState", "extraConfig"} <= set(spec)
    frontend = spec["template"]["properties"]["queryFrontend"]["properties"]
    assert frontend["jaegerQuery"]["properties"]["ingress"]["properties"]["type"]["enum"] == \
        ["ingress", "route", "none", ""]
    assert spec["storage"]["properties"]["secret"]["properties"]["type"]["enum"] == ["azure", "gcs", "s3"]
