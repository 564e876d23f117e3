"""Shell-style word splitting with the rules of ``github.com/google/shlex`` (what Chainsaw's kuttl migration uses).

Python's :mod:`shlex` differs in ways that change converted commands: a ``#`` inside a word starts a comment
there, and a backslash inside double quotes is kept unless it escapes ``"``, ``\\``, ``$`` or a backquote.
google/shlex instead:

- splits on space, tab, CR and LF;
- ``'...'`` keeps everything literally; ``"..."`` drops a backslash and keeps the character after it;
- outside quotes a backslash keeps the next character literally;
- ``#`` starts a comment only where a word could start, and the comment runs to the end of the line;
- an unterminated quote or a trailing backslash is an error.
"""

from __future__ import annotations

from enum import Enum, auto

_SPACES = frozenset(" \t\r\n")


class ShlexError(ValueError):
    """The text cannot be split (an unterminated quote or a trailing escape)."""


class _State(Enum):
    START = auto()
    WORD = auto()
    ESCAPING = auto()
    ESCAPING_QUOTED = auto()
    DOUBLE_QUOTED = auto()
    SINGLE_QUOTED = auto()
    COMMENT = auto()


def split(text: str) -> list[str]:
    """The words of ``text``; comments are dropped. Raises :class:`ShlexError` on bad quoting."""
    words: list[str] = []
    state = _State.START
    word: list[str] = []
    for char in text:
        state = _step(state, char, word, words)
    if state in (_State.ESCAPING, _State.ESCAPING_QUOTED):
        raise ShlexError("EOF found after escape character")
    if state in (_State.DOUBLE_QUOTED, _State.SINGLE_QUOTED):
        raise ShlexError("EOF found when expecting closing quote")
    if state is _State.WORD:
        words.append("".join(word))
    return words


def _step(state: _State, char: str, word: list[str], words: list[str]) -> _State:
    if state is _State.START:
        return _start(char, word)
    if state is _State.WORD:
        if char in _SPACES:
            words.append("".join(word))
            word.clear()
            return _State.START
        return _open(char, word, _State.WORD)
    if state is _State.ESCAPING:
        word.append(char)
        return _State.WORD
    if state is _State.ESCAPING_QUOTED:
        word.append(char)
        return _State.DOUBLE_QUOTED
    if state is _State.DOUBLE_QUOTED:
        if char == '"':
            return _State.WORD
        if char == "\\":
            return _State.ESCAPING_QUOTED
        word.append(char)
        return state
    if state is _State.SINGLE_QUOTED:
        if char == "'":
            return _State.WORD
        word.append(char)
        return state
    return _State.START if char == "\n" else _State.COMMENT


def _start(char: str, word: list[str]) -> _State:
    if char in _SPACES:
        return _State.START
    if char == "#":
        return _State.COMMENT
    return _open(char, word, _State.WORD)


def _open(char: str, word: list[str], otherwise: _State) -> _State:
    """The state after ``char`` where a word is (or may start): quotes and escapes open, anything else adds."""
    if char == '"':
        return _State.DOUBLE_QUOTED
    if char == "'":
        return _State.SINGLE_QUOTED
    if char == "\\":
        return _State.ESCAPING
    word.append(char)
    return otherwise
