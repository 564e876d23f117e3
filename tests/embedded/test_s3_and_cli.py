"""Local S3 with the seeded aws-creds secret, and ``python -m chainsaw_py cluster serve``."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from chainsaw_py.embedded import EmbeddedCluster

REPO = Path(__file__).resolve().parents[2]


def test_s3_endpoint_and_seeded_credentials() -> None:
    import boto3

    with EmbeddedCluster(s3=True) as cluster:
        assert cluster.s3 is not None and cluster.s3.endpoint_url.startswith("http://127.0.0.1:")
        secret = cluster.store.get("", "secrets", "kube-system", "aws-creds")
        assert secret is not None
        data = {key: base64.b64decode(value).decode() for key, value in secret.obj["data"].items()}
        assert data == {"aws_access_key_id": cluster.s3.access_key_id,
                        "aws_secret_access_key": cluster.s3.secret_access_key}
        s3 = boto3.client("s3", endpoint_url=cluster.s3.endpoint_url, region_name="us-east-2",
                          aws_access_key_id=data["aws_access_key_id"],
                          aws_secret_access_key=data["aws_secret_access_key"])
        s3.create_bucket(Bucket="tempo-traces", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        s3.put_object(Bucket="tempo-traces", Key="hello.txt", Body=b"hi")
        assert s3.get_object(Bucket="tempo-traces", Key="hello.txt")["Body"].read() == b"hi"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cluster_serve_prints_ready_and_stops_on_signal(tmp_path: Path, stop_signal: int) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--kubeconfig",
                                str(kubeconfig)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "ready" in line
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        if shutil.which("kubectl"):
            result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir",
                                     str(tmp_path / "cache"), "get", "nodes", "-o", "name"],
                                    capture_output=True, text=True, timeout=30, check=False)
            assert result.stdout == "node/embedded-node\n", result.stderr
        process.send_signal(stop_signal)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cluster_serve_rejects_bad_port(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "cluster", "serve", "--kubeconfig",
                             str(tmp_path / "k"), "--port", "70000"], capture_output=True, text=True, env=env,
                            timeout=30, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: invalid port 70000: must be between 0 and 65535"
