"""``chainsaw-py report merge``: one report from the JSON reports of a suite's shards (chainsaw_py; upstream
Chainsaw has no ``report`` command). The rules are in ``report.merge`` and docs/scaling.md."""

from __future__ import annotations

from chainsaw_py.commands.tree import Arguments, Command, minimum_args, no_args, show_help
from chainsaw_py.report.formats import FORMATS

MERGE_LONG = """Merge the JSON reports of the shards of one run (--shard-index/--shard-count) into one report: every
test, tagged with its shard, the earliest start and the latest end. Each argument is FILE or LABEL=FILE (the
label names the shard in the report; default: shard-<index>, or the file's name for plain Chainsaw reports).

Reports of different runs (another suite, shard count or report name), overlapping shards (a test in two
reports) and missing shards are errors."""


def command() -> Command:
    merge = Command("merge [flags] [LABEL=]FILE...", "Merge the JSON reports of a suite's shards into one report",
                    long=MERGE_LONG, run=run_merge, args=minimum_args(1),
                    example="  chainsaw-py report merge --report-format JSON,JUNIT-TEST shard-*/chainsaw-report.json")
    merge.flag("report-format", "strings", f"Formats of the merged report, repeatable or comma-separated "
               f"({', '.join(FORMATS)})", value=["JSON"])
    merge.flag("report-name", "string", "The name of the merged report", value="chainsaw-report")
    merge.flag("report-path", "string", "The folder of the merged report", value="", dirname=True)
    merge.flag("allow-missing-shards", "bool", "Merge even when the reports of some shards are missing", value=False)
    return Command("report", "Work with test reports (chainsaw_py)", run=show_help, args=no_args).add(merge)


def run_merge(args: Arguments) -> int:
    from chainsaw_py import api

    outcome = api.merge_reports(list(args.args), formats=list(args.report_format), path=args.report_path,
                                name=args.report_name, allow_missing_shards=bool(args.allow_missing_shards))
    summary = outcome.summary
    print(f"Merged {len(args.args)} reports: {len(outcome.report.tests)} tests")
    print(f"- Passed  tests {summary.passed}")
    print(f"- Failed  tests {summary.failed}")
    print(f"- Skipped tests {summary.skipped}")
    for file in outcome.files:
        print(f"Saved {file}")
    return 0
