"""``chainsaw-py create test DIR...``: scaffold a sample ``chainsaw-test.yaml`` (printed, or saved with --save)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chainsaw_py.authoring.flags import add_go_bool_flag
from chainsaw_py.errors import ChainsawError


def register(subparsers: Any) -> None:
    create = subparsers.add_parser("create", help="Create Chainsaw resources", allow_abbrev=False,
                                   description="Create Chainsaw resources.")
    create.set_defaults(handler=lambda _args: _usage(create))
    test = create.add_subparsers(dest="create_command", metavar="COMMAND").add_parser(
        "test", help="Create a Chainsaw test", allow_abbrev=False,
        description="Print a sample test named after each DIR, or save it as DIR/chainsaw-test.yaml with "
                    "--save (an existing file is only replaced with --force).")
    test.add_argument("dirs", nargs="+", metavar="DIR", help="the test folder")
    add_go_bool_flag(test, "save", "If set, created test will be saved")
    add_go_bool_flag(test, "force", "If set, existing test will be deleted if needed")
    add_go_bool_flag(test, "description", "If set, adds description when applicable", default=True)
    test.set_defaults(handler=run_test)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run_test(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.scaffold import TEST_FILE, render_sample_test
    from chainsaw_py.golang import filepath as gopath

    documents = [(folder, render_sample_test(folder, args.description)) for folder in args.dirs]
    if not args.save:
        for _, document in documents:
            print(document)
        return 0
    targets = [gopath.join(folder, TEST_FILE) for folder in args.dirs]
    existing = [target for target in targets if Path(target).exists()]
    if existing and not args.force:
        raise ChainsawError(f"{', '.join(existing)} already exists (use --force to replace it)")
    for target, (_, document) in zip(targets, documents, strict=True):
        print(f"Saving file {target} ...")
        _write_private(Path(target), document)
    return 0


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` readable by the owner only, as upstream does (mode 0600)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(content, encoding="utf-8")
    except OSError as err:
        raise ChainsawError(f"cannot write {path}: {err.strerror or err}") from None
