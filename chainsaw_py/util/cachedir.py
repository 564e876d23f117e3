"""Where chainsaw_py keeps what it may compute again at any time (the record of valid documents, compiled
code of generated methods): ``$CHAINSAW_PY_CACHE_DIR``, default ``$XDG_CACHE_HOME/chainsaw_py`` or
``~/.cache/chainsaw_py``; an empty value turns every such record off."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    configured = os.environ.get("CHAINSAW_PY_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chainsaw_py"
