"""Assertion trees of Chainsaw's own example suite (../shared/corpus/chainsaw-examples).

Every tree the suite uses (assert/error resources and files, check, expect match/check, output match) must
compile, and the array-assertion example must pass against its resources and fail with the exact message
when a resource is changed. Skipped when ../shared is absent (a user's clone).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainsaw_py.checks import AssertionTree, assert_tree, resource_error_message
from tests.shared import CORPUS, requires_shared

pytestmark = requires_shared("corpus", "chainsaw-examples")


def _documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _trees_in(node: Any, folder: Path, compiler: str) -> Iterator[tuple[str, Any, str]]:
    """(where, tree, compiler) for every assertion tree an operation of a test holds."""
    if isinstance(node, dict):
        compiler = node.get("compiler", compiler)
        for kind in ("assert", "error"):
            operation = node.get(kind)
            if isinstance(operation, dict):
                if "resource" in operation:
                    yield f"{kind}.resource", operation["resource"], compiler
                file_name = operation.get("file")
                if isinstance(file_name, str) and not file_name.startswith("(") and (folder / file_name).is_file():
                    for document in _documents(folder / file_name):
                        yield f"{kind}.file {file_name}", document, compiler
        for key in ("check", "match"):
            if isinstance(node.get(key), dict):
                yield key, node[key], compiler
        for child in node.values():
            yield from _trees_in(child, folder, compiler)
    elif isinstance(node, list):
        for child in node:
            yield from _trees_in(child, folder, compiler)


def _all_trees() -> list[tuple[str, Any, str]]:
    if not CORPUS.is_dir():
        return []
    found = []
    for test_file in sorted(CORPUS.glob("*/chainsaw-test.yaml")):
        for document in _documents(test_file):
            for where, tree, compiler in _trees_in(document, test_file.parent, "jp"):
                found.append((f"{test_file.parent.name}: {where}", tree, compiler))
    return found


TREES = _all_trees()


def test_the_corpus_has_trees() -> None:
    assert len(TREES) >= 40


@pytest.mark.parametrize(("where", "tree", "compiler"), TREES, ids=[t[0] for t in TREES])
def test_corpus_tree_compiles(where: str, tree: Any, compiler: str) -> None:
    AssertionTree(tree, compiler)


def _array_example() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = CORPUS / "array-assertion"
    (assertion,) = _documents(folder / "assertions.yaml")
    (pod,) = _documents(folder / "resources.yaml")
    return assertion, pod


def test_array_assertion_example_passes() -> None:
    assertion, pod = _array_example()
    assert assert_tree(assertion, pod) == []


def test_array_assertion_example_failure_message() -> None:
    assertion, pod = _array_example()
    broken = copy.deepcopy(pod)
    broken["metadata"]["namespace"] = "chainsaw-test"
    broken["spec"]["containers"][1]["image"] = "nginx-latest"
    broken["spec"]["containers"][2]["env"][0]["value"] = "value-x"
    errors = assert_tree(assertion, broken)
    # Templating the expected side fails like in Chainsaw: $index only exists inside the foreach.
    assert resource_error_message(assertion, broken, errors) == """\
----------------------------
v1/Pod/chainsaw-test/example
----------------------------
* spec.~index.(containers)[1].image: Invalid value: "nginx-latest": Expected value: "nginx-2"
* spec.~index2.(containers)[2].~.(env)[0].value: Invalid value: "value-x": Expected value: "value-3"
* ERROR: failed to compute expected template: spec.~index.(containers).image: Internal error: \
variable not defined: $index

--- expected
+++ actual
@@ -2,13 +2,5 @@
 kind: Pod
 metadata:
   name: example
-spec:
-  ~.(containers[?name == 'container-1']):
-    image: nginx-1
-  ~index.(containers):
-    image: (join('-', ['nginx', to_string($index + `1`)]))
-  ~index2.(containers):
-    ~.(env):
-      name: (join('_', ['ENV', to_string($index2 + `1`)]))
-      value: (join('-', ['value', to_string($index2 + `1`)]))
+spec: {}
 \n"""
