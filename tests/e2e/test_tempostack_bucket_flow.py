"""create_bucket.py end to end in-process: moto S3 (mock_aws) and a Kubernetes API server on loopback.

Every run goes through ``ScriptRunner``, which fails the test if a registered secret value (or a
traceback) shows up in the captured stdout/stderr.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.clusters import ClusterHarness
from tests.e2e.conftest import TEST_NAMESPACE, ScriptRunner, s3_client, variant_kubeconfig
from tests.e2e.kube_fake import FakeKubeServer

ADMIN_KEY = "AKIAADMINADMINADMIN0"
STATIC_KEYS = {"bucket", "endpoint", "access_key_id", "access_key_secret"}
STS_KEYS = {"bucket", "region", "role_arn"}


def put_aws_creds(run: ScriptRunner, kube: ClusterHarness, key_id: str = "AKIAKUBESECRET000001",
                  secret: str = "kube-secret-value-0123456789") -> str:
    kube.put_secret("kube-system", "aws-creds", {"aws_access_key_id": key_id,
                                                       "aws_secret_access_key": run.secret(secret)})
    return secret


def storage_secret(kube: ClusterHarness, name: str = "s3-secret") -> dict[str, str]:
    values = kube.secret_values(TEST_NAMESPACE, name)
    assert values is not None, f"secret {name} was not written"
    return values


def bucket_names() -> list[str]:
    return [bucket["Name"] for bucket in s3_client().list_buckets()["Buckets"]]


def expected_bucket(cb: ModuleType, kube: ClusterHarness) -> str:
    return str(cb.default_bucket_name(TEST_NAMESPACE, kube.cluster_uid()))


# ---------------------------------------------------------------------------------------------
# Credential sources


def test_cluster_profile_dir_credentials(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    secret = run.secret("profile-dir-secret-abcdef")
    (profile / ".awscred").write_text(f"[default]\naws_access_key_id=AKIAPROFILE\naws_secret_access_key={secret}\n")
    put_aws_creds(run, kube)  # present, but the profile dir comes first
    result = run(CLUSTER_PROFILE_DIR=str(profile))
    assert result.code == 0, result.err
    assert "credentials: $CLUSTER_PROFILE_DIR/.awscred, static access key" in result.out
    values = storage_secret(kube)
    assert set(values) == STATIC_KEYS
    assert values["access_key_id"] == "AKIAPROFILE"
    assert values["access_key_secret"] == secret
    assert values["endpoint"] == "https://s3.us-east-2.amazonaws.com"
    assert values["bucket"] in bucket_names()


def test_aws_creds_secret_in_kube_system(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness) -> None:
    secret = put_aws_creds(run, kube)
    result = run()
    assert result.code == 0, result.err
    assert "credentials: secret kube-system/aws-creds, static access key" in result.out
    values = storage_secret(kube)
    assert values == {"bucket": expected_bucket(cb, kube), "endpoint": "https://s3.us-east-2.amazonaws.com",
                      "access_key_id": "AKIAKUBESECRET000001", "access_key_secret": secret}
    assert kube.secret_type(TEST_NAMESPACE, "s3-secret") == "Opaque"


def test_profile_dir_without_file_falls_back(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    put_aws_creds(run, kube)
    result = run(CLUSTER_PROFILE_DIR=str(tmp_path / "nowhere"))
    assert result.code == 0, result.err
    assert "CLUSTER_PROFILE_DIR is set but" in result.err and "trying the next source" in result.err
    assert "credentials: secret kube-system/aws-creds" in result.out


def test_incomplete_aws_creds_falls_back_to_chain(run: ScriptRunner, kube: ClusterHarness) -> None:
    kube.put_secret("kube-system", "aws-creds", {"aws_access_key_id": "AKIAONLYID"})
    result = run(AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00001", AWS_SECRET_ACCESS_KEY=run.secret("env-secret-xyz-123"))
    assert result.code == 0, result.err
    assert "secret kube-system/aws-creds lacks aws_access_key_id/aws_secret_access_key" in result.err
    assert "credentials: boto3's default chain (env), static access key" in result.out
    assert storage_secret(kube)["access_key_id"] == "AKIAENVIRONMENT00001"


def test_forbidden_aws_creds_falls_back_to_chain(fake_run: ScriptRunner, fake_kube: FakeKubeServer) -> None:
    fake_kube.forbid("GET", "/api/v1/namespaces/kube-system/secrets/aws-creds")
    result = fake_run(AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00001",
                      AWS_SECRET_ACCESS_KEY=fake_run.secret("env-secret-xyz-123"))
    assert result.code == 0, result.err
    assert "secret kube-system/aws-creds is not readable with this kubeconfig" in result.err
    assert set(storage_secret(fake_kube)) == STATIC_KEYS


def test_environment_credentials(run: ScriptRunner, kube: ClusterHarness) -> None:
    secret = run.secret("env-secret-xyz-123")
    result = run(AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00001", AWS_SECRET_ACCESS_KEY=secret)
    assert result.code == 0, result.err
    assert "credentials: boto3's default chain (env), static access key" in result.out
    assert storage_secret(kube)["access_key_secret"] == secret


def test_temporary_environment_credentials_warn(run: ScriptRunner, kube: ClusterHarness) -> None:
    result = run(AWS_ACCESS_KEY_ID="ASIATEMPORARY0000001", AWS_SECRET_ACCESS_KEY=run.secret("temp-secret-1"),
                 AWS_SESSION_TOKEN=run.secret("session-token-value-1"))
    assert result.code == 0, result.err
    assert "temporary credentials" in result.err
    assert set(storage_secret(kube)) == STATIC_KEYS


def test_shared_credentials_file(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    secret = run.secret("shared-file-secret-987")
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[default]\naws_access_key_id=AKIASHAREDFILE000001\naws_secret_access_key={secret}\n")
    result = run(AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    assert result.code == 0, result.err
    assert "credentials: boto3's default chain (shared-credentials-file), static access key" in result.out
    assert storage_secret(kube)["access_key_id"] == "AKIASHAREDFILE000001"


def test_web_identity_writes_sts_form(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness,
                                      tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(run.secret("eyJhbGciOiJSUzI1NiJ9.web-identity-token.signature"))
    role = "arn:aws:iam::123456789012:role/TempoS3"
    result = run(AWS_ROLE_ARN=role, AWS_WEB_IDENTITY_TOKEN_FILE=str(token))
    assert result.code == 0, result.err
    assert f"boto3's default chain (assume-role-with-web-identity), role {role}" in result.out
    assert "STS (role) form" in result.out
    assert storage_secret(kube) == {"bucket": expected_bucket(cb, kube), "region": "us-east-2", "role_arn": role}


def test_assume_role_profile_writes_sts_form(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\naws_access_key_id=AKIABASEPROFILE00001\n"
        f"aws_secret_access_key={run.secret('base-profile-secret-1')}\n"
        "[profile tempo]\nrole_arn=arn:aws:iam::123456789012:role/TempoAssumed\nsource_profile=base\n")
    result = run(AWS_CONFIG_FILE=str(config), AWS_PROFILE="tempo", AWS_REGION="us-east-1")
    assert result.code == 0, result.err
    assert "(assume-role), role arn:aws:iam::123456789012:role/TempoAssumed" in result.out
    values = storage_secret(kube)
    assert set(values) == STS_KEYS
    assert values["region"] == "us-east-1"
    assert values["role_arn"] == "arn:aws:iam::123456789012:role/TempoAssumed"


def test_missing_credentials(run: ScriptRunner, kube: ClusterHarness) -> None:
    result = run()
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "create_bucket.py: error: no AWS credentials found: tried $CLUSTER_PROFILE_DIR/.awscred "
        "(CLUSTER_PROFILE_DIR is not set), the secret kube-system/aws-creds, and boto3's default chain "
        "(environment variables, shared config and credentials files, web identity/IRSA)\n")
    assert kube.secret_values(TEST_NAMESPACE, "s3-secret") is None


# ---------------------------------------------------------------------------------------------
# The bucket


def fill_versioned_bucket(bucket: str, region: str = "us-east-2") -> int:
    """A versioned bucket with versions, a delete marker and an unfinished upload; returns the entries."""
    s3 = s3_client(region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key="traces/block-a/data", Body=body)
    s3.put_object(Bucket=bucket, Key="traces/block-b/meta.json", Body=b"{}")
    s3.delete_object(Bucket=bucket, Key="traces/block-b/meta.json")
    s3.create_multipart_upload(Bucket=bucket, Key="traces/block-c/data")
    return 4  # two versions of a, one version of b, one delete marker of b


def test_existing_bucket_with_versions_is_replaced(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness) -> None:
    bucket = expected_bucket(cb, kube)
    entries = fill_versioned_bucket(bucket)
    put_aws_creds(run, kube)
    result = run()
    assert result.code == 0, result.err
    assert f"bucket {bucket}: existed; deleted {entries} object version(s)/delete marker(s) and the bucket" in result.out
    s3 = s3_client()
    assert s3.list_object_versions(Bucket=bucket).get("Versions") is None
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads") is None
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)  # a fresh bucket


@pytest.mark.parametrize(("region", "location"), [("us-east-1", None), ("us-east-2", "us-east-2"),
                                                  ("eu-west-1", "eu-west-1")])
def test_bucket_region(run: ScriptRunner, kube: ClusterHarness, region: str, location: str | None) -> None:
    put_aws_creds(run, kube)
    result = run(AWS_REGION=region, BUCKET_NAME="tempo-region-test")
    assert result.code == 0, result.err
    assert f"created in {region} at https://s3.{region}.amazonaws.com" in result.out
    assert s3_client(region).get_bucket_location(Bucket="tempo-region-test")["LocationConstraint"] == location
    assert storage_secret(kube)["endpoint"] == f"https://s3.{region}.amazonaws.com"


def test_bucket_configuration(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    assert run(BUCKET_NAME="tempo-config-test").code == 0
    s3 = s3_client()
    block = s3.get_public_access_block(Bucket="tempo-config-test")["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    rules = s3.get_bucket_encryption(Bucket="tempo-config-test")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket="tempo-config-test")["TagSet"]}
    assert tags == {"created-by": "chainsaw-tempostack-aws", "kubernetes-namespace": TEST_NAMESPACE,
                    "purpose": "tempo-e2e-traces"}
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket="tempo-config-test")


def test_lifecycle_tiering_switch(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    result = run(BUCKET_NAME="tempo-tiering-test", S3_LIFECYCLE_TIERING="yes")
    assert result.code == 0, result.err
    assert "lifecycle tiering STANDARD_IA@30d GLACIER@90d" in result.out
    rules = s3_client().get_bucket_lifecycle_configuration(Bucket="tempo-tiering-test")["Rules"]
    assert [(t["Days"], t["StorageClass"]) for t in rules[0]["Transitions"]] == [(30, "STANDARD_IA"), (90, "GLACIER")]
    assert rules[0]["Status"] == "Enabled"


def test_invalid_bucket_name(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    result = run(BUCKET_NAME="Tempo_Traces")
    assert result.code == 1
    assert result.err == ("create_bucket.py: error: invalid bucket name 'Tempo_Traces': may contain only lowercase "
                          "letters, digits, dots and hyphens (S3 bucket naming rules)\n")
    assert bucket_names() == []


# ---------------------------------------------------------------------------------------------
# Access denied and foreign buckets


def iam_user(policy: dict[str, Any] | None) -> tuple[str, str]:
    import json

    import boto3

    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id=ADMIN_KEY, aws_secret_access_key="x")
    iam.create_user(UserName="tempo-ci")
    if policy is not None:
        iam.put_user_policy(UserName="tempo-ci", PolicyName="tempo", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="tempo-ci")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def allow(*actions: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


def test_access_denied_on_head_bucket(run: ScriptRunner, kube: ClusterHarness) -> None:
    from moto.core import enable_iam_authentication

    key_id, secret = iam_user(None)
    put_aws_creds(run, kube, key_id, secret)
    with enable_iam_authentication():
        result = run(BUCKET_NAME="tempo-denied")
    assert result.code == 1
    assert result.err.startswith("create_bucket.py: error: HeadBucket on bucket tempo-denied was refused (403)")
    assert result.err.count("\n") == 1


def test_access_denied_on_create_bucket(run: ScriptRunner, kube: ClusterHarness) -> None:
    from moto.core import enable_iam_authentication

    # AWS authorises HeadBucket with s3:ListBucket; moto checks an action it names s3:HeadBucket.
    key_id, secret = iam_user(allow("s3:ListBucket", "s3:HeadBucket"))
    put_aws_creds(run, kube, key_id, secret)
    with enable_iam_authentication():
        result = run(BUCKET_NAME="tempo-denied")
    assert result.code == 1
    assert result.err.startswith("create_bucket.py: error: access denied: CreateBucket on bucket tempo-denied "
                                 "with credentials from secret kube-system/aws-creds")
    assert bucket_names() == []


def test_unknown_access_key(run: ScriptRunner, kube: ClusterHarness) -> None:
    from moto.core import enable_iam_authentication

    put_aws_creds(run, kube, "AKIANOSUCHKEY0000001", "no-such-secret-0000")
    with enable_iam_authentication():
        result = run(BUCKET_NAME="tempo-denied")
    assert result.code == 1
    assert result.err.startswith("create_bucket.py: error: ")
    assert "tempo-denied" in result.err and result.err.count("\n") == 1


def stubbed_s3(cb: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real S3 client whose responses are scripted (botocore Stubber): for answers moto cannot give."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-2", aws_access_key_id="AKIASTUB",
                          aws_secret_access_key="stub-secret")
    stubber = Stubber(client)
    monkeypatch.setattr(cb, "make_s3_client", lambda credentials, settings: client)
    stubber.activate()
    return stubber


def test_bucket_owned_by_another_account(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # moto keeps one bucket namespace without owners, so AWS's answers are scripted here: the name is
    # free at HeadBucket time and taken by someone else at CreateBucket time.
    stubber = stubbed_s3(cb, monkeypatch)
    stubber.add_client_error("head_bucket", "404", "Not Found", 404)
    stubber.add_client_error("create_bucket", "BucketAlreadyExists", "The requested bucket name is not available.", 409)
    put_aws_creds(run, kube)
    result = run(BUCKET_NAME="tempo-taken")
    assert result.code == 1
    assert result.err == ("create_bucket.py: error: bucket name 'tempo-taken' is already taken by another AWS "
                          "account; set BUCKET_NAME to a different name\n")
    stubber.assert_no_pending_responses()


def test_create_retries_operation_aborted(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(cb.time, "sleep", sleeps.append)
    stubber = stubbed_s3(cb, monkeypatch)
    stubber.add_client_error("head_bucket", "404", "Not Found", 404)
    stubber.add_client_error("create_bucket", "OperationAborted",
                             "A conflicting conditional operation is currently in progress", 409)
    stubber.add_response("create_bucket", {"Location": "/tempo-retry"})
    stubber.add_response("head_bucket", {"ResponseMetadata": {"HTTPStatusCode": 200}})  # bucket_exists waiter
    for operation in ("put_public_access_block", "put_bucket_encryption", "put_bucket_tagging"):
        stubber.add_response(operation, {})
    put_aws_creds(run, kube)
    result = run(BUCKET_NAME="tempo-retry")
    assert result.code == 0, result.err
    assert sleeps == [2.0]
    stubber.assert_no_pending_responses()


# ---------------------------------------------------------------------------------------------
# The storage secret in the cluster


def test_existing_secret_is_replaced_with_exact_keys(run: ScriptRunner, kube: ClusterHarness,
                                                     tmp_path: Path) -> None:
    kube.put_secret(TEST_NAMESPACE, "s3-secret", {"bucket": "old", "endpoint": "https://old",
                                                        "access_key_id": "OLD", "access_key_secret": "old",
                                                        "insecure": "true"})
    token = tmp_path / "token"
    token.write_text("header.payload.signature")
    result = run(AWS_ROLE_ARN="arn:aws:iam::123456789012:role/TempoS3", AWS_WEB_IDENTITY_TOKEN_FILE=str(token))
    assert result.code == 0, result.err
    assert f"secret {TEST_NAMESPACE}/s3-secret: replaced, STS (role) form" in result.out
    assert set(storage_secret(kube)) == STS_KEYS


def test_existing_secret_of_another_type_is_recreated(run: ScriptRunner, kube: ClusterHarness) -> None:
    kube.put_secret(TEST_NAMESPACE, "s3-secret", {"token": "x"}, type_="kubernetes.io/service-account-token")
    put_aws_creds(run, kube)
    result = run()
    assert result.code == 0, result.err
    assert kube.secret_type(TEST_NAMESPACE, "s3-secret") == "Opaque"
    assert set(storage_secret(kube)) == STATIC_KEYS


def test_secret_name_setting(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    assert run(SECRET_NAME="tempo-storage").code == 0
    assert set(storage_secret(kube, "tempo-storage")) == STATIC_KEYS


def test_namespace_from_kubeconfig_context(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness,
                                           tmp_path: Path) -> None:
    put_aws_creds(run, kube)
    config = variant_kubeconfig(kube, tmp_path / "context-kubeconfig", namespace=TEST_NAMESPACE)
    result = run(KUBECONFIG=str(config), NAMESPACE="")
    assert result.code == 0, result.err
    assert set(storage_secret(kube)) == STATIC_KEYS


def test_missing_namespace(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    result = run(NAMESPACE="not-there", BUCKET_NAME="tempo-ns-test")
    assert result.code == 1
    assert result.err == ('create_bucket.py: error: create secret not-there/s3-secret: HTTP 404: '
                          'namespaces "not-there" not found\n')


def test_forbidden_secret_write(fake_run: ScriptRunner, fake_kube: FakeKubeServer) -> None:
    fake_kube.forbid("POST", f"/api/v1/namespaces/{TEST_NAMESPACE}/secrets")
    put_aws_creds(fake_run, fake_kube)
    result = fake_run(BUCKET_NAME="tempo-forbidden")
    assert result.code == 1
    assert result.err == (f"create_bucket.py: error: create secret {TEST_NAMESPACE}/s3-secret: forbidden: "
                          f"POST /api/v1/namespaces/{TEST_NAMESPACE}/secrets is forbidden\n")


def test_cluster_unreachable(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = variant_kubeconfig(kube, tmp_path / "unreachable", server=f"http://127.0.0.1:{port}")
    result = run(KUBECONFIG=str(config))
    assert result.code == 1
    assert result.err.startswith(f"create_bucket.py: error: cannot reach the Kubernetes API server at "
                                 f"http://127.0.0.1:{port}: ")
    assert result.err.count("\n") == 1


def test_cluster_rejects_token(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    config = variant_kubeconfig(kube, tmp_path / "bad-token", token="wrong-token")
    result = run(KUBECONFIG=str(config))
    assert result.code == 1
    assert result.err == (f"create_bucket.py: error: get namespace kube-system: unauthorized: the kubeconfig "
                          f"credentials were rejected by {kube.url}\n")


def test_kubeconfig_missing(run: ScriptRunner, kube: ClusterHarness, tmp_path: Path) -> None:
    result = run(KUBECONFIG=str(tmp_path / "no-such-kubeconfig"))
    assert result.code == 1
    assert result.err.startswith(f"create_bucket.py: error: cannot load the kubeconfig {tmp_path}/no-such-kubeconfig")


# ---------------------------------------------------------------------------------------------
# Delete mode


def test_delete_mode_removes_versioned_bucket(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness) -> None:
    bucket = expected_bucket(cb, kube)
    entries = fill_versioned_bucket(bucket)
    put_aws_creds(run, kube)
    result = run("delete")
    assert result.code == 0, result.err
    assert result.out == f"bucket {bucket}: deleted with {entries} object version(s)/delete marker(s)\n"
    assert bucket_names() == []


def test_create_then_delete(run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    assert run().code == 0
    assert len(bucket_names()) == 1
    s3_client().put_object(Bucket=bucket_names()[0], Key="tempo/block", Body=b"trace")
    assert run("delete").code == 0
    assert bucket_names() == []


def test_delete_missing_bucket_is_not_an_error(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness) -> None:
    put_aws_creds(run, kube)
    result = run("delete")
    assert result.code == 0, result.err
    assert result.out == f"bucket {expected_bucket(cb, kube)}: does not exist, nothing to delete\n"


def test_delete_skipped_when_chainsaw_skips_delete(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness) -> None:
    bucket = expected_bucket(cb, kube)
    fill_versioned_bucket(bucket)
    result = run("delete", CHAINSAW_SKIP_DELETE="true")  # no credentials needed to keep a bucket
    assert result.code == 0, result.err
    assert result.out == f"bucket {bucket}: kept (CHAINSAW_SKIP_DELETE is set)\n"
    assert bucket_names() == [bucket]


def test_unexpected_error_is_one_redacted_line(cb: ModuleType, run: ScriptRunner, kube: ClusterHarness,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    secret = put_aws_creds(run, kube)

    def explode(*args: object) -> None:
        raise RuntimeError(f"library failure\nwhile using {secret}")

    monkeypatch.setattr(cb, "configure_bucket", explode)
    result = run(BUCKET_NAME="tempo-unexpected")
    assert result.code == 1
    assert result.err == "create_bucket.py: error: unexpected RuntimeError: library failure while using ***\n"
