"""``chainsaw-py renovate config FILE``: upgrade a Chainsaw configuration to v1alpha2 (printed, or saved)."""

from __future__ import annotations

import sys

from chainsaw_py.commands.tree import Arguments, Command, exact_args, no_args, show_help
from chainsaw_py.errors import ChainsawError


def command() -> Command:
    config = Command("config", "Upgrade Chainsaw configuration to the latest version", run=run_config,
                     args=exact_args(1))
    config.flag("save", "bool", "If set, converted files will be saved", value=False)
    return Command("renovate", "Upgrade Chainsaw resources", run=show_help, args=no_args).add(config)


def run_config(args: Arguments) -> int:
    from chainsaw_py.authoring.renovate import (
        CONFIGURATION_SCHEMA,
        load_for_renovation,
        reload_differences,
        render_renovated,
    )

    file = args.args[0]
    configuration = load_for_renovation(file)
    document = render_renovated(configuration)
    for field in reload_differences(configuration, document):
        print(f"WARNING: {field} does not load back with the same value from the renovated configuration",
              file=sys.stderr)
    if not args.save:
        print(CONFIGURATION_SCHEMA)
        print(document)
        return 0
    print(f"Saving file {file} ...", file=sys.stderr)
    try:
        with open(file, "w", encoding="utf-8") as handle:
            handle.write(f"{CONFIGURATION_SCHEMA}\n{document}")
    except OSError as err:
        raise ChainsawError(f"failed to open file: {file}: {err.strerror or err}") from None
    return 0
