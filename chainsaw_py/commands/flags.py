"""Flags as Chainsaw's command line reads them (spf13/pflag): parsing, values and the usage block.

pflag's rules, which scripts written for Chainsaw rely on: a boolean flag never takes the next argument
(``--flag``, ``--flag=true|false`` only); a value flag takes ``--flag=value`` or ``--flag value``; shorthands
combine (``-n value``, ``-nvalue``, ``-n=value``); ``--`` ends the flags; flags and arguments interleave.
Errors are pflag's messages (``unknown flag: --x``, ``invalid argument "10" for "--assert-timeout" flag: time:
missing unit in duration "10"``), raised as :class:`FlagError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.golang.durations import DurationError, format_duration_ns, parse_duration_ns

GO_BOOLS: dict[str, bool] = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# the type name a flag shows in usage, and the text of its zero value (no "(default ...)" for it)
ZERO_TEXT: dict[str, str] = {"bool": "false", "string": "", "int": "0", "duration": "0s", "strings": "[]",
                             "stringArray": "[]"}


class FlagError(Exception):
    """A command line that pflag would reject; the message is pflag's."""


@dataclass
class Flag:
    """One flag. ``value`` is what the command sees when the flag is not given (None: "not set", so the
    configuration file's value stands); ``default_text`` is the default the usage shows, as Go prints it."""

    name: str
    kind: str
    usage: str
    value: Any = None
    default_text: str | None = None
    shorthand: str = ""
    dest: str = ""
    hidden: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    dirname: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ZERO_TEXT:
            raise ValueError(f"unknown flag kind {self.kind}")
        self.dest = self.dest or self.name.replace("-", "_")
        if self.default_text is None:
            self.default_text = _go_text(self.kind, self.value)

    @property
    def takes_value(self) -> bool:
        return self.kind != "bool"

    def convert(self, text: str) -> Any:
        """The value of ``text`` for this flag, or FlagError with pflag's cause."""
        try:
            return CONVERTERS[self.kind](text)
        except (ValueError, DurationError) as err:
            raise FlagError(f'invalid argument "{_go_quote(text)}" for "{self.spelled}" flag: {err}') from None

    @property
    def spelled(self) -> str:
        return f"-{self.shorthand}, --{self.name}" if self.shorthand else f"--{self.name}"


def _go_text(kind: str, value: Any) -> str:
    if value is None:
        return ZERO_TEXT[kind]
    if kind == "bool":
        return "true" if value else "false"
    if kind == "duration":
        return format_duration_ns(parse_duration_ns(value)) if isinstance(value, str) else str(value)
    if kind in ("strings", "stringArray"):
        return "[" + ",".join(value) + "]"
    return str(value)


def _go_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def parse_bool(text: str) -> bool:
    if text not in GO_BOOLS:
        raise ValueError(f'strconv.ParseBool: parsing "{_go_quote(text)}": invalid syntax')
    return GO_BOOLS[text]


def parse_int(text: str) -> int:
    """Go's ``strconv.ParseInt(text, 0, 64)``: base prefixes, a leading 0 for octal, underscores."""
    body = text[1:] if text[:1] in "+-" else text
    try:
        if len(body) > 1 and body[0] == "0" and body[1].isdigit():
            number = int(text[: len(text) - len(body)] + "0o" + body[1:], 0)
        else:
            number = int(text, 0)
    except ValueError:
        raise ValueError(f'strconv.ParseInt: parsing "{_go_quote(text)}": invalid syntax') from None
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f'strconv.ParseInt: parsing "{_go_quote(text)}": value out of range')
    return number


def parse_duration_flag(text: str) -> str:
    """A duration flag's value, normalised as Go prints it (``90s`` → ``1m30s``)."""
    return format_duration_ns(parse_duration_ns(text))


def parse_csv(text: str) -> list[str]:
    """pflag's StringSlice: one line of CSV (quotes allowed); an empty value is an empty list."""
    if text == "":
        return []
    import csv  # only for such a flag given on the command line
    import io

    try:
        return next(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as err:
        raise ValueError(str(err)) from None


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "bool": parse_bool, "string": str, "int": parse_int, "duration": parse_duration_flag,
    "strings": parse_csv, "stringArray": lambda text: [text],
}


