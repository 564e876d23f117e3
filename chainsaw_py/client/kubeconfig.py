"""Kubeconfig handling: Chainsaw's loading rules (``--kube-*`` overrides on top of ``$KUBECONFIG`` or
``~/.kube/config``, or an explicit file), and the single-context kubeconfig (cluster, user and context
all named ``chainsaw``) written for scripts and commands."""

from __future__ import annotations

import base64
import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chainsaw_py import yamldocs
from chainsaw_py.client.kubeconfig_shape import shape_error
from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.util import files

NAME = "chainsaw"

_FILE_KEYS = {
    "certificate-authority": "certificate-authority-data",
    "client-certificate": "client-certificate-data",
    "client-key": "client-key-data",
    "tokenFile": None,
}


def default_paths(search: str | None = None) -> list[Path]:
    """``search`` when given, else ``$KUBECONFIG`` (a path list; the first file to define a name wins), else
    ``~/.kube/config``."""
    env = search or os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def has_default_kubeconfig(search: str | None = None) -> bool:
    """Whether a file of ``default_paths(search)`` exists."""
    return any(path.is_file() for path in default_paths(search))


@dataclass(frozen=True)
class KubeconfigSelection:
    """One context of a kubeconfig, resolved to self-contained cluster and user entries."""

    cluster: dict[str, Any]
    user: dict[str, Any]
    namespace: str
    source: str
    context: str = ""
    """The kubeconfig context's name (empty when only ``--kube-server`` chose the cluster)."""

    @property
    def server(self) -> str:
        return str(self.cluster.get("server", ""))

    def single_context(self) -> dict[str, Any]:
        """A kubeconfig with just this cluster and user, every file inlined (``*-data``)."""
        context: dict[str, Any] = {"cluster": NAME, "user": NAME}
        if self.namespace:
            context["namespace"] = self.namespace
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": NAME, "cluster": self.cluster}],
            "users": [{"name": NAME, "user": self.user}],
            "contexts": [{"name": NAME, "context": context}],
            "current-context": NAME,
            "preferences": {},
        }

    def write(self, path: Path) -> None:
        path.write_text(yaml.safe_dump(self.single_context(), sort_keys=False))
        path.chmod(0o600)


def load_selection(kubeconfig: Path | None = None, context: str | None = None,
                   overrides: dict[str, Any] | None = None, *, search: str | None = None) -> KubeconfigSelection:
    """Resolve the kubeconfig Chainsaw would use: ``kubeconfig`` if given, else the default files
    (``search``, a path list, in place of ``$KUBECONFIG``)."""
    overrides = dict(overrides or {})
    paths = [kubeconfig] if kubeconfig is not None else default_paths(search)
    merged = _merge([_read(path, explicit=kubeconfig is not None) for path in paths])
    context_name = context or overrides.get("context") or merged.get("current-context") or ""
    contexts = _named(merged, "contexts")
    if overrides.get("server") and not context_name:
        selected: dict[str, Any] = {}
    elif context_name not in contexts:
        where = kubeconfig or os.pathsep.join(str(p) for p in paths)
        if not context_name:
            raise ChainsawError(f"invalid configuration: no configuration has been provided ({where})")
        raise ChainsawError(f'context "{context_name}" does not exist in {where}')
    else:
        selected = contexts[context_name]
    cluster_name = overrides.get("cluster") or selected.get("cluster", "")
    user_name = overrides.get("user") or selected.get("user", "")
    cluster = copy.deepcopy(_named(merged, "clusters").get(cluster_name, {}))
    user = copy.deepcopy(_named(merged, "users").get(user_name, {}))
    cluster = _inline_files(cluster, merged["_bases"].get(("clusters", cluster_name)))
    user = _inline_files(user, merged["_bases"].get(("users", user_name)))
    _apply_overrides(cluster, user, overrides)
    if not cluster.get("server"):
        raise ChainsawError("invalid configuration: no server found for cluster " + repr(cluster_name))
    namespace = overrides.get("namespace") or selected.get("namespace", "")
    return KubeconfigSelection(cluster, user, namespace, str(kubeconfig or paths[0]), str(context_name))


