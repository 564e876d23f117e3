"""The command tree as Chainsaw's (spf13/cobra) presents it: finding the command, checking its arguments,
help and usage text, error lines and exit codes.

A command is found by its path of names; its flags are then parsed (``flags.FlagSet``), ``-h``/``--help``
prints its help, and its arguments are checked by its ``args`` rule. Every error is one line on standard
error, ``Error: <message>``, and exit code 1; an unknown command adds cobra's suggestion and its
``Run '<path> --help' for usage.`` line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TextIO

from chainsaw_py.commands.flags import Flag, FlagError, FlagSet, HelpRequested

Arguments = SimpleNamespace
"""What a handler receives: its flags' values by name, ``args`` (its positional arguments), ``changed`` (the
flags set on the command line) and ``command``."""
MIN_NAME_PADDING = 11
SUGGESTION_DISTANCE = 2
Handler = Callable[[Arguments], int]
ArgsRule = Callable[["Command", list[str]], "str | None"]


class UsageError(Exception):
    """Arguments a command does not accept; the message is cobra's."""


@dataclass
class Command:
    """A command of the tree, as cobra's ``Command``: usage, help texts, handler, argument rule, flags and sub-commands."""

    use: str
    short: str
    long: str = ""
    example: str = ""
    run: Handler | None = None
    args: ArgsRule | None = None
    valid_args: tuple[str, ...] = ()
    hidden: bool = False
    flags: FlagSet = field(default_factory=FlagSet)
    children: list[Command] = field(default_factory=list)
    parent: Command | None = None
    is_help: bool = False
    disable_flag_parsing: bool = False

    def __post_init__(self) -> None:
        self.flags.add(Flag("help", "bool", f"help for {self.name}", shorthand="h", dest="_help"))

    @property
    def name(self) -> str:
        return self.use.split(" ", 1)[0]

    def add(self, *children: Command) -> Command:
        for child in children:
            child.parent = self
            self.children.append(child)
        return self

    def flag(self, name: str, kind: str, usage: str, **options: Any) -> Flag:
        return self.flags.add(Flag(name, kind, usage, **options))

    def child(self, name: str) -> Command | None:
        return next((child for child in self.children if child.name == name), None)

    @property
    def path(self) -> str:
        return f"{self.parent.path} {self.name}" if self.parent else self.name

    @property
    def root(self) -> Command:
        return self.parent.root if self.parent else self

    @property
    def runnable(self) -> bool:
        return self.run is not None

    @property
    def available(self) -> bool:
        return not self.hidden and not self.is_help

    def available_children(self) -> list[Command]:
        return sorted((child for child in self.children if child.available), key=lambda child: child.name)

    def listed_children(self) -> list[Command]:
        """The children a usage lists: the available ones and the help command."""
        return sorted((child for child in self.children if child.available or child.is_help),
                      key=lambda child: child.name)

    def use_line(self) -> str:
        line = f"{self.parent.path} {self.use}" if self.parent else self.use
        return line if "[flags]" in line else line + " [flags]"

    def usage(self) -> str:
        text = "Usage:"
        if self.runnable:
            text += f"\n  {self.use_line()}"
        if self.available_children():
            text += f"\n  {self.path} [command]"
        if self.example:
            text += f"\n\nExamples:\n{self.example}"
        if self.available_children():
            padding = max([MIN_NAME_PADDING, *(len(child.name) for child in self.children if not child.hidden)])
            text += "\n\nAvailable Commands:"
            text += "".join(f"\n  {child.name.ljust(padding)} {child.short}" for child in self.listed_children())
        text += "\n\nFlags:\n" + self.flags.usages().rstrip()
        if self.available_children():
            text += f'\n\nUse "{self.path} [command] --help" for more information about a command.'
        return text + "\n"

    def help(self) -> str:
        about = (self.long or self.short).rstrip()
        text = f"{about}\n\n" if about else ""
        if self.runnable or self.children:
            text += self.usage()
        return text

    def find(self, argv: Sequence[str]) -> tuple[Command, list[str]]:
        """The command ``argv`` names (cobra's ``Find``) and the arguments left for it."""
        command, rest = self, list(argv)
        while True:
            position = _first_word(command, rest)
            if position is None:
                return command, rest
            child = command.child(rest[position])
            if child is None:
                return command, rest
            command = child
            del rest[position]


def _first_word(command: Command, argv: list[str]) -> int | None:
    """The index of the first argument that is not a flag or a flag's value."""
    position = 0
    while position < len(argv):
        token = argv[position]
        if token == "--":
            return None
        if token.startswith("--") and "=" not in token:
            flag = command.flags.by_name(token[2:])
            position += 2 if flag is not None and flag.takes_value else 1
        elif token.startswith("-") and len(token) == 2:
            flag = command.flags.by_shorthand(token[1])
            position += 2 if flag is not None and flag.takes_value else 1
        elif token.startswith("-") and len(token) > 1:
            position += 1
        else:
            return position
    return None


