"""Fixtures for Python tests: the session, the cluster in use, the local S3, and ``chainsaw_run`` for tests
declared in code. They work with or without ``--chainsaw`` and share the session of the collected items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chainsaw_py.pytest_plugin.runtime import (
    ChainsawFailure,
    ChainsawSetupError,
    check_result,
    runtime_of,
    stop_if_interrupted,
)

if TYPE_CHECKING:
    from chainsaw_py.api import Session, TestResult
    from chainsaw_py.loading.model import Test


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster the Chainsaw tests of this process use."""

    kubeconfig: Path
    client: Any
    server: str
    embedded: bool

    @property
    def api_client(self) -> Any:
        """The ``kubernetes`` package's ApiClient for this cluster."""
        return self.client.api_client


@dataclass(frozen=True)
class S3Info:
    """A local S3 (moto on loopback) and credentials that work against it."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str

    def client(self, service: str = "s3") -> Any:
        """A boto3 client for this endpoint."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key_id,
                            aws_secret_access_key=self.secret_access_key, region_name=self.region)

    @property
    def environment(self) -> dict[str, str]:
        """The AWS_* variables that point the AWS CLI and SDKs at it."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key, "AWS_DEFAULT_REGION": self.region}


def _open(config: pytest.Config) -> Session:
    try:
        return runtime_of(config).session()
    except ChainsawSetupError as err:
        pytest.fail(err.render(), pytrace=False)


@pytest.fixture(scope="session")
def chainsaw_session(pytestconfig: pytest.Config) -> Session:
    """The ``api.Session`` of this process (the same one the collected Chainsaw tests run in)."""
    return _open(pytestconfig)


@pytest.fixture(scope="session")
def chainsaw_cluster(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> ClusterInfo:
    """The cluster in use (skips the test when the plugin runs without a cluster)."""
    handle = _open(pytestconfig).cluster
    if handle is None:
        pytest.skip("chainsaw: running without a cluster (chainsaw_cluster = none)")
    path = tmp_path_factory.mktemp("chainsaw-cluster") / "kubeconfig"
    handle.write_kubeconfig(path)
    return ClusterInfo(kubeconfig=path, client=handle.client, server=handle.selection.server,
                       embedded=runtime_of(pytestconfig).embedded)


@pytest.fixture(scope="session")
def chainsaw_s3(pytestconfig: pytest.Config) -> S3Info:
    """The local S3: the embedded cluster's when it runs, else one started for this process."""
    _open(pytestconfig)
    endpoint = runtime_of(pytestconfig).s3()
    return S3Info(endpoint_url=endpoint.endpoint_url, access_key_id=endpoint.access_key_id,
                  secret_access_key=endpoint.secret_access_key, region=endpoint.region)


@pytest.fixture
def chainsaw_run(request: pytest.FixtureRequest) -> Callable[..., list[TestResult]]:
    """``chainsaw_run(test, scenario=None)``: run a ``model.Test`` (e.g. built with ``chainsaw_py.declare``)
    in this process's session; its log is attached to the calling test, a failure fails it with Chainsaw's
    error block. Returns the results (one per scenario)."""

    def run(test: Test, scenario: int | None = None) -> list[TestResult]:
        indexes = [scenario] if scenario is not None or not test.spec.scenarios else \
            list(range(len(test.spec.scenarios)))
        return [_run_one(request, test, index) for index in indexes]

    return run


def _run_one(request: pytest.FixtureRequest, test: Test, scenario: int | None) -> TestResult:
    runtime = runtime_of(request.config)
    try:
        result, log = runtime.run(test, scenario)
        if log:
            request.node.add_report_section("call", f"chainsaw {test.name}", log)
        stop_if_interrupted(request.session, runtime)
        check_result(result, runtime)
    except (ChainsawSetupError, ChainsawFailure) as err:
        message = err.render()
    else:
        return result
    pytest.fail(message, pytrace=False)
