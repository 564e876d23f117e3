"""The authoring sub-commands' command line: registration, Go-style boolean flags, usage."""

from __future__ import annotations

import argparse

import pytest

from chainsaw_py.authoring.flags import GO_BOOLS, add_go_bool_flag
from chainsaw_py.cli import COMMANDS
from tests.authoring.conftest import Cli


def test_commands_are_registered() -> None:
    assert {"build", "create", "migrate", "renovate", "version"} <= set(COMMANDS)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("paths", nargs="*")
    add_go_bool_flag(parser, "save", "save it")
    add_go_bool_flag(parser, "description", "describe", default=True)
    return parser


@pytest.mark.parametrize(("argv", "save", "description", "paths"), [
    ([], False, True, []),
    (["--save"], True, True, []),
    (["--save=false", "--description=0"], False, False, []),
    (["--save=T", "--description=TRUE"], True, True, []),
    (["--save", "false"], True, True, ["false"]),  # like pflag: a bool flag never takes the next argument
    (["a", "b", "--save=true"], True, True, ["a", "b"]),
    (["--save=true", "--save=false"], False, True, []),
])
def test_go_bool_flags(argv: list[str], save: bool, description: bool, paths: list[str]) -> None:
    args = _parser().parse_args(argv)
    assert (args.save, args.description, args.paths) == (save, description, paths)


def test_go_bool_spellings() -> None:
    assert sorted(GO_BOOLS) == sorted(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false",
                                       "False"])


def test_bad_bool_value_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["--save=yes"])


def test_help_shows_one_entry_per_flag(capsys: pytest.CaptureFixture[str]) -> None:
    _parser().print_help()
    text = capsys.readouterr().out
    assert "--save" in text and "--save=" not in text and "describe (default true)" in text


@pytest.mark.parametrize("argv", [("migrate",), ("migrate", "kuttl"), ("build",), ("create",), ("renovate",)])
def test_group_commands_print_their_help(cli: Cli, argv: tuple[str, ...]) -> None:
    result = cli(*argv)
    assert result.code == 0 and result.out.startswith("usage: chainsaw-py " + " ".join(argv))


@pytest.mark.parametrize("argv", [("migrate", "kuttl", "tests"), ("create", "test"), ("renovate", "config"),
                                  ("build", "docs", "extra"), ("migrate", "kuttl", "tests", "--foo", ".")])
def test_usage_errors(cli: Cli, argv: tuple[str, ...]) -> None:
    assert cli(*argv).code == 2
