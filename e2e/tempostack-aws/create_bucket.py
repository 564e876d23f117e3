#!/usr/bin/env python3
"""Bucket step of the tempostack-aws scenario: the S3 bucket and the Tempo storage secret.

``create_bucket.py [create]`` resolves AWS credentials, removes a bucket left over from an earlier
run (all object versions and delete markers, then the bucket), creates a fresh one with public
access blocked, default encryption, tags and optional lifecycle tiering, and writes the storage
secret the TempoStack references into the test namespace.
``create_bucket.py delete`` (the step's cleanup) empties and deletes the bucket again.

It runs as a ``script`` operation of the test, under upstream Chainsaw or chainsaw_py alike, so it
depends on boto3 and the kubernetes client only. The runner hands it ``KUBECONFIG`` and
``NAMESPACE``; every other setting comes from the environment (see ``settings_from_env`` and the
scenario README). Every failure is one line on stderr and exit status 1; the AWS secret key and
session token never appear in any output.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import configparser
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

DEFAULT_REGION = "us-east-2"
DEFAULT_SECRET_NAME = "s3-secret"
CREDENTIALS_SECRET_NAMESPACE = "kube-system"
CREDENTIALS_SECRET_NAME = "aws-creds"
AWSCRED_FILE = ".awscred"
TRUTHY = frozenset({"1", "true", "yes", "on"})
# botocore credential methods whose credentials come from assuming an IAM role: the storage secret
# then names the role (the Tempo operator's short-lived-token form) instead of carrying keys.
ROLE_BASED_METHODS = frozenset({"assume-role", "assume-role-with-web-identity"})
SECRET_LABELS = {"app.kubernetes.io/part-of": "tempostack-aws-e2e", "app.kubernetes.io/created-by": "create_bucket.py"}
TAG_CREATED_BY = "chainsaw-tempostack-aws"
# An S3 bucket deleted a moment ago may refuse re-creation with OperationAborted for a short while.
CREATE_RETRY_SECONDS = 90.0
WAITER_CONFIG = {"Delay": 2, "MaxAttempts": 60}
DELETE_BATCH = 1000


class BucketStepError(Exception):
    """A failure of the step; ``str(err)`` is the single line printed on stderr."""


class KubeForbidden(BucketStepError):
    """The Kubernetes API refused a read (HTTP 403): a credential source to skip, not a failure."""


# ---------------------------------------------------------------------------------------------
# Output


@dataclass
class Console:
    """stdout/stderr lines, with every known secret value masked before it is written."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: list[str] = field(default_factory=list)

    def add_secrets(self, *values: str | None) -> None:
        self.secrets.extend(v for v in values if v)

    def redact(self, text: str) -> str:
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "***")
        return " ".join(text.split())

    def info(self, message: str) -> None:
        print(self.redact(message), file=self.out, flush=True)

    def note(self, message: str) -> None:
        print(f"note: {self.redact(message)}", file=self.err, flush=True)

    def error(self, message: str) -> None:
        print(f"create_bucket.py: error: {self.redact(message)}", file=self.err, flush=True)


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Settings:
    namespace: str
    """Test namespace ("" = the kubeconfig context's namespace)."""
    bucket_name: str
    """Explicit bucket name ("" = derived from the namespace and the cluster identity)."""
    region: str
    endpoint_url: str
    custom_endpoint: bool
    """True when AWS_ENDPOINT_URL points somewhere other than the regional AWS endpoint."""
    secret_name: str
    lifecycle_tiering: bool
    skip_delete: bool
    cluster_profile_dir: str


def is_truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUTHY


def regional_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{suffix}"


REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def settings_from_env(env: Mapping[str, str]) -> Settings:
    region = env.get("AWS_REGION", "").strip() or DEFAULT_REGION
    if not REGION_PATTERN.match(region):
        raise BucketStepError(f"AWS_REGION {region!r} is not an AWS region name (like us-east-2)")
    endpoint = env.get("AWS_ENDPOINT_URL", "").strip().rstrip("/")
    if endpoint and not re.match(r"^https?://[^/\s]+", endpoint):
        raise BucketStepError(f"AWS_ENDPOINT_URL {endpoint!r} is not an http(s) URL")
    return Settings(
        namespace=env.get("NAMESPACE", "").strip(),
        bucket_name=env.get("BUCKET_NAME", "").strip(),
        region=region,
        endpoint_url=endpoint or regional_endpoint(region),
        custom_endpoint=bool(endpoint) and endpoint != regional_endpoint(region),
        secret_name=env.get("SECRET_NAME", "").strip() or DEFAULT_SECRET_NAME,
        lifecycle_tiering=is_truthy(env.get("S3_LIFECYCLE_TIERING")),
        skip_delete=is_truthy(env.get("CHAINSAW_SKIP_DELETE")),
        cluster_profile_dir=env.get("CLUSTER_PROFILE_DIR", "").strip(),
    )


# ---------------------------------------------------------------------------------------------
# Bucket names

BUCKET_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """The first S3 naming rule (general purpose buckets) that ``name`` breaks, or None."""
    if not 3 <= len(name) <= 63:
        return "must be 3 to 63 characters long"
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        return "may contain only lowercase letters, digits, dots and hyphens"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a letter or a digit"
    if ".." in name:
        return "must not contain two adjacent dots"
    with contextlib.suppress(ValueError):
        ipaddress.IPv4Address(name)
        return "must not be formatted as an IP address"
    for prefix in BUCKET_FORBIDDEN_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with {prefix!r}"
    for suffix in BUCKET_FORBIDDEN_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix!r}"
    return None


def validate_bucket_name(name: str) -> str:
    problem = bucket_name_problem(name)
    if problem:
        raise BucketStepError(f"invalid bucket name {name!r}: {problem} (S3 bucket naming rules)")
    return name


def default_bucket_name(namespace: str, cluster_id: str) -> str:
    """``tempo-<namespace>-<hash>``: stable for one namespace of one cluster, distinct across both.

    Bucket names are global to all of AWS while test namespaces are only unique within a cluster, so
    the hash covers the cluster identity too; the create and delete runs derive the same name.
    """
    digest = hashlib.sha256(f"{cluster_id}/{namespace}".encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9-]+", "-", namespace.lower()).strip("-")
    stem = f"tempo-{slug}"[: 63 - len(digest) - 1].rstrip("-")
    return f"{stem}-{digest}"


# ---------------------------------------------------------------------------------------------
# Kubernetes seam


class Cluster(Protocol):
    """The Kubernetes side of the step; ``KubernetesCluster`` is the real implementation."""

    def current_namespace(self) -> str: ...

    def cluster_id(self) -> str: ...

    def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """Decoded ``data`` of a secret, None when it does not exist; KubeForbidden when not readable."""
        ...

    def write_secret(self, namespace: str, name: str, values: Mapping[str, str],
                     labels: Mapping[str, str]) -> str:
        """Create the Opaque secret or replace it entirely; returns "created" or "replaced"."""
        ...


