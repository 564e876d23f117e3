"""``chainsaw-py completion bash|zsh|fish|powershell``: shell completion scripts, as Chainsaw's (cobra's)
``completion`` command offers them.

Each script asks the program itself what may come next: the hidden ``__complete`` command (and
``__completeNoDesc``) takes the words typed so far, the last one being the word under the cursor, and prints
one candidate per line (``value<TAB>description``) followed by ``:<directive>``, the bits of cobra's
``ShellCompDirective``: 1 error, 2 no space, 4 no file completion, 8 filter file extensions, 16 directories
only. So the scripts stay short and never go stale when commands or flags change.
"""

from __future__ import annotations

import re
import sys

from chainsaw_py.commands.flags import Flag, unquote_usage
from chainsaw_py.commands.tree import Arguments, Command, no_args

DIRECTIVE_ERROR = 1
DIRECTIVE_NO_SPACE = 2
DIRECTIVE_NO_FILE = 4
DIRECTIVE_FILTER_DIRS = 16
DIRECTIVE_DEFAULT = 0
SHELLS = ("bash", "zsh", "fish", "powershell")
LIST_KINDS = ("strings", "stringArray")


def command(root_name: str) -> Command:
    completion = Command(
        "completion", "Generate the autocompletion script for the specified shell", args=no_args,
        long=f"Generate the autocompletion script for {root_name} for the specified shell.\n"
             "See each sub-command's help for details on how to use the generated script.\n")
    for shell in SHELLS:
        script = Command(shell, f"Generate the autocompletion script for {shell}", run=run_script, args=no_args,
                         long=_loading_help(root_name, shell))
        script.flag("no-descriptions", "bool", "disable completion descriptions", value=False)
        completion.add(script)
    return completion


def hidden_commands() -> list[Command]:
    return [Command(name, "Request shell completion choices for the specified command-line", run=run_complete,
                    hidden=True, disable_flag_parsing=True) for name in ("__complete", "__completeNoDesc")]


def _loading_help(root_name: str, shell: str) -> str:
    how = {
        "bash": f"\tsource <({root_name} completion bash)\n\nor, for every new session (needs the "
                f"'bash-completion' package):\n\n\t{root_name} completion bash > "
                f"/etc/bash_completion.d/{root_name}",
        "zsh": f"\tsource <({root_name} completion zsh)\n\nor, for every new session, save it as "
               f'"_{root_name}" in a directory of your $fpath (compinit must be enabled).',
        "fish": f"\t{root_name} completion fish | source\n\nor, for every new session:\n\n\t{root_name} "
                f"completion fish > ~/.config/fish/completions/{root_name}.fish",
        "powershell": f"\t{root_name} completion powershell | Out-String | Invoke-Expression\n\nor, for every "
                      "new session, add that line to your PowerShell profile.",
    }[shell]
    return (f"Generate the autocompletion script for the {shell} shell.\n\nTo load completions in your "
            f"current shell session:\n\n{how}\n")


def run_script(args: Arguments) -> int:
    root = args.command.root
    program = root.name
    function = "__" + re.sub(r"\W", "_", program) + "_complete"
    request = "__completeNoDesc" if args.no_descriptions else "__complete"
    script = SCRIPTS[args.command.name].replace("PROGRAM", program).replace("FUNCTION", function)
    sys.stdout.write(script.replace("REQUEST", request))
    return 0


def run_complete(args: Arguments) -> int:
    words = list(args.args) or [""]
    candidates, directive = complete(args.command.root, words[:-1], words[-1])
    for value, description in candidates:
        with_description = description and args.command.name == "__complete"
        print(f"{value}\t{_one_line(description)}" if with_description else value)
    print(f":{directive}")
    return 0


def _one_line(text: str) -> str:
    return text.split("\n", 1)[0]


