"""Loading: files -> validated model (YAML with line numbers, JSON schemas, discovery, config, values).

Public entry points::

    from chainsaw_py.loading import (
        discover_tests, load_test_file, load_configuration, load_values, shard, DiscoveredTest,
    )

Every problem with the user's files is raised as ``chainsaw_py.errors.LoadError`` (one line naming the
file, the line and the field path) or ``ChainsawError``.
"""

from chainsaw_py.loading.config import configuration_path, default_configuration, load_configuration
from chainsaw_py.loading.discovery import DiscoveredTest, discover_tests, shard
from chainsaw_py.loading.tests import load_step_template, load_test_file, merge_step_template
from chainsaw_py.loading.values import load_values

__all__ = [
    "DiscoveredTest",
    "configuration_path",
    "default_configuration",
    "discover_tests",
    "load_configuration",
    "load_step_template",
    "load_test_file",
    "load_values",
    "merge_step_template",
    "shard",
]