class KubernetesCluster:
    """``Cluster`` over the official kubernetes client, configured from a kubeconfig."""

    def __init__(self, api_client: Any, context_namespace: str = "default") -> None:
        from kubernetes import client

        self._core = client.CoreV1Api(api_client)
        self._context_namespace = context_namespace
        self.server = str(api_client.configuration.host)

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None) -> KubernetesCluster:
        from kubernetes import config

        try:
            api_client = config.new_client_from_config(config_file=kubeconfig)
            _, active = config.list_kube_config_contexts(config_file=kubeconfig)
        except (config.ConfigException, OSError, ValueError, TypeError) as err:
            where = kubeconfig or "~/.kube/config"
            raise BucketStepError(f"cannot load the kubeconfig {where}: {err}") from None
        namespace = ((active or {}).get("context") or {}).get("namespace") or "default"
        return cls(api_client, namespace)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> KubernetesCluster:
        kubeconfig = env.get("KUBECONFIG", "").strip()
        if kubeconfig or Path("~/.kube/config").expanduser().exists():
            return cls.from_kubeconfig(kubeconfig or None)
        return cls.in_cluster()

    @classmethod
    def in_cluster(cls) -> KubernetesCluster:
        from kubernetes import client, config

        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except config.ConfigException:
            raise BucketStepError("no cluster configured: KUBECONFIG is not set, ~/.kube/config does "
                                  "not exist and this is not running inside a pod") from None
        return cls(client.ApiClient(configuration), _in_cluster_namespace())

    def current_namespace(self) -> str:
        return self._context_namespace

    def cluster_id(self) -> str:
        """The kube-system namespace UID (the usual cluster identity), else the API server URL."""
        try:
            with self._api_errors("get namespace kube-system", missing_ok=True) as found:
                namespace = self._core.read_namespace(CREDENTIALS_SECRET_NAMESPACE, _request_timeout=30)
        except KubeForbidden:
            return self.server
        uid = namespace.metadata.uid if found and namespace.metadata else None
        return uid or self.server

    def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        with self._api_errors(f"get secret {namespace}/{name}", missing_ok=True) as found:
            secret = self._core.read_namespaced_secret(name, namespace, _request_timeout=30)
        if not found:
            return None
        return {key: _b64decode(value, f"{namespace}/{name}", key) for key, value in (secret.data or {}).items()}

    def write_secret(self, namespace: str, name: str, values: Mapping[str, str],
                     labels: Mapping[str, str]) -> str:
        body = self._secret_body(namespace, name, values, labels)
        with self._api_errors(f"create secret {namespace}/{name}", conflict_ok=True) as created:
            self._core.create_namespaced_secret(namespace, body, _request_timeout=30)
        if created:
            return "created"
        with self._api_errors(f"replace secret {namespace}/{name}", invalid_ok=True) as replaced:
            self._core.replace_namespaced_secret(name, namespace, body, _request_timeout=30)
        if not replaced:  # the existing secret has another (immutable) type: recreate it
            with self._api_errors(f"delete secret {namespace}/{name}", missing_ok=True):
                self._core.delete_namespaced_secret(name, namespace, _request_timeout=30)
            with self._api_errors(f"create secret {namespace}/{name}"):
                self._core.create_namespaced_secret(namespace, body, _request_timeout=30)
        return "replaced"

    @staticmethod
    def _secret_body(namespace: str, name: str, values: Mapping[str, str], labels: Mapping[str, str]) -> Any:
        from kubernetes import client

        # `data`, not `stringData`: a replace must leave exactly these keys, with nothing merged in.
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        metadata = client.V1ObjectMeta(name=name, namespace=namespace, labels=dict(labels))
        return client.V1Secret(api_version="v1", kind="Secret", metadata=metadata, type="Opaque", data=data)

    @contextlib.contextmanager
    def _api_errors(self, action: str, missing_ok: bool = False, conflict_ok: bool = False,
                    invalid_ok: bool = False) -> Iterator[_Outcome]:
        """Turn client exceptions into one-line errors; tolerated statuses mark the outcome False."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        outcome = _Outcome()
        tolerated = {status for status, ok in ((404, missing_ok), (409, conflict_ok), (422, invalid_ok)) if ok}
        try:
            yield outcome
        except ApiException as err:
            if err.status in tolerated:
                outcome.ok = False
                return
            raise self._api_error(action, err) from None
        except HTTPError as err:
            raise BucketStepError(f"cannot reach the Kubernetes API server at {self.server}: "
                                  f"{_root_cause(err)}") from None

    def _api_error(self, action: str, err: Any) -> BucketStepError:
        message = _status_message(err)
        if err.status == 403:
            return KubeForbidden(f"{action}: forbidden: {message}")
        if err.status == 401:
            return BucketStepError(f"{action}: unauthorized: the kubeconfig credentials were rejected by "
                                   f"{self.server}")
        if not err.status:
            return BucketStepError(f"cannot reach the Kubernetes API server at {self.server}: {message}")
        return BucketStepError(f"{action}: HTTP {err.status}: {message}")


@dataclass
class _Outcome:
    ok: bool = True

    def __bool__(self) -> bool:
        return self.ok


def _status_message(err: Any) -> str:
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        message = json.loads(err.body).get("message")
        if message:
            return str(message)
    return str(err.reason or "").strip() or "no details"


def _root_cause(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    return str(reason if reason is not None else err)


def _b64decode(value: str, secret: str, key: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise BucketStepError(f"secret {secret}: key {key!r} is not valid base64 text") from None


def _in_cluster_namespace() -> str:
    path = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    with contextlib.suppress(OSError):
        return path.read_text().strip() or "default"
    return "default"


# ---------------------------------------------------------------------------------------------
# AWS credentials


@dataclass(frozen=True)
class AwsCredentials:
    source: str
    """Where the credentials came from, for messages (never the values)."""
    session: Any = field(repr=False)
    """A boto3 Session that signs with these credentials."""
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None
    """The IAM role behind role-based (web identity / assume-role) credentials."""

    @property
    def role_based(self) -> bool:
        return self.role_arn is not None


def parse_awscred(text: str) -> tuple[str, str] | None:
    """``(access key id, secret key)`` from an ini-style credentials file, preferring [default]."""
    if not re.match(r"\s*\[", text):
        text = "[default]\n" + text
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="\x00")
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    sections = sorted(parser.sections(), key=lambda name: name != "default")
    for name in sections:
        section = parser[name]
        key_id = _unquote(section.get("aws_access_key_id", ""))
        secret = _unquote(section.get("aws_secret_access_key", ""))
        if key_id and secret:
            return key_id, secret
    return None


def _unquote(value: str) -> str:
    return value.strip().strip("\"'").strip()


def static_credentials(source: str, key_id: str, secret: str, region: str) -> AwsCredentials:
    import boto3

    session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region)
    return AwsCredentials(source, session, key_id, secret)


def credentials_from_profile_dir(settings: Settings, console: Console) -> AwsCredentials | None:
    if not settings.cluster_profile_dir:
        return None
    path = Path(settings.cluster_profile_dir) / AWSCRED_FILE
    try:
        pair = parse_awscred(path.read_text())
    except OSError as err:
        console.note(f"CLUSTER_PROFILE_DIR is set but {path} cannot be read ({err.strerror}); trying the next source")
        return None
    if pair is None:
        console.note(f"{path} has no aws_access_key_id/aws_secret_access_key pair; trying the next source")
        return None
    console.add_secrets(pair[1])
    return static_credentials(f"$CLUSTER_PROFILE_DIR/{AWSCRED_FILE}", *pair, settings.region)


def credentials_from_cluster(settings: Settings, cluster: Cluster, console: Console) -> AwsCredentials | None:
    where = f"{CREDENTIALS_SECRET_NAMESPACE}/{CREDENTIALS_SECRET_NAME}"
    try:
        data = cluster.read_secret(CREDENTIALS_SECRET_NAMESPACE, CREDENTIALS_SECRET_NAME)
    except KubeForbidden:
        console.note(f"secret {where} is not readable with this kubeconfig; trying the next source")
        return None
    if data is None:
        return None
    key_id, secret = data.get("aws_access_key_id", "").strip(), data.get("aws_secret_access_key", "").strip()
    if not (key_id and secret):
        console.note(f"secret {where} lacks aws_access_key_id/aws_secret_access_key; trying the next source")
        return None
    console.add_secrets(secret)
    return static_credentials(f"secret {where}", key_id, secret, settings.region)


def credentials_from_default_chain(settings: Settings) -> AwsCredentials | None:
    import boto3

    session = boto3.Session(region_name=settings.region)
    with aws_errors("resolve credentials", "", "boto3's default chain", settings.endpoint_url):
        found = session.get_credentials()
        if found is None:
            return None
        frozen = found.get_frozen_credentials()
    method = str(getattr(found, "method", "") or "")
    source = f"boto3's default chain ({method or 'unknown provider'})"
    role_arn = role_arn_for(session, method, settings) if method in ROLE_BASED_METHODS else None
    return AwsCredentials(source, session, frozen.access_key, frozen.secret_key, frozen.token, role_arn)


def role_arn_for(session: Any, method: str, settings: Settings) -> str:
    """The role behind assumed-role credentials: as configured, else from the caller identity."""
    configured = os.environ.get("AWS_ROLE_ARN", "") if method == "assume-role-with-web-identity" else ""
    if not configured:
        with contextlib.suppress(Exception):
            configured = str(session._session.get_scoped_config().get("role_arn") or "")
    if configured:
        return configured
    with aws_errors("sts:GetCallerIdentity", "", "boto3's default chain", settings.endpoint_url):
        arn = session.client("sts").get_caller_identity()["Arn"]
    return role_arn_from_assumed_role(str(arn))


def role_arn_from_assumed_role(arn: str) -> str:
    """``arn:aws:sts::1:assumed-role/Name/session`` -> ``arn:aws:iam::1:role/Name`` (others unchanged)."""
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d+):assumed-role/([^/]+)/.+", arn)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else arn


def resolve_credentials(settings: Settings, cluster: Cluster, console: Console) -> AwsCredentials:
    """First of: $CLUSTER_PROFILE_DIR/.awscred, secret kube-system/aws-creds, boto3's default chain."""
    found = (credentials_from_profile_dir(settings, console)
             or credentials_from_cluster(settings, cluster, console)
             or credentials_from_default_chain(settings))
    if found is None:
        raise BucketStepError(
            "no AWS credentials found: tried $CLUSTER_PROFILE_DIR/.awscred"
            f"{'' if settings.cluster_profile_dir else ' (CLUSTER_PROFILE_DIR is not set)'}, "
            f"the secret {CREDENTIALS_SECRET_NAMESPACE}/{CREDENTIALS_SECRET_NAME}, and boto3's default "
            "chain (environment variables, shared config and credentials files, web identity/IRSA)")
    return found


