"""Writing the kubeconfig that points kubectl and clients at the embedded cluster."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chainsaw_py.errors import ChainsawError

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


def write_kubeconfig(path: Path | None, server_url: str, token: str, ca_pem: bytes | None = None,
                     overwrite: bool = True) -> Path:
    """Write the kubeconfig with mode 0600 (a new temporary file when ``path`` is None); returns its path.

    An existing ``path`` is an error unless ``overwrite``; then it is replaced (a symlink itself, never the
    file it points to) by renaming a complete new file over it."""
    content = render_kubeconfig(server_url, token, ca_pem)
    if path is None:
        descriptor, name = tempfile.mkstemp(prefix="chainsaw-embedded-", suffix=".kubeconfig")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        return Path(name)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite:
        try:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            raise ChainsawError(f"kubeconfig {target} already exists: refusing to overwrite it "
                                "(pass --overwrite-kubeconfig to replace it)") from None
        except OSError as err:
            raise ChainsawError(f"cannot write kubeconfig {target}: {err.strerror}") from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        return target
    if target.is_dir() and not target.is_symlink():
        raise ChainsawError(f"cannot write kubeconfig {target}: it is a directory")
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return target
