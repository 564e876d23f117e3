"""``chainsaw-py create test DIR...``: scaffold a sample ``chainsaw-test.yaml`` (printed, or saved with --save)."""

from __future__ import annotations

from pathlib import Path

from chainsaw_py.commands.tree import Arguments, Command, minimum_args, no_args, show_help
from chainsaw_py.errors import ChainsawError


def command() -> Command:
    test = Command("test", "Create a Chainsaw test", run=run_test, args=minimum_args(1))
    test.flag("save", "bool", "If set, created test will be saved", value=False)
    test.flag("force", "bool", "If set, existing test will be deleted if needed", value=False)
    test.flag("description", "bool", "If set, adds description when applicable", value=True)
    return Command("create", "Create Chainsaw resources", run=show_help, args=no_args).add(test)


def run_test(args: Arguments) -> int:
    from chainsaw_py.authoring.scaffold import TEST_FILE, render_sample_test
    from chainsaw_py.golang import filepath as gopath

    documents = [(folder, render_sample_test(folder, args.description)) for folder in args.args]
    if not args.save:
        for _, document in documents:
            print(document)
        return 0
    targets = [gopath.join(folder, TEST_FILE) for folder in args.args]
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
