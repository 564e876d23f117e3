"""Simulated Tempo containers: what the pods of a TempoStack do when they start, without running an image.

The embedded kubelet starts the pods (unready: the operator's templates carry ``sim.chainsaw-py.io/ready:
"false"``); this module then plays the containers. Each container logs that it is simulated. The Tempo
container of a component that opens the trace store (ingester, querier, compactor, query-frontend) resolves
its environment from the pod spec as the kubelet would (the S3 keys come from the storage secret through
``secretKeyRef``), reads its configuration file from the ConfigMap volume, and lists the bucket with those
credentials — a real S3 call. When that works the containers become ready; when it fails the container logs
Tempo's error and goes into CrashLoopBackOff (restarted with the kubelet's back-off, checking again each
time), so the pod stays unready. A secret or key the environment names but that does not exist gives
``CreateContainerConfigError`` with the kubelet's message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .manifests import COMPONENTS, MANAGED_BY, STORAGE_COMPONENTS
from .probe import StoreTarget, list_objects_error
from .storage import secret_data

BACKOFF_START = 10.0
BACKOFF_CAP = 300.0
_ENV_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class ContainerConfigError(Exception):
    """The kubelet cannot build the container's environment (``CreateContainerConfigError``)."""


@dataclass(frozen=True)
class Outcome:
    """What one start of the Tempo container did: ``error`` is None when it runs."""

    log: list[str]
    error: str | None = None