def _read(path: Path, *, explicit: bool) -> tuple[Path, dict[str, Any]]:
    """A kubeconfig file, read within the bounds of every file chainsaw_py reads (a regular file within the
    size limit; nesting and aliases limited as in test files)."""
    try:
        data = yamldocs.load_single(files.read_text(path), path) or {}
    except files.FileReadError as err:
        if err.message != "no such file or directory":
            raise ChainsawError(f"error loading config file \"{path}\": {err}") from None
        if explicit:
            raise ChainsawError(f"stat {path}: no such file or directory") from None
        return path, {}
    except (UnicodeDecodeError, LoadError) as err:
        raise ChainsawError(f"error loading config file \"{path}\": {err}") from None
    problem = shape_error(data)
    if problem is not None:
        raise ChainsawError(f'error loading config file "{path}": {problem}')
    return path, data


def _merge(files: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """client-go's merge: the first file that defines a name (or current-context) wins."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": [], "_bases": {}}
    for path, data in files:
        if not merged.get("current-context") and data.get("current-context"):
            merged["current-context"] = data["current-context"]
        for section in ("clusters", "users", "contexts"):
            known = {entry.get("name") for entry in merged[section]}
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in known:
                    merged[section].append(entry)
                    merged["_bases"][(section, entry.get("name"))] = path.parent
    return merged


def _named(config: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    key = section[:-1]
    return {entry["name"]: entry.get(key) or {} for entry in config.get(section, []) if "name" in entry}


def _inline_files(entry: dict[str, Any], base: Path | None) -> dict[str, Any]:
    for key in [key for key, value in entry.items() if key in _FILE_KEYS and value in (None, "")]:
        del entry[key]  # null or empty: not set, as in Go
    for key, data_key in _FILE_KEYS.items():
        if key not in entry or data_key is None:
            continue
        file = Path(str(entry.pop(key))).expanduser()
        if not file.is_absolute() and base is not None:
            file = base / file
        try:
            entry[data_key] = base64.b64encode(files.read_bytes(file)).decode()
        except OSError as err:
            raise ChainsawError(f"unable to read {key} {file}: {err}") from None
    if "tokenFile" in entry and "token" not in entry:
        token_file = Path(str(entry.pop("tokenFile")))
        if not token_file.is_absolute() and base is not None:
            token_file = base / token_file
        try:
            entry["token"] = files.read_bytes(token_file).decode(errors="replace").strip()
        except OSError as err:
            raise ChainsawError(f"unable to read tokenFile {token_file}: {err}") from None
    return entry


def _apply_overrides(cluster: dict[str, Any], user: dict[str, Any], overrides: dict[str, Any]) -> None:
    """The ``--kube-*`` flags (clientcmd ``ConfigOverrides``)."""
    if overrides.get("server"):
        cluster["server"] = overrides["server"]
    if overrides.get("tls_server_name"):
        cluster["tls-server-name"] = overrides["tls_server_name"]
    if overrides.get("insecure_skip_tls_verify"):
        cluster["insecure-skip-tls-verify"] = True
        cluster.pop("certificate-authority-data", None)
    if overrides.get("certificate_authority"):
        cluster["certificate-authority-data"] = _file_data(overrides["certificate_authority"])
    if overrides.get("proxy_url"):
        cluster["proxy-url"] = overrides["proxy_url"]
    if overrides.get("disable_compression"):
        cluster["disable-compression"] = True
    if overrides.get("client_certificate"):
        user["client-certificate-data"] = _file_data(overrides["client_certificate"])
    if overrides.get("client_key"):
        user["client-key-data"] = _file_data(overrides["client_key"])
    if overrides.get("token"):
        user["token"] = overrides["token"]
    if overrides.get("username"):
        user["username"] = overrides["username"]
    if overrides.get("password"):
        user["password"] = overrides["password"]
    if overrides.get("as"):
        user["as"] = overrides["as"]
    if overrides.get("as_uid"):
        user["as-uid"] = overrides["as_uid"]
    if overrides.get("as_group"):
        user["as-groups"] = list(overrides["as_group"])


def _file_data(path: str) -> str:
    try:
        return base64.b64encode(files.read_bytes(Path(path).expanduser())).decode()
    except OSError as err:
        raise ChainsawError(f"unable to read {path}: {err}") from None
