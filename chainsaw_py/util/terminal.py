"""Text that reaches a terminal or a report: control characters from test names, messages, script output
or cluster objects are written escaped (``\\x1b[2J`` stays visible text instead of clearing the screen).

``sanitize`` is the one step every sink applies (console, ``Error:`` lines, JSON, JUnit and HTML
reports): secret values masked first (``util.masking``), so that a value is found before its characters
are escaped, then the characters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ESCAPED = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline) and C1 controls: ESC, CSI, BEL, CR...
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, embeddings, overrides, isolates
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff\ufffe\uffff"  # lone surrogates and non-characters: not valid UTF-8 or XML 1.0
)
_CONTROLS = re.compile(f"[{_ESCAPED}]")
_CONTROLS_AND_LINE_BREAKS = re.compile(f"[\t\n{_ESCAPED}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def escape_controls(text: str, keep_line_breaks: bool = True) -> str:
    """``text`` with C0/C1 control characters (ESC, CSI, BEL, CR...), bidirectional overrides and
    characters invalid in XML written as ``\\x1b``, ``\\r``, ``\\u202e``...; tabs and newlines are kept
    unless ``keep_line_breaks`` is false. Text without them is returned as is."""
    pattern = _CONTROLS if keep_line_breaks else _CONTROLS_AND_LINE_BREAKS
    return pattern.sub(_escape, text) if pattern.search(text) else text


def sanitize(text: str, mask: Callable[[str], str] | None = None, keep_line_breaks: bool = True) -> str:
    """What a sink writes for ``text``: secret values replaced by ``mask``, then controls escaped."""
    return escape_controls(mask(text) if mask is not None else text, keep_line_breaks)