def no_args(command: Command, args: list[str]) -> str | None:
    return f'unknown command "{args[0]}" for "{command.path}"' if args else None


def exact_args(count: int) -> ArgsRule:
    def rule(_command: Command, args: list[str]) -> str | None:
        return None if len(args) == count else f"accepts {count} arg(s), received {len(args)}"
    return rule


def minimum_args(count: int) -> ArgsRule:
    def rule(_command: Command, args: list[str]) -> str | None:
        return None if len(args) >= count else f"requires at least {count} arg(s), only received {len(args)}"
    return rule


def range_args(low: int, high: int) -> ArgsRule:
    def rule(_command: Command, args: list[str]) -> str | None:
        if low <= len(args) <= high:
            return None
        return f"accepts between {low} and {high} arg(s), received {len(args)}"
    return rule


def only_valid_args(count: int) -> ArgsRule:
    """cobra's ``MatchAll(ExactArgs(count), OnlyValidArgs)``."""
    def rule(command: Command, args: list[str]) -> str | None:
        problem = exact_args(count)(command, args)
        if problem:
            return problem
        for arg in args:
            if arg not in command.valid_args:
                return f'invalid argument "{arg}" for "{command.path}"{suggestions(command, args[0])}'
        return None
    return rule


def suggestions(command: Command, typed: str) -> str:
    """cobra's "Did you mean this?" block: names within two edits of ``typed``, or that it prefixes."""
    names = [child.name for child in command.available_children()] or list(command.valid_args)
    close = [name for name in names
             if _distance(typed.lower(), name.lower()) <= SUGGESTION_DISTANCE
             or name.lower().startswith(typed.lower())]
    if not close:
        return ""
    return "\n\nDid you mean this?\n" + "".join(f"\t{name}\n" for name in close)


def _distance(left: str, right: str) -> int:
    previous = list(range(len(right) + 1))
    for row, left_char in enumerate(left, 1):
        current = [row]
        for column, right_char in enumerate(right, 1):
            current.append(min(previous[column] + 1, current[column - 1] + 1,
                               previous[column - 1] + (left_char != right_char)))
        previous = current
    return previous[-1]


def execute(root: Command, argv: Sequence[str], stdout: TextIO | None = None,
            stderr: TextIO | None = None) -> int:
    """Run the command ``argv`` names; cobra's output and exit code (0, or 1 for any error)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    command, rest = root.find(argv)
    unknown = _first_word(root, rest) if command is root and root.children else None
    if unknown is not None:
        word = rest[unknown]
        print(f'Error: unknown command "{word}" for "{root.path}"{suggestions(root, word)}', file=err)
        print(f"Run '{root.path} --help' for usage.", file=err)
        return 1
    if command.disable_flag_parsing and command.run is not None:
        return command.run(Arguments(args=rest, changed=set(), command=command))
    try:
        values, changed, positionals = command.flags.parse(rest)
        if values.pop("_help", False):
            raise HelpRequested()
        _check(command, changed, positionals)
    except HelpRequested:
        out.write(command.help())
        return 0
    except (FlagError, UsageError) as problem:
        print(f"Error: {problem}", file=err)
        return 1
    if command.run is None:
        out.write(command.help())
        return 0
    namespace = Arguments(**values, args=positionals, changed=changed, command=command)
    return command.run(namespace)


def _check(command: Command, changed: set[str], positionals: list[str]) -> None:
    problem = command.args(command, positionals) if command.args is not None else None
    if problem:
        raise UsageError(problem)
    missing = [flag.name for flag in command.flags.flags if flag.required and flag.name not in changed]
    if missing:
        raise UsageError("required flag(s) " + ", ".join(f'"{name}"' for name in missing) + " not set")


def show_help(args: Arguments) -> int:
    """The handler of a command that only groups others: its help, as cobra's ``cmd.Help()``."""
    sys.stdout.write(args.command.help())
    return 0


def help_command(root_name: str) -> Command:
    """cobra's ``help [command]``."""
    return Command("help [command]", "Help about any command", run=_run_help, is_help=True,
                   long="Help provides help for any command in the application.\n"
                        f"Simply type {root_name} help [path to command] for full details.")


def _run_help(args: Arguments) -> int:
    root = args.command.root
    target, rest = root.find(args.args)
    if target is root and rest:
        print("Unknown help topic [" + " ".join(f"`{word}`" for word in args.args) + "]", file=sys.stderr)
        sys.stderr.write(root.usage())
        return 0
    sys.stdout.write(target.help())
    return 0
