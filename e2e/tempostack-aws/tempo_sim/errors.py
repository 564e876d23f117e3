"""The two ways the simulated operator declines a TempoStack."""

from __future__ import annotations


class ConfigurationError(Exception):
    """The operator's ``status.ConfigurationError``: a reason and the field errors' details joined by ", "."""

    def __init__(self, details: list[str], reason: str = "InvalidStorageConfig") -> None:
        super().__init__(", ".join(details))
        self.details = details
        self.reason = reason

    @property
    def message(self) -> str:
        return ", ".join(self.details)


class NotSimulated(Exception):
    """A TempoStack feature this simulation does not build; the message names the fields."""