def is_tempo_pod(pod: dict[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return (labels.get("app.kubernetes.io/managed-by") == MANAGED_BY and labels.get("app.kubernetes.io/name") == "tempo"
            and labels.get("app.kubernetes.io/component") in COMPONENTS)


def component_of(pod: dict[str, Any]) -> str:
    return str(((pod.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component", ""))


def log_line(level: str, message: str, now: str, **fields: str) -> str:
    """A logfmt line in Tempo's shape."""
    extra = "".join(f" {key}={_quote(value)}" for key, value in fields.items())
    return f"level={level} ts={now} caller=simulated msg={_quote(message)}{extra}"


def _quote(value: str) -> str:
    return value if value and re.fullmatch(r"[A-Za-z0-9_./:@-]+", value) else '"' + value.replace('"', '\\"') + '"'


# --- reading what the container would see ---------------------------------------------------------------


def resolve_env(container: dict[str, Any], namespace: str, get_secret: Any, get_config_map: Any) -> dict[str, str]:
    """The container's environment as the kubelet builds it; raise ContainerConfigError like it does."""
    env: dict[str, str] = {}
    for entry in container.get("env") or []:
        name = str(entry.get("name", ""))
        source = entry.get("valueFrom") or {}
        if "value" in entry or not source:
            env[name] = _ENV_REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), str(entry.get("value", "")))
        elif "secretKeyRef" in source:
            env[name] = _from_secret(source["secretKeyRef"], namespace, get_secret)
        elif "configMapKeyRef" in source:
            env[name] = _from_config_map(source["configMapKeyRef"], namespace, get_config_map)
    return env


def _from_secret(ref: dict[str, Any], namespace: str, get_secret: Any) -> str:
    name, key = str(ref.get("name", "")), str(ref.get("key", ""))
    secret = get_secret(name)
    if secret is None:
        if ref.get("optional"):
            return ""
        raise ContainerConfigError(f'secret "{name}" not found')
    data = secret_data(secret)
    if key not in data:
        if ref.get("optional"):
            return ""
        raise ContainerConfigError(f"couldn't find key {key} in Secret {namespace}/{name}")
    return data[key].decode(errors="replace")


def _from_config_map(ref: dict[str, Any], namespace: str, get_config_map: Any) -> str:
    name, key = str(ref.get("name", "")), str(ref.get("key", ""))
    config_map = get_config_map(name)
    if config_map is None:
        if ref.get("optional"):
            return ""
        raise ContainerConfigError(f'configmap "{name}" not found')
    data = config_map.get("data") or {}
    if key not in data:
        if ref.get("optional"):
            return ""
        raise ContainerConfigError(f"couldn't find key {key} in ConfigMap {namespace}/{name}")
    return str(data[key])


def expanded_args(container: dict[str, Any], env: dict[str, str]) -> list[str]:
    """Arguments with ``$(VAR)`` replaced from the environment, as the kubelet does."""
    return [_ENV_REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), str(arg))
            for arg in container.get("args") or []]


def mounted_file(pod: dict[str, Any], container: dict[str, Any], path: str, get_config_map: Any) -> str:
    """A file the container reads from a ConfigMap volume (the kubelet mounts one file per key)."""
    directory, _, key = path.rpartition("/")
    mount = next((m for m in container.get("volumeMounts") or [] if m.get("mountPath", "").rstrip("/") == directory),
                 None)
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    source = (volumes.get((mount or {}).get("name")) or {}).get("configMap") or {}
    if not source:
        raise ContainerConfigError(f"open {path}: no such file or directory")
    config_map = get_config_map(str(source.get("name", "")))
    if config_map is None:
        raise ContainerConfigError(f'configmap "{source.get("name", "")}" not found')
    text = (config_map.get("data") or {}).get(key)
    if text is None:
        raise ContainerConfigError(f"open {path}: no such file or directory")
    return str(text)


def config_file(pod: dict[str, Any], container: dict[str, Any], args: list[str], get_config_map: Any) -> dict[str, Any]:
    """The YAML file ``-config.file`` names."""
    import yaml

    path = next((arg.split("=", 1)[1] for arg in args if arg.startswith("-config.file=")), "/conf/tempo.yaml")
    loaded = yaml.safe_load(mounted_file(pod, container, path, get_config_map)) or {}
    return loaded if isinstance(loaded, dict) else {}


def store_target(config: dict[str, Any], args: list[str], ca_pem: str = "") -> StoreTarget | str:
    """Where and as whom the container reaches its bucket, or why it cannot (a message for the log)."""
    s3 = ((config.get("storage") or {}).get("trace") or {}).get("s3") or {}
    flags = {arg.split("=", 1)[0]: arg.split("=", 1)[1] for arg in args if arg.startswith("--storage.trace.s3.")}
    access_key = flags.get("--storage.trace.s3.access_key", str(s3.get("access_key") or ""))
    secret_key = flags.get("--storage.trace.s3.secret_key", str(s3.get("secret_key") or ""))
    if not access_key or not secret_key:
        return ("no static S3 credentials: the short-lived token form needs a pod identity webhook (EKS) or "
                "the cloud credential operator (OpenShift) to inject web identity credentials, and the embedded "
                "cluster has neither")
    return StoreTarget(bucket=str(s3.get("bucket", "")), endpoint=str(s3.get("endpoint", "")),
                       insecure=bool(s3.get("insecure", False)), access_key_id=access_key,
                       secret_access_key=secret_key, region=str(s3.get("region") or "us-east-1"), ca_pem=ca_pem)


# --- one start of the Tempo container ----------------------------------------------------------------------


def start_tempo(pod: dict[str, Any], container: dict[str, Any], get_secret: Any, get_config_map: Any,
                now: str) -> Outcome:
    """Run the Tempo container's start-up: resolve env and config, then the storage check when the
    component has one. Raise ContainerConfigError when the kubelet could not even start it."""
    namespace = str((pod.get("metadata") or {}).get("namespace", ""))
    component = component_of(pod)
    env = resolve_env(container, namespace, get_secret, get_config_map)
    args = expanded_args(container, env)
    config = config_file(pod, container, args, get_config_map)
    log = [log_line("info", "Starting Tempo", now, target=component)]
    if component not in STORAGE_COMPONENTS:
        return Outcome(log + [log_line("info", "Tempo started", now, target=component)])
    ca_path = str((((config.get("storage") or {}).get("trace") or {}).get("s3") or {}).get("tls_ca_path") or "")
    ca_pem = mounted_file(pod, container, ca_path, get_config_map) if ca_path else ""
    target = store_target(config, args, ca_pem)
    if isinstance(target, str):
        detail = f"unexpected error from ListObjects on {_bucket(config)}: Access Denied."
        log.append(log_line("warn", target, now))
        return Outcome(log + [_failure_line(detail, now)], detail)
    log.append(log_line("info", "checking the trace store", now, backend="s3", bucket=target.bucket,
                        endpoint=target.url))
    error = list_objects_error(target)
    if error is not None:
        return Outcome(log + [_failure_line(error, now)], error)
    return Outcome(log + [log_line("info", "Tempo started", now, target=component)])


def _bucket(config: dict[str, Any]) -> str:
    return str((((config.get("storage") or {}).get("trace") or {}).get("s3") or {}).get("bucket", ""))


def _failure_line(error: str, now: str) -> str:
    return (f'level=error ts={now} caller=main.go msg="error running Tempo" err="failed to init module services: '
            f'error initialising module: store: failed to create store: {error}"')


# --- container statuses --------------------------------------------------------------------------------------


def backoff_seconds(restarts: int) -> float:
    """The kubelet's crash-loop back-off: 10s, doubling per restart, at most 5 minutes."""
    return min(BACKOFF_START * (2 ** max(restarts - 1, 0)), BACKOFF_CAP)


def seconds_since(timestamp: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return 0.0
    return (dt.datetime.now(dt.UTC) - moment).total_seconds()


def crashed(status: dict[str, Any], pod_ref: str, started: str, now: str) -> dict[str, Any]:
    """The Tempo container after its process exited 1: CrashLoopBackOff until the next restart."""
    restarts = int(status.get("restartCount") or 0) + 1
    delay = int(backoff_seconds(restarts))
    return {**status, "ready": False, "started": False, "restartCount": restarts,
            "state": {"waiting": {"reason": "CrashLoopBackOff",
                                  "message": f"back-off {delay}s restarting failed container={status.get('name')} "
                                             f"pod={pod_ref}"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started, "finishedAt": now,
                                         "containerID": status.get("containerID", "")}}}


def config_error(status: dict[str, Any], message: str) -> dict[str, Any]:
    return {**status, "ready": False, "started": False,
            "state": {"waiting": {"reason": "CreateContainerConfigError", "message": message}}}


def running(status: dict[str, Any], started: str) -> dict[str, Any]:
    return {**status, "ready": True, "started": True, "state": {"running": {"startedAt": started}}}


def next_attempt_in(status: dict[str, Any]) -> float | None:
    """Seconds until a waiting Tempo container is started again (None: it is not waiting)."""
    waiting = (status.get("state") or {}).get("waiting") or {}
    if waiting.get("reason") == "CrashLoopBackOff":
        finished = str(((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt", ""))
        return backoff_seconds(int(status.get("restartCount") or 0)) - seconds_since(finished)
    if waiting.get("reason") == "CreateContainerConfigError":
        return 0.0  # the kubelet retries on every pod sync; a failed retry requeues itself
    return None