def complete(root: Command, typed: list[str], current: str) -> tuple[list[tuple[str, str]], int]:
    """What may replace ``current`` after the words ``typed``: candidates and the directive."""
    command, rest = root.find(typed)
    if command is root and _words(command, rest):
        return [], DIRECTIVE_ERROR
    if current.startswith("-") and "=" in current:
        name, _, value = current.partition("=")
        flag = _flag_named(command, name)
        if flag is None or not flag.takes_value:
            return [], DIRECTIVE_NO_FILE
        candidates, directive = _values(flag, value)
        return [(f"{name}={candidate}", text) for candidate, text in candidates], directive
    if rest and rest[-1].startswith("-") and "=" not in rest[-1]:
        flag = _flag_named(command, rest[-1])
        if flag is not None and flag.takes_value:
            return _values(flag, current)
    if current.startswith("-"):
        return _flags(command, rest, current), DIRECTIVE_NO_FILE
    return _arguments(command, _words(command, rest), current)


def _flag_named(command: Command, spelled: str) -> Flag | None:
    if spelled.startswith("--"):
        return command.flags.by_name(spelled[2:])
    return command.flags.by_shorthand(spelled[1:]) if len(spelled) == 2 else None


def _values(flag: Flag, prefix: str) -> tuple[list[tuple[str, str]], int]:
    if flag.choices:
        return [(choice, "") for choice in flag.choices if choice.startswith(prefix)], DIRECTIVE_NO_FILE
    if flag.dirname:
        return [], DIRECTIVE_FILTER_DIRS
    if flag.kind in ("int", "duration"):
        return [], DIRECTIVE_NO_FILE
    return [], DIRECTIVE_DEFAULT


def _flags(command: Command, rest: list[str], current: str) -> list[tuple[str, str]]:
    given = {token.lstrip("-").split("=", 1)[0] for token in rest if token.startswith("--")}
    candidates: list[tuple[str, str]] = []
    for flag in sorted(command.flags.flags, key=lambda item: item.name):
        if flag.hidden or (flag.name in given and flag.kind not in LIST_KINDS):
            continue
        description = unquote_usage(flag)[1]
        spellings = [f"--{flag.name}"]
        if flag.shorthand and not current.startswith("--"):
            spellings.append(f"-{flag.shorthand}")
        candidates.extend((spelled, description) for spelled in spellings if spelled.startswith(current))
    return candidates


def _words(command: Command, rest: list[str]) -> list[str]:
    """The positional arguments among ``rest`` (flags and their values left out)."""
    words: list[str] = []
    position = 0
    while position < len(rest):
        token = rest[position]
        position += 1
        if token == "--":
            words.extend(rest[position:])
            break
        if token.startswith("-") and len(token) > 1:
            flag = _flag_named(command, token)
            if flag is not None and flag.takes_value and "=" not in token:
                position += 1
            continue
        words.append(token)
    return words


def _arguments(command: Command, words: list[str], current: str) -> tuple[list[tuple[str, str]], int]:
    if command.is_help:
        target, rest = command.root.find(words)
        if rest:
            return [], DIRECTIVE_NO_FILE
        return [(child.name, child.short) for child in target.available_children()
                if child.name.startswith(current)], DIRECTIVE_NO_FILE
    children = command.listed_children() if command.parent is None else command.available_children()
    if children and not words:
        return [(child.name, child.short) for child in children if child.name.startswith(current)], \
            DIRECTIVE_NO_FILE
    if command.valid_args:
        if words:
            return [], DIRECTIVE_NO_FILE
        return [(value, "") for value in command.valid_args if value.startswith(current)], DIRECTIVE_NO_FILE
    if command.args is no_args or command.run is None:
        return [], DIRECTIVE_NO_FILE
    if command.args is not None and command.args(command, [*words, current]) is not None \
            and command.args(command, words) is None:
        return [], DIRECTIVE_NO_FILE
    return [], DIRECTIVE_DEFAULT


