"""Reliability of expressions: Go regexp semantics on RE2 (speed and accepted syntax), bounded nesting,
and no evaluation past the operation's deadline."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import Bindings, ExpressionError, ExpressionSyntaxError, evaluate
from chainsaw_py.expressions.deadline import DEADLINE_EXCEEDED, evaluation_deadline
from chainsaw_py.grammar.compilers import check_syntax
from chainsaw_py.runner.names import TestFilter
from chainsaw_py.util import limits

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter, so that a regression hangs a child (then fails) and not the suite."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_catastrophic_patterns_take_linear_time() -> None:
    # Python's re needs about 2**n steps here (8.5 s at 28 characters): RE2 answers at once at any length.
    result = run_python("""
        from chainsaw_py.expressions import Bindings, evaluate
        subject = "a" * 100_000 + "!"
        bindings = Bindings().register("s", subject)
        print(evaluate("regex_match('^(a+)+$', $s)", None, bindings))
        print(evaluate("length(regex_replace_all('(a*)*b', $s, 'x'))", None, bindings))
        print(evaluate("pattern_match('*a*a*a*a*a*a*a*a*b', $s)", None, bindings))
    """, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "100001", "False"]


@pytest.mark.parametrize(("pattern", "message"), [
    ("(a)\\\\1", "error parsing regexp: invalid escape sequence: `\\1`"),
    ("(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
    ("(?!a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"),
    ("(?<=a)b", "error parsing regexp: invalid or unsupported Perl syntax: `(?<=`"),
    ("a**", "error parsing regexp: invalid nested repetition operator: `**`"),
    ("x{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
    ("\\\\C", "error parsing regexp: invalid escape sequence: `\\C`"),
])
def test_go_regexp_syntax_and_messages(pattern: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="^" + _escape(message) + "$"):
        evaluate(f"regex_match('{pattern}', 'a')", None, Bindings())


@pytest.mark.parametrize(("expression", "expected"), [
    ("regex_match('(?P<x>a)(?<y>b)\\\\z', 'ab')", True),
    ("regex_match('^[[:alpha:]]+$', 'abc')", True),
    ("regex_match('\\\\pL', 'é')", True),
    ("regex_replace_all('x*', 'abxd', '-')", "-a-b-d-"),
    ("regex_replace_all('a(x*)b', 'axxb ab', '${1}W')", "xxW W"),
    ("regex_replace_all_literal('b*', 'abbbc', '$1')", "$1a$1c$1"),
])
def test_go_regexp_semantics(expression: str, expected: object) -> None:
    assert evaluate(expression, None, Bindings()) == expected


def test_cel_regex_functions_use_go_semantics() -> None:
    assert evaluate("'baaac'.findAll('a*')", None, Bindings(), "cel") == ["", "aaa", ""]
    with pytest.raises(ExpressionError, match="invalid or unsupported Perl syntax"):
        evaluate("'abc'.find('(?=a)')", None, Bindings(), "cel")


def test_test_filters_are_go_regexps() -> None:
    with pytest.raises(ChainsawError, match=r"^invalid regexp for -test.run: error parsing regexp: "
                                            r"missing closing \): `\(a`$"):
        TestFilter("(a", "")
    with pytest.raises(ChainsawError, match="invalid or unsupported Perl syntax"):
        TestFilter("", "(?=x)")


@pytest.mark.parametrize(("source", "compiler"), [
    ("(" * 20_000 + "a" + ")" * 20_000, "jp"),
    ("abs(" * 5_000 + "`1`" + ")" * 5_000, "jp"),
    ("!" * 20_000 + "a", "jp"),
    ("a" + " + a" * 20_000, "jp"),
    ("(" * 20_000 + "1" + ")" * 20_000, "cel"),
    ("object" + ".a" * 20_000, "cel"),  # once crashed the interpreter (native stack overflow)
    ("$" + ".a" * 20_000, "jsonpath"),
])
def test_deep_or_long_expressions_fail_with_one_line(source: str, compiler: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        check_syntax(source, compiler)
    assert "\n" not in str(caught.value)
    with pytest.raises(ExpressionError):
        evaluate(source, {"a": 1}, Bindings(), compiler)


def test_expression_limits_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EXPRESSION_DEPTH", 3)
    assert evaluate("((a))", {"a": 1}, Bindings()) == 1
    with pytest.raises(ExpressionSyntaxError, match="more than 3 levels"):
        check_syntax("((((a))))")
    monkeypatch.setattr(limits, "MAX_EXPRESSION_OPERATORS", 2)
    with pytest.raises(ExpressionSyntaxError, match="more than 2 operators"):
        check_syntax("a.b.c.d")
    monkeypatch.setattr(limits, "MAX_EXPRESSION_LENGTH", 5)
    with pytest.raises(ExpressionSyntaxError, match="expression too long: 6 characters"):
        check_syntax("abcdef", "cel")


def test_huge_literals_are_one_line_errors() -> None:
    with pytest.raises(ExpressionSyntaxError, match="cannot unmarshal number"):
        check_syntax("`" + "9" * 5_000 + "`")
    with pytest.raises(ExpressionSyntaxError, match="exceeded max depth"):
        check_syntax("`" + "[" * 20_000 + "]" * 20_000 + "`")
    assert evaluate("to_number($n)", None, Bindings().register("n", "9" * 5_000)) is None


def test_evaluation_stops_at_the_deadline() -> None:
    items = list(range(3_000_000))
    bindings = Bindings().register("items", items)
    with evaluation_deadline(0.0), pytest.raises(ExpressionError, match=f"^{DEADLINE_EXCEEDED}$"):
        evaluate("$items[?@ > `-1`] | [*].to_string(@)", None, bindings)
    with evaluation_deadline(60.0):
        assert evaluate("length($items[?@ > `2999998`])", None, bindings) == 1


def test_an_operation_stops_evaluating_at_its_timeout(tmp_path: Path) -> None:
    # a check over a large output that would take far longer than the operation's 1s timeout
    test = tmp_path / "chainsaw-test.yaml"
    test.write_text(textwrap.dedent("""\
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: slow-check
        spec:
          steps:
          - try:
            - script:
                timeout: 1s
                content: python3 -c "print('a ' * 2000)"
                check:
                  (length(split($stdout, ' ')[].split($stdout, ' ')[].split($stdout, ' ')[]) > `0`): true
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(tmp_path), "--no-cluster"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert DEADLINE_EXCEEDED in result.stdout


