"""``chainsaw-py export schemas DIR``: write the JSON schemas (``<kind>-chainsaw-<version>.json``)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from chainsaw_py.errors import ChainsawError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="Export commands",
                                   description="Export chainsaw_py's resources.")
    commands = parser.add_subparsers(dest="export_command", metavar="COMMAND")
    schemas = commands.add_parser("schemas", help="Export JSON schemas",
                                  description="Write the JSON schemas of Test, StepTemplate and "
                                              "Configuration to DIR (created if missing).")
    schemas.add_argument("dir", metavar="DIR", help="output directory")
    schemas.set_defaults(handler=run_schemas)
    parser.set_defaults(handler=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run_schemas(args: argparse.Namespace) -> int:
    from chainsaw_py.loading.validate import SCHEMA_DIR, schema_names

    target = Path(args.dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in schema_names():
            shutil.copyfile(SCHEMA_DIR / name, target / name)
    except OSError as err:
        raise ChainsawError(f"cannot write schemas to {target}: {err.strerror or err}") from None
    return 0