# ---------------------------------------------------------------------------------------------
# AWS errors


def describe_client_error(error: Any, action: str, bucket: str, source: str) -> str:
    """One line for a botocore ClientError, naming the action, the bucket and what to check."""
    info = error.response.get("Error", {})
    code = str(info.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    detail = str(info.get("Message") or "").strip()
    target = f" on bucket {bucket}" if bucket else ""
    hints = {
        "BucketAlreadyExists": f"bucket name {bucket!r} is already taken by another AWS account; "
                               "set BUCKET_NAME to a different name",
        "InvalidBucketName": f"invalid bucket name {bucket!r}: {detail}",
        "InvalidAccessKeyId": f"{action}{target}: the AWS access key id from {source} does not exist",
        "SignatureDoesNotMatch": f"{action}{target}: the AWS secret key from {source} does not match "
                                 "its access key id",
        "ExpiredToken": f"{action}{target}: the AWS session token from {source} has expired",
        "InvalidToken": f"{action}{target}: the AWS session token from {source} is not valid",
    }
    if code in hints:
        return hints[code]
    if code in {"AccessDenied", "AllAccessDisabled", "403", "Forbidden"}:
        return (f"access denied: {action}{target} with credentials from {source}"
                f"{': ' + detail if detail else ''} (check the IAM policy in the scenario README)")
    return f"{action}{target} failed: {code}{': ' + detail if detail else ''}"


@contextlib.contextmanager
def aws_errors(action: str, bucket: str, source: str, endpoint: str) -> Iterator[None]:
    from botocore import exceptions as aws

    try:
        yield
    except aws.ClientError as err:
        raise BucketStepError(describe_client_error(err, action, bucket, source)) from None
    except (aws.EndpointConnectionError, aws.ConnectTimeoutError, aws.ReadTimeoutError,
            aws.ConnectionClosedError) as err:
        raise BucketStepError(f"cannot reach the S3 endpoint {endpoint}: {err}") from None
    except aws.NoCredentialsError:
        raise BucketStepError(f"{action}: no AWS credentials in {source}") from None
    except aws.WaiterError as err:
        raise BucketStepError(f"{action} on bucket {bucket}: gave up waiting: {err}") from None
    except aws.BotoCoreError as err:
        raise BucketStepError(f"{action}{' on bucket ' + bucket if bucket else ''}: {err}") from None


# ---------------------------------------------------------------------------------------------
# S3


def make_s3_client(credentials: AwsCredentials, settings: Settings) -> Any:
    from botocore.config import Config

    config = Config(
        region_name=settings.region,
        connect_timeout=10,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        # S3-compatible endpoints (the offline run's local S3, MinIO) only speak path-style.
        s3={"addressing_style": "path" if settings.custom_endpoint else "auto"},
    )
    return credentials.session.client("s3", endpoint_url=settings.endpoint_url, config=config)


def bucket_exists(s3: Any, bucket: str) -> bool:
    """True for a bucket these credentials can reach, False for none; AccessDenied-style errors raise."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(err.response.get("Error", {}).get("Code", ""))
        if status == 404 or code in {"404", "NoSuchBucket", "NotFound"}:
            return False
        if status == 403 or code in {"403", "Forbidden", "AccessDenied"}:
            raise BucketStepError(
                f"HeadBucket on bucket {bucket} was refused (403): the bucket belongs to another AWS account, "
                "or the IAM policy lacks s3:ListBucket on it (set BUCKET_NAME, or fix the policy)"
            ) from None
        raise
    return True


def object_versions(s3: Any, bucket: str) -> Iterator[dict[str, str]]:
    """Every object version and delete marker (plain objects appear with VersionId "null")."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}


def empty_bucket(s3: Any, bucket: str) -> int:
    """Abort unfinished uploads and delete every version and delete marker; returns the count."""
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    deleted = 0
    batch: list[dict[str, str]] = []
    for entry in object_versions(s3, bucket):
        batch.append(entry)
        if len(batch) == DELETE_BATCH:
            deleted += _delete_batch(s3, bucket, batch)
            batch = []
    if batch:
        deleted += _delete_batch(s3, bucket, batch)
    return deleted


def _delete_batch(s3: Any, bucket: str, batch: list[dict[str, str]]) -> int:
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    errors = response.get("Errors") or []
    if errors:
        first = errors[0]
        raise BucketStepError(f"emptying bucket {bucket}: {len(errors)} object(s) not deleted, first "
                              f"{first.get('Key')!r}: {first.get('Code')}: {first.get('Message')}")
    return len(batch)


def remove_bucket(s3: Any, bucket: str) -> int:
    """Empty and delete the bucket, then wait until S3 reports it gone; returns the entries deleted."""
    deleted = empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)
    s3.get_waiter("bucket_not_exists").wait(Bucket=bucket, WaiterConfig=WAITER_CONFIG)
    return deleted


