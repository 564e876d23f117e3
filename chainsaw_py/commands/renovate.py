"""``chainsaw-py renovate config FILE``: upgrade a Chainsaw configuration to v1alpha2 (printed, or saved)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chainsaw_py.authoring.flags import add_go_bool_flag
from chainsaw_py.errors import ChainsawError


def register(subparsers: Any) -> None:
    renovate = subparsers.add_parser("renovate", help="Upgrade Chainsaw resources to the latest version",
                                     allow_abbrev=False,
                                     description="Upgrade Chainsaw resources to the latest version.")
    renovate.set_defaults(handler=lambda _args: _usage(renovate))
    config = renovate.add_subparsers(dest="renovate_command", metavar="COMMAND").add_parser(
        "config", help="Upgrade Chainsaw configuration to the latest version", allow_abbrev=False,
        description="Rewrite a Chainsaw configuration (v1alpha1 or v1alpha2) as a v1alpha2 document holding "
                    "only what differs from the defaults: printed, or saved in place with --save.")
    config.add_argument("file", metavar="FILE", help="the configuration file")
    add_go_bool_flag(config, "save", "If set, converted files will be saved")
    config.set_defaults(handler=run_config)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run_config(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.renovate import (
        CONFIGURATION_SCHEMA,
        load_for_renovation,
        reload_differences,
        render_renovated,
    )

    configuration = load_for_renovation(args.file)
    document = render_renovated(configuration)
    for field in reload_differences(configuration, document):
        print(f"WARNING: {field} does not load back with the same value from the renovated configuration",
              file=sys.stderr)
    if not args.save:
        print(CONFIGURATION_SCHEMA)
        print(document)
        return 0
    print(f"Saving file {args.file} ...", file=sys.stderr)
    try:
        with open(args.file, "w", encoding="utf-8") as handle:
            handle.write(f"{CONFIGURATION_SCHEMA}\n{document}")
    except OSError as err:
        raise ChainsawError(f"failed to open file: {args.file}: {err.strerror or err}") from None
    return 0
