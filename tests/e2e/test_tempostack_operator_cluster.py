"""The simulated Tempo operator as a plugin of an embedded cluster with local S3, driven over HTTP."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import yaml

from tests.e2e.conftest import PLUGIN, SCENARIO, TempoSim

STACK_API = "tempo.grafana.com/v1alpha1"
WAIT = 20.0
T = TypeVar("T")
_names = itertools.count()


@dataclass
class Env:
    cluster: Any
    client: Any

    def admin_s3(self) -> Any:
        import boto3

        s3 = self.cluster.s3
        return boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1",
                            aws_access_key_id=s3.access_key_id, aws_secret_access_key=s3.secret_access_key)

    def namespace(self) -> str:
        name = f"tempo-sim-{next(_names)}"
        self.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name

    def storage_secret(self, namespace: str, **overrides: str) -> dict[str, str]:
        """Create a bucket and the static storage secret (with ``overrides`` of its keys)."""
        bucket = f"{namespace}-traces"
        self.admin_s3().create_bucket(Bucket=bucket)
        s3 = self.cluster.s3
        values = {"bucket": bucket, "endpoint": s3.endpoint_url, "access_key_id": s3.access_key_id,
                  "access_key_secret": s3.secret_access_key, **overrides}
        self.put_secret(namespace, values)
        return values

    def put_secret(self, namespace: str, values: dict[str, str]) -> None:
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3-secret", "namespace": namespace},
                  "type": "Opaque", "data": data}
        if self.client.exists("v1", "Secret", namespace, "s3-secret"):
            self.client.patch(secret, {"data": data})
        else:
            self.client.create(secret)

    def stack(self, namespace: str, **spec_changes: Any) -> dict[str, Any]:
        document = yaml.safe_load((SCENARIO / "01-install-tempostack.yaml").read_text())
        document["metadata"]["namespace"] = namespace
        document["spec"].update(spec_changes)
        return dict(self.client.create(document))

    def get_stack(self, namespace: str) -> dict[str, Any]:
        return dict(self.client.get(STACK_API, "TempoStack", namespace, "simplest"))

    def true_condition(self, namespace: str) -> dict[str, Any] | None:
        conditions = (self.get_stack(namespace).get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["status"] == "True"), None)

    def pods(self, namespace: str, component: str) -> list[dict[str, Any]]:
        labels = f"app.kubernetes.io/component={component},app.kubernetes.io/instance=simplest"
        return list(self.client.list("v1", "Pod", namespace, labels)["items"])

    def tempo_status(self, namespace: str, component: str) -> dict[str, Any]:
        pods = self.pods(namespace, component)
        statuses = (pods[0].get("status") or {}).get("containerStatuses") or [] if pods else []
        return next((s for s in statuses if s["name"] == "tempo"), {})

    def tempo_log(self, namespace: str, component: str) -> str:
        """Every line the simulated Tempo container wrote, across restarts (read from the cluster's log store:
        the pods/log endpoint serves one instance), of every pod of the component: while its ReplicaSet replaces a
        pod, the one that crashed need not be the first listed."""
        names = [pod["metadata"]["name"] for pod in self.pods(namespace, component)]
        return "".join(line.text + "\n" for name in names
                       for line in self.cluster.logs.read((namespace, name, "tempo")))


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from chainsaw_py.client.clusters import connect
    from chainsaw_py.embedded import EmbeddedCluster

    with EmbeddedCluster(kubeconfig=tmp_path_factory.mktemp("kube") / "kubeconfig", s3=True) as cluster:
        cluster.load_plugin(PLUGIN)
        handle = connect(cluster.kubeconfig_path)
        try:
            yield Env(cluster, handle.client)
        finally:
            handle.close()


@pytest.fixture
def quick_restarts(sim: TempoSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crash-looping containers retry after a fraction of a second instead of the kubelet's 10s."""
    monkeypatch.setattr(sim.containers, "BACKOFF_START", 0.2)


