"""``chainsaw-py build docs``: write a README per test folder and an optional catalog."""

from __future__ import annotations

from chainsaw_py.commands.tree import Arguments, Command, no_args, show_help


def command() -> Command:
    docs = Command("docs", "Build tests documentation", run=run_docs, args=no_args)
    docs.flag("test-dir", "stringArray", "Directories containing test cases to run", value=[])
    docs.flag("test-file", "string", "Name of the test file", value="chainsaw-test")
    docs.flag("readme-file", "string", "Name of the built docs file", value="README.md")
    docs.flag("catalog", "string", "Path to the built test catalog file", value="")
    return Command("build", "Build commands", run=show_help, args=no_args).add(docs)


def run_docs(args: Arguments) -> int:
    from chainsaw_py.authoring.docs import build_docs

    build_docs(args.test_dir, args.test_file, args.readme_file, args.catalog)
    return 0
