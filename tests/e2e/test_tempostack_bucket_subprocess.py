"""create_bucket.py as the runner runs it: a subprocess with KUBECONFIG and NAMESPACE, S3 on loopback.

S3 is moto's threaded server on 127.0.0.1 reached through AWS_ENDPOINT_URL (as in the offline run);
the cluster is a Kubernetes API server on loopback. Every run's stdout and stderr are checked for
secret values and tracebacks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.clusters import ClusterHarness
from tests.e2e.conftest import SCENARIO, SCRIPT, TEST_NAMESPACE, assert_no_secret

KEY_ID = "AKIASUBPROCESS000001"
SECRET = "subprocess-secret-key-5f2b9c"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(s3_server: str) -> Iterator[str]:
    # moto keeps its state per process, shared with any other local S3 an earlier test started here.
    moto_api(s3_server, "reset", b"")
    yield s3_server
    moto_api(s3_server, "reset-auth", b"inf")
    moto_api(s3_server, "reset", b"")


def moto_api(endpoint: str, action: str, body: bytes) -> None:
    # text/plain: with urllib's default form content type moto's Flask app would not see the body.
    request = urllib.request.Request(f"{endpoint}/moto-api/{action}", data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def admin(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(service, region_name="us-east-2", endpoint_url=endpoint,
                        aws_access_key_id="AKIAADMIN", aws_secret_access_key="admin-secret")


@dataclass
class Result:
    code: int
    out: str
    err: str


def scenario_scripts() -> tuple[str, str]:
    """The step-00 script and its cleanup script, as chainsaw-test.yaml has them."""
    step = yaml.safe_load((SCENARIO / "chainsaw-test.yaml").read_text())["spec"]["steps"][0]
    return step["try"][0]["script"]["content"], step["cleanup"][0]["script"]["content"]


def run_script(kube: ClusterHarness, tmp_path: Path, endpoint: str, *args: str, shell: str = "",
               **extra: str) -> Result:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kube.kubeconfig_path),
        "NAMESPACE": TEST_NAMESPACE,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(tmp_path / "absent-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }
    # A `shell` command runs as the test's `script` operation does: `sh -c` in the scenario folder, with
    # the runner's interpreter first on PATH.
    command = ["sh", "-c", shell] if shell else [sys.executable, str(SCRIPT), *args]
    completed = subprocess.run(command, cwd=SCENARIO, env=env, capture_output=True, text=True, timeout=120,
                               check=False)
    assert_no_secret(completed.stdout + completed.stderr, [SECRET])
    return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def kube(kube: ClusterHarness) -> ClusterHarness:
    kube.put_secret("kube-system", "aws-creds", {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET})
    return kube


def test_create_and_delete_against_local_s3(kube: ClusterHarness, tmp_path: Path, endpoint: str) -> None:
    create, delete = scenario_scripts()
    created = run_script(kube, tmp_path, endpoint, shell=create)
    assert created.code == 0, created.err
    values = kube.secret_values(TEST_NAMESPACE, "s3-secret")
    assert values is not None
    bucket = values.pop("bucket")
    assert values == {"endpoint": endpoint, "access_key_id": KEY_ID, "access_key_secret": SECRET}
    s3 = admin("s3", endpoint)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
    s3.put_object(Bucket=bucket, Key="single-tenant/block/data", Body=b"trace")
    deleted = run_script(kube, tmp_path, endpoint, shell=delete)
    assert deleted.code == 0, deleted.err
    assert deleted.out == f"bucket {bucket}: deleted with 1 object version(s)/delete marker(s)\n"
    assert s3.list_buckets()["Buckets"] == []


def test_access_denied_against_local_s3(kube: ClusterHarness, tmp_path: Path, endpoint: str) -> None:
    iam = admin("iam", endpoint)
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    kube.put_secret("kube-system", "aws-creds", {"aws_access_key_id": key["AccessKeyId"],
                                                       "aws_secret_access_key": key["SecretAccessKey"]})
    moto_api(endpoint, "reset-auth", b"0")  # from now on moto enforces IAM
    result = run_script(kube, tmp_path, endpoint)
    assert key["SecretAccessKey"] not in result.out + result.err
    assert result.code == 1
    assert result.err.startswith("create_bucket.py: error: HeadBucket on bucket tempo-chainsaw-brave-otter-")
    assert "was refused (403)" in result.err
    assert result.err.count("\n") == 1


def test_unreachable_s3_endpoint(kube: ClusterHarness, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_script(kube, tmp_path, closed)
    assert result.code == 1
    assert result.err.startswith(f"create_bucket.py: error: cannot reach the S3 endpoint {closed}: ")
    assert result.err.count("\n") == 1


def test_missing_credentials_subprocess(kube: ClusterHarness, tmp_path: Path, endpoint: str) -> None:
    kube.delete_secret("kube-system", "aws-creds")
    result = run_script(kube, tmp_path, endpoint)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("create_bucket.py: error: no AWS credentials found: tried $CLUSTER_PROFILE_DIR")
    assert result.err.count("\n") == 1


def test_skip_delete_subprocess(kube: ClusterHarness, tmp_path: Path, endpoint: str) -> None:
    assert run_script(kube, tmp_path, endpoint).code == 0
    kept = run_script(kube, tmp_path, endpoint, "delete", CHAINSAW_SKIP_DELETE="1")
    assert kept.code == 0
    assert kept.out.endswith(": kept (CHAINSAW_SKIP_DELETE is set)\n")
    assert len(admin("s3", endpoint).list_buckets()["Buckets"]) == 1


def test_help_lists_settings() -> None:
    completed = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0
    for name in ("NAMESPACE", "BUCKET_NAME", "AWS_REGION", "AWS_ENDPOINT_URL", "SECRET_NAME",
                 "S3_LIFECYCLE_TIERING", "CLUSTER_PROFILE_DIR", "CHAINSAW_SKIP_DELETE"):
        assert name in completed.stdout
