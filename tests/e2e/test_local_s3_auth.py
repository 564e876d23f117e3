"""The embedded cluster's local S3 hands out a moto IAM user's key and enforces authentication, so a wrong
key in the scenario's storage secret is caught as on AWS."""

from __future__ import annotations

from typing import Any

import pytest


def s3_client(endpoint: Any, **overrides: str) -> Any:
    import boto3

    settings = {"aws_access_key_id": endpoint.access_key_id, "aws_secret_access_key": endpoint.secret_access_key,
                **overrides}
    return boto3.client("s3", endpoint_url=endpoint.endpoint_url, region_name=endpoint.region, **settings)


def error_code(call: Any) -> str:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def auth_setting() -> float:
    from moto import settings

    return float(settings.INITIAL_NO_AUTH_ACTION_COUNT)


def test_the_handed_out_key_works_and_wrong_keys_are_rejected() -> None:
    from chainsaw_py.embedded.s3 import start_s3

    server, endpoint = start_s3()
    try:
        assert endpoint.access_key_id.startswith("AKIA")
        s3_client(endpoint).create_bucket(Bucket="auth-check-bucket")
        assert error_code(lambda: s3_client(endpoint, aws_secret_access_key="x" * 40).list_objects(
            Bucket="auth-check-bucket")) == "SignatureDoesNotMatch"
        assert error_code(lambda: s3_client(endpoint, aws_access_key_id="AKIAIOSFODNN7EXAMPLE").list_objects(
            Bucket="auth-check-bucket")) == "InvalidAccessKeyId"
        s3_client(endpoint).delete_bucket(Bucket="auth-check-bucket")
    finally:
        server.stop()


def test_overlapping_servers_share_enforcement_and_the_last_one_restores_it() -> None:
    import boto3

    from chainsaw_py.embedded.s3 import start_s3

    before = auth_setting()
    first, first_endpoint = start_s3()
    second, second_endpoint = start_s3()
    try:
        assert auth_setting() == 0
        assert first_endpoint.access_key_id != second_endpoint.access_key_id
        s3_client(second_endpoint).list_buckets()
        first.stop()
        first.stop()  # idempotent
        assert auth_setting() == 0
        assert error_code(lambda: s3_client(second_endpoint, aws_access_key_id=first_endpoint.access_key_id,
                                            aws_secret_access_key=first_endpoint.secret_access_key)
                          .list_buckets()) == "InvalidAccessKeyId"  # a stopped server's user is deleted
        iam = boto3.client("iam", endpoint_url=second_endpoint.endpoint_url, region_name="us-east-1",
                           aws_access_key_id=second_endpoint.access_key_id,
                           aws_secret_access_key=second_endpoint.secret_access_key)
        users = [user["UserName"] for user in iam.list_users()["Users"]]
        assert second.user_name in users and first.user_name not in users
    finally:
        first.stop()
        second.stop()
    assert auth_setting() == before


def test_the_cluster_seeds_aws_creds_with_the_iam_users_key() -> None:
    import base64

    from chainsaw_py.client.clusters import connect
    from chainsaw_py.embedded import EmbeddedCluster

    with EmbeddedCluster(s3=True) as cluster:
        handle = connect(cluster.kubeconfig_path)
        try:
            data = handle.client.get("v1", "Secret", "kube-system", "aws-creds")["data"]
        finally:
            handle.close()
        keys = {key: base64.b64decode(value).decode() for key, value in data.items()}
        assert cluster.s3 is not None
        assert keys == {"aws_access_key_id": cluster.s3.access_key_id,
                        "aws_secret_access_key": cluster.s3.secret_access_key}
        s3_client(cluster.s3).list_buckets()
