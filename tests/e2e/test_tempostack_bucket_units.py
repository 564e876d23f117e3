"""The pure parts of create_bucket.py: settings, bucket names, credentials files, secret forms, messages."""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import pytest

# ---------------------------------------------------------------------------------------------
# Settings


def test_settings_defaults(cb: ModuleType) -> None:
    settings = cb.settings_from_env({"NAMESPACE": "ns1"})
    assert settings.namespace == "ns1"
    assert settings.bucket_name == ""
    assert settings.region == "us-east-2"
    assert settings.endpoint_url == "https://s3.us-east-2.amazonaws.com"
    assert settings.custom_endpoint is False
    assert settings.secret_name == "s3-secret"
    assert settings.lifecycle_tiering is False
    assert settings.skip_delete is False
    assert settings.cluster_profile_dir == ""


@pytest.mark.parametrize(("region", "endpoint"), [
    ("us-east-1", "https://s3.us-east-1.amazonaws.com"),
    ("eu-central-1", "https://s3.eu-central-1.amazonaws.com"),
    ("us-gov-west-1", "https://s3.us-gov-west-1.amazonaws.com"),
    ("cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn"),
])
def test_default_endpoint_is_regional(cb: ModuleType, region: str, endpoint: str) -> None:
    settings = cb.settings_from_env({"AWS_REGION": region})
    assert (settings.region, settings.endpoint_url, settings.custom_endpoint) == (region, endpoint, False)


def test_endpoint_override(cb: ModuleType) -> None:
    settings = cb.settings_from_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000/", "SECRET_NAME": "other",
                                     "BUCKET_NAME": "my-bucket"})
    assert settings.endpoint_url == "http://127.0.0.1:9000"
    assert settings.custom_endpoint is True
    assert (settings.secret_name, settings.bucket_name) == ("other", "my-bucket")


@pytest.mark.parametrize(("env", "message"), [
    ({"AWS_REGION": "us-east2"}, "AWS_REGION 'us-east2' is not an AWS region name"),
    ({"AWS_REGION": "US-EAST-2"}, "is not an AWS region name"),
    ({"AWS_ENDPOINT_URL": "s3.local:9000"}, "AWS_ENDPOINT_URL 's3.local:9000' is not an http(s) URL"),
    ({"AWS_ENDPOINT_URL": "ftp://host"}, "is not an http(s) URL"),
])
def test_bad_settings(cb: ModuleType, env: dict[str, str], message: str) -> None:
    with pytest.raises(cb.BucketStepError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cb.settings_from_env(env)


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), (" Yes ", True), ("on", True),
    ("false", False), ("0", False), ("no", False), ("", False), (None, False), ("enabled", False),
])
def test_truthy_switches(cb: ModuleType, value: str | None, expected: bool) -> None:
    env = {} if value is None else {"S3_LIFECYCLE_TIERING": value, "CHAINSAW_SKIP_DELETE": value}
    settings = cb.settings_from_env(env)
    assert (settings.lifecycle_tiering, settings.skip_delete) == (expected, expected)


# ---------------------------------------------------------------------------------------------
# Bucket names


@pytest.mark.parametrize(("name", "problem"), [
    ("tempo-chainsaw-brave-otter-0123456789", None),
    ("abc", None),
    ("a" * 63, None),
    ("my.bucket.name", None),
    ("1bucket9", None),
    ("ab", "must be 3 to 63 characters long"),
    ("a" * 64, "must be 3 to 63 characters long"),
    ("Tempo-Bucket", "may contain only lowercase letters, digits, dots and hyphens"),
    ("tempo_bucket", "may contain only lowercase letters, digits, dots and hyphens"),
    ("tempo bucket", "may contain only lowercase letters, digits, dots and hyphens"),
    ("-tempo", "must begin and end with a letter or a digit"),
    ("tempo-", "must begin and end with a letter or a digit"),
    (".tempo", "must begin and end with a letter or a digit"),
    ("tempo..bucket", "must not contain two adjacent dots"),
    ("192.168.5.4", "must not be formatted as an IP address"),
    ("xn--tempo", "must not start with 'xn--'"),
    ("sthree-tempo", "must not start with 'sthree-'"),
    ("amzn-s3-demo-tempo", "must not start with 'amzn-s3-demo-'"),
    ("tempo-s3alias", "must not end with '-s3alias'"),
    ("tempo--ol-s3", "must not end with '--ol-s3'"),
    ("tempo.mrap", "must not end with '.mrap'"),
    ("tempo--x-s3", "must not end with '--x-s3'"),
    ("tempo--table-s3", "must not end with '--table-s3'"),
])
def test_bucket_name_rules(cb: ModuleType, name: str, problem: str | None) -> None:
    assert cb.bucket_name_problem(name) == problem


def test_validate_bucket_name_message(cb: ModuleType) -> None:
    with pytest.raises(cb.BucketStepError) as err:
        cb.validate_bucket_name("Bad_Name")
    assert str(err.value) == ("invalid bucket name 'Bad_Name': may contain only lowercase letters, digits, "
                              "dots and hyphens (S3 bucket naming rules)")


def test_default_bucket_name_is_stable_and_distinct(cb: ModuleType) -> None:
    name = cb.default_bucket_name("chainsaw-brave-otter", "uid-1")
    assert name == cb.default_bucket_name("chainsaw-brave-otter", "uid-1")
    assert name.startswith("tempo-chainsaw-brave-otter-")
    assert name != cb.default_bucket_name("chainsaw-brave-otter", "uid-2")
    assert name != cb.default_bucket_name("chainsaw-calm-otter", "uid-1")
    assert cb.bucket_name_problem(name) is None


