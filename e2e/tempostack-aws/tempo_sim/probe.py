"""The storage check a Tempo component makes when it starts, as a real S3 call.

Tempo's S3 backend lists the bucket (``ListObjects`` with delimiter "/") with the configured credentials as it
starts, and stops with ``unexpected error from ListObjects on <bucket>: <error>`` when that fails; the
component's process exits and the pod goes into CrashLoopBackOff. :func:`list_objects_error` makes that call
with boto3 and returns the error text as Tempo (minio-go) would print it, or None when the bucket answered.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class StoreTarget:
    """What one Tempo container uses to reach its trace store."""

    bucket: str
    endpoint: str
    """host[:port] as in tempo.yaml (no scheme)."""
    insecure: bool
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    ca_pem: str = ""

    @property
    def url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.endpoint}"

    def redacted(self) -> str:
        return f"bucket={self.bucket} endpoint={self.url}"


def store_error(bucket: str, detail: str) -> str:
    """Tempo's start-up failure for its trace store."""
    return f"unexpected error from ListObjects on {bucket}: {detail}"


def list_objects_error(target: StoreTarget) -> str | None:
    """List the bucket with the target's credentials: None when it works, else Tempo's error message."""
    from botocore.exceptions import BotoCoreError, ClientError

    ca_file = _ca_file(target.ca_pem)
    try:
        client = _client(target, ca_file)
        # Tempo also passes delimiter "/"; it is left out because moto (the local S3) computes the signature
        # of a query holding an encoded "/" differently from botocore and would reject every such request.
        client.list_objects(Bucket=target.bucket, MaxKeys=1)
    except ClientError as err:
        error = err.response.get("Error") or {}
        return store_error(target.bucket, str(error.get("Message") or error.get("Code") or err))
    except BotoCoreError as err:
        return store_error(target.bucket, _transport_detail(target, err))
    finally:
        if ca_file:
            os.unlink(ca_file)
    return None


def _client(target: StoreTarget, ca_file: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # minio-go addresses S3-compatible endpoints path-style and AWS's own virtual-host style.
    style = "virtual" if target.endpoint.endswith(".amazonaws.com") else "path"
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"max_attempts": 1},
                    s3={"addressing_style": style})
    return boto3.client("s3", endpoint_url=target.url, region_name=target.region or "us-east-1",
                        aws_access_key_id=target.access_key_id, aws_secret_access_key=target.secret_access_key,
                        config=config, verify=ca_file if ca_file else True)


def _ca_file(pem: str) -> str | None:
    if not pem:
        return None
    handle, path = tempfile.mkstemp(prefix="tempo-storage-ca-", suffix=".crt")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(pem)
    return path


def _transport_detail(target: StoreTarget, err: Exception) -> str:
    """A Go-like transport error: ``Get "<url>": dial tcp <host>: connect: connection refused``."""
    request = f'Get "{target.url}/{target.bucket}/?delimiter=%2F&encoding-type=url&prefix="'
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return f"{request}: dial tcp {target.endpoint}: connect: connection refused"
        if isinstance(cause, TimeoutError):
            return f"{request}: dial tcp {target.endpoint}: i/o timeout"
        cause = cause.__cause__ or cause.__context__
    return f"{request}: {err}"
