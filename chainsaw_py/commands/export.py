"""``chainsaw-py export schemas DIR``: write the JSON schemas (``<kind>-chainsaw-<version>.json``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from chainsaw_py.commands.tree import Arguments, Command, exact_args, no_args, show_help
from chainsaw_py.errors import ChainsawError


def command() -> Command:
    schemas = Command("schemas", "Export JSON schemas", run=run_schemas, args=exact_args(1))
    return Command("export", "Export commands", run=show_help, args=no_args).add(schemas)


def run_schemas(args: Arguments) -> int:
    from chainsaw_py.loading.validate import SCHEMA_DIR, schema_names

    target = Path(args.args[0])
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in schema_names():
            shutil.copyfile(SCHEMA_DIR / name, target / name)
    except OSError as err:
        raise ChainsawError(f"cannot write schemas to {target}: {err.strerror or err}") from None
    return 0
