"""Test discovery exactly as Chainsaw does it (``pkg/discovery``, ``pkg/utils/fs/discover.go``).

- Every folder under each test directory (the directory itself included) is a candidate; the set is
  sorted (byte order) and de-duplicated. Sub-folder symlinks are not followed (Go's ``filepath.Walk``);
  a test directory given as a symlink is.
- In a folder, a test file name with an extension is loaded as is; without one, ``<name>.yaml`` then
  ``<name>.yml``. A file may hold several tests; all share the folder as base path. An absolute test file
  name is loaded for every folder, with that folder as base path, and never falls back to step files.
- Without a test file, kuttl-style numbered files ``<N>-<name>.yaml|yml`` make one test named after the
  folder: one step ``step-<N>`` per prefix (prefixes sorted as strings), whose try list applies the other
  files, then asserts ``<N>-assert.*``, then checks ``<N>-errors.*`` with ``error``.
- Tests are kept when their ``metadata.labels`` match the label selector.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.golang import urls as goturl
from chainsaw_py.loading.model import Apply, Assert, Error, ObjectMeta, Operation, Step, Test, TestSpec
from chainsaw_py.loading.tests import load_test_file

if TYPE_CHECKING:
    from chainsaw_py.util.labels import Selector

STEP_FILE = re.compile(r"(\d+)-(.*)\.(?:yaml|yml)", re.ASCII)
T = TypeVar("T")


@dataclass
class DiscoveredTest:
    """A test found by discovery: the Test (with step templates merged), its base folder and its file."""

    test: Test
    base_path: Path
    file: Path


@dataclass
class StepFiles:
    """The numbered files of one step of a folder without a test file (``pkg/discovery/step.go``), by role."""

    assert_files: list[str] = field(default_factory=list)
    error_files: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)


def discover_tests(paths: Sequence[str | Path] = (), test_file: str = "chainsaw-test",
                   selector: Sequence[str] | None = None, default_compiler: str = "jp",
                   ) -> list[DiscoveredTest]:
    """Find and load the tests under ``paths`` (default ``.``), in Chainsaw's order.

    ``selector`` is a list of label selectors joined with ``,`` (repeated ``--selector`` flags).
    Raises ``ChainsawError`` for a path that cannot be checked (Chainsaw's ``error checking path``) and
    ``LoadError`` for any file that does not load.
    """
    matcher = label_selector(selector)
    found: list[DiscoveredTest] = []
    for folder in discover_folders([str(path) for path in paths] or ["."]):
        for discovered in load_folder(test_file, folder, default_compiler):
            if matcher is None or matcher.matches(discovered.test.labels):
                found.append(discovered)
    return found


def check_folders(paths: Iterable[str]) -> None:
    """Chainsaw's ``CheckFolders`` before ``test`` discovers: each path without a URL scheme must exist
    (``stat <path>: <reason>``, the first failing path only)."""
    for path in paths:
        try:
            parsed = goturl.parse(path)
        except ValueError as err:
            raise ChainsawError(str(err)) from None
        if parsed.scheme:
            continue
        try:
            os.stat(parsed.path)
        except (OSError, ValueError) as err:  # ValueError: a NUL byte, EINVAL in Go
            raise ChainsawError(f"stat {parsed.path}: {_os_message(err)}") from None


def discover_folders(paths: Iterable[str]) -> list[str]:
    """Every folder under ``paths`` (recursively, roots included), sorted and de-duplicated; the paths
    that cannot be checked or walked fail together, as Chainsaw's ``DiscoverFolders`` combines them."""
    folders: set[str] = set()
    errors: list[str] = []
    for path in paths:
        try:
            info = os.stat(path)
        except (OSError, ValueError) as err:
            errors.append(f"error checking path {path}: stat {path}: {_os_message(err)}")
            continue
        if stat.S_ISDIR(info.st_mode):
            try:
                folders.update([path, *_walk(path)])
            except ChainsawError as err:
                errors.append(str(err))
    if errors:
        raise ChainsawError("; ".join(errors))
    return sorted(folders)


def _walk(root: str) -> Iterable[str]:
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as err:  # Go's filepath.Walk stops with the error of the folder it cannot read
        raise ChainsawError(f"open {root}: {_os_message(err)}") from None
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            child = gopath.join(root, entry.name)
            yield child
            yield from _walk(child)


def _os_message(err: OSError | ValueError) -> str:
    if not isinstance(err, OSError):
        return "invalid argument"  # what the system call answers for a path holding a NUL byte
    return (err.strerror or str(err)).lower()


def empty_path_reason(path: str, test_file: str = "chainsaw-test") -> str:
    """Why no test was found under ``path`` (for the warning of an empty run)."""
    if not os.path.isdir(path):
        return "it is not a directory"
    names = [test_file] if gopath.ext(test_file) else [f"{test_file}.yaml", f"{test_file}.yml"]
    for folder in [path, *_walk(path)]:
        for name in names:
            candidate = name if os.path.isabs(name) else gopath.join(folder, name)
            if os.path.islink(candidate) and not os.path.exists(candidate):
                return f"{candidate} is a dangling symlink"
    listed = " or ".join(names)
    return f"no {listed} and no numbered step files (01-name.yaml) in it or its sub-folders"


def paths_without_tests(paths: Sequence[str], found: Sequence[DiscoveredTest]) -> list[str]:
    """The given test paths under which ``found`` has no test."""
    folders = {os.path.normpath(test.base_path) for test in found}
    empty = []
    for path in paths:
        root = os.path.normpath(path)
        prefix = root.rstrip("/") + "/"
        if not any(root in (".", folder) or folder.startswith(prefix) for folder in folders):
            empty.append(path)
    return empty


def load_folder(test_file: str, folder: str, default_compiler: str = "jp") -> list[DiscoveredTest]:
    """The tests of one folder: from the test file if there is one, else from numbered step files."""
    if test_file:
        file, tests = _load_test_files(test_file, folder, default_compiler)
        if tests:
            return [DiscoveredTest(test, Path(folder), Path(file)) for test in tests]
        if os.path.isabs(test_file):
            return []
    return _kuttl_tests(folder)


def _load_test_files(test_file: str, folder: str, default_compiler: str) -> tuple[str, list[Test]]:
    candidates = [test_file] if gopath.ext(test_file) else [f"{test_file}.yaml", f"{test_file}.yml"]
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else gopath.join(folder, candidate)
        if _test_file_exists(path):
            return path, load_test_file(path, default_compiler, base_path=folder)
    return "", []


def _test_file_exists(path: str) -> bool:
    """Chainsaw's ``os.Stat``: a missing file (a dangling symlink too) is no test file; any other failure
    (a symlink loop, a permission error) is the folder's error, not a silently skipped test."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as err:
        raise ChainsawError(f"stat {path}: {_os_message(err)}") from None
    return True


def find_step_files(folder: str) -> dict[str, StepFiles]:
    """Numbered step files grouped by prefix (``pkg/discovery/step.go``)."""
    try:
        entries = list(os.scandir(folder))
    except OSError as err:
        raise LoadError(f"cannot read directory: {err.strerror or err}", folder) from None
    names = sorted(entry.name for entry in entries
                   if not entry.is_dir(follow_symlinks=False) and STEP_FILE.fullmatch(entry.name))
    steps: dict[str, StepFiles] = {}
    for name in names:
        match = STEP_FILE.fullmatch(name)
        assert match is not None
        files = steps.setdefault(match.group(1), StepFiles())
        role = match.group(2)
        target = {"assert": files.assert_files, "errors": files.error_files}.get(role, files.other_files)
        target.append(name)
    return steps


def _kuttl_tests(folder: str) -> list[DiscoveredTest]:
    steps = find_step_files(folder)
    if not steps:
        return []
    test = Test(
        metadata=ObjectMeta(name=gopath.base(folder).replace("_", "-").lower()),
        spec=TestSpec(steps=[_kuttl_step(prefix, steps[prefix]) for prefix in sorted(steps)]),
    )
    test.base_path = Path(folder)
    test.file = Path(folder)
    return [DiscoveredTest(test, Path(folder), Path(folder))]


def _kuttl_step(prefix: str, files: StepFiles) -> Step:
    operations = [
        *(Operation(type="apply", action=Apply(file=name)) for name in files.other_files),
        *(Operation(type="assert", action=Assert(file=name)) for name in files.assert_files),
        *(Operation(type="error", action=Error(file=name)) for name in files.error_files),
    ]
    return Step(name=f"step-{prefix}", try_=operations)


def label_selector(selector: Sequence[str] | None) -> Selector | None:
    """The ``--selector`` flags as one label selector (None when none is given); bad syntax is a ChainsawError."""
    if not selector:
        return None
    from chainsaw_py.util.labels import SelectorError, parse_selector

    try:
        return parse_selector(",".join(selector))
    except SelectorError as err:
        raise ChainsawError(str(err)) from None


def shard(tests: Sequence[T], index: int, count: int) -> list[T]:
    """The tests of shard ``index`` of ``count`` (all of them when ``count`` <= 0 or ``index`` >= ``count``).

    As Chainsaw: shard length ``len/count`` as a float, slice ``[int(len*i), int(len*(i+1)))``, and the
    last shard takes the rest.
    """
    if index < 0:
        raise ChainsawError(f"invalid shard index {index}: must not be negative")
    if count <= 0 or index >= count:
        return list(tests)
    length = len(tests) / count
    start = int(length * index)
    end = len(tests) if index == count - 1 else int(length * (index + 1))
    return list(tests[start:end])
