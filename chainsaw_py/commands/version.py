"""``chainsaw-py version``: prints the version, commit time and commit like Chainsaw (``---`` when unknown)."""

from __future__ import annotations

from chainsaw_py.commands.tree import Arguments, Command, no_args


def command() -> Command:
    return Command("version", "Print the version informations", run=run, args=no_args)


def run(args: Arguments) -> int:
    from chainsaw_py.authoring.version import version_info

    for line in version_info().lines():
        print(line)
    return 0
