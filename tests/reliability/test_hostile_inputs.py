"""Issue 10, the hostile-input sweep of the CLI options, the loader and ``cluster serve``'s request decoding:
each case found (a traceback, a hang, an unbounded resource) replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.sut import load_sut
from chainsaw_py.loading.values import load_values

# --- CLI options ----------------------------------------------------------------------------------------------


def test_set_with_list_indexes_nested_thousands_deep_is_one_line() -> None:
    """``--set a[0][0]...=1`` 2,000 levels deep was a RecursionError traceback."""
    with pytest.raises(ChainsawError, match="^failed parsing --set data: list index nested level is greater than "
                                            "maximum supported nested level of 256$"):
        load_values([], ["a" + "[0]" * 2000 + "=1"], [])
    values = load_values([], ["a" + "[0]" * 200 + "=1"], [])
    depth, cursor = 0, values["a"]
    while isinstance(cursor, list):
        cursor, depth = cursor[0], depth + 1
    assert (depth, cursor) == (200, 1)


def test_a_sut_config_that_is_not_a_regular_file_says_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match=r"^/dev/zero: not a regular file \(a character device\)$"):
        load_sut("/dev/zero")
    with pytest.raises(ChainsawError, match="is a directory, not a file$"):
        load_sut(tmp_path)
    with pytest.raises(ChainsawError, match="file not found$"):
        load_sut(tmp_path / "missing.yaml")
