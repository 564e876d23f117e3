"""Local S3: moto's threaded server on 127.0.0.1, with credentials to hand to clients.

moto keeps its state per process, so clusters started in the same process share buckets.
"""

from __future__ import annotations

import logging
import secrets
import string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainsaw_py.embedded.cluster import S3Endpoint

DEFAULT_REGION = "us-east-1"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def start_s3(region: str = DEFAULT_REGION) -> tuple[Any, S3Endpoint]:
    """Start moto's S3 server on a free loopback port; returns (server, endpoint)."""
    from moto.server import ThreadedMotoServer

    from chainsaw_py.embedded.cluster import S3Endpoint

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = S3Endpoint(endpoint_url=f"http://{host}:{port}",
                          access_key_id="AKIA" + _random(string.ascii_uppercase + string.digits, 16),
                          secret_access_key=_random(string.ascii_letters + string.digits + "/+", 40),
                          region=region)
    return server, endpoint
