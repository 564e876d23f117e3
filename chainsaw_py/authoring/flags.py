"""Go-style boolean flags for the authoring sub-commands (``--save``, ``--save=true``, ``--save=false``).

Chainsaw's flags come from Go's pflag: a boolean flag takes no separate value (``--save false`` is the flag
followed by the argument ``false``) but accepts one after ``=``, spelled as Go's ``strconv.ParseBool`` reads
it. argparse matches an exact option string before splitting on ``=``, so each accepted spelling is
registered as a hidden option storing its value.
"""

from __future__ import annotations

import argparse

GO_BOOLS: dict[str, bool] = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def add_go_bool_flag(parser: argparse.ArgumentParser, name: str, help: str, default: bool = False) -> None:
    dest = name.replace("-", "_")
    shown = f"{help} (default true)" if default else help
    parser.add_argument(f"--{name}", dest=dest, action="store_const", const=True, default=default, help=shown)
    for text, value in GO_BOOLS.items():
        parser.add_argument(f"--{name}={text}", dest=dest, action="store_const", const=value,
                            help=argparse.SUPPRESS)
