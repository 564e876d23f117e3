"""Command splitting with google/shlex's rules (used for kuttl ``command:`` entries)."""

from __future__ import annotations

import pytest

from chainsaw_py.golang.shlex import ShlexError, split

CASES = [
    ("echo hello", ["echo", "hello"]),
    ('echo "hello world"', ["echo", "hello world"]),
    ("echo 'hello world'", ["echo", "hello world"]),
    ("  spaced \t out\r\nwords  ", ["spaced", "out", "words"]),
    ('a"b c"d', ["ab cd"]),
    ("a'b c'd", ["ab cd"]),
    ('""', [""]),
    ("'' x", ["", "x"]),
    (r'"five \"six\""', ['five "six"']),
    (r'"keep \n letter"', ["keep n letter"]),  # a backslash in double quotes always escapes (POSIX keeps \n)
    (r"'twelve\'", ["twelve\\"]),
    (r"one\ word", ["one word"]),
    (r"\#not-a-comment", ["#not-a-comment"]),
    ("seven#eight", ["seven#eight"]),  # '#' inside a word is literal (Python's shlex would cut here)
    ("echo hi # a comment\nnext line", ["echo", "hi", "next", "line"]),
    ("# only a comment", []),
    ("", []),
    ("kubectl get pods -o jsonpath='{.items[*].metadata.name}'",
     ["kubectl", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]),
    ("sh -c 'echo $HOME && exit 1'", ["sh", "-c", "echo $HOME && exit 1"]),
]


@pytest.mark.parametrize(("text", "words"), CASES)
def test_split(text: str, words: list[str]) -> None:
    assert split(text) == words


@pytest.mark.parametrize(("text", "message"), [
    ('echo "open', "EOF found when expecting closing quote"),
    ("echo 'open", "EOF found when expecting closing quote"),
    ("trailing\\", "EOF found after escape character"),
    ('"inside \\', "EOF found after escape character"),
])
def test_split_errors(text: str, message: str) -> None:
    with pytest.raises(ShlexError, match=message):
        split(text)
