"""Subtest names and Go's -run/-skip matching (--include-test-regex / --exclude-test-regex)."""

from __future__ import annotations

import pytest

from chainsaw_py.runner.names import TestFilter, UniqueNames, rewrite


def test_rewrite_spaces() -> None:
    assert rewrite("my test\tx") == "my_test_x"


def test_duplicate_names_get_go_suffixes() -> None:
    names = UniqueNames()
    assert [names.unique("chainsaw", "s") for _ in range(3)] == ["chainsaw/s", "chainsaw/s#01", "chainsaw/s#02"]


@pytest.mark.parametrize(("include", "exclude", "name", "selected"), [
    ("", "", "chainsaw/anything", True),
    ("chainsaw/quick", "", "chainsaw/quick-start", True),
    ("chainsaw/quick", "", "chainsaw/basic", False),
    ("quick", "", "chainsaw/quick-start", False),  # the first level is matched against "chainsaw"
    ("chainsaw/^basic$", "", "chainsaw/basic", True),
    ("chainsaw/(basic|sleep)", "", "chainsaw/sleep", True),
    ("chainsaw/basic|chainsaw/sleep", "", "chainsaw/sleep", True),
    ("", "chainsaw/basic", "chainsaw/basic", False),
    ("", "chainsaw/basic", "chainsaw", True),  # a partial skip match does not skip the parent
    ("", "chainsaw", "chainsaw/basic", False),
    ("", "chainsaw/b", "chainsaw/a", True),
    ("chainsaw", "", "chainsaw/x", True),
])
def test_filter(include: str, exclude: str, name: str, selected: bool) -> None:
    assert TestFilter(include, exclude).selects(name) is selected
