"""``chainsaw-py lint test|configuration -f FILE|-``: validate one document against its JSON schema.

As Chainsaw: the first document of the input is validated against ``<kind>-chainsaw-<version>.json``
(the version comes from its ``apiVersion``); only ``.json`` and ``.yaml`` file extensions are accepted
(``.yml`` is rejected, a Chainsaw quirk kept for compatibility); standard input is read as JSON when it
starts with ``{`` and as YAML otherwise. chainsaw_py also reports expression syntax errors, which would
fail loading, and gives each error's line.
"""

from __future__ import annotations

import sys

from chainsaw_py.commands.tree import Arguments, Command, only_valid_args
from chainsaw_py.errors import ChainsawError
from chainsaw_py.util.terminal import sanitize

KINDS = ("test", "configuration")


def command() -> Command:
    lint_ = Command("lint [test|configuration]", "Lint a file or read from standard input", run=run,
                    long="Use chainsaw lint to lint a specific file or read from standard input for either test "
                         "or configuration.", args=only_valid_args(1), valid_args=KINDS)
    lint_.flag("file", "string", "Specify the file to lint or '-' for standard input", shorthand="f", value="")
    return lint_


def run(args: Arguments) -> int:
    if not args.file:
        raise ChainsawError("no file or standard input specified")
    print("Processing input...")
    errors, extensions = lint(args.args[0], args.file)
    if errors:
        print("The schema is not valid. See errors:")
        for error in errors:
            print(f"- {sanitize(str(error))}")
        raise ChainsawError("document is not valid")
    print("The document is valid")
    if extensions:
        print("It uses chainsaw_py extensions that upstream Chainsaw cannot run:")
        for use in extensions:
            print(f"- {sanitize(str(use))}")
    return 0


def lint(kind: str, file: str) -> tuple[list[str], list[str]]:
    """The problems of the document in ``file`` (``-``: standard input) as ``kind`` (empty when valid),
    and where it uses chainsaw_py extensions."""
    from chainsaw_py.loading.lint import extensions_in, lint_text
    from chainsaw_py.yamldocs import read_text

    if file == "-":
        text, extension, name = _read_stdin(), None, "<stdin>"
    else:
        text, extension, name = read_text(file), _extension(file), file
    errors = lint_text(kind, text, extension, name)
    return errors, ([] if errors else extensions_in(text, extension, name))


def _read_stdin() -> str:
    from chainsaw_py.errors import LoadError
    from chainsaw_py.util import files

    try:
        return files.read_stream(sys.stdin)
    except files.FileReadError as err:
        raise LoadError(err.message, "<stdin>") from None


def _extension(file: str) -> str:
    from chainsaw_py.golang.filepath import ext

    return ext(file)
