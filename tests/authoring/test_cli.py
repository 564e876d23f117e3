"""The command line's flags and commands as pflag and cobra read them: boolean flags, values, errors, usage."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.cli import build_root
from chainsaw_py.commands.flags import GO_BOOLS, Flag, FlagError, FlagSet
from tests.authoring.conftest import Cli


def test_commands_are_registered() -> None:
    names = {child.name for child in build_root().children}
    assert {"assert", "build", "completion", "create", "docs", "export", "help", "lint", "migrate", "renovate",
            "test", "version", "cluster"} <= names


def _flags() -> FlagSet:
    flags = FlagSet()
    flags.add(Flag("save", "bool", "save it", value=False))
    flags.add(Flag("description", "bool", "describe", value=True))
    flags.add(Flag("config", "string", "a file"))
    flags.add(Flag("kube-namespace", "string", "ns", shorthand="n"))
    flags.add(Flag("timeout", "duration", "how long"))
    flags.add(Flag("parallel", "int", "how many"))
    flags.add(Flag("test-dir", "strings", "dirs", value=[]))
    flags.add(Flag("set", "stringArray", "values", value=[]))
    return flags


@pytest.mark.parametrize(("argv", "expected", "positionals"), [
    ([], {"save": False, "description": True}, []),
    (["--save"], {"save": True}, []),
    (["--save=false", "--description=0"], {"save": False, "description": False}, []),
    (["--save=T", "--description=TRUE"], {"save": True, "description": True}, []),
    (["--save", "false"], {"save": True}, ["false"]),  # a bool flag never takes the next argument
    (["--save", "./suite"], {"save": True}, ["./suite"]),
    (["a", "b", "--save=true"], {"save": True}, ["a", "b"]),
    (["--save=true", "--save=false"], {"save": False}, []),
    (["--config", "c.yaml", "x"], {"config": "c.yaml"}, ["x"]),
    (["--config=a=b"], {"config": "a=b"}, []),
    (["-n", "ns"], {"kube_namespace": "ns"}, []),
    (["-nns"], {"kube_namespace": "ns"}, []),
    (["-n=ns"], {"kube_namespace": "ns"}, []),
    (["--timeout", "90s"], {"timeout": "1m30s"}, []),
    (["--parallel", "0x10"], {"parallel": 16}, []),
    (["--parallel=010"], {"parallel": 8}, []),
    (["--test-dir", "a,b", "--test-dir", '"c,d"'], {"test_dir": ["a", "b", "c,d"]}, []),
    (["--set", "a=1,b=2", "--set", "c=3"], {"set": ["a=1,b=2", "c=3"]}, []),
    (["--", "--save", "-n"], {"save": False}, ["--save", "-n"]),
    (["-"], {}, ["-"]),
])
def test_pflag_parsing(argv: list[str], expected: dict[str, Any], positionals: list[str]) -> None:
    values, _, rest = _flags().parse(argv)
    assert {key: values[key] for key in expected} == expected
    assert rest == positionals


@pytest.mark.parametrize(("argv", "message"), [
    (["--save=yes"], 'invalid argument "yes" for "--save" flag: strconv.ParseBool: parsing "yes": invalid syntax'),
    (["--nope"], "unknown flag: --nope"),
    (["-x"], "unknown shorthand flag: 'x' in -x"),
    (["--config"], "flag needs an argument: --config"),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["---x"], "bad flag syntax: ---x"),
    (["--timeout", "10"], 'invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"'),
    (["--timeout=1x"], 'invalid argument "1x" for "--timeout" flag: time: unknown unit "x" in duration "1x"'),
    (["--parallel", "two"], 'invalid argument "two" for "--parallel" flag: strconv.ParseInt: parsing "two": '
                            "invalid syntax"),
    (["-n="], None),
])
def test_pflag_errors(argv: list[str], message: str | None) -> None:
    if message is None:
        assert _flags().parse(argv)[0]["kube_namespace"] == ""
        return
    with pytest.raises(FlagError) as error:
        _flags().parse(argv)
    assert str(error.value) == message


def test_go_bool_spellings() -> None:
    assert sorted(GO_BOOLS) == sorted(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false",
                                       "False"])


def test_usages_align_and_show_go_defaults() -> None:
    text = _flags().usages()
    assert "      --description             describe (default true)\n" in text
    assert "  -n, --kube-namespace string   ns\n" in text
    assert "--save " in text and "--save=" not in text


@pytest.mark.parametrize("argv", [("migrate",), ("migrate", "kuttl"), ("build",), ("create",), ("renovate",),
                                  ("export",), ("completion",)])
def test_group_commands_print_their_help(cli: Cli, argv: tuple[str, ...]) -> None:
    result = cli(*argv)
    assert result.code == 0 and "Usage:\n" in result.out
    assert f'Use "chainsaw-py {" ".join(argv)} [command] --help"' in result.out


@pytest.mark.parametrize(("argv", "message"), [
    (("migrate", "kuttl", "tests"), "requires at least 1 arg(s), only received 0"),
    (("create", "test"), "requires at least 1 arg(s), only received 0"),
    (("renovate", "config"), "accepts 1 arg(s), received 0"),
    (("build", "docs", "extra"), 'unknown command "extra" for "chainsaw-py build docs"'),
    (("migrate", "kuttl", "tests", "--foo", "."), "unknown flag: --foo"),
    (("lint", "tests"), 'invalid argument "tests" for "chainsaw-py lint"\n\nDid you mean this?\n\ttest\n'),
    (("test", "--no-cluster=maybe"), 'invalid argument "maybe" for "--no-cluster" flag: strconv.ParseBool: '
                                     'parsing "maybe": invalid syntax'),
    (("test", "--cleanup-delay", "10"), 'invalid argument "10" for "--cleanup-delay" flag: time: missing unit in '
                                        'duration "10"'),
    (("test", "--force-termination-grace-period", "10"), 'invalid argument "10" for '
                                                         '"--force-termination-grace-period" flag: time: missing '
                                                         'unit in duration "10"'),
    (("docs",), 'required flag(s) "output" not set'),
    (("test", "--no-cluster", "--default-compiler", "go"), 'invalid value "go" for --default-compiler: expected '
                                                           "one of jp, cel, jsonpath"),
    (("test", "--no-cluster", "--report-format=json"), 'invalid value "json" for --report-format: expected one '
                                                       "of JSON, XML, JUNIT-TEST, JUNIT-STEP, JUNIT-OPERATION, HTML"),
    (("test", "--no-cluster", "--report-format=JSON,PDF"), 'invalid value "JSON,PDF" for --report-format: '
                                                           "expected one of JSON, XML, JUNIT-TEST, JUNIT-STEP, "
                                                           "JUNIT-OPERATION, HTML"),
])
def test_usage_errors_are_one_error_and_exit_1(cli: Cli, argv: tuple[str, ...], message: str) -> None:
    result = cli(*argv)
    assert (result.code, result.out, result.err) == (1, "", f"Error: {message}\n")


def test_unknown_command_suggests_and_points_to_help(cli: Cli) -> None:
    result = cli("tset")
    assert result.code == 1 and result.out == ""
    assert result.err == ('Error: unknown command "tset" for "chainsaw-py"\n\nDid you mean this?\n\ttest\n\n'
                          "Run 'chainsaw-py --help' for usage.\n")


def test_bool_flag_before_a_test_directory(cli: Cli, tmp_path: Any) -> None:
    (tmp_path / "suite").mkdir()
    result = cli("test", "--no-cluster", "suite", "--fail-fast", "--skip-delete")
    assert result.code == 0, result.err
    assert "- TestDirs [suite]" in result.out and "- NoCluster true" in result.out and "- FailFast true" in result.out


@pytest.mark.parametrize("argv", [("help", "version"), ("version", "--help"), ("version", "-h")])
def test_help_of_a_command(cli: Cli, argv: tuple[str, ...]) -> None:
    result = cli(*argv)
    assert result.code == 0
    assert result.out == ("Print the version informations\n\nUsage:\n  chainsaw-py version [flags]\n\nFlags:\n"
                          "  -h, --help   help for version\n")