def test_good_secret_makes_the_stack_ready(env: Env) -> None:
    namespace = env.namespace()
    values = env.storage_secret(namespace)
    created = env.stack(namespace)
    ready = wait_for("Ready", lambda: (c := env.true_condition(namespace)) and c["type"] == "Ready" and c)
    assert (ready["reason"], ready["message"]) == ("Ready", "All components are operational")
    stack = env.get_stack(namespace)
    assert stack["metadata"]["finalizers"] == ["tempo.grafana.com/finalizer"]
    assert stack["status"]["operatorVersion"].endswith("-simulated")
    assert stack["status"]["components"]["ingester"] == {"Ready": ["tempo-simplest-ingester-0"]}
    deployment = env.client.get("apps/v1", "Deployment", namespace, "tempo-simplest-querier")
    assert deployment["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    log = env.tempo_log(namespace, "querier")
    assert "simulated container" in log and f"bucket={values['bucket']}" in log and 'msg="Tempo started"' in log
    assert values["access_key_secret"] not in log
    events = env.client.list("v1", "Event", namespace)["items"]
    assert any(e["reason"] == "Simulated" and e["involvedObject"]["kind"] == "TempoStack" for e in events)

    env.client.delete(STACK_API, "TempoStack", namespace, "simplest")
    wait_for("the stack to go", lambda: not env.client.exists(STACK_API, "TempoStack", namespace, "simplest"))
    wait_for("its deployments to go", lambda: not env.client.list("apps/v1", "Deployment", namespace)["items"])


@pytest.mark.usefixtures("quick_restarts")
def test_wrong_secret_key_crash_loops_until_the_secret_is_fixed(env: Env) -> None:
    namespace = env.namespace()
    values = env.storage_secret(namespace, access_key_secret="not-the-secret-key")
    env.stack(namespace)
    waiting = wait_for("CrashLoopBackOff", lambda: (env.tempo_status(namespace, "ingester").get("state") or {})
                       .get("waiting"))
    assert waiting["reason"] == "CrashLoopBackOff"
    pending = wait_for("Pending", lambda: env.true_condition(namespace))
    assert (pending["type"], pending["reason"]) == ("Pending", "PendingComponents")
    assert not [c for c in env.get_stack(namespace)["status"]["conditions"] if c["type"] == "Ready"]
    log = env.tempo_log(namespace, "ingester")
    assert (f"unexpected error from ListObjects on {values['bucket']}: The request signature we calculated does not "
            "match the signature you provided") in log
    assert 'msg="error running Tempo"' in log and "not-the-secret-key" not in log
    # the distributor does not open the store: it becomes ready although the key is wrong
    assert wait_for("distributor ready", lambda: env.tempo_status(namespace, "distributor").get("ready")) is True
    events = env.client.list("v1", "Event", namespace)["items"]
    assert any(e["reason"] == "BackOff" and e["type"] == "Warning" for e in events)

    env.put_secret(namespace, {**values, "access_key_secret": env.cluster.s3.secret_access_key})
    ready = wait_for("Ready after the fix", lambda: (c := env.true_condition(namespace)) and c["type"] == "Ready" and c)
    assert ready["reason"] == "Ready"
    assert int(env.tempo_status(namespace, "ingester")["restartCount"]) >= 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"access_key_id": "AKIAIOSFODNN7EXAMPLE"}, "The AWS Access Key Id you provided does not exist in our records."),
    ({"bucket": "no-such-bucket-here"}, ("unexpected error from ListObjects on no-such-bucket-here: The specified "
                                        "bucket does not exist")),
    ({"endpoint": "http://127.0.0.1:1"}, "dial tcp 127.0.0.1:1: connect: connection refused"),
])
def test_storage_failures_are_logged_in_tempos_words(env: Env, overrides: dict[str, str], message: str) -> None:
    namespace = env.namespace()
    env.storage_secret(namespace, **overrides)
    env.stack(namespace)
    wait_for("CrashLoopBackOff", lambda: (env.tempo_status(namespace, "compactor").get("state") or {}).get("waiting"))
    assert message in env.tempo_log(namespace, "compactor")


def test_invalid_secret_is_a_configuration_error_and_nothing_is_created(env: Env) -> None:
    namespace = env.namespace()
    env.storage_secret(namespace, region="us-east-2")
    env.stack(namespace)
    condition = wait_for("ConfigurationError", lambda: env.true_condition(namespace))
    assert condition == {**condition, "type": "ConfigurationError", "reason": "InvalidStorageConfig",
                         "message": "storage secret contains fields for long lived and short lived configuration"}
    assert env.client.list("apps/v1", "Deployment", namespace)["items"] == []


def test_missing_secret_then_created_secret(env: Env) -> None:
    namespace = env.namespace()
    env.stack(namespace)
    condition = wait_for("ConfigurationError", lambda: env.true_condition(namespace))
    assert condition["message"] == ('could not fetch storage configuration secret: secrets "s3-secret" not found. '
                                    "Tempo will start once the storage secret is available")
    env.storage_secret(namespace)
    wait_for("Ready once the secret exists", lambda: (c := env.true_condition(namespace)) and c["type"] == "Ready")
    conditions = {c["type"]: c["status"] for c in env.get_stack(namespace)["status"]["conditions"]}
    assert conditions["ConfigurationError"] == "False"


def test_features_it_does_not_build_fail_the_reconciliation(env: Env) -> None:
    namespace = env.namespace()
    env.storage_secret(namespace)
    env.stack(namespace, template={"gateway": {"enabled": True}})
    condition = wait_for("Failed", lambda: env.true_condition(namespace))
    assert (condition["type"], condition["reason"]) == ("Failed", "FailedReconciliation")
    assert "not simulated" in condition["message"] and "spec.template.gateway.enabled" in condition["message"]


@pytest.mark.parametrize(("spec_changes", "message"), [
    ({"storage": {"secret": {"name": "s3-secret", "type": "s3", "nmae": "x"}}}, 'unknown field "spec.storage.secret.nmae"'),
    ({"storage": {"secret": {"name": "s3-secret", "type": "s4"}}}, 'Unsupported value: "s4"'),
    ({"storageSize": "lots"}, "spec.storageSize"),
])
def test_the_crd_rejects_what_the_real_one_rejects(env: Env, spec_changes: dict[str, Any], message: str) -> None:
    from chainsaw_py.client.errors import ApiError

    namespace = env.namespace()
    with pytest.raises(ApiError) as caught:
        env.stack(namespace, **spec_changes)
    assert message in str(caught.value)


def test_the_log_of_a_crash_looping_container_is_served(env: Env) -> None:
    namespace = env.namespace()
    env.storage_secret(namespace, access_key_id="AKIAIOSFODNN7EXAMPLE")
    env.stack(namespace)
    wait_for("CrashLoopBackOff", lambda: (env.tempo_status(namespace, "querier").get("state") or {}).get("waiting"))
    pod = env.pods(namespace, "querier")[0]["metadata"]["name"]
    assert "unexpected error from ListObjects" in env.client.pod_logs(namespace, pod, "tempo")