def _escape(text: str) -> str:
    import re

    return re.escape(text)


# -- CEL under the deadline -----------------------------------------------------------------------------

_BIG_LIST = "[" + ",".join(str(number) for number in range(3_000)) + "]"


@pytest.mark.parametrize("source", [
    f"{_BIG_LIST}.all(x, {_BIG_LIST}.all(y, x + y >= 0))",
    f"{_BIG_LIST}.map(x, {_BIG_LIST}.filter(y, y > x)).size() > 0",
    f"{_BIG_LIST}.exists(x, {_BIG_LIST}.exists_one(y, y == -1)) || {_BIG_LIST}.existsOne(x, x < 0)",
    # the deadline's error absorbed by `||` at every level still ends the evaluation with it
    f"({_BIG_LIST}.all(x, {_BIG_LIST}.all(y, x + y < 0) || true)) || true",
])
def test_cel_macros_stop_at_the_deadline(source: str) -> None:
    # 9 million native iterations (several seconds); with no deadline they would all run
    with evaluation_deadline(0.0), pytest.raises(ExpressionError, match=f"^{DEADLINE_EXCEEDED}$"):
        evaluate(source, None, Bindings(), "cel")


def test_cel_over_the_data_stops_at_the_deadline() -> None:
    value = {"items": [{"name": str(number)} for number in range(3_000)]}
    source = "object.items.all(a, object.items.exists(b, b.name == a.name))"
    with evaluation_deadline(0.0), pytest.raises(ExpressionError, match=f"^{DEADLINE_EXCEEDED}$"):
        evaluate(source, value, Bindings(), "cel")
    small = {"items": value["items"][:50]}
    with evaluation_deadline(60.0):
        assert evaluate(source, small, Bindings(), "cel") is True


