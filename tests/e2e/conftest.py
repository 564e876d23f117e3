"""Fixtures for the tempostack-aws scenario tests: the bucket script as a module, S3 and a cluster."""

from __future__ import annotations

import importlib
import importlib.util
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.clusters import ClusterHarness, cluster_harness
from tests.e2e.kube_fake import FakeKubeServer

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "e2e" / "tempostack-aws"
SCRIPT = SCENARIO / "create_bucket.py"
PLUGIN = SCENARIO / "chainsaw_embedded.py"
TEST_NAMESPACE = "chainsaw-brave-otter"

# Everything in the environment that could hand boto3 credentials or settings from the host.
AWS_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "CLUSTER_PROFILE_DIR", "BUCKET_NAME", "SECRET_NAME", "NAMESPACE", "S3_LIFECYCLE_TIERING",
    "CHAINSAW_SKIP_DELETE", "KUBECONFIG",
)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("create_bucket", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["create_bucket"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cb() -> ModuleType:
    return load_script()


@dataclass(frozen=True)
class TempoSim:
    """The modules of the scenario's simulated Tempo operator (e2e/tempostack-aws/tempo_sim)."""

    crd: ModuleType
    storage: ModuleType
    manifests: ModuleType
    status: ModuleType
    probe: ModuleType
    containers: ModuleType
    operator: ModuleType
    errors: ModuleType


def load_tempo_sim() -> TempoSim:
    """Load the package the way the plugin does (same private module names, so tests and a plugin loaded
    into an in-process cluster share the modules)."""
    spec = importlib.util.spec_from_file_location("tempostack_aws_plugin", PLUGIN)
    assert spec and spec.loader
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    package = plugin.load_package().__name__
    modules = {name: importlib.import_module(f"{package}.{name}") for name in TempoSim.__dataclass_fields__}
    return TempoSim(**modules)


@pytest.fixture(scope="session")
def sim() -> TempoSim:
    return load_tempo_sim()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS or scenario settings from the host; empty shared config files; no instance metadata."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials-absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def aws(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, without moto's own fake credentials in the environment."""
    from moto import mock_aws

    with mock_aws(config={"core": {"mock_credentials": False}}):
        yield


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[ClusterHarness]:
    """The embedded cluster when it is available, else the loopback fake; with the test namespace."""
    with cluster_harness(tmp_path) as harness:
        harness.add_namespace(TEST_NAMESPACE)
        yield harness


@pytest.fixture
def fake_kube(tmp_path: Path) -> Iterator[FakeKubeServer]:
    """The loopback fake, for answers the embedded cluster never gives (403 Forbidden)."""
    (tmp_path / "fake").mkdir()
    with FakeKubeServer(tmp_path / "fake") as server:
        server.add_namespace(TEST_NAMESPACE)
        yield server


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@dataclass
class ScriptRunner:
    """Calls ``main`` in-process against the fake cluster, checking that no secret is ever printed."""

    cb: ModuleType
    kube: ClusterHarness
    monkeypatch: pytest.MonkeyPatch
    secrets: list[str]

    def __call__(self, *argv: str, **env: str) -> Run:
        self.monkeypatch.setenv("KUBECONFIG", str(self.kube.kubeconfig_path))
        self.monkeypatch.setenv("NAMESPACE", TEST_NAMESPACE)
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        console = self.cb.Console(out=io.StringIO(), err=io.StringIO())
        code = self.cb.main(list(argv), env=os.environ, console=console)
        run = Run(code, console.out.getvalue(), console.err.getvalue())
        assert_no_secret(run.output, self.secrets)
        return run

    def secret(self, value: str) -> str:
        """Register a value that must never appear in any output."""
        self.secrets.append(value)
        return value


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for value in secrets:
        assert value not in text, "a secret value was printed"
    assert "Traceback" not in text


@pytest.fixture
def run(cb: ModuleType, kube: ClusterHarness, aws: None, clean_env: pytest.MonkeyPatch) -> ScriptRunner:
    return ScriptRunner(cb, kube, clean_env, [])


@pytest.fixture
def fake_run(cb: ModuleType, fake_kube: FakeKubeServer, aws: None, clean_env: pytest.MonkeyPatch) -> ScriptRunner:
    return ScriptRunner(cb, fake_kube, clean_env, [])


def variant_kubeconfig(kube: ClusterHarness, path: Path, token: str | None = None, namespace: str | None = None,
                       server: str | None = None) -> Path:
    """A copy of the cluster's kubeconfig with another token, context namespace or server."""
    import yaml

    config = yaml.safe_load(kube.kubeconfig_path.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
    if namespace is not None:
        current["namespace"] = namespace
    for user in config["users"]:
        if user["name"] == current["user"] and token is not None:
            user["user"] = {"token": token}
    for cluster in config["clusters"]:
        if cluster["name"] == current["cluster"] and server is not None:
            cluster["cluster"] = {"server": server}
    path.write_text(yaml.safe_dump(config))
    return path


def s3_client(region: str = "us-east-2", **kwargs: Any) -> Any:
    import boto3

    kwargs.setdefault("aws_access_key_id", "AKIAADMINADMINADMIN0")
    kwargs.setdefault("aws_secret_access_key", "admin-secret-key-for-test-assertions")
    return boto3.client("s3", region_name=region, **kwargs)
