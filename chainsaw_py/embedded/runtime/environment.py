"""What the kubelet gives a container before it starts: its environment (``env`` with every ``valueFrom``,
``envFrom``, service variables, ``$(VAR)`` expansion) and its volumes as files.

Every volume is materialised under the pod's folder (``<pod dir>/volumes/<name>``). Where a mount namespace is
allowed the container sees them at their ``mountPath`` (``podview.py``); otherwise a path under a mount in the
command, the args, the environment or ``workingDir`` is rewritten to that place (:meth:`Sandbox.translate`).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsaw_py.util.environment import with_interpreter_first

SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
_VAR_REFERENCE = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")
_INHERITED_DROP = ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")

Lookup = Callable[[str, str, str], dict[str, Any] | None]  # (kind, namespace, name) -> object or None


class ContainerConfigError(Exception):
    """A container cannot be created (the kubelet's CreateContainerConfigError)."""


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: defined variables are replaced, ``$$`` is ``$``, others stay."""
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _VAR_REFERENCE.sub(replace, text)


@dataclass
class Sandbox:
    """A pod's folder: ``root/`` holds the mounts at their paths, ``kubeconfig`` the pod's identity."""

    folder: Path
    mounts: list[tuple[str, Path]] = field(default_factory=list)   # (mountPath, host path), longest first

    @property
    def root(self) -> Path:
        return self.folder / "root"

    def add_mount(self, mount_path: str, host_path: Path) -> None:
        self.mounts.append((mount_path.rstrip("/") or "/", host_path))
        self.mounts.sort(key=lambda entry: len(entry[0]), reverse=True)

    def translate(self, text: str) -> str:
        """Rewrite mount paths inside ``text`` (``--config=/etc/app/config.yaml``) to where the files are."""
        for mount_path, host_path in self.mounts:
            if mount_path == "/":
                continue
            pattern = re.compile(r"(?<![\w./-])" + re.escape(mount_path) + r"(?=/|$|[^\w.-])")
            text = pattern.sub(str(host_path).replace("\\", "\\\\"), text)
        return text

    def translate_command(self, words: list[str]) -> list[str]:
        """A command run in the container (exec, probes, hooks) with mount paths rewritten. ``tar cf - PATH``
        under a mount (what ``kubectl cp`` runs to copy out of a pod) keeps the member names the container
        would give (``etc/config/app.yaml``)."""
        if len(words) == 4 and words[:3] == ["tar", "cf", "-"]:
            for mount_path, host_path in self.mounts:
                path = words[3].rstrip("/")
                if mount_path != "/" and (path == mount_path or path.startswith(mount_path + "/")):
                    relative = path[len(mount_path):].lstrip("/") or "."
                    prefix = mount_path.lstrip("/")
                    return ["tar", "cf", "-", "-C", str(host_path), f"--transform=s,^\\.\\?/\\?,{prefix}/,",
                            relative]
        return [self.translate(word) for word in words]

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# --------------------------------------------------------------------------------------- fields


def field_value(pod: dict[str, Any], path: str) -> str:
    """A downward API ``fieldRef.fieldPath``."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        values = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{key}="{value}"' for key, value in sorted(values.items()))
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
              "status.hostIP": status.get("hostIP"), "status.podIP": status.get("podIP"),
              "status.hostIPs": ",".join(entry.get("ip", "") for entry in status.get("hostIPs") or []),
              "status.podIPs": ",".join(entry.get("ip", "") for entry in status.get("podIPs") or [])}
    if path not in simple:
        raise ContainerConfigError(f'unsupported fieldPath "{path}"')
    return str(simple[path] or "")


