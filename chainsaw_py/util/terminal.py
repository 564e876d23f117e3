"""Text that reaches a terminal: control characters from test names, messages or command output are
printed escaped (``\\x1b[2J`` stays visible text instead of clearing the screen)."""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def escape_controls(text: str, keep_line_breaks: bool = True) -> str:
    """``text`` with C0/C1 control characters (ESC, CSI, BEL, CR...) written as ``\\x1b``, ``\\r``...;
    tabs and newlines are kept unless ``keep_line_breaks`` is false. Text without them is returned as is."""
    pattern = _CONTROLS if keep_line_breaks else _CONTROLS_AND_LINE_BREAKS
    return pattern.sub(_escape, text) if pattern.search(text) else text