def test_an_operation_stops_evaluating_cel_at_its_timeout(tmp_path: Path) -> None:
    test = tmp_path / "chainsaw-test.yaml"
    test.write_text(textwrap.dedent("""\
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: slow-cel-check
        spec:
          steps:
          - try:
            - script:
                timeout: 1s
                content: python3 -c "print('a ' * 5000)"
                check:
                  (cel; bindings.resolve('stdout').split(' ').exists(x, bindings.resolve('stdout').split(' ').exists(y, y == x + 'b'))): true
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(tmp_path), "--no-cluster"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert DEADLINE_EXCEEDED in result.stdout


def test_jsonpath_stops_at_the_deadline() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]  # type: ignore[assignment]
    # `..*` three times over a 200-level chain: 1.3 million matches, over a minute without the deadline
    with evaluation_deadline(0.0), pytest.raises(ExpressionError, match=f"^{DEADLINE_EXCEEDED}$"):
        evaluate("$..*..*..*", deep, Bindings(), "jsonpath")
    with evaluation_deadline(60.0):
        assert len(evaluate("$..*", deep, Bindings(), "jsonpath")) == 200
        assert evaluate("$.a.a.a", {"a": {"a": {"a": 1}}}, Bindings(), "jsonpath") == 1


@pytest.mark.parametrize("text", ["9" * 5_000, "1e999", "[1, -1e400]"])
def test_parse_json_of_numbers_beyond_float64_is_gos_error(text: str) -> None:
    number = text.strip("[]").split(", ")[-1]
    expected = f"json: cannot unmarshal number {number} into Go value of type float64"
    with pytest.raises(ExpressionError, match=f"^{_escape(expected)}$"):
        evaluate("parse_json($text)", None, Bindings().register("text", text))
    assert evaluate("parse_json('[12345678901234567890, 2]')", None, Bindings()) == [1.2345678901234567e19, 2]


@pytest.mark.parametrize("source", [
    "pad_left('a', `100000000000`)",
    "pad_right('a', `100000000000`, '-')",
    "replace_all($text, 'x', $text)",
    "replace($text, '', $text, `-1`)",
])
def test_strings_built_by_repetition_are_bounded(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_STRING_LENGTH", 1_000_000)
    bindings = Bindings().register("text", "x" * 10_000)  # 10^4 x 10^4: a 100-million-character result
    with pytest.raises(ExpressionError, match="would build a string of .* characters \\(the limit is 1000000"):
        evaluate(source, None, bindings)
    assert evaluate("length(replace($text, 'x', 'yy', `2`))", None, bindings) == 10_002


def test_cel_functions_that_build_from_a_count_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_LIST_LENGTH", 1_000)
    monkeypatch.setattr(limits, "MAX_STRING_LENGTH", 1_000_000)
    with pytest.raises(ExpressionError, match=r"^lists.range\(1000000000\): more than 1000 elements"):
        evaluate("lists.range(1000000000).size()", None, Bindings(), "cel")
    bindings = Bindings().register("text", "x" * 10_000)
    with pytest.raises(ExpressionError, match="would build a string of 100000000 characters"):
        evaluate("bindings.resolve('text').replace('x', bindings.resolve('text'))", None, bindings, "cel")
    assert evaluate("lists.range(3)", None, Bindings(), "cel") == [0, 1, 2]
    assert evaluate("'aaa'.replace('a', 'bb', 2)", None, Bindings(), "cel") == "bbbba"


def test_round_to_more_places_than_a_float_holds_is_gos_arithmetic() -> None:
    """``math.Pow10`` beyond 308 is +Inf in Go (Python's ``math.pow`` raised OverflowError, whose name leaked
    into the message); a place count beyond int64 is Go's ``math.MinInt64``, so out of bounds."""
    assert math.isnan(evaluate("round(`1e308`, `400`)", None, Bindings()))
    assert math.isnan(evaluate("round(`0`, `309`)", None, Bindings()))
    assert evaluate("round(`1.5`, `308`)", None, Bindings()) == 1.5
    with pytest.raises(ExpressionError, match=r"^JMESPath function 'round': %!d\(MISSING\) argument is out of bounds"):
        evaluate("round(`1.5`, `1e20`)", None, Bindings())


_INF = "divide(`1e308`, `1e-308`)"
_NAN = f"subtract({_INF}, {_INF})"


@pytest.mark.parametrize(("expression", "expected"), [
    # Go's time.Duration(f) of NaN, the infinities or a value beyond int64 is math.MinInt64 (amd64); Python's
    # int() raised OverflowError/ValueError, whose names leaked into the message
    (f"multiply('1h', {_INF})", "-2562047h47m16.854775808s"),
    (f"multiply('1h', {_NAN})", "-2562047h47m16.854775808s"),
    ("divide('1h', `1e-300`)", "-2562047h47m16.854775808s"),
    ("multiply('1h', `2.5`)", "2h30m0s"),
    # int64 sums of durations wrap around as in Go
    ("add('2562047h', '2562047h')", "-1h34m33.709551616s"),
    ("subtract('-2562047h', '2562047h')", "1h34m33.709551616s"),
    (f"truncate('abc', {_INF})", "abc"),
    (f"truncate('abc', {_NAN})", ""),
    ("truncate('abc', `2.7`)", "ab"),
])
def test_duration_and_length_arithmetic_beyond_int64_is_gos(expression: str, expected: str) -> None:
    assert evaluate(expression, None, Bindings()) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    # counts and indexes beyond a C size or int64, NaN, Inf: Go's int(f), never Python's OverflowError/ValueError
    ("replace('aaa', 'a', 'bb', `100000000000000000000`)", "bbbbbb"),
    (f"replace('aaa', 'a', 'b', {_NAN})", "bbb"),
    (f"replace('aaa', 'a', 'b', {_INF})", "bbb"),
    ("replace('aaa', 'a', 'b', `2`)", "bba"),
    ("pad_right('a', `100000000000000000000`, '')", "a"),
])
def test_counts_beyond_a_c_size_are_bounded_values(expression: str, expected: str) -> None:
    assert evaluate(expression, None, Bindings()) == expected


