"""structlog, imported without its optional ``rich`` support.

``import structlog`` loads ``structlog.dev`` and ``structlog.tracebacks``, which import ``rich`` when it is
installed (~76 ms, more than a one-script test run needs) only for pretty exception rendering; chainsaw_py
renders every line itself and formats exceptions as plain text. Import structlog from here.
"""

from __future__ import annotations

import sys
from types import ModuleType


def _import_structlog() -> ModuleType:
    if "structlog" in sys.modules or "rich" in sys.modules:
        import structlog

        return structlog
    # A None entry makes ``import rich`` raise ImportError: structlog then behaves as if rich were absent.
    sys.modules["rich"] = None  # type: ignore[assignment]
    try:
        import structlog
    finally:
        if "rich" in sys.modules and sys.modules["rich"] is None:
            del sys.modules["rich"]
    return structlog


structlog = _import_structlog()

__all__ = ["structlog"]
