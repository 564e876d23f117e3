"""Where chainsaw_py's system-under-test file is (``.chainsaw-py.yaml``; ``loading.sut`` reads it): apart from
its model, so that a run without one does not import that (issue 14's start-up)."""

from __future__ import annotations

from pathlib import Path

SUT_FILE = ".chainsaw-py.yaml"


def sut_path(configuration: str | None, explicit: str | None = None) -> Path | None:
    """The file to read: ``explicit``, else ``.chainsaw-py.yaml`` next to the configuration file (or in the
    current folder without one), when it exists."""
    if explicit:
        return Path(explicit)
    folder = Path(configuration).parent if configuration else Path(".")
    candidate = folder / SUT_FILE
    return candidate if candidate.is_file() else None