@pytest.mark.parametrize("namespace", ["n" * 63, "a-" * 31 + "b", "UPPER_and.dots", "x"])
def test_default_bucket_name_always_valid(cb: ModuleType, namespace: str) -> None:
    name = cb.default_bucket_name(namespace, "cluster")
    assert cb.bucket_name_problem(name) is None, name


# ---------------------------------------------------------------------------------------------
# Credentials files and roles


@pytest.mark.parametrize(("text", "expected"), [
    ("aws_access_key_id=AKIA1\naws_secret_access_key=s3cr3t\n", ("AKIA1", "s3cr3t")),
    ("aws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t", ("AKIA1", "s3cr3t")),
    ("[default]\naws_access_key_id=AKIA1\naws_secret_access_key=s3cr3t\n", ("AKIA1", "s3cr3t")),
    (("[other]\naws_access_key_id=AKIA2\naws_secret_access_key=x\n[default]\naws_access_key_id=AKIA1\n"
     "aws_secret_access_key=s3cr3t\n"), ("AKIA1", "s3cr3t")),
    ("[ci]\naws_access_key_id=AKIA2\naws_secret_access_key=two\n", ("AKIA2", "two")),
    ('aws_access_key_id="AKIA1"\naws_secret_access_key=\'s3=cr3t\'\n', ("AKIA1", "s3=cr3t")),
    ("# comment\n\naws_access_key_id=AKIA1\naws_secret_access_key=s3cr3t\nregion=us-east-2\n", ("AKIA1", "s3cr3t")),
    ("aws_access_key_id=AKIA1\n", None),
    ("aws_access_key_id=\naws_secret_access_key=\n", None),
    ("", None),
    ("this is not ini [\n", None),
])
def test_parse_awscred(cb: ModuleType, text: str, expected: tuple[str, str] | None) -> None:
    assert cb.parse_awscred(text) == expected


@pytest.mark.parametrize(("arn", "expected"), [
    ("arn:aws:sts::123456789012:assumed-role/TempoS3/botocore-session-1", "arn:aws:iam::123456789012:role/TempoS3"),
    ("arn:aws-us-gov:sts::123456789012:assumed-role/R/s", "arn:aws-us-gov:iam::123456789012:role/R"),
    ("arn:aws:iam::123456789012:role/Direct", "arn:aws:iam::123456789012:role/Direct"),
])
def test_role_arn_from_assumed_role(cb: ModuleType, arn: str, expected: str) -> None:
    assert cb.role_arn_from_assumed_role(arn) == expected


# ---------------------------------------------------------------------------------------------
# The storage secret


def credentials(cb: ModuleType, role_arn: str | None = None) -> Any:
    return cb.AwsCredentials("test", None, "AKIAEXAMPLE", "secret-value", None, role_arn)


def test_static_secret_form(cb: ModuleType) -> None:
    settings = cb.settings_from_env({"AWS_REGION": "us-east-1"})
    values = cb.storage_secret_values(credentials(cb), "bkt", settings)
    assert values == {"bucket": "bkt", "endpoint": "https://s3.us-east-1.amazonaws.com",
                      "access_key_id": "AKIAEXAMPLE", "access_key_secret": "secret-value"}


def test_sts_secret_form(cb: ModuleType) -> None:
    settings = cb.settings_from_env({})
    values = cb.storage_secret_values(credentials(cb, "arn:aws:iam::1:role/r"), "bkt", settings)
    assert values == {"bucket": "bkt", "region": "us-east-2", "role_arn": "arn:aws:iam::1:role/r"}


def test_credentials_repr_hides_values(cb: ModuleType) -> None:
    text = repr(credentials(cb))
    assert "secret-value" not in text and "AKIAEXAMPLE" not in text


# ---------------------------------------------------------------------------------------------
# Messages


def client_error(code: str, message: str = "", status: int = 400) -> Any:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("BucketAlreadyExists", "taken", ("bucket name 'bkt' is already taken by another AWS account; "
                                     "set BUCKET_NAME to a different name")),
    ("InvalidBucketName", "The specified bucket is not valid.", "invalid bucket name 'bkt': The specified bucket is not valid."),
    ("InvalidAccessKeyId", "", "CreateBucket on bucket bkt: the AWS access key id from src does not exist"),
    ("SignatureDoesNotMatch", "", "CreateBucket on bucket bkt: the AWS secret key from src does not match its access key id"),
    ("ExpiredToken", "", "CreateBucket on bucket bkt: the AWS session token from src has expired"),
    ("AccessDenied", "Access Denied", ("access denied: CreateBucket on bucket bkt with credentials from src: "
                                      "Access Denied (check the IAM policy in the scenario README)")),
    ("SlowDown", "Please reduce your request rate.", "CreateBucket on bucket bkt failed: SlowDown: Please reduce your request rate."),
])
def test_describe_client_error(cb: ModuleType, code: str, message: str, expected: str) -> None:
    assert cb.describe_client_error(client_error(code, message), "CreateBucket", "bkt", "src") == expected


def test_console_redacts_and_keeps_one_line(cb: ModuleType) -> None:
    console = cb.Console(out=io.StringIO(), err=io.StringIO())
    console.add_secrets("topsecret", None, "")
    console.error("failed:\n  key topsecret rejected\n")
    console.info("topsecret twice topsecret")
    assert console.err.getvalue() == "create_bucket.py: error: failed: key *** rejected\n"
    assert console.out.getvalue() == "*** twice ***\n"


def test_help_and_bad_mode(cb: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cb.main(["--help"])
    assert exit_info.value.code == 0
    assert "BUCKET_NAME" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        cb.main(["destroy"])
    assert exit_info.value.code == 2
