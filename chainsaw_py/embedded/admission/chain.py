"""The ordered admission chain the API server calls."""

from __future__ import annotations

from collections.abc import Sequence

from chainsaw_py.embedded.admission.types import AdmissionAttributes, AdmissionPlugin


class AdmissionChain:
    """Mutating phase of every plugin in order, then (after schema validation) the validating phase."""

    def __init__(self, plugins: Sequence[AdmissionPlugin] = ()) -> None:
        self.plugins = list(plugins)

    def add(self, plugin: AdmissionPlugin) -> None:
        self.plugins.append(plugin)

    def active(self) -> bool:
        return any(plugin.active() for plugin in self.plugins)

    def mutate(self, attrs: AdmissionAttributes) -> None:
        for plugin in self.plugins:
            if plugin.active():
                plugin.mutate(attrs)

    def validate(self, attrs: AdmissionAttributes) -> None:
        for plugin in self.plugins:
            if plugin.active():
                plugin.validate(attrs)
