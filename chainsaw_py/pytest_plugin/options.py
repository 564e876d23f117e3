"""The plugin's command-line options and ini settings, read into one ``PluginSettings``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chainsaw_py.api import TestOptions

CLUSTER_MODES = ("auto", "embedded", "kubeconfig", "none")

SETTINGS = pytest.StashKey["PluginSettings"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chainsaw", "Chainsaw tests (chainsaw_py)")
    _add_run_options(group)
    _add_cluster_options(group)
    _add_selection_options(group)
    _add_ini_settings(parser)


def _add_run_options(group: pytest.OptionGroup) -> None:
    group.addoption("--chainsaw", action="store_true", default=None,
                    help="collect Chainsaw tests (chainsaw-test.yaml files, kuttl-style folders) as test items")
    group.addoption("--chainsaw-config", metavar="FILE", help="Chainsaw configuration file (default: .chainsaw.yaml "
                    "when present)")
    group.addoption("--chainsaw-values", metavar="FILE", action="append", default=None,
                    help="values file bound as $values (repeatable)")
    group.addoption("--chainsaw-set", metavar="KEY=VALUE", action="append", default=None,
                    help="set a value (Helm --set syntax; repeatable)")
    group.addoption("--chainsaw-set-string", metavar="KEY=VALUE", action="append", default=None,
                    help="set a string value (repeatable)")
    group.addoption("--chainsaw-fail-fast", metavar="BOOL", nargs="?", const="true", default=None,
                    choices=("true", "false"), help="skip the remaining tests after a failure (default: the "
                    "configuration's failFast)")
    group.addoption("--chainsaw-sut", metavar="FILE", help="chainsaw_py's system-under-test file (processes to run "
                    "alongside the tests, images mapped to local programs; default: .chainsaw-py.yaml next to the "
                    "configuration)")


def _add_cluster_options(group: pytest.OptionGroup) -> None:
    group.addoption("--chainsaw-cluster", choices=CLUSTER_MODES, default=None,
                    help="auto (default): the kubeconfig's cluster when there is one, else an embedded cluster; "
                         "embedded; kubeconfig; none (no cluster)")
    group.addoption("--chainsaw-kubeconfig", metavar="FILE",
                    help="kubeconfig to use in place of $KUBECONFIG (implies --chainsaw-cluster=kubeconfig)")
    group.addoption("--chainsaw-kube-context", metavar="NAME", help="kubeconfig context to use")


def _add_selection_options(group: pytest.OptionGroup) -> None:
    group.addoption("--chainsaw-test-file", metavar="NAME", help="test file name (default: the configuration's, "
                    "chainsaw-test)")
    group.addoption("--chainsaw-selector", metavar="SELECTOR", action="append", default=None,
                    help="only collect tests whose labels match (Kubernetes label selector; repeatable)")
    group.addoption("--chainsaw-shard-index", metavar="N", type=int, default=None,
                    help="run shard N (from 0) of --chainsaw-shard-count, split as chainsaw's --shard-index does")
    group.addoption("--chainsaw-shard-count", metavar="N", type=int, default=None,
                    help="number of shards (0: no sharding)")


def _add_ini_settings(parser: pytest.Parser) -> None:
    parser.addini("chainsaw", "collect Chainsaw tests (like --chainsaw)", type="bool", default=False)
    parser.addini("chainsaw_config", "Chainsaw configuration file, relative to the ini file")
    parser.addini("chainsaw_values", "values files, relative to the ini file", type="linelist", default=[])
    parser.addini("chainsaw_set", "values as KEY=VALUE (Helm --set syntax)", type="linelist", default=[])
    parser.addini("chainsaw_set_string", "string values as KEY=VALUE", type="linelist", default=[])
    parser.addini("chainsaw_cluster", "auto, embedded, kubeconfig or none", default="auto")
    parser.addini("chainsaw_kubeconfig", "kubeconfig file, relative to the ini file")
    parser.addini("chainsaw_kube_context", "kubeconfig context")
    parser.addini("chainsaw_test_file", "test file name")
    parser.addini("chainsaw_selector", "label selectors", type="linelist", default=[])
    parser.addini("chainsaw_fail_fast", "true or false (default: the configuration's failFast)")
    parser.addini("chainsaw_sut", "system-under-test file, relative to the ini file")
    parser.addini("chainsaw_shard_index", "shard to run (from 0)")
    parser.addini("chainsaw_shard_count", "number of shards (0: no sharding)")


@dataclass(frozen=True)
class PluginSettings:
    enabled: bool
    config: str | None = None
    values: list[str] = field(default_factory=list)
    set_values: list[str] = field(default_factory=list)
    set_string_values: list[str] = field(default_factory=list)
    cluster: str = "auto"
    kubeconfig: str | None = None
    kube_context: str | None = None
    test_file: str | None = None
    selector: list[str] = field(default_factory=list)
    fail_fast: bool | None = None
    sut_config: str | None = None
    shard_index: int = 0
    shard_count: int = 0

    def test_options(self) -> TestOptions:
        from chainsaw_py.api import TestOptions

        return TestOptions(
            config=self.config, values=list(self.values), set_values=list(self.set_values),
            set_string_values=list(self.set_string_values), test_file=self.test_file, selector=list(self.selector),
            fail_fast=self.fail_fast, no_cluster=self.cluster == "none", embedded=self.cluster == "embedded",
            kubeconfig=self.kubeconfig,
            kubeconfig_overrides={"context": self.kube_context} if self.kube_context else {}, no_color=True,
            sut_config=self.sut_config)


class _Reader:
    """Command-line options win over ini settings; ini paths are relative to the ini file."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.base = config.inipath.parent if config.inipath else config.rootpath

    def option(self, name: str) -> Any:
        return self.config.getoption(name)

    def ini_text(self, name: str) -> str:
        return str(self.config.getini(name) or "")

    def ini_path(self, name: str) -> str | None:
        value = self.ini_text(name)
        return str(self.base / value) if value else None

    def ini_list(self, name: str) -> list[str]:
        return [str(item) for item in self.config.getini(name)]

    def text(self, name: str) -> str | None:
        """An option given as text, else its ini setting, else None."""
        return self.option(name) or self.ini_text(name) or None


