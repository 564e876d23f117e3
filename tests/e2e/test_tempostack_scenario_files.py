"""The tempostack-aws scenario folder: loadable by both runners, complete, consistent, equivalent to upstream."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import SCENARIO
from tests.shared import SHARED

TEST_FILE = SCENARIO / "chainsaw-test.yaml"
UPSTREAM_SCHEMA = SHARED / "reference" / "upstream-schemas" / "test-chainsaw-v1alpha1.json"
UPSTREAM_FOLDER = SHARED / "reference" / "tempostack-aws-upstream"
DATA_FILES = ["00-assert.yaml", "01-install-tempostack.yaml", "01-assert.yaml", "02-generate-traces.yaml",
              "02-assert.yaml", "03-verify-traces.yaml", "03-assert.yaml"]
MANAGED = {"app.kubernetes.io/instance": "simplest", "app.kubernetes.io/managed-by": "tempo-operator",
           "app.kubernetes.io/name": "tempo"}


def load_test() -> dict[str, Any]:
    document = yaml.safe_load(TEST_FILE.read_text())
    assert isinstance(document, dict)
    return document


def docs(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((SCENARIO / name).read_text()) if doc is not None]


def steps() -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in load_test()["spec"]["steps"]}


def step_files(step: dict[str, Any]) -> list[str]:
    return [op[kind]["file"] for op in step.get("try", []) for kind in op if isinstance(op[kind], dict)
            and "file" in op[kind]]


def container(job_file: str) -> dict[str, Any]:
    containers = docs(job_file)[0]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


# ---------------------------------------------------------------------------------------------
# Loadable


@pytest.mark.skipif(not UPSTREAM_SCHEMA.is_file(), reason="upstream Chainsaw schema not available")
def test_validates_against_upstream_chainsaw_schema() -> None:
    import jsonschema

    # The file's "$schema" only says "latest draft"; the schemas are generated for draft 7.
    validator = jsonschema.Draft7Validator(json.loads(UPSTREAM_SCHEMA.read_text()))
    errors = [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(load_test())]
    assert errors == []


def test_loads_with_chainsaw_py() -> None:
    discovery = pytest.importorskip("chainsaw_py.loading.discovery")
    found = discovery.discover_tests([SCENARIO])
    assert len(found) == 1
    test = found[0].test
    assert test.metadata.name == "tempostack-aws"
    assert [step.name for step in test.spec.steps] == ["step-00", "step-01", "step-02", "step-03"]
    assert Path(found[0].base_path).resolve() == SCENARIO.resolve()


# ---------------------------------------------------------------------------------------------
# Structure


def test_four_steps_in_order() -> None:
    assert list(steps()) == ["step-00", "step-01", "step-02", "step-03"]


def test_bucket_step_runs_the_python_script_and_cleans_up() -> None:
    step = steps()["step-00"]
    script, assertion = step["try"]
    assert script["script"]["content"] == "python3 ./create_bucket.py"
    assert assertion == {"assert": {"file": "00-assert.yaml"}}
    assert [op["script"]["content"] for op in step["cleanup"]] == ["python3 ./create_bucket.py delete"]
    assert (SCENARIO / "create_bucket.py").is_file()


def test_install_step_catch_block() -> None:
    step = steps()["step-01"]
    assert step["try"] == [{"apply": {"file": "01-install-tempostack.yaml"}},
                           {"assert": {"timeout": "5m", "file": "01-assert.yaml"}}]
    assert step["catch"] == [
        {"get": {"apiVersion": "tempo.grafana.com/v1alpha1", "kind": "TempoStack", "format": "yaml"}},
        {"podLogs": {"selector": "app.kubernetes.io/managed-by=tempo-operator"}},
    ]


@pytest.mark.parametrize(("name", "files"), [
    ("step-02", ["02-generate-traces.yaml", "02-assert.yaml"]),
    ("step-03", ["03-verify-traces.yaml", "03-assert.yaml"]),
])
def test_job_steps(name: str, files: list[str]) -> None:
    step = steps()[name]
    assert [next(iter(op)) for op in step["try"]] == ["apply", "assert"]
    assert step_files(step) == files


def test_every_data_file_is_used_and_exists() -> None:
    referenced = [name for step in steps().values() for name in step_files(step)]
    assert sorted(referenced) == sorted(DATA_FILES)
    on_disk = sorted(path.name for path in SCENARIO.glob("[0-9][0-9]-*.yaml"))
    assert on_disk == sorted(DATA_FILES)


def test_scenario_timeouts() -> None:
    assert load_test()["spec"]["timeouts"] == {"apply": "30s", "assert": "5m", "cleanup": "5m", "delete": "5m",
                                               "error": "5m", "exec": "5m"}


# ---------------------------------------------------------------------------------------------
# Consistency between the files


def test_secret_name_agrees_everywhere(cb: ModuleType) -> None:
    (tempostack,) = docs("01-install-tempostack.yaml")
    (secret,) = docs("00-assert.yaml")
    assert tempostack["spec"]["storage"]["secret"] == {"name": cb.DEFAULT_SECRET_NAME, "type": "s3"}
    assert secret == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": cb.DEFAULT_SECRET_NAME},
                      "type": "Opaque"}


def test_operator_objects_belong_to_the_installed_stack() -> None:
    (tempostack,) = docs("01-install-tempostack.yaml")
    name = tempostack["metadata"]["name"]
    expected = docs("01-assert.yaml")
    assert expected[0]["kind"] == "TempoStack" and expected[0]["metadata"]["name"] == name
    assert expected[0]["status"] == {"(conditions[?type=='Ready'] | [0].status)": "True"}
    for obj in expected[1:]:
        assert obj["metadata"]["name"].startswith(f"tempo-{name}"), obj["metadata"]["name"]
        labels = obj["metadata"]["labels"]
        assert {key: labels[key] for key in MANAGED} == MANAGED
        if obj["kind"] in {"Deployment", "StatefulSet"}:
            assert obj["spec"]["selector"]["matchLabels"] == labels
            assert obj["status"] == {"readyReplicas": 1}


def test_asserted_kinds() -> None:
    kinds = [(obj["kind"], obj["metadata"]["name"]) for obj in docs("01-assert.yaml")]
    assert kinds == [
        ("TempoStack", "simplest"),
        ("ServiceAccount", "tempo-simplest"),
        ("Deployment", "tempo-simplest-query-frontend"),
        ("Deployment", "tempo-simplest-distributor"),
        ("Deployment", "tempo-simplest-querier"),
        ("Deployment", "tempo-simplest-compactor"),
        ("StatefulSet", "tempo-simplest-ingester"),
        ("Service", "tempo-simplest-compactor"),
        ("Service", "tempo-simplest-distributor"),
        ("Service", "tempo-simplest-gossip-ring"),
        ("Service", "tempo-simplest-ingester"),
        ("Service", "tempo-simplest-querier"),
        ("Service", "tempo-simplest-query-frontend"),
        ("Service", "tempo-simplest-query-frontend-discovery"),
        ("Ingress", "tempo-simplest-query-frontend"),
    ]


def service_ports() -> dict[str, dict[str, int]]:
    return {obj["metadata"]["name"]: {port["name"]: port["port"] for port in obj["spec"]["ports"]}
            for obj in docs("01-assert.yaml") if obj["kind"] == "Service"}


def test_jobs_reach_asserted_service_ports() -> None:
    ports = service_ports()
    generator = container("02-generate-traces.yaml")
    assert "--otlp-endpoint=tempo-simplest-distributor:4317" in generator["command"]
    assert ports["tempo-simplest-distributor"]["otlp-grpc"] == 4317
    script = container("03-verify-traces.yaml")["args"][0]
    assert "http://tempo-simplest-query-frontend:3200/api/search" in script
    assert "http://tempo-simplest-query-frontend:16686/api/traces" in script
    assert ports["tempo-simplest-query-frontend"]["http"] == 3200
    assert ports["tempo-simplest-query-frontend"]["jaeger-ui"] == 16686


def test_ingress_points_at_an_asserted_port() -> None:
    ingress = docs("01-assert.yaml")[-1]
    backend = ingress["spec"]["defaultBackend"]["service"]
    assert backend["port"]["name"] in service_ports()[backend["name"]]


def test_verify_script_is_valid_bash(tmp_path: Path) -> None:
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not available")
    verify = container("03-verify-traces.yaml")
    assert verify["command"] == ["/bin/bash", "-eux", "-c"]
    script = tmp_path / "verify.sh"
    script.write_text(verify["args"][0])
    completed = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("name", ["02-generate-traces.yaml", "03-verify-traces.yaml"])
def test_jobs_are_valid_kubernetes_objects(name: str) -> None:
    import kubernetes_validate

    for document in docs(name):
        kubernetes_validate.validate(document, "1.32.0", strict=True)


# ---------------------------------------------------------------------------------------------
# Equivalent to the upstream test


def upstream(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((UPSTREAM_FOLDER / name).read_text()) if doc is not None]


needs_upstream = pytest.mark.skipif(not UPSTREAM_FOLDER.is_dir(), reason="upstream tempostack-aws folder not available")


@needs_upstream
@pytest.mark.parametrize("name", [name for name in DATA_FILES if name != "03-verify-traces.yaml"])
def test_data_file_equals_upstream(name: str) -> None:
    assert docs(name) == upstream(name)


@needs_upstream
def test_verify_job_equals_upstream_except_script_layout() -> None:
    ours, theirs = docs("03-verify-traces.yaml"), upstream("03-verify-traces.yaml")
    our_script = ours[0]["spec"]["template"]["spec"]["containers"][0].pop("args")[0]
    their_script = theirs[0]["spec"]["template"]["spec"]["containers"][0].pop("args")[0]
    assert ours == theirs
    for essential in ('--data-urlencode "q={}"', '--data-urlencode "service=telemetrygen"',
                      'jq ".traces | length" /tmp/tempo.out', 'jq ".data | length" /tmp/jaeger.out',
                      '[[ "$num_traces" -ne 10 ]]', "exit 1"):
        assert essential in our_script and essential in their_script, essential


@needs_upstream
def test_steps_match_upstream_apart_from_the_bucket_step() -> None:
    ours = load_test()["spec"]["steps"]
    theirs = yaml.safe_load((UPSTREAM_FOLDER / "chainsaw-test.yaml").read_text())["spec"]["steps"]
    strip = ("description",)
    assert [{k: v for k, v in step.items() if k not in strip} for step in ours[1:]] == theirs[1:]
    assert ours[0]["try"][1] == theirs[0]["try"][1]
    assert ours[0]["try"][0]["script"]["timeout"] == theirs[0]["try"][0]["script"]["timeout"]