BASH = r"""# bash completion for PROGRAM (generated by "PROGRAM completion bash")
FUNCTION() {
    local line="${COMP_LINE:0:COMP_POINT}" current="" out directive
    local -a words
    read -r -a words <<< "$line"
    if [[ -z "$line" || "$line" == *[[:space:]] ]]; then
        words+=("")
    fi
    current="${words[${#words[@]}-1]}"
    out=$("${words[0]}" REQUEST "${words[@]:1}" 2>/dev/null) || return 0
    directive="${out##*:}"
    if [[ "$out" == *$'\n'* ]]; then out="${out%$'\n'*}"; else out=""; fi
    COMPREPLY=()
    (( directive & 1 )) && return 0
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    local word="${COMP_WORDS[COMP_CWORD]}"
    if (( directive & 16 )); then
        mapfile -t COMPREPLY < <(compgen -d -- "$word")
        return 0
    fi
    local candidate
    while IFS= read -r candidate; do
        [[ -z "$candidate" ]] && continue
        candidate="${candidate%%$'\t'*}"
        if [[ "$current" == -*=* && "$word" != -*=* ]]; then
            candidate="${candidate#*=}"
        fi
        COMPREPLY+=("$candidate")
    done <<< "$out"
    if (( ${#COMPREPLY[@]} == 0 )) && ! (( directive & 4 )); then
        mapfile -t COMPREPLY < <(compgen -f -- "$word")
    fi
    return 0
}
complete -o default -o bashdefault -F FUNCTION PROGRAM 2>/dev/null || complete -o default -F FUNCTION PROGRAM
"""

ZSH = r"""#compdef PROGRAM
# zsh completion for PROGRAM (generated by "PROGRAM completion zsh")
FUNCTION() {
    local out directive line value
    local -a lines candidates
    out=$(${words[1]} REQUEST "${(@)words[2,$CURRENT]}" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    directive=${lines[-1]#:}
    lines=("${(@)lines[1,-2]}")
    (( directive & 1 )) && return 1
    if (( directive & 16 )); then
        _files -/
        return
    fi
    for line in $lines; do
        [[ -z $line ]] && continue
        value=${line%%$'\t'*}
        value=${value//:/\\:}
        if [[ $line == *$'\t'* ]]; then
            candidates+=("$value:${line#*$'\t'}")
        else
            candidates+=("$value")
        fi
    done
    if (( ${#candidates} )); then
        if (( directive & 2 )); then
            _describe -t values 'PROGRAM' candidates -S ''
        else
            _describe -t values 'PROGRAM' candidates
        fi
    elif ! (( directive & 4 )); then
        _files
    fi
}
if [[ "${funcstack[1]}" == "_PROGRAM" ]]; then
    FUNCTION "$@"
else
    compdef FUNCTION PROGRAM
fi
"""

FISH = r"""# fish completion for PROGRAM (generated by "PROGRAM completion fish")
function FUNCTION
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] REQUEST $tokens[2..-1] $current 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    if test (math "bitand($directive, 1)") -ne 0
        return
    end
    if test (math "bitand($directive, 16)") -ne 0
        __fish_complete_directories $current
        return
    end
    if test (count $out) -eq 0
        if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path $current
        end
        return
    end
    printf '%s\n' $out
end
complete -c PROGRAM -f -a '(FUNCTION)'
"""

POWERSHELL = r"""# powershell completion for PROGRAM (generated by "PROGRAM completion powershell")
Register-ArgumentCompleter -Native -CommandName 'PROGRAM' -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    $words = @($CommandAst.CommandElements | Where-Object { $_.Extent.EndOffset -le $CursorPosition } |
        ForEach-Object { $_.Extent.Text })
    $program = $words[0]
    $arguments = @($words | Select-Object -Skip 1)
    if ($WordToComplete -eq '') { $arguments += '' }
    elseif ($arguments.Count -gt 0) { $arguments[-1] = $WordToComplete }
    $PSNativeCommandArgumentPassing = 'Standard'
    $out = @(& $program REQUEST @arguments 2>$null)
    if ($out.Count -eq 0) { return }
    $directive = [int]($out[-1].TrimStart(':'))
    if ($directive -band 1) { return }
    $candidates = @($out | Select-Object -SkipLast 1)
    if ($candidates.Count -eq 0) {
        if ($directive -band 4) { return '' }
        return
    }
    foreach ($candidate in $candidates) {
        $value, $description = $candidate -split "`t", 2
        if (-not $description) { $description = $value }
        [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $description)
    }
}
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH, "powershell": POWERSHELL}