def resource_value(pod: dict[str, Any], container_name: str, reference: dict[str, Any]) -> str:
    """A ``resourceFieldRef``: the container's request or limit in units of ``divisor`` (rounded up); an unset
    limit is the node's allocatable (2 CPUs, 8Gi here), as the kubelet reports."""
    from fractions import Fraction

    from chainsaw_py.golang.quantity import QuantityError, parse_quantity

    name = reference.get("containerName") or container_name
    containers = (pod.get("spec") or {}).get("containers") or []
    container = next((c for c in containers if c.get("name") == name), None)
    if container is None:
        raise ContainerConfigError(f"container {name} not found for resourceFieldRef")
    resource = str(reference.get("resource", ""))
    kind, _, what = resource.partition(".")
    amounts = (container.get("resources") or {}).get(kind) or {}
    defaults = {"cpu": "2", "memory": "8Gi", "ephemeral-storage": "100Gi"}
    try:
        amount = parse_quantity(str(amounts.get(what) or defaults.get(what, "0")))[0]
        divisor = parse_quantity(str(reference.get("divisor") or "1"))[0]
    except QuantityError as err:
        raise ContainerConfigError(f"invalid resourceFieldRef {resource}: {err}") from None
    if divisor == 0:
        divisor = Fraction(1)
    value = amount / divisor
    return str(-(-value.numerator // value.denominator))


# --------------------------------------------------------------------------------------- env


def container_environment(pod: dict[str, Any], container: dict[str, Any], lookup: Lookup,
                          service_env: Mapping[str, str]) -> dict[str, str]:
    """The variables the container declares, in the kubelet's order: service variables, ``envFrom``, then
    ``env`` (later entries win; ``$(VAR)`` refers to those before)."""
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    env: dict[str, str] = dict(service_env)
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            reference = source.get(key)
            if reference is None:
                continue
            obj = lookup(kind, namespace, str(reference.get("name", "")))
            if obj is None:
                if reference.get("optional"):
                    continue
                raise ContainerConfigError(f'{kind.lower()} "{reference.get("name", "")}" not found')
            for name, value in _data_of(obj).items():
                env[prefix + name] = value
    for entry in container.get("env") or []:
        name = str(entry.get("name", ""))
        if "valueFrom" in entry:
            found = _value_from(pod, container, entry["valueFrom"] or {}, lookup, namespace)
            if found is not None:
                env[name] = found
        else:
            env[name] = expand(str(entry.get("value") or ""), env)
    return env


def _value_from(pod: dict[str, Any], container: dict[str, Any], source: dict[str, Any], lookup: Lookup,
                namespace: str) -> str | None:
    if "fieldRef" in source:
        return field_value(pod, str((source["fieldRef"] or {}).get("fieldPath", "")))
    if "resourceFieldRef" in source:
        return resource_value(pod, str(container.get("name", "")), source["resourceFieldRef"] or {})
    for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        reference = source.get(key)
        if reference is None:
            continue
        name, wanted = str(reference.get("name", "")), str(reference.get("key", ""))
        obj = lookup(kind, namespace, name)
        if obj is None:
            if reference.get("optional"):
                return None
            raise ContainerConfigError(f'{kind.lower()} "{name}" not found')
        data = _data_of(obj)
        if wanted not in data:
            if reference.get("optional"):
                return None
            raise ContainerConfigError(f"couldn't find key {wanted} in {kind} {namespace}/{name}")
        return data[wanted]
    return None


def _data_of(obj: dict[str, Any]) -> dict[str, str]:
    """A ConfigMap's ``data`` (and text ``binaryData``) or a Secret's decoded ``data``."""
    if obj.get("kind") == "Secret":
        return {key: base64.b64decode(value or "").decode("utf-8", "replace")
                for key, value in (obj.get("data") or {}).items()}
    data = {key: str(value) for key, value in (obj.get("data") or {}).items()}
    for key, value in (obj.get("binaryData") or {}).items():
        data.setdefault(key, base64.b64decode(value or "").decode("utf-8", "replace"))
    return data


def _bytes_of(obj: dict[str, Any]) -> dict[str, bytes]:
    if obj.get("kind") == "Secret":
        return {key: base64.b64decode(value or "") for key, value in (obj.get("data") or {}).items()}
    data = {key: str(value).encode() for key, value in (obj.get("data") or {}).items()}
    for key, value in (obj.get("binaryData") or {}).items():
        data[key] = base64.b64decode(value or "")
    return data


def service_variables(services: list[dict[str, Any]], api_server: tuple[str, int],
                      routed: Callable[[dict[str, Any]], str | None] = lambda _service: None) -> dict[str, str]:
    """``<SVC>_SERVICE_HOST``/``_PORT`` and the Docker-link variables of the services of the pod's namespace
    (those with a cluster IP; ``routed`` gives the address that reaches a Service here, used instead of its
    cluster IP), plus ``KUBERNETES_SERVICE_HOST``/``PORT`` pointing at the API server."""
    env: dict[str, str] = {}
    for service in services:
        spec = service.get("spec") or {}
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        ip = routed(service) or ip
        prefix = re.sub(r"[^A-Z0-9_]", "_", str(service["metadata"]["name"]).upper().replace("-", "_"))
        ports = spec.get("ports") or []
        if not ports:
            continue
        env[f"{prefix}_SERVICE_HOST"] = str(ip)
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
        for port in ports:
            if port.get("name"):
                name = re.sub(r"[^A-Z0-9_]", "_", str(port["name"]).upper().replace("-", "_"))
                env[f"{prefix}_SERVICE_PORT_{name}"] = str(port.get("port"))
        first = ports[0]
        protocol = str(first.get("protocol") or "TCP").lower()
        env[f"{prefix}_PORT"] = f"{protocol}://{ip}:{first.get('port')}"
        for port in ports:
            protocol = str(port.get("protocol") or "TCP")
            base = f"{prefix}_PORT_{port.get('port')}_{protocol.upper()}"
            env[base] = f"{protocol.lower()}://{ip}:{port.get('port')}"
            env[base + "_PROTO"] = protocol.lower()
            env[base + "_PORT"] = str(port.get("port"))
            env[base + "_ADDR"] = str(ip)
    host, port = api_server
    env.update({"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": str(port),
                "KUBERNETES_SERVICE_PORT_HTTPS": str(port), "KUBERNETES_PORT": f"tcp://{host}:{port}",
                f"KUBERNETES_PORT_{port}_TCP": f"tcp://{host}:{port}"})
    return env


def inherited_environment() -> dict[str, str]:
    """The local program's base environment: this process's (PATH, virtualenv, HOME, ...), without the
    variables that would point the program at another cluster."""
    return with_interpreter_first({key: value for key, value in os.environ.items() if key not in _INHERITED_DROP})


# --------------------------------------------------------------------------------------- volumes


@dataclass(frozen=True)
class Identity:
    """A pod's ServiceAccount credentials: ``token`` is the one of its ``kube-api-access`` volume, in its files
    and its kubeconfig (bound to the pod, long-lived as kube-apiserver's extended tokens); ``issue(audiences,
    seconds)`` signs more tokens of the same account (projected ``serviceAccountToken`` with an audience)."""

    token: str
    ca_pem: bytes | None
    server: str
    user: str = ""
    issue: Callable[[list[str], int], str] | None = None
    mounted: bool = True
    """False when ``automountServiceAccountToken`` is off: only the pod's projected token volumes get tokens."""

    def projected_token(self, projection: Mapping[str, Any]) -> str:
        audience = str(projection.get("audience") or "")
        if not audience or self.issue is None:
            return self.token
        return self.issue([audience], max(int(projection.get("expirationSeconds") or 3600), 600))


def materialise_volumes(pod: dict[str, Any], sandbox: Sandbox, lookup: Lookup, identity: Identity | None,
                        claims_dir: Path) -> dict[str, Path]:
    """Write every volume of the pod under ``sandbox.folder/volumes``; returns volume name -> folder."""
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    folders: dict[str, Path] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = str(volume.get("name", ""))
        target = sandbox.folder / "volumes" / name
        if "persistentVolumeClaim" in volume:
            claim = str((volume["persistentVolumeClaim"] or {}).get("claimName", ""))
            target = claims_dir / namespace / claim
            target.mkdir(parents=True, exist_ok=True)
        elif "hostPath" in volume:
            target = _host_path(volume["hostPath"] or {})
        else:
            target.mkdir(parents=True, exist_ok=True)
            _write_volume(pod, volume, target, lookup, identity, namespace)
        folders[name] = target
    return folders


@dataclass
class TokenFile:
    """A projected ``serviceAccountToken`` of its own audience and expiry, which the kubelet renews once 80% of
    its life has passed."""

    path: Path
    source: dict[str, Any]
    written: float          # time.monotonic() of the last write

    def due(self, now: float) -> bool:
        return now >= self.written + 0.8 * max(int(self.source.get("expirationSeconds") or 3600), 600)


def renewable_tokens(pod: dict[str, Any], folders: Mapping[str, Path], now: float) -> list[TokenFile]:
    """The pod's projected tokens with an audience, just written (the others are the long-lived pod token)."""
    found: list[TokenFile] = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        folder = folders.get(str(volume.get("name", "")))
        for projection in ((volume.get("projected") or {}).get("sources") or []) if folder is not None else []:
            source = projection.get("serviceAccountToken") or {}
            if source.get("audience") and folder is not None:
                found.append(TokenFile(folder / str(source.get("path") or "token"), source, now))
    return found


def renew_tokens(tokens: list[TokenFile], identity: Identity, now: float) -> int:
    """Write a new token for each one due; returns how many were renewed."""
    renewed = 0
    for token in tokens:
        if token.due(now):
            token.path.write_text(identity.projected_token(token.source))
            token.written = now
            renewed += 1
    return renewed


def _host_path(source: dict[str, Any]) -> Path:
    """A ``hostPath`` volume's folder or file, made for the ``DirectoryOrCreate``/``FileOrCreate`` types."""
    path = Path(str(source.get("path") or "/"))
    kind = source.get("type") or ""
    if kind == "DirectoryOrCreate":
        path.mkdir(parents=True, exist_ok=True)
    elif kind == "FileOrCreate" and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    elif kind in ("Directory", "File", "Socket") and not path.exists():
        raise ContainerConfigError(f'hostPath type check failed: {path} is not a {kind.lower()}')
    return path


def _write_volume(pod: dict[str, Any], volume: dict[str, Any], target: Path, lookup: Lookup,
                  identity: Identity | None, namespace: str) -> None:
    if "configMap" in volume or "secret" in volume:
        kind = "ConfigMap" if "configMap" in volume else "Secret"
        source = volume.get("configMap") or volume.get("secret") or {}
        name = str(source.get("name") or source.get("secretName") or "")
        _write_object_files(kind, name, source, target, _with_root_ca(lookup, identity), namespace,
                            int(source.get("defaultMode", 0o644)))
    elif "downwardAPI" in volume:
        source = volume["downwardAPI"] or {}
        _write_downward(pod, source.get("items") or [], target, int(source.get("defaultMode", 0o644)))
    elif "projected" in volume:
        source = volume["projected"] or {}
        mode = int(source.get("defaultMode", 0o644))
        for projection in source.get("sources") or []:
            if "configMap" in projection or "secret" in projection:
                kind = "ConfigMap" if "configMap" in projection else "Secret"
                inner = projection.get("configMap") or projection.get("secret") or {}
                _write_object_files(kind, str(inner.get("name", "")), inner, target, _with_root_ca(lookup, identity),
                                    namespace, mode)
            elif "downwardAPI" in projection:
                _write_downward(pod, (projection["downwardAPI"] or {}).get("items") or [], target, mode)
            elif "serviceAccountToken" in projection and identity is not None:
                token_source = projection["serviceAccountToken"] or {}
                path = str(token_source.get("path") or "token")
                _write_file(target / path, identity.projected_token(token_source).encode(), mode)
            elif "clusterTrustBundle" in projection:
                continue


def _with_root_ca(lookup: Lookup, identity: Identity | None) -> Lookup:
    """``kube-root-ca.crt`` is published in every namespace shortly after it appears (and not at all on a
    plain-HTTP cluster): a pod created before that still gets the CA, as it would from a warm cluster."""
    def find(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        found = lookup(kind, namespace, name)
        if found is None and kind == "ConfigMap" and name == "kube-root-ca.crt":
            ca = (identity.ca_pem or b"").decode() if identity is not None else ""
            return {"kind": "ConfigMap", "data": {"ca.crt": ca}}
        return found
    return find


def _write_object_files(kind: str, name: str, source: dict[str, Any], target: Path, lookup: Lookup,
                        namespace: str, default_mode: int) -> None:
    obj = lookup(kind, namespace, name)
    if obj is None:
        if source.get("optional"):
            return
        raise ContainerConfigError(f'{kind.lower()} "{name}" not found')
    data = _bytes_of(obj)
    items = source.get("items")
    if items:
        for item in items:
            key = str(item.get("key", ""))
            if key not in data:
                if source.get("optional"):
                    continue
                raise ContainerConfigError(f"configmap references non-existent config key: {key}"
                                           if kind == "ConfigMap" else f"references non-existent secret key: {key}")
            _write_file(target / str(item.get("path") or key), data[key], int(item.get("mode", default_mode)))
        return
    for key, value in data.items():
        _write_file(target / key, value, default_mode)


def _write_downward(pod: dict[str, Any], items: list[dict[str, Any]], target: Path, default_mode: int) -> None:
    for item in items:
        if "fieldRef" in item:
            value = field_value(pod, str((item["fieldRef"] or {}).get("fieldPath", "")))
        else:
            reference = item.get("resourceFieldRef") or {}
            value = resource_value(pod, str(reference.get("containerName", "")), reference)
        _write_file(target / str(item.get("path", "")), value.encode(), int(item.get("mode", default_mode)))


def _write_file(path: Path, content: bytes, mode: int) -> None:
    resolved = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    resolved.write_bytes(content)
    resolved.chmod(mode & 0o777 | 0o600)


def write_service_account(folder: Path, identity: Identity, namespace: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_file(folder / "token", identity.token.encode(), 0o600)
    _write_file(folder / "namespace", namespace.encode(), 0o644)
    if identity.ca_pem:
        _write_file(folder / "ca.crt", identity.ca_pem, 0o644)


def write_kubeconfig(path: Path, identity: Identity, namespace: str) -> None:
    """A kubeconfig for the pod's ServiceAccount (most clients read ``KUBECONFIG`` before the in-cluster
    files)."""
    import json

    cluster: dict[str, Any] = {"server": identity.server}
    if identity.ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(identity.ca_pem).decode()
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "pod",
              "clusters": [{"name": "embedded", "cluster": cluster}],
              "users": [{"name": identity.user, "user": {"token": identity.token}}],
              "contexts": [{"name": "pod", "context": {"cluster": "embedded", "user": identity.user,
                                                        "namespace": namespace}}]}
    path.write_text(json.dumps(config))
    path.chmod(0o600)
