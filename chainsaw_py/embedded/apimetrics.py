"""``/metrics``: the API server's own Prometheus text exposition (format 0.0.4) with the families the embedded
server can state truthfully: ``kubernetes_build_info`` and ``apiserver_storage_objects`` (the stored objects per
resource, as kube-apiserver reports them from its storage)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apiserver import ApiServer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUILD_INFO_HELP = ("[ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, "
                    "git tree state, build date, Go version, and compiler from which Kubernetes was built, and "
                    "platform on which it is running.")
_STORAGE_OBJECTS_HELP = ("[STABLE] Number of stored objects at the time of last check split by kind. In case of a "
                         "fetching error, the value will be -1.")
_BUILD_LABELS = (("build_date", "buildDate"), ("compiler", "compiler"), ("git_commit", "gitCommit"),
                 ("git_tree_state", "gitTreeState"), ("git_version", "gitVersion"), ("go_version", "goVersion"),
                 ("major", "major"), ("minor", "minor"), ("platform", "platform"))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(server: ApiServer, version_info: dict[str, Any]) -> str:
    labels = ",".join(f'{name}="{_escape(str(version_info.get(key, "")))}"' for name, key in _BUILD_LABELS)
    lines = [f"# HELP kubernetes_build_info {_BUILD_INFO_HELP}", "# TYPE kubernetes_build_info gauge",
             f"kubernetes_build_info{{{labels}}} 1",
             f"# HELP apiserver_storage_objects {_STORAGE_OBJECTS_HELP}", "# TYPE apiserver_storage_objects gauge"]
    resources = {f"{rt.plural}.{rt.group}" if rt.group else rt.plural: rt.group_resource
                 for rt in server.registry.all() if "watch" in rt.verbs}   # stored ones (not reviews or views)
    for name in sorted(resources):
        group, plural = resources[name]
        lines.append(f'apiserver_storage_objects{{resource="{_escape(name)}"}} {server.store.count(group, plural)}')
    return "\n".join(lines) + "\n"