def create_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create in ``region`` (us-east-1 takes no LocationConstraint) and wait until it exists."""
    from botocore.exceptions import ClientError

    arguments: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    deadline = time.monotonic() + CREATE_RETRY_SECONDS
    delay = 2.0
    while True:
        try:
            s3.create_bucket(**arguments)
            break
        except ClientError as err:
            aborted = err.response.get("Error", {}).get("Code") == "OperationAborted"
            if not aborted or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 15.0)
    s3.get_waiter("bucket_exists").wait(Bucket=bucket, WaiterConfig=WAITER_CONFIG)


def bucket_tags(namespace: str) -> list[dict[str, str]]:
    return [
        {"Key": "created-by", "Value": TAG_CREATED_BY},
        {"Key": "kubernetes-namespace", "Value": namespace},
        {"Key": "purpose", "Value": "tempo-e2e-traces"},
    ]


LIFECYCLE_TIERING_RULE = {
    "ID": "tempo-traces-tiering",
    "Filter": {"Prefix": ""},
    "Status": "Enabled",
    "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
}


def configure_bucket(s3: Any, bucket: str, namespace: str, lifecycle_tiering: bool) -> list[str]:
    """Block public access, encrypt by default, tag, and optionally tier; returns what was set."""
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": bucket_tags(namespace)})
    done = ["public access blocked", "AES256 default encryption", "tagged"]
    if lifecycle_tiering:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [LIFECYCLE_TIERING_RULE]})
        done.append("lifecycle tiering STANDARD_IA@30d GLACIER@90d")
    return done


# ---------------------------------------------------------------------------------------------
# The storage secret


def storage_secret_values(credentials: AwsCredentials, bucket: str, settings: Settings) -> dict[str, str]:
    """The Tempo operator's S3 storage secret: the token (STS) form for role-based credentials.

    The static form has no ``region`` key on purpose: the operator treats ``region`` as a field of the
    short-lived form and rejects a secret mixing both ("storage secret contains fields for long lived
    and short lived configuration", tempo-operator internal/handlers/storage/s3_secret.go).
    """
    if credentials.role_arn is not None:
        return {"bucket": bucket, "region": settings.region, "role_arn": credentials.role_arn}
    return {
        "bucket": bucket,
        "endpoint": settings.endpoint_url,
        "access_key_id": credentials.access_key_id,
        "access_key_secret": credentials.secret_access_key,
    }


# ---------------------------------------------------------------------------------------------
# Modes


@dataclass(frozen=True)
class Target:
    namespace: str
    bucket: str


def resolve_target(settings: Settings, cluster: Cluster) -> Target:
    namespace = settings.namespace or cluster.current_namespace()
    if settings.bucket_name:
        return Target(namespace, validate_bucket_name(settings.bucket_name))
    return Target(namespace, validate_bucket_name(default_bucket_name(namespace, cluster.cluster_id())))


def run_create(settings: Settings, cluster: Cluster, console: Console) -> None:
    target = resolve_target(settings, cluster)
    credentials = resolve_credentials(settings, cluster, console)
    console.add_secrets(credentials.secret_access_key, credentials.session_token)
    kind = f"role {credentials.role_arn}" if credentials.role_based else "static access key"
    console.info(f"credentials: {credentials.source}, {kind}")
    if credentials.session_token and not credentials.role_based:
        console.note("these are temporary credentials; the static storage secret cannot carry the session "
                     "token, so Tempo may fail to authenticate")
    s3 = make_s3_client(credentials, settings)
    bucket, source, endpoint = target.bucket, credentials.source, settings.endpoint_url
    with aws_errors("HeadBucket", bucket, source, endpoint):
        exists = bucket_exists(s3, bucket)
    if exists:
        with aws_errors("removing the existing bucket", bucket, source, endpoint):
            deleted = remove_bucket(s3, bucket)
        console.info(f"bucket {bucket}: existed; deleted {deleted} object version(s)/delete marker(s) and the bucket")
    with aws_errors("CreateBucket", bucket, source, endpoint):
        create_bucket(s3, bucket, settings.region)
    with aws_errors("configuring the bucket", bucket, source, endpoint):
        done = configure_bucket(s3, bucket, target.namespace, settings.lifecycle_tiering)
    console.info(f"bucket {bucket}: created in {settings.region} at {endpoint} ({', '.join(done)})")
    values = storage_secret_values(credentials, bucket, settings)
    action = cluster.write_secret(target.namespace, settings.secret_name, values, SECRET_LABELS)
    form = "STS (role) form" if credentials.role_based else "static form"
    console.info(f"secret {target.namespace}/{settings.secret_name}: {action}, {form}, keys {', '.join(sorted(values))}")


def run_delete(settings: Settings, cluster: Cluster, console: Console) -> None:
    target = resolve_target(settings, cluster)
    if settings.skip_delete:
        console.info(f"bucket {target.bucket}: kept (CHAINSAW_SKIP_DELETE is set)")
        return
    credentials = resolve_credentials(settings, cluster, console)
    console.add_secrets(credentials.secret_access_key, credentials.session_token)
    s3 = make_s3_client(credentials, settings)
    bucket, source, endpoint = target.bucket, credentials.source, settings.endpoint_url
    with aws_errors("HeadBucket", bucket, source, endpoint):
        exists = bucket_exists(s3, bucket)
    if not exists:
        console.info(f"bucket {bucket}: does not exist, nothing to delete")
        return
    with aws_errors("deleting the bucket", bucket, source, endpoint):
        deleted = remove_bucket(s3, bucket)
    console.info(f"bucket {bucket}: deleted with {deleted} object version(s)/delete marker(s)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="create_bucket.py",
        description="Create (default) or delete the tempostack-aws scenario's S3 bucket and storage secret. "
                    "Settings come from the environment: NAMESPACE, BUCKET_NAME, AWS_REGION, AWS_ENDPOINT_URL, "
                    "SECRET_NAME, S3_LIFECYCLE_TIERING, CLUSTER_PROFILE_DIR, CHAINSAW_SKIP_DELETE, KUBECONFIG.")
    parser.add_argument("mode", nargs="?", choices=("create", "delete"), default="create")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
         cluster: Cluster | None = None, console: Console | None = None) -> int:
    """Run the step; returns the exit status. ``env``/``cluster``/``console`` are seams for tests."""
    arguments = parse_args(argv)
    env = os.environ if env is None else env
    console = console or Console()
    try:
        settings = settings_from_env(env)
        cluster = cluster or KubernetesCluster.from_environment(env)
        (run_delete if arguments.mode == "delete" else run_create)(settings, cluster, console)
    except BucketStepError as err:
        console.error(str(err))
        return 1
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except Exception as err:
        console.error(f"unexpected {type(err).__name__}: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