@pytest.mark.parametrize(("expression", "message"), [
    (f"at(`[1,2]`, {_INF})", "runtime error: index out of range [-9223372036854775808] with length 2"),
    (f"at(`[1,2]`, {_NAN})", "runtime error: index out of range [-9223372036854775808] with length 2"),
    # a JSON value as the client: its own methods (dict.get) were called and raised TypeError
    ("x_k8s_get(@, 'v1', 'Pod', 'a', 'b')", "invalid type"),
    ("x_k8s_list('s', 'v1', 'Pod')", "invalid type"),
])
def test_bad_indexes_and_clients_are_chainsaws_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, {"a": 1}, Bindings())
    assert str(caught.value) == message


@pytest.mark.parametrize(("expression", "message"), [
    # a Python callback's TypeError ("_string() missing 1 required positional argument") leaked through
    ("string()", "found no matching overload for 'string' applied to '()'"),
    ("string(1, 2)", "found no matching overload for 'string' applied to '(int, int)'"),
    ("split('a')", "found no matching overload for 'split' applied to '(string)'"),
    ("isQuantity('1', 2.5, [1])", "found no matching overload for 'isQuantity' applied to '(string, double, list(dyn))'"),
    # untyped Python callbacks given other types: AttributeError, KeyError, TypeError leaked through
    ("18446744073709551615u.upperAscii()", "found no matching overload for 'upperAscii' applied to '(int)'"),
    ("charAt({'a':1}, 0)", "found no matching overload for 'charAt' applied to '(map(dyn, dyn), int)'"),
    ("join()", "found no matching overload for 'join' applied to '()'"),
    ("sets.contains(-1, null)", "found no matching overload for 'sets.contains' applied to '(int, null_type)'"),
    # a value out of range keeps its message, without the exception's name
    ("'abc'.charAt(100)", "charAt: index 100 out of range for string of length 3"),
    ("math.greatest()", "at least one argument is required"),
])
def test_cel_functions_called_with_other_arguments_have_no_overload(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, {"a": 1}, Bindings(), "cel")
    assert str(caught.value) == message
