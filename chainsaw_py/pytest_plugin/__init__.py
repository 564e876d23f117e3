"""pytest plugin: run Chainsaw tests as pytest items, and fixtures for the cluster and the local S3.

Registered through the ``pytest11`` entry point (this package); collection is off unless asked for with
``--chainsaw`` or the ini setting ``chainsaw = true``. See docs/embedding.md for the options, the naming
scheme and how Chainsaw's execution settings map onto pytest.

- ``options``: command-line options and ini settings -> ``PluginSettings`` (-> ``api.TestOptions``).
- ``collection``: every ``chainsaw-test.yaml``/``.yml`` (or the configured test file) is a pytest file node; a
  folder with no test file but kuttl-style numbered files (``00-install.yaml``...) is collected through its
  first numbered file. One item per test, and per scenario: ``<test name>`` or ``<test name>[<scenario name>]``
  (Go's subtest rewriting: spaces become ``_``; duplicates get ``#01``, ``#02``...). Labels become markers
  (``-m tier``, ``-m "tier(value='e2e')"``); every item also has the ``chainsaw`` marker. The configuration's
  regexes and the shard flags deselect.
- ``runtime``: one ``api.Session`` per process (so one embedded cluster per pytest-xdist worker), opened at the
  first item or fixture that needs it and closed at the end of the session; Ctrl-C; outcomes.
- ``workers``: what pytest-xdist workers share (failFast, the ``concurrent: false`` lock).
- ``fixtures``: ``chainsaw_session``, ``chainsaw_cluster``, ``chainsaw_s3``, ``chainsaw_run``.

pytest loads this plugin in every run where the package is installed: the engine (``chainsaw_py.api`` and
below) is imported only once a Chainsaw setting or fixture needs it, so plain pytest runs do not pay for it.
"""

from __future__ import annotations

import pytest

from chainsaw_py.pytest_plugin.collection import (
    DISCOVERY,
    RESERVED_MARKERS,
    ChainsawFile,
    ChainsawItem,
    Discovery,
    discovery_order,
    marker_name,
    pytest_collect_file,
    pytest_collection_modifyitems,
    read_discovery,
    representative_file,
)
from chainsaw_py.pytest_plugin.fixtures import (
    ClusterInfo,
    S3Info,
    chainsaw_cluster,
    chainsaw_run,
    chainsaw_s3,
    chainsaw_session,
)
from chainsaw_py.pytest_plugin.options import (
    CLUSTER_MODES,
    SETTINGS,
    PluginSettings,
    pytest_addoption,
    read_settings,
)
from chainsaw_py.pytest_plugin.runtime import (
    RUNTIME,
    ChainsawFailure,
    ChainsawRuntime,
    ChainsawSetupError,
    check_result,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_unconfigure,
    stop_if_interrupted,
)
from chainsaw_py.pytest_plugin.workers import shared_directory

__all__ = [
    "CLUSTER_MODES", "RESERVED_MARKERS", "ChainsawFailure", "ChainsawFile", "ChainsawItem", "ChainsawRuntime",
    "ChainsawSetupError", "ClusterInfo", "Discovery", "PluginSettings", "S3Info", "chainsaw_cluster", "chainsaw_run",
    "chainsaw_s3", "chainsaw_session", "check_result", "discovery_order", "marker_name", "pytest_addoption",
    "pytest_collect_file", "pytest_collection_modifyitems", "pytest_configure", "pytest_sessionfinish",
    "pytest_terminal_summary", "pytest_unconfigure", "read_settings", "representative_file", "stop_if_interrupted",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chainsaw: a Chainsaw test collected by chainsaw_py")
    settings = read_settings(config)
    config.stash[SETTINGS] = settings
    config.stash[RUNTIME] = ChainsawRuntime(settings, lambda: shared_directory(config))
    if settings.enabled:
        config.stash[DISCOVERY] = read_discovery(settings)
