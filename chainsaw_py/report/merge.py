"""Merging the JSON reports of a suite's shards into one report (``chainsaw-py report merge``).

Rules (docs/scaling.md):
- reports written by chainsaw_py with ``--shard-count`` carry ``shard`` (index, count and a fingerprint of the
  whole suite before sharding): they must agree on the count and the suite, no index may come twice, and every
  index must be there (unless missing shards are allowed);
- plain Chainsaw reports (no ``shard``) must carry the same report name; mixing both kinds is an error;
- no test (base path and name) may be in two reports: that is overlapping shards.

Each test's ``group`` is its shard: the label given with ``LABEL=FILE``, else ``shard-<index>``, else the file's
name. The merged report has every test, the earliest start and the latest end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from chainsaw_py.errors import ChainsawError
from chainsaw_py.report.model import Report, ShardInfo, TestReport
from chainsaw_py.report.reading import read_report


@dataclass(frozen=True)
class ShardReport:
    source: str
    """The file it was read from."""
    group: str
    report: Report


@dataclass(frozen=True)
class MergeSummary:
    passed: int
    failed: int
    skipped: int


def suite_fingerprint(tests: Iterable[tuple[str, str]]) -> str:
    """A short digest of the suite's tests (base path, name), in discovery order, before sharding."""
    digest = hashlib.sha256(json.dumps([list(test) for test in tests]).encode()).hexdigest()
    return f"sha256:{digest[:16]}"


def split_input(argument: str) -> tuple[str, str]:
    """``LABEL=FILE`` or ``FILE`` -> (label or "", file); a file whose name holds ``=`` is taken whole if it
    exists."""
    label, separator, file = argument.partition("=")
    if not separator or Path(argument).exists() or not label or not file:
        return "", argument
    return label, file


def load_shards(arguments: Sequence[str]) -> list[ShardReport]:
    """Read every ``[LABEL=]FILE`` and name its group."""
    if not arguments:
        raise ChainsawError("no report to merge: give the JSON reports of the shards")
    pairs = [split_input(argument) for argument in arguments]
    _check_unique_labels(pairs)
    reports = [read_report(file) for _, file in pairs]
    fallbacks = _file_labels([file for _, file in pairs])
    shards = []
    for (label, file), report, fallback in zip(pairs, reports, fallbacks, strict=True):
        group = label or (f"shard-{report.shard.index}" if report.shard is not None else fallback)
        shards.append(ShardReport(file, group, report))
    return shards


def _file_labels(files: list[str]) -> list[str]:
    """Each file's stem, or its path without the extension when stems repeat (``shard-0/chainsaw-report``)."""
    stems = [Path(file).stem for file in files]
    if len(set(stems)) == len(stems):
        return stems
    return [str(Path(file).with_suffix("")) for file in files]


def _check_unique_labels(pairs: list[tuple[str, str]]) -> None:
    """Labels given with ``LABEL=FILE`` name one report each (other groups differ unless shards overlap)."""
    seen: dict[str, str] = {}
    for label, file in pairs:
        if label and label in seen:
            raise ChainsawError(f"{file}: shard label {label!r} is also the label of {seen[label]}")
        seen[label] = file


def merge_reports(shards: Sequence[ShardReport], name: str = "chainsaw-report", *,
                  allow_missing: bool = False) -> Report:
    """One report of every shard's tests (each tagged with its group), checked by the rules above."""
    ordered = check_same_run(shards, allow_missing=allow_missing)
    check_no_overlap(ordered)
    tests = [replace(test, group=shard.group) for shard in ordered for test in _tests(shard.report)]
    ends = [shard.report.end_time for shard in ordered if shard.report.end_time is not None]
    return Report(name=name, start_time=min(shard.report.start_time for shard in ordered),
                  end_time=max(ends) if ends else None, tests=tests,
                  interrupted=any(shard.report.interrupted for shard in ordered))


def _tests(report: Report) -> list[TestReport]:
    with report._lock:
        return list(report.tests)


def check_same_run(shards: Sequence[ShardReport], *, allow_missing: bool = False) -> list[ShardReport]:
    """The shards in shard order; an error when they are not the shards of one run."""
    first = shards[0]
    for other in shards[1:]:
        if (first.report.shard is None) != (other.report.shard is None):
            sharded, plain = (first, other) if first.report.shard is not None else (other, first)
            raise ChainsawError(f"{plain.source}: a report of a different run: it has no shard record while "
                                f"{sharded.source} is shard {_position(sharded)} (run with --shard-index and "
                                "--shard-count)")
    if first.report.shard is None:
        _check_same_name(shards)
        return list(shards)
    return _check_shard_records(shards, allow_missing)


def _position(shard: ShardReport) -> str:
    info = shard.report.shard
    return f"{info.index} of {info.count}" if info is not None else "-"


def _check_same_name(shards: Sequence[ShardReport]) -> None:
    first = shards[0]
    for other in shards[1:]:
        if other.report.name != first.report.name:
            raise ChainsawError(f"{other.source}: a report of a different run: its name is {other.report.name!r}, "
                                f"expected {first.report.name!r} as in {first.source} (shards of one run share "
                                "--report-name)")


def _record(shard: ShardReport) -> ShardInfo:
    if shard.report.shard is None:
        raise ChainsawError(f"{shard.source}: a report of a different run: it has no shard record")
    return shard.report.shard


def _check_shard_records(shards: Sequence[ShardReport], allow_missing: bool) -> list[ShardReport]:
    expected = _record(shards[0])
    by_index: dict[int, ShardReport] = {}
    for shard in shards:
        info = _record(shard)
        if info.count != expected.count or info.suite != expected.suite:
            what = "shard count" if info.count != expected.count else "suite"
            raise ChainsawError(f"{shard.source}: a report of a different run: shard {_position(shard)} of suite "
                                f"{info.suite}, expected the {what} of {shards[0].source} (shard "
                                f"{_position(shards[0])} of suite {expected.suite})")
        if info.index in by_index:
            raise ChainsawError(f"overlapping shards: {by_index[info.index].source} and {shard.source} are both "
                                f"shard {_position(shard)}")
        by_index[info.index] = shard
    missing = [index for index in range(expected.count) if index not in by_index]
    if missing and not allow_missing:
        raise ChainsawError(f"missing shard(s) {', '.join(map(str, missing))} of {expected.count}: no report given "
                            "for them (--allow-missing-shards merges the others)")
    return [by_index[index] for index in sorted(by_index)]


def check_no_overlap(shards: Sequence[ShardReport]) -> None:
    """No test (base path and name) may come from two reports (a test repeated within one report is fine)."""
    owner: dict[tuple[str, str], str] = {}
    for shard in shards:
        keys = {(test.base_path, test.name) for test in _tests(shard.report)}
        for key in sorted(keys):
            if key in owner:
                raise ChainsawError(f"overlapping shards: test {key[1]!r} ({key[0]}) is in both {owner[key]} and "
                                    f"{shard.source}")
            owner[key] = shard.source


def summarize(report: Report) -> MergeSummary:
    """Passed, failed and skipped tests of a report (what each shard's ``Tests Summary`` counted, summed)."""
    tests = _tests(report)
    return MergeSummary(passed=sum(test.status == "passed" for test in tests),
                        failed=sum(test.status == "failed" for test in tests),
                        skipped=sum(test.status == "skipped" for test in tests))