def read_settings(config: pytest.Config) -> PluginSettings:
    read = _Reader(config)
    return PluginSettings(
        enabled=bool(read.option("chainsaw") or config.getini("chainsaw")),
        config=read.option("chainsaw_config") or read.ini_path("chainsaw_config"),
        values=read.option("chainsaw_values") or [str(read.base / path) for path in read.ini_list("chainsaw_values")],
        set_values=read.option("chainsaw_set") or read.ini_list("chainsaw_set"),
        set_string_values=read.option("chainsaw_set_string") or read.ini_list("chainsaw_set_string"),
        cluster=_cluster_mode(read), kubeconfig=read.option("chainsaw_kubeconfig") or read.ini_path("chainsaw_kubeconfig"),
        kube_context=read.text("chainsaw_kube_context"), test_file=read.text("chainsaw_test_file"),
        selector=read.option("chainsaw_selector") or read.ini_list("chainsaw_selector"),
        fail_fast=_fail_fast(read), sut_config=read.option("chainsaw_sut") or read.ini_path("chainsaw_sut"),
        shard_index=_shard_index(read), shard_count=_integer(read, "chainsaw_shard_count"))


def _cluster_mode(read: _Reader) -> str:
    implied = "kubeconfig" if read.option("chainsaw_kubeconfig") else None
    cluster = read.option("chainsaw_cluster") or implied or read.ini_text("chainsaw_cluster") or "auto"
    if cluster not in CLUSTER_MODES:
        raise pytest.UsageError(f"chainsaw_cluster: invalid value {cluster!r} (expected one of "
                                f"{', '.join(CLUSTER_MODES)})")
    return str(cluster)


def _fail_fast(read: _Reader) -> bool | None:
    text = read.option("chainsaw_fail_fast") or read.ini_text("chainsaw_fail_fast")
    if text not in ("", "true", "false"):
        raise pytest.UsageError(f"chainsaw_fail_fast: invalid value {text!r} (expected true or false)")
    return None if not text else text == "true"


def _shard_index(read: _Reader) -> int:
    index = _integer(read, "chainsaw_shard_index")
    if index < 0:  # as the CLI's shard() refuses it
        raise pytest.UsageError(f"chainsaw_shard_index: invalid value {index} (must not be negative)")
    return index


def _integer(read: _Reader, name: str) -> int:
    """An integer option, else its ini setting, else 0."""
    given = read.option(name)
    text = str(given) if given is not None else read.ini_text(name).strip() or "0"
    try:
        return int(text)
    except ValueError:
        raise pytest.UsageError(f"{name}: invalid value {text!r} (expected an integer)") from None
