"""Plugins: the example Widget operator, loading errors, and loading into a running cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.errors import ChainsawError
from tests.embedded.conftest import wait_for

EXAMPLE = Path(__file__).parent / "plugin_example" / "chainsaw_embedded.py"


def _widget(cluster: EmbeddedCluster, name: str, size: int) -> None:
    rt = cluster.registry.by_api_version_kind("example.com/v1", "Widget")
    assert rt is not None
    cluster.api.create(rt, "default", {"apiVersion": "example.com/v1", "kind": "Widget",
                                       "metadata": {"name": name}, "spec": {"size": size}})


def _get(cluster: EmbeddedCluster, group: str, plural: str, name: str) -> dict[str, Any] | None:
    stored = cluster.store.get(group, plural, "default", name)
    return stored.copy() if stored else None


def test_example_plugin_reconciles_widgets_and_s3() -> None:
    with EmbeddedCluster(s3=True) as cluster:
        cluster.load_plugin(EXAMPLE)
        _widget(cluster, "alpha", 3)
        widget = wait_for(lambda: (w := _get(cluster, "example.com", "widgets", "alpha")) and
                          (w.get("status") or {}).get("conditions") and w)
        assert widget["status"]["observedSize"] == "3"
        assert widget["status"]["conditions"][0]["type"] == "Ready"
        config = _get(cluster, "", "configmaps", "alpha-config")
        assert config is not None and config["data"] == {"size": "3"}
        assert config["metadata"]["ownerReferences"][0]["uid"] == widget["metadata"]["uid"]
        import boto3

        assert cluster.s3 is not None
        s3 = boto3.client("s3", endpoint_url=cluster.s3.endpoint_url, aws_access_key_id=cluster.s3.access_key_id,
                          aws_secret_access_key=cluster.s3.secret_access_key, region_name=cluster.s3.region)
        assert "widget-alpha" in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
        rt = cluster.registry.by_api_version_kind("example.com/v1", "Widget")
        assert rt is not None
        cluster.api.patch(rt, "default", "alpha", "application/merge-patch+json", {"spec": {"size": 5}})
        wait_for(lambda: (_get(cluster, "", "configmaps", "alpha-config") or {}).get("data") == {"size": "5"})
        cluster.api.delete(rt, "default", "alpha")
        wait_for(lambda: _get(cluster, "", "configmaps", "alpha-config") is None)


def test_plugin_loaded_before_start_installs_its_crd() -> None:
    cluster = EmbeddedCluster()
    cluster.load_plugin(EXAMPLE)
    with cluster:
        assert cluster.registry.by_api_version_kind("example.com/v1", "Widget") is not None
        _widget(cluster, "beta", 1)
        wait_for(lambda: _get(cluster, "", "configmaps", "beta-config"))


@pytest.mark.parametrize(("source", "message"), [
    ("x = 1\n", "no register(registry) function"),
    ("def register(registry):\n    raise RuntimeError('boom')\n", "register failed: RuntimeError: boom"),
    ("def register(registry:\n", "SyntaxError"),
    ("def register(registry):\n    registry.install_manifests('kind: Thing')\n",
     "every manifest needs apiVersion and kind"),
])
def test_broken_plugins_fail_with_one_line(tmp_path: Path, source: str, message: str) -> None:
    plugin = tmp_path / "chainsaw_embedded.py"
    plugin.write_text(source)
    with pytest.raises(ChainsawError) as failure:
        EmbeddedCluster().load_plugin(plugin)
    assert message in str(failure.value) and "\n" not in str(failure.value)


def test_missing_plugin_file(tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match="file not found"):
        EmbeddedCluster().load_plugin(tmp_path / "absent.py")


def test_plugin_notices_are_returned_to_the_loader(tmp_path: Path) -> None:
    plugin = tmp_path / "chainsaw_embedded.py"
    plugin.write_text("def register(registry):\n    registry.notice('the widget operator is simulated')\n")
    with EmbeddedCluster() as cluster:
        assert cluster.load_plugin(plugin).notices == ["the widget operator is simulated"]


@pytest.mark.parametrize(("selector", "expected"), [
    ({"app": "web"}, ["web"]),
    ({"matchLabels": {"app": "db"}}, ["db"]),
    ("app in (web, db)", ["db", "web"]),
    (None, ["db", "other", "web"]),
])
def test_reconcile_context_list_selectors(selector: Any, expected: list[str]) -> None:
    from chainsaw_py.embedded.controllers.context import ReconcileContext

    with EmbeddedCluster() as cluster:
        rt = cluster.registry.by_api_version_kind("v1", "ConfigMap")
        assert rt is not None
        for name, app in (("web", "web"), ("db", "db"), ("other", "none")):
            cluster.api.create(rt, "default", {"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": name, "labels": {"app": app}}})
        ctx = ReconcileContext(cluster._manager.runtime, "test")  # what a plugin's reconcile receives
        listed = ctx.list("v1", "ConfigMap", "default", selector)
        # kube-root-ca.crt is written into the namespace asynchronously: leave it out of the comparison.
        names = sorted(obj["metadata"]["name"] for obj in listed if obj["metadata"]["name"] != "kube-root-ca.crt")
        assert names == expected
