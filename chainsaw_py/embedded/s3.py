"""Local S3: moto's threaded server on 127.0.0.1, with credentials to hand to clients.

The credentials are the access key of a moto IAM user (one per server, with an inline policy that allows
everything, like the administrative credentials a cloud cluster with AWS integration holds), and moto
*enforces* authentication while a server started here runs: a wrong access key id or secret is rejected with
AWS's own errors (``InvalidAccessKeyId``, ``SignatureDoesNotMatch``), and a user without a permission gets
``AccessDenied``. Note that moto authorises HeadBucket as ``s3:HeadBucket`` (AWS uses ``s3:ListBucket``).

moto keeps its state per process, so servers started in the same process share buckets, IAM users and the
authentication switch: it is turned on when the first server starts and restored to its previous setting
when the last one stops. An in-process ``moto.mock_aws`` resets that shared state when it starts, so do not
use one while a local S3 from here is running.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.errors import ChainsawError

DEFAULT_REGION = "us-east-1"
USER_NAME_PREFIX = "chainsaw-embedded-"
POLICY_NAME = "chainsaw-embedded-admin"
ADMIN_POLICY = {"Version": "2012-10-17",
                "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
_ENFORCE = "0"  # moto: the number of requests accepted without authentication
_TIMEOUT = 10.0
_SHUTDOWN_POLL = 0.05


@dataclass(frozen=True)
class S3Endpoint:
    """Where the local S3 (moto) listens and the credentials that work against it."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class _AuthSwitch:
    """Process-wide: which local S3 servers are running, and moto's setting before the first one started."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    running: list[LocalS3Server] = field(default_factory=list)
    previous: str = "inf"


_AUTH = _AuthSwitch()


class LocalS3Server:
    """A running moto server and the IAM user whose key it hands out. ``stop()`` is idempotent."""

    def __init__(self, server: Any, endpoint: S3Endpoint, user_name: str) -> None:
        self._server = server
        self.endpoint = endpoint
        self.user_name = user_name
        self._stopped = False

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.get_host_and_port()
        return str(host), int(port)

    def stop(self) -> None:
        with _AUTH.lock:
            if self._stopped:
                return
            self._stopped = True
            if self in _AUTH.running:
                _AUTH.running.remove(self)
            self._remove_user()
        self._server.stop()

    def _remove_user(self) -> None:
        """Delete the IAM user, signed by another running server's user (a user cannot delete itself: moto
        wants its policy gone first, and then it may no longer act); the last one does it with
        authentication off, then restores moto's previous setting."""
        url = self.endpoint.endpoint_url
        if _AUTH.running:
            _delete_user(url, self.endpoint.region, self.user_name, _AUTH.running[0].endpoint)
            return
        try:
            _reset_auth(url, "inf")
            _delete_user(url, self.endpoint.region, self.user_name, self.endpoint)
        finally:
            _reset_auth(url, _AUTH.previous)


class _MotoThread:
    """moto's WSGI application on a threaded werkzeug server in a daemon thread: moto's own
    ``ThreadedMotoServer``, except that ``stop`` returns within ~50 ms (``ThreadedMotoServer`` serves with
    socketserver's default shutdown poll of 0.5 s, which every run that started a local S3 waited for)."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _SHUTDOWN_POLL},
                                        name="local-s3", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def start_s3(region: str = DEFAULT_REGION) -> tuple[LocalS3Server, S3Endpoint]:
    """Start moto's S3 server on a free loopback port with authentication enforced; returns (server,
    endpoint), the endpoint carrying the access key of a new IAM user allowed everything."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = _MotoThread()
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    user_name = USER_NAME_PREFIX + _random(string.ascii_lowercase + string.digits, 10)
    try:
        with _AUTH.lock:
            endpoint = _provision(url, region, user_name)
            handle = LocalS3Server(server, endpoint, user_name)
            _AUTH.running.append(handle)
    except BaseException:
        server.stop()
        raise
    return handle, endpoint


def _provision(url: str, region: str, user_name: str) -> S3Endpoint:
    """Create the IAM user (under ``_AUTH.lock``): with authentication still off for the first server, else
    signed by a running server's user; then make sure authentication is enforced."""
    if _AUTH.running:
        signer = _AUTH.running[0].endpoint
        access_key_id, secret = _create_user(url, region, user_name, signer.access_key_id,
                                             signer.secret_access_key)
    else:
        _AUTH.previous = _reset_auth(url, "inf")
        bootstrap_key = "AKIA" + _random(string.ascii_uppercase + string.digits, 16)
        access_key_id, secret = _create_user(url, region, user_name, bootstrap_key, _random(string.ascii_letters, 40))
    _reset_auth(url, _ENFORCE)
    return S3Endpoint(endpoint_url=url, access_key_id=access_key_id, secret_access_key=secret, region=region)


def _iam(url: str, region: str, access_key_id: str, secret_access_key: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("iam", endpoint_url=url, region_name=region, aws_access_key_id=access_key_id,
                        aws_secret_access_key=secret_access_key,
                        config=Config(retries={"max_attempts": 2}, connect_timeout=_TIMEOUT, read_timeout=_TIMEOUT))


def _create_user(url: str, region: str, user_name: str, signer_key_id: str, signer_secret: str) -> tuple[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    iam = _iam(url, region, signer_key_id, signer_secret)
    try:
        iam.create_user(UserName=user_name, Tags=[{"Key": "created-by", "Value": "chainsaw-py-embedded"}])
        iam.put_user_policy(UserName=user_name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(ADMIN_POLICY))
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
    except (BotoCoreError, ClientError) as err:
        raise ChainsawError(f"local S3 at {url}: cannot create its IAM user: {err}") from None
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def _delete_user(url: str, region: str, user_name: str, signer: S3Endpoint) -> None:
    """Best effort: the user may already be gone (a moto reset), and stopping must not fail for that."""
    from botocore.exceptions import BotoCoreError, ClientError

    iam = _iam(url, region, signer.access_key_id, signer.secret_access_key)
    try:
        for key in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
        iam.delete_user_policy(UserName=user_name, PolicyName=POLICY_NAME)
        iam.delete_user(UserName=user_name)
    except (BotoCoreError, ClientError):
        return


def _reset_auth(url: str, value: str) -> str:
    """Set moto's count of unauthenticated requests (``0``: enforce; ``inf``: never); returns the old value."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=value.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            body = json.loads(response.read().decode() or "{}")
    except (OSError, ValueError, urllib.error.URLError) as err:
        raise ChainsawError(f"local S3 at {url}: cannot switch authentication: {err}") from None
    return str(body.get("PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT", "inf"))
