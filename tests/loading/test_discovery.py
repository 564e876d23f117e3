"""Discovery as Chainsaw does it: folders, file names, kuttl numbered files, selectors, sharding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainsaw_py.loading import discover_tests, shard
from chainsaw_py.loading.discovery import discover_folders

from .conftest import Writer, make_test


def _names(found: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(item.test.name, str(item.base_path)) for item in found]


def test_folders_are_walked_recursively_sorted_and_deduplicated(write: Writer, tmp_path: Path) -> None:
    for folder in ("b", "a", "a/z", "a-b", "a/b/c"):
        write(f"suite/{folder}/chainsaw-test.yaml", make_test(folder.replace("/", "-")))
    root = str(tmp_path / "suite")
    found = discover_tests([root, os.path.join(root, "a")])
    # byte order: "a" < "a-b" < "a/b/c" < "a/z" < "b" ('-' sorts before '/')
    assert [item.test.name for item in found] == ["a", "a-b", "a-b-c", "a-z", "b"]
    assert discover_folders([root])[0] == root


def test_the_root_folder_is_a_candidate_and_paths_are_joined_like_go(write: Writer, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write("chainsaw-test.yaml", make_test("root"))
    write("sub/chainsaw-test.yaml", make_test("sub"))
    monkeypatch.chdir(tmp_path)
    assert _names(discover_tests()) == [("root", "."), ("sub", "sub")]
    assert _names(discover_tests(["./"])) == [("root", "."), ("sub", "sub")]


def test_yaml_is_preferred_to_yml(write: Writer, tmp_path: Path) -> None:
    write("both/chainsaw-test.yaml", make_test("from-yaml"))
    write("both/chainsaw-test.yml", make_test("from-yml"))
    write("yml/chainsaw-test.yml", make_test("only-yml"))
    assert [item.test.name for item in discover_tests([str(tmp_path)])] == ["from-yaml", "only-yml"]
    assert [item.file.name for item in discover_tests([str(tmp_path)])] == ["chainsaw-test.yaml",
                                                                          "chainsaw-test.yml"]


def test_test_file_with_an_extension_is_loaded_as_is(write: Writer, tmp_path: Path) -> None:
    write("a/custom.json", make_test("json-named"))
    write("a/custom.json.yaml", make_test("not-this-one"))
    write("b/custom.yaml", make_test("other"))
    found = discover_tests([str(tmp_path)], test_file="custom.json")
    assert [item.test.name for item in found] == ["json-named"]
    assert [item.test.name for item in discover_tests([str(tmp_path)], test_file="custom")] == ["other"]


def test_absolute_test_file_is_loaded_for_every_folder_without_fallback(write: Writer, tmp_path: Path) -> None:
    test_file = write("defs/the-test.yaml", make_test("absolute"))
    write("suite/x/01-apply.yaml", "apiVersion: v1\nkind: ConfigMap\n")
    found = discover_tests([str(tmp_path / "suite")], test_file=str(test_file))
    assert _names(found) == [("absolute", str(tmp_path / "suite")), ("absolute", str(tmp_path / "suite" / "x"))]
    assert all(item.file == test_file for item in found)
    assert discover_tests([str(tmp_path / "suite")], test_file=str(tmp_path / "missing.yaml")) == []


def test_kuttl_numbered_files(write: Writer, tmp_path: Path) -> None:
    folder = "My_Kuttl_Test"
    for name in ("00-install.yaml", "00-assert.yaml", "00-errors.yml", "00-configure.yml", "10-assert.yaml",
                 "2-apply.yaml", "02-apply.yaml", "notes.yaml", "03-error.yaml", "x-01-assert.yaml"):
        write(f"{folder}/{name}", "apiVersion: v1\nkind: ConfigMap\n")
    (tmp_path / folder / "04-dir.yaml").mkdir()
    (found,) = discover_tests([str(tmp_path / folder)])
    test = found.test
    assert test.name == "my-kuttl-test"
    assert found.base_path == tmp_path / folder
    steps = [(step.name, [(op.type, op.action.file) for op in step.try_]) for step in test.spec.steps]
    assert steps == [
        ("step-00", [("apply", "00-configure.yml"), ("apply", "00-install.yaml"), ("assert", "00-assert.yaml"),
                     ("error", "00-errors.yml")]),
        ("step-02", [("apply", "02-apply.yaml")]),
        ("step-03", [("apply", "03-error.yaml")]),  # the code wants "errors", whatever the docs say
        ("step-10", [("assert", "10-assert.yaml")]),
        ("step-2", [("apply", "2-apply.yaml")]),  # prefixes sort as strings
    ]


def test_kuttl_files_are_ignored_when_a_test_file_exists(write: Writer, tmp_path: Path) -> None:
    write("t/chainsaw-test.yaml", make_test("real"))
    write("t/00-apply.yaml", "apiVersion: v1\nkind: ConfigMap\n")
    assert [item.test.name for item in discover_tests([str(tmp_path / "t")])] == ["real"]
    assert [item.test.name for item in discover_tests([str(tmp_path / "t")], test_file="")] == ["t"]


def test_folders_without_tests_yield_nothing(write: Writer, tmp_path: Path) -> None:
    write("empty/readme.md", "hello")
    assert discover_tests([str(tmp_path / "empty")]) == []


LABELLED = {"a": {"env": "prod", "tier": "web"}, "b": {"env": "dev"}, "c": {}}


@pytest.mark.parametrize(("selector", "expected"), [
    (None, ["a", "b", "c"]),
    ([], ["a", "b", "c"]),
    (["env=prod"], ["a"]),
    (["env!=prod"], ["b", "c"]),
    (["env"], ["a", "b"]),
    (["!env"], ["c"]),
    (["env in (dev, prod)", "tier"], ["a"]),
    (["env", "tier notin (web)"], ["b"]),
])
def test_label_selector(write: Writer, tmp_path: Path, selector: list[str] | None, expected: list[str]) -> None:
    for name, labels in LABELLED.items():
        label_text = "".join(f"    {key}: {value}\n" for key, value in labels.items())
        write(f"{name}/chainsaw-test.yaml", make_test(name).replace(
            f"  name: {name}\n", f"  name: {name}\n" + ("  labels:\n" + label_text if labels else "")))
    found = discover_tests([str(tmp_path)], selector=selector)
    assert [item.test.name for item in found] == expected


@pytest.mark.parametrize(("total", "count", "shards"), [
    (10, 3, [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]),
    (5, 2, [[0, 1], [2, 3, 4]]),
    (7, 4, [[0], [1, 2], [3, 4], [5, 6]]),  # int(1.75*i) boundaries: 0, 1, 3, 5, then the rest
    (2, 4, [[], [0], [], [1]]),
    (0, 3, [[], [], []]),
])
def test_sharding(total: int, count: int, shards: list[list[int]]) -> None:
    items = list(range(total))
    assert [shard(items, index, count) for index in range(count)] == shards
    assert [item for part in shards for item in part] == items


def test_sharding_is_off_without_a_count_or_with_an_index_out_of_range() -> None:
    assert shard([1, 2, 3], 0, 0) == [1, 2, 3]
    assert shard([1, 2, 3], 5, 2) == [1, 2, 3]