@dataclass
class FlagSet:
    """The flags of one command, plus the values and positional arguments of one parse."""

    flags: list[Flag] = field(default_factory=list)

    def add(self, flag: Flag) -> Flag:
        self.flags.append(flag)
        return flag

    def by_name(self, name: str) -> Flag | None:
        return next((flag for flag in self.flags if flag.name == name), None)

    def by_shorthand(self, letter: str) -> Flag | None:
        return next((flag for flag in self.flags if flag.shorthand == letter), None)

    def parse(self, argv: Sequence[str]) -> tuple[dict[str, Any], set[str], list[str]]:
        """Values by dest, the names of the flags given, and the positional arguments."""
        values: dict[str, Any] = {flag.dest: _copy(flag.value) for flag in self.flags}
        changed: set[str] = set()
        positionals: list[str] = []
        rest = list(argv)
        while rest:
            token = rest.pop(0)
            if token == "--":
                positionals.extend(rest)
                break
            if len(token) < 2 or not token.startswith("-"):
                positionals.append(token)
            elif token.startswith("--"):
                self._parse_long(token, rest, values, changed)
            else:
                self._parse_shorthands(token, rest, values, changed)
        return values, changed, positionals

    def _parse_long(self, token: str, rest: list[str], values: dict[str, Any], changed: set[str]) -> None:
        name, equals, text = token[2:].partition("=")
        if not name or name[0] in "-=":
            raise FlagError(f"bad flag syntax: {token}")
        flag = self.by_name(name)
        if flag is None:
            raise HelpRequested() if name == "help" else FlagError(f"unknown flag: --{name}")
        if not equals:
            if not flag.takes_value:
                text = "true"
            elif rest:
                text = rest.pop(0)
            else:
                raise FlagError(f"flag needs an argument: --{name}")
        self._set(flag, text, values, changed)

    def _parse_shorthands(self, token: str, rest: list[str], values: dict[str, Any], changed: set[str]) -> None:
        letters = token[1:]
        while letters:
            letter, letters = letters[0], letters[1:]
            flag = self.by_shorthand(letter)
            if flag is None:
                if letter == "h":
                    raise HelpRequested()
                raise FlagError(f"unknown shorthand flag: '{letter}' in {token}")
            if letters.startswith("="):
                text, letters = letters[1:], ""
            elif not flag.takes_value:
                text = "true"
            elif letters:
                text, letters = letters, ""
            elif rest:
                text = rest.pop(0)
            else:
                raise FlagError(f"flag needs an argument: '{letter}' in {token}")
            self._set(flag, text, values, changed)

    @staticmethod
    def _set(flag: Flag, text: str, values: dict[str, Any], changed: set[str]) -> None:
        converted = flag.convert(text)
        if flag.kind in ("strings", "stringArray"):
            converted = [*(values[flag.dest] if flag.name in changed else []), *converted]
        values[flag.dest] = converted
        changed.add(flag.name)

    def usages(self) -> str:
        """pflag's ``FlagUsages``: one aligned line per visible flag, sorted by name."""
        rows: list[tuple[str, str]] = []
        for flag in sorted(self.flags, key=lambda item: item.name):
            if flag.hidden:
                continue
            head = f"  -{flag.shorthand}, --{flag.name}" if flag.shorthand else f"      --{flag.name}"
            varname, usage = unquote_usage(flag)
            if varname:
                head += " " + varname
            if flag.default_text != ZERO_TEXT[flag.kind]:
                shown = f'"{flag.default_text}"' if flag.kind == "string" else flag.default_text
                usage += f" (default {shown})"
            rows.append((head, usage))
        width = max((len(head) for head, _ in rows), default=0)
        return "".join(f"{head.ljust(width)}   {usage}\n" for head, usage in rows)


def unquote_usage(flag: Flag) -> tuple[str, str]:
    """The value name shown after a flag: a back-quoted word of its usage, else its type (none for bools)."""
    start = flag.usage.find("`")
    end = flag.usage.find("`", start + 1) if start >= 0 else -1
    if end > start >= 0:
        name = flag.usage[start + 1:end]
        return name, flag.usage[:start] + name + flag.usage[end + 1:]
    return ("" if flag.kind == "bool" else flag.kind), flag.usage


class HelpRequested(Exception):
    """``-h`` / ``--help`` was given (pflag's ErrHelp)."""


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
