"""Writing the kubeconfig that points kubectl and clients at the embedded cluster."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CONTEXT_NAME = "chainsaw-embedded"


def render_kubeconfig(server_url: str, token: str, ca_pem: bytes | None = None, namespace: str = "default") -> str:
    import base64

    import yaml

    cluster: dict[str, str] = {"server": server_url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT_NAME, "cluster": cluster}],
        "users": [{"name": CONTEXT_NAME, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT_NAME, "context": {"cluster": CONTEXT_NAME, "user": CONTEXT_NAME,
                                                        "namespace": namespace}}],
        "current-context": CONTEXT_NAME,
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(path: Path | None, server_url: str, token: str, ca_pem: bytes | None = None) -> Path:
    """Write the kubeconfig with mode 0600 (a new temporary file when ``path`` is None); returns its path."""
    content = render_kubeconfig(server_url, token, ca_pem)
    if path is None:
        descriptor, name = tempfile.mkstemp(prefix="chainsaw-embedded-", suffix=".kubeconfig")
        target = Path(name)
    else:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(target, 0o600)
    return target
