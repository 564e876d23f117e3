"""structlog, imported without its optional ``rich`` support.

``import structlog`` loads ``structlog.dev`` and ``structlog.tracebacks``, which import ``rich`` when it is
installed (~76 ms, more than a one-script test run needs) only for pretty exception rendering (and
``colorama`` for colours on Windows consoles); chainsaw_py
renders every line itself and formats exceptions as plain text. Import structlog from here.
"""

from __future__ import annotations

import sys
from types import ModuleType

_OPTIONAL = ("rich", "colorama")
"""structlog's optional pretty-printing support (colorama: ANSI colours on Windows consoles, ~3 ms)."""


def _import_structlog() -> ModuleType:
    if "structlog" in sys.modules:
        import structlog

        return structlog
    # A None entry makes ``import rich`` raise ImportError: structlog then behaves as if it were absent.
    blocked = [name for name in _OPTIONAL if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import structlog
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return structlog


structlog = _import_structlog()

__all__ = ["structlog"]
