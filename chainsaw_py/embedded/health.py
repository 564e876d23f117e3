"""The health endpoints (/healthz, /livez, /readyz) as k8s.io/apiserver/pkg/server/healthz answers them: the root
says ``ok`` (or, when ``verbose`` is present with any value, one ``[+]<check> ok`` line per check and
``<name> check passed``), ``exclude=<check>`` skips a check, each check has its own path, and any other path
below the root is not found. The check names are kube-apiserver 1.3x's for the parts the embedded server has."""

from __future__ import annotations

_POST_START_HOOKS = (
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-cluster-authentication-info-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-status-local-available-controller",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
)

HEALTH_CHECKS: dict[str, tuple[str, ...]] = {
    "healthz": ("ping", "log", "etcd", *_POST_START_HOOKS),
    "livez": ("ping", "log", "etcd", *_POST_START_HOOKS),
    "readyz": ("ping", "log", "etcd", "etcd-readiness", "informer-sync", *_POST_START_HOOKS, "shutdown"),
}


def health_answer(path: str, query: dict[str, list[str]]) -> str | None:
    """The body of a health endpoint's answer (all checks pass), or None when ``path`` names no endpoint."""
    root, _, check = path.strip("/").partition("/")
    checks = HEALTH_CHECKS.get(root)
    if checks is None:
        return None
    if check:
        return "ok" if check in checks else None
    excluded = {name for value in query.get("exclude", []) for name in value.split(",") if name}
    lines = []
    for name in checks:
        lines.append(f"[+]{name} excluded: ok" if name in excluded else f"[+]{name} ok")
        excluded.discard(name)
    if excluded:
        quoted = ",".join(f'"{name}"' for name in sorted(excluded))
        lines.append(f"warn: some health checks cannot be excluded: no matches for {quoted}")
    if "verbose" not in query:
        return "ok"
    return "\n".join(lines) + f"\n{root} check passed\n"
