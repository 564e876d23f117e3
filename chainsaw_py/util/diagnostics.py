"""Diagnostics for chainsaw_py itself (not the test output): structlog to stderr, silent unless
``CHAINSAW_PY_DEBUG`` is set, so that an unexpected error can be investigated without ever showing a
traceback to a user by default."""

from __future__ import annotations

import os
import sys
from typing import Any

_logger: Any = None


def debug_logger() -> Any:
    global _logger
    if _logger is None:
        from chainsaw_py.util.structlog_plain import structlog  # loads asyncio: only when something is logged

        level = "debug" if os.environ.get("CHAINSAW_PY_DEBUG") else "critical"
        _logger = structlog.wrap_logger(
            structlog.PrintLogger(sys.stderr),
            processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"),
                        structlog.processors.format_exc_info, structlog.dev.ConsoleRenderer(colors=False)],
            wrapper_class=structlog.make_filtering_bound_logger(_level_number(level)),
        )
    return _logger


def _level_number(name: str) -> int:
    import logging

    return int(logging.getLevelName(name.upper()))


def log_internal_error(err: BaseException) -> None:
    debug_logger().error("internal error", exc_info=err)
