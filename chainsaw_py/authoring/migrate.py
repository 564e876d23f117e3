"""``migrate kuttl tests|config``: print the converted documents, or save them (``--save``) and delete what was
converted (``--cleanup``), with upstream's progress lines on standard error.

Printed output is the schema modeline, the document and a blank line (Go's ``Fprintln`` of a marshalled
document); saved files are the modeline and the document. One folder failing to convert does not stop the
others, as upstream; unlike upstream, the command then exits non-zero.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from chainsaw_py.authoring.gojson import go_json
from chainsaw_py.authoring.kuttl import TEST_FILE, KuttlMigration, convert_folder, is_kuttl_test_folder
from chainsaw_py.authoring.kuttl_config import convert_suite
from chainsaw_py.authoring.manifests import load_manifests, marshal_manifests, schema_comment
from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.golang.filepath import directory
from chainsaw_py.loading.config import DEFAULT_FILE_NAME

TEST_SCHEMA = schema_comment("test", "v1alpha1")
CONFIGURATION_SCHEMA = schema_comment("configuration", "v1alpha1")


def render_test(migration: KuttlMigration) -> str:
    """The converted test as ``sigs.k8s.io/yaml`` prints Chainsaw's v1alpha1 Test struct."""
    from chainsaw_py.golang.yaml import marshal

    return marshal(go_json(migration.test))


def migrate_tests(paths: Sequence[str], save: bool, cleanup: bool, out: TextIO, err: TextIO) -> None:
    """Convert every kuttl test folder under ``paths``. Raises ``ChainsawError`` when any folder failed."""
    from chainsaw_py.loading.discovery import discover_folders

    try:
        folders = discover_folders(paths)
    except ChainsawError as error:
        print(f"ERROR: failed to discover folders: {error}", file=err)
        raise
    failures = 0
    for folder in folders:
        try:
            _migrate_folder(folder, save, cleanup, out, err)
        except ChainsawError as error:
            failures += 1
            print(f"ERROR: failed to process folder {folder}: {error}", file=err)
    if failures:
        raise ChainsawError(f"{failures} of {len(folders)} folders could not be converted")


def _migrate_folder(folder: str, save: bool, cleanup: bool, out: TextIO, err: TextIO) -> None:
    if not is_kuttl_test_folder(folder):
        return
    print(f"Converting test {folder} ...", file=err)
    migration = convert_folder(folder)
    if migration is None:
        return
    for warning in migration.warnings:
        print(f"WARNING: {warning}", file=err)
    document = render_test(migration)
    if not save:
        print(TEST_SCHEMA, file=out)
        print(document, file=out)
        return
    for rewrite in migration.rewrites:
        _write(rewrite.path, marshal_manifests(rewrite.resources), err)
    _write(gopath.join(folder, TEST_FILE), f"{TEST_SCHEMA}\n{document}", err)
    if cleanup:
        for path in migration.consumed_files:
            _delete(path, err)


def migrate_config(path: str, save: bool, cleanup: bool, out: TextIO, err: TextIO) -> None:
    """Convert the kuttl TestSuite in ``path`` to a Chainsaw configuration (``.chainsaw.yaml`` beside it)."""
    from chainsaw_py.golang.yaml import marshal

    resources = load_manifests(path)
    if len(resources) != 1:
        raise ChainsawError(f"invalid number of resources found ({len(resources)}) in {path}")
    print(f"Converting config {path} ...", file=err)
    document = marshal(convert_suite(resources[0], path))
    if not save:
        print(CONFIGURATION_SCHEMA, file=out)
        print(document, file=out)
        return
    target = gopath.join(directory(path), DEFAULT_FILE_NAME)
    _write(target, f"{CONFIGURATION_SCHEMA}\n{document}", err)
    if cleanup and not _same_file(path, target):
        _delete(path, err)


def _write(path: str, content: str, err: TextIO) -> None:
    print(f"Saving file {path} ...", file=err)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    except OSError as error:
        raise ChainsawError(f"failed to open file: {path}: {error.strerror or error}") from None


def _delete(path: str, err: TextIO) -> None:
    print(f"Deleting file {path} ...", file=err)
    try:
        os.remove(path)
    except OSError as error:
        raise ChainsawError(f"cannot delete {path}: {error.strerror or error}") from None


def _same_file(left: str, right: str) -> bool:
    return os.path.abspath(left) == os.path.abspath(right)

