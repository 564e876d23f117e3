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

    def active_plugins(self) -> list[AdmissionPlugin]:
        """The plugins active now, in order: a request is admitted by those (both phases), so that ``active()``
        is asked once per request."""
        return [plugin for plugin in self.plugins if plugin.active()]

    def mutate(self, attrs: AdmissionAttributes, plugins: Sequence[AdmissionPlugin] | None = None) -> None:
        """The mutating phase of ``plugins`` (from :meth:`active_plugins`), else of every active plugin."""
        for plugin in self.plugins if plugins is None else plugins:
            if plugins is not None or plugin.active():
                plugin.mutate(attrs)

    def validate(self, attrs: AdmissionAttributes, plugins: Sequence[AdmissionPlugin] | None = None) -> None:
        for plugin in self.plugins if plugins is None else plugins:
            if plugins is not None or plugin.active():
                plugin.validate(attrs)
