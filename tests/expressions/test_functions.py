"""Every JMESPath function (docs/expressions.md; Chainsaw's ``pkg/engine/functions``, kyverno-json's
``pkg/jp``): results and exact error messages.

Expected values come from go-jmespath / kyverno-json sources and tests, and Go's standard library
(time layouts, durations, base64, filepath, regexp) where noted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chainsaw_py.expressions import Bindings, ExpressionError, evaluate
from chainsaw_py.expressions.functions import default_caller, function_families

DATA: dict[str, Any] = {
    "people": [{"name": "b", "age": 30}, {"name": "a", "age": 20}, {"name": "c", "age": 40}],
    "labels": {"app": "demo", "tier": "web"},
    "text": "Hello World",
}

CASES: list[tuple[str, Any]] = [
    # --- jmespath-community built-ins
    ("abs(`-3`)", 3),
    ("abs(`-1.5`)", 1.5),
    ("avg(`[1, 2, 3, 4]`)", 2.5),
    ("avg(`[]`)", None),
    ("ceil(`1.2`)", 2),
    ("floor(`1.8`)", 1),
    ("contains('foobar', 'oba')", True),
    ("contains('foobar', `1`)", False),
    ("contains(`[1, 2]`, `2.0`)", True),
    ("contains(people[*].name, 'z')", False),
    ("ends_with(text, 'World')", True),
    ("starts_with(text, 'World')", False),
    ("find_first('subject string', 'string')", 8),
    ("find_first('subject string', 's', `1`)", 8),
    ("find_first('subject string', 's', `0`, `5`)", 0),
    ("find_first('subject', 'x')", None),
    ("find_first('', 'x')", None),
    ("find_last('subject string', 's')", 8),
    ("find_last('subject string', 's', `0`, `7`)", 0),
    ("from_items(`[[\"a\", 1], [\"b\", 2]]`)", {"a": 1, "b": 2}),
    ("group_by(people, &name)", {"b": [DATA["people"][0]], "a": [DATA["people"][1]], "c": [DATA["people"][2]]}),
    ("group_by(`[]`, &name)", None),
    ("join(', ', people[*].name)", "b, a, c"),
    ("keys(labels)", ["app", "tier"]),
    ("values(labels)", ["demo", "web"]),
    ("length(text)", 11),
    ("length('héllo')", 5),
    ("length(people)", 3),
    ("length(labels)", 2),
    ("lower(text)", "hello world"),
    ("upper(text)", "HELLO WORLD"),
    ("map(&age, people)", [30, 20, 40]),
    ("map(&missing, people)", [None, None, None]),
    ("max(people[*].age)", 40),
    ("max(people[*].name)", "c"),
    ("max(`[]`)", None),
    ("min(people[*].age)", 20),
    ("max_by(people, &age).name", "c"),
    ("min_by(people, &name).name", "a"),
    ("max_by(`[]`, &age)", None),
    ("merge(`{\"a\": 1}`, `{\"a\": 2, \"b\": 3}`)", {"a": 2, "b": 3}),
    ("not_null(`null`, missing, 'x', 'y')", "x"),
    ("not_null(`null`)", None),
    ("pad_left('7', `3`, '0')", "007"),
    ("pad_left('abc', `2`)", "abc"),
    ("pad_right('7', `3`)", "7  "),
    ("reverse('abc')", "cba"),
    ("reverse(`[1, 2, 3]`)", [3, 2, 1]),
    ("sort(`[3, 1, 2]`)", [1, 2, 3]),
    ("sort(`[\"b\", \"a\"]`)", ["a", "b"]),
    ("sort_by(people, &age)[*].name", ["a", "b", "c"]),
    ("sort_by(people, &name)[*].age", [20, 30, 40]),
    ("to_array('a')", ["a"]),
    ("to_array(`[1]`)", [1]),
    ("to_number('12')", 12),
    ("to_number('1.5')", 1.5),
    ("to_number('1e3')", 1000),
    ("to_number('abc')", None),
    ("to_number(' 1')", None),
    ("to_number(`true`)", None),
    ("to_number(`null`)", None),
    ("to_number(`[1]`)", None),
    ("to_string('x')", "x"),
    ("to_string(`{\"b\": 1, \"a\": \"<&>\"}`)", '{"a":"\\u003c\\u0026\\u003e","b":1}'),
    ("to_string(`[1, 2.5, null, true]`)", "[1,2.5,null,true]"),
    ("trim_left('  a  ')", "a  "),
    ("trim_right('xxaxx', 'x')", "xxa"),
    ("type(`1`)", "number"),
    ("type('a')", "string"),
    ("type(`true`)", "boolean"),
    ("type(`[]`)", "array"),
    ("type(`{}`)", "object"),
    ("type(`null`)", "null"),
    ("zip(`[1, 2, 3]`, `[\"a\", \"b\"]`)", [[1, "a"], [2, "b"]]),
    # --- kyverno-json
    ("at(`[\"a\", \"b\"]`, `1`)", "b"),
    ("concat('a', 'b')", "ab"),
    ("json_parse('{\"a\": [1, 1.5]}')", {"a": [1, 1.5]}),
    ("wildcard('a*c?', 'abbcd')", True),
    ("wildcard('a?', 'abc')", False),
    ("wildcard('*', '')", True),
    ("wildcard('', '')", True),
    # --- kyverno: strings (the overrides of items, sum, replace, trim and split win)
    ("compare('a', 'b')", -1),
    ("compare('b', 'b')", 0),
    ("compare('c', 'b')", 1),
    ("equal_fold('Go', 'GO')", True),
    ("replace('aaaa', 'a', 'b', `2`)", "bbaa"),
    ("replace('aaaa', 'a', 'b', `-1`)", "bbbb"),
    ("replace_all('aaaa', 'a', 'b')", "bbbb"),
    ("to_upper('abc')", "ABC"),
    ("to_lower('ABC')", "abc"),
    ("trim('--a--', '-')", "a"),
    ("trim('  a  ', '')", "  a  "),
    ("trim_prefix('prefix-x', 'prefix-')", "x"),
    ("trim_prefix('x', 'prefix-')", "x"),
    ("split('a,b,c', ',')", ["a", "b", "c"]),
    ("split('', ',')", [""]),
    ("split('abc', '')", ["a", "b", "c"]),
    # patterns
    ("regex_match('^[a-z]+-[0-9]+$', 'abc-123')", True),
    ("regex_match('[0-9]', `12`)", True),
    ("regex_match('^x', 'abc')", False),
    ("regex_replace_all('([a-z]+)-(\\d+)', 'foo-12', '$2-$1')", "12-foo"),
    ("regex_replace_all('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
    ("regex_replace_all('a(x*)b', '-ab-axxb-', '$1W')", "---"),
    ("regex_replace_all('a(x*)b', '-ab-axxb-', '[$0]')", "-[ab]-[axxb]-"),
    ("regex_replace_all('a(x*)b', '-ab-axxb-', '$$')", "-$-$-"),
    ("regex_replace_all_literal('a(x*)b', '-ab-axxb-', '$1')", "-$1-$1-"),
    ("regex_replace_all('[0-9]', `1.5`, 'x')", "x.x"),
    ("pattern_match('prod-*', 'prod-eu')", True),
    ("pattern_match('1?', `12`)", True),
    ("pattern_match('a*', 'b')", False),
    ("label_match(`{\"app\": \"demo\"}`, labels)", True),
    ("label_match(`{\"app\": \"other\"}`, labels)", False),
    ("label_match(`{}`, labels)", True),
    ("to_boolean('TrUe')", True),
    ("to_boolean('false')", False),
    # arithmetic: scalars, quantities, durations (kyverno-json's arithmetic_test.go)
    ("add(`12`, `13`)", 25),
    ("add('12Ki', '13Ki')", "25Ki"),
    ("add('12Ki', '13')", "12301"),
    ("add('12s', '13s')", "25s"),
    ("add('1Gi', '512Mi')", "1536Mi"),
    ("add('1', '500m')", "1500m"),
    ("add('1h', '1h')", "2h0m0s"),
    ("sum([`12`])", 12),
    ("sum([`12`, `13`, `1`, `4`])", 30),
    ("sum(['12Ki', '13Ki', '1Ki', '4Ki'])", "30Ki"),
    ("sum(['12Ki', '13'])", "12301"),
    ("sum(['12s', '13s', '1s', '4s'])", "30s"),
    ("subtract(`12`, `13`)", -1),
    ("subtract('12Ki', '13Ki')", "-1Ki"),
    ("subtract('12Ki', '13')", "12275"),
    ("subtract('12s', '13s')", "-1s"),
    ("multiply('12Ki', `2`)", "24Ki"),
    ("multiply('12s', `2`)", "24s"),
    ("multiply(`2.5`, `2.5`)", 6.25),
    ("multiply(`2.5`, '12Ki')", "30Ki"),
    ("multiply(`2.5`, '12')", "30"),
    ("multiply(`2.5`, '40s')", "1m40s"),
    ("divide('256M', '256M')", 1),
    ("divide('512M', '256M')", 2),
    ("divide('8', '3')", 8 / 3),
    ("divide('128M', '256M')", 0.5),
    ("divide('12Ki', `3`)", "4Ki"),
    ("divide('12Ki', '2Ki')", 6),
    ("divide('12Ki', '200')", 61.44),
    ("divide('12s', `3`)", "4s"),
    ("divide('12s', '5s')", 2.4),
    ("divide(`14`, `3`)", 4.666666666666667),
    ("divide('1500m', `2`)", "750m"),
    ("divide('1', `3`)", "0"),
    ("modulo('12Ki', '5Ki')", "2Ki"),
    ("modulo('13s', '2s')", "1s"),
    ("modulo(`13`, `5`)", 3),
    ("modulo(`-7`, `3`)", -1),
    ("round(`9.414675`, `2`)", 9.41),
    ("round(`14.123`, `6`)", 14.123),
    ("round(`2.5`, `0`)", 3),
    ("round(`-2.5`, `0`)", -3),
    # encodings and paths (base64 and filepath errors/results from Go's standard library)
    ("base64_encode('hello')", "aGVsbG8="),
    ("base64_decode('aGVsbG8=')", "hello"),
    ("base64_decode('aGVsbG8=\n')", "hello"),
    ("path_canonicalize('//a/./b/../c/')", "/a/c"),
    ("path_canonicalize('a/../..')", ".."),
    ("path_canonicalize('/../x')", "/x"),
    ("path_canonicalize('./')", "."),
    ("path_canonicalize('')", ""),
    ("truncate('abcdef', `3`)", "abc"),
    ("truncate('héllo', `2`)", "hé"),
    ("truncate('abc', `-1`)", ""),
    ("truncate('abc', `10`)", "abc"),
    # semver (blang/semver v4 ranges)
    ("semver_compare('1.2.3', '>1.0.0')", True),
    ("semver_compare('1.2.3', '<1.0.0')", False),
    ("semver_compare('1.2.3', '>=1.2.3 <2.0.0')", True),
    ("semver_compare('1.2.3', '1.2.x')", True),
    ("semver_compare('1.3.0', '1.2.x')", False),
    ("semver_compare('2.0.0', '<1.0.0 || >=2.0.0')", True),
    ("semver_compare('1.0.0-alpha', '<1.0.0')", True),
    ("semver_compare('1.0.0-alpha.1', '>1.0.0-alpha')", True),
    ("semver_compare('1.2.3', '!=1.2.3')", False),
    ("semver_compare('1.2.3+build', '=1.2.3')", True),
    ("semver_compare('v1.2.3', '>0.0.0')", False),
    ("semver_compare('not-a-version', '0.0.0')", True),
    # parsing and collections
    ("parse_json('[1, \"a\", null]')", [1, "a", None]),
    ("parse_yaml('a: yes\nb: [1, 2]')", {"a": True, "b": [1, 2]}),
    ("parse_yaml('1e3')", 1000),
    ("lookup(labels, 'app')", "demo"),
    ("lookup(labels, 'nope')", None),
    ("lookup(`[\"a\", \"b\"]`, `1`)", "b"),
    ("lookup(`[\"a\", \"b\"]`, `5`)", None),
    ("items(labels, 'key', 'value')", [{"key": "app", "value": "demo"}, {"key": "tier", "value": "web"}]),
    ("items(`[\"x\"]`, 'i', 'v')", [{"i": 0, "v": "x"}]),
    ("object_from_lists(`[\"a\", \"b\"]`, `[1]`)", {"a": 1, "b": None}),
    ("object_from_lists(`[1, 2.5, true]`, `[1, 2, 3]`)", {"1": 1, "2.5": 2, "true": 3}),
    # time (expected values from Go's time package)
    ("time_add('2023-01-01T00:00:00Z', '1h30m')", "2023-01-01T01:30:00Z"),
    ("time_add('2023-01-01T00:00:00+02:00', '-24h')", "2022-12-31T00:00:00+02:00"),
    ("time_diff('2023-01-01T00:00:00Z', '2023-01-02T01:00:00Z')", "25h0m0s"),
    ("time_diff('2023-01-02T00:00:00Z', '2023-01-01T23:59:59.5Z')", "-500ms"),
    ("time_since('', '2023-01-01T00:00:00Z', '2023-01-01T00:00:01Z')", "1s"),
    ("time_since('2006-01-02', '2023-01-01', '2023-01-03')", "48h0m0s"),
    ("time_parse('2006-01-02', '2023-05-17')", "2023-05-17T00:00:00Z"),
    ("time_parse('Mon, 02 Jan 2006 15:04:05 -0700', 'Tue, 07 Feb 2023 10:11:12 +0530')",
     "2023-02-07T10:11:12+05:30"),
    ("time_parse('15:04', '10:30')", "0000-01-01T10:30:00Z"),
    ("time_parse('3:04PM', '12:15AM')", "0000-01-01T00:15:00Z"),
    ("time_parse('2006-002', '2023-045')", "2023-02-14T00:00:00Z"),
    ("time_utc('2023-01-01T05:00:00+05:00')", "2023-01-01T00:00:00Z"),
    ("time_to_cron('2023-05-17T10:30:00Z')", "30 10 17 5 3"),
    ("time_before('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", True),
    ("time_after('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", False),
    ("time_between('2023-01-02T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-03T00:00:00Z')", True),
    ("time_between('2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-03T00:00:00Z')", False),
    ("time_truncate('2023-05-17T10:31:45.5Z', '1h')", "2023-05-17T10:00:00Z"),
    ("time_truncate('2023-05-17T10:31:45.5Z', '7h')", "2023-05-17T08:00:00Z"),
    ("time_truncate('2023-05-17T10:31:45.5Z', '168h')", "2023-05-15T00:00:00Z"),
    ("time_truncate('2023-05-17T10:31:45.5Z', '90s')", "2023-05-17T10:31:30Z"),
    ("time_truncate('2023-05-17T10:31:45.5Z', '0s')", "2023-05-17T10:31:45Z"),
    # --- chainsaw
    ("trim_space('  x \t\n')", "x"),
    ("as_string('x')", "x"),
    ("as_string(`1`)", None),
    ("as_string(`null`)", None),
    ("env('CHAINSAW_PY_TEST_UNSET_VARIABLE')", ""),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_function(expression: str, expected: Any) -> None:
    result = evaluate(expression, DATA, Bindings())
    assert result == expected
    assert type(result) is type(expected)


ERRORS: list[tuple[str, str]] = [
    # argument checking (go-jmespath resolveArgs)
    ("abs('x')", 'invalid type for: x, expected: []functions.JpType{"number"}'),
    ("abs(`[1, 2]`)", 'invalid type for: [1 2], expected: []functions.JpType{"number"}'),
    ("length(`1`)", 'invalid type for: 1, expected: []functions.JpType{"string", "array", "object"}'),
    ("keys(`{\"a\": [1]}`.a)", 'invalid type for: [1], expected: []functions.JpType{"object"}'),
    ("sort(`[1, \"a\"]`)",
     'invalid type for: [1 a], expected: []functions.JpType{"array[string]", "array[number]"}'),
    ("abs()", "invalid arity, the function 'abs' expects 1 argument but none were supplied"),
    ("abs(`1`, `2`)", "invalid arity, the function 'abs' expects at most 1 arguments but 2 were supplied"),
    ("merge()", "invalid arity, the function 'merge' expects 1 argument or more but none were supplied"),
    ("zip(`[]`)", "invalid arity, the function 'zip' expects 2 arguments or more but only 1 were supplied"),
    ("split('a')", "invalid arity, the function 'split' expects 2 arguments but 1 were supplied"),
    ("split('a', ',', `1`)", "invalid arity, the function 'split' expects at most 2 arguments but 3 were supplied"),
    ("replace('a', 'b', 'c')", "invalid arity, the function 'replace' expects 4 arguments but 3 were supplied"),
    ("trim('a')", "invalid arity, the function 'trim' expects 2 arguments but 1 were supplied"),
    ("items(labels)", "invalid arity, the function 'items' expects 3 arguments but 1 were supplied"),
    ("sum(`[1]`, `2`)", "invalid arity, the function 'sum' expects at most 1 arguments but 2 were supplied"),
    ("unknown_fn()", "unknown function: unknown_fn"),
    # built-in specifics
    ("find_first('abc', 'b', `1.5`)",
     "invalid value, the function 'find_first' expects its 'start' argument to be an integer."),
    ("find_last('abc', 'b', `0`, `1.5`)",
     "invalid value, the function 'find_last' expects its 'end' argument to be an integer."),
    ("pad_left('a', `-1`)",
     ("invalid value, the function 'pad_left' expects its 'width' argument to be a an integer value greater than "
     "or equal to zero.")),
    ("pad_right('a', `3`, 'xy')",
     "invalid value, the function 'pad_right' expects its 'pad' argument to be a string of length 1"),
    ("from_items(`[[\"a\"]]`)", "invalid value, each array must contain two elements, a pair of string and value"),
    ("from_items(`[[1, 2]]`)", "invalid value, each array must contain two elements, a pair of string and value"),
    ("group_by(people, &age)", "invalid type, the expression must evaluate to a string"),
    ("max_by(people, &labels)", "invalid type, must be number of string"),
    ("max_by(`[{\"a\": 1}, {\"a\": \"x\"}]`, &a)", "invalid type, must be number"),
    ("min_by(`[{\"a\": \"x\"}, {\"a\": 1}]`, &a)", "invalid type, must be string"),
    ("sort_by(`[{\"a\": 1}, {\"a\": \"x\"}]`, &a)", "error in sort_by comparison"),
    ("sort_by(`[{\"a\": true}, {\"a\": false}]`, &a)", "invalid type, must be number of string"),
    ("to_string(`1` / `0`)", "json: unsupported value: +Inf"),
    # kyverno-json
    ("at(`[1]`, `3`)", "runtime error: index out of range [3] with length 1"),
    ("json_parse('{')", "unexpected end of JSON input"),
    ("json_parse('[1,]')", "invalid character ']' looking for beginning of value"),
    # kyverno
    ("to_boolean('yes')",
     "JMESPath function 'to_boolean': lowercase argument must be 'true' or 'false' (provided: 'yes')"),
    ("regex_match('(', 'x')", "error parsing regexp: missing closing ): `(`"),
    ("regex_match('a)', 'x')", "error parsing regexp: unexpected ): `a)`"),
    ("regex_match('[a', 'x')", "error parsing regexp: missing closing ]: `[a`"),
    ("regex_match('*', 'x')", "error parsing regexp: missing argument to repetition operator: `*`"),
    ("regex_match('x', `true`)", 'invalid type for: true, expected: []functions.JpType{"string", "number"}'),
    ("regex_replace_all('(', 'x', 'y')", ("JMESPath function 'regex_replace_all': error parsing regexp: "
                                         "missing closing ): `(`")),
    ("add('a', `1`)", "JMESPath function 'add': invalid operand"),
    ("add(`12`, '13s')", "JMESPath function 'add': Types mismatch"),
    ("add('12s', '13')", "JMESPath function 'add': Types mismatch"),
    ("add('12Ki', `13`)", "JMESPath function 'add': Types mismatch"),
    ("sum(`[]`)", "JMESPath function 'sum': at least one element in the array is required"),
    ("sum(['12s', `13`])", "JMESPath function 'sum': Types mismatch"),
    ("subtract('12s', '13Ki')", "JMESPath function 'subtract': Types mismatch"),
    ("multiply('12Ki', '12Ki')", "JMESPath function 'multiply': Types mismatch"),
    ("multiply('12s', '12s')", "JMESPath function 'multiply': Types mismatch"),
    ("divide('12Ki', '2s')", "JMESPath function 'divide': Types mismatch"),
    ("divide(`14`, '5')", "JMESPath function 'divide': Types mismatch"),
    ("divide(`14`, `0`)", "JMESPath function 'divide': Zero divisor passed"),
    ("divide('4Ki', '0Ki')", "JMESPath function 'divide': Zero divisor passed"),
    ("divide('4s', '0s')", "JMESPath function 'divide': Zero divisor passed"),
    ("divide('4Ki', `0`)", "JMESPath function 'divide': Zero divisor passed"),
    ("modulo(`14`, `0`)", "JMESPath function 'modulo': Zero divisor passed"),
    ("modulo('4s', '0s')", "JMESPath function 'modulo': Zero divisor passed"),
    ("modulo('4', '1.5')", "JMESPath function 'modulo': Non-integer argument(s) passed for modulo"),
    ("modulo(`14.5`, `2`)", "JMESPath function 'modulo': Non-integer argument(s) passed for modulo"),
    ("modulo('13s', `2`)", "JMESPath function 'modulo': Types mismatch"),
    ("round(`14`, `1.5`)", "JMESPath function 'round': Non-integer argument(s) passed for round off"),
    ("round(`14`, `-2`)", "JMESPath function 'round': %!d(MISSING) argument is out of bounds (%!d(MISSING))"),
    ("round(`23`, '12Ki')", 'invalid type for: 12Ki, expected: []functions.JpType{"number"}'),
    ("base64_decode('abc')", "illegal base64 data at input byte 0"),
    ("base64_decode('abcde')", "illegal base64 data at input byte 4"),
    ("base64_decode('ab=c')", "illegal base64 data at input byte 2"),
    ("base64_decode('ab$d')", "illegal base64 data at input byte 2"),
    ("base64_decode('YQ=')", "illegal base64 data at input byte 3"),
    ("base64_decode('Y===')", "illegal base64 data at input byte 1"),
    ("base64_decode('YWJjZA=')", "illegal base64 data at input byte 7"),
    ("semver_compare('1.0.0', 'foo')", 'Could not get version from string: "foo"'),
    ("semver_compare('1.0.0', '>1.0')",
     'Could not parse Range ">1.0": Could not parse version "1.0" in ">1.0": No Major.Minor.Patch elements found'),
    ("semver_compare('1.0.0', '|| 1.0.0')", "First element in range is '||'"),
    ("semver_compare('1.0.0', '1.0.0 ||')", "Last element in range is '||'"),
    ("semver_compare('1.0.0', '~1.0.0')",
     'Could not parse Range "~1.0.0": Could not parse comparator "~" in "~1.0.0"'),
    ("semver_compare('1.0.0', '>01.0.0')", ('Could not parse Range ">01.0.0": Could not parse version "01.0.0" in '
                                           '">01.0.0": Major number must not contain leading zeroes "01"')),
    ("parse_json('nope')", "invalid character 'o' in literal null (expecting 'u')"),
    ("lookup(labels, `1`)", "JMESPath function 'lookup': argument #2 is not of type String"),
    ("lookup(`[1]`, 'a')", "JMESPath function 'lookup': argument #2 is not of type Number"),
    ("lookup(`[1]`, `1.5`)", "JMESPath function 'lookup': argument #2: expected an integer number but got: 1.5"),
    ("object_from_lists(`[[1]]`, `[1]`)", ("JMESPath function 'object_from_lists': argument #1 is not of type "
                                         "StringArray")),
    ("random('')", "no pattern provided"),
    ("random('(')", "error parsing regexp: missing closing ): `(`"),
    ("x509_decode('nope')", "failed to decode PEM block"),
    ("time_add('2023-01-01', '1h')",
     'parsing time "2023-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'),
    ("time_add('2023-01-01T00:00:00Z', '1x')", 'time: unknown unit "x" in duration "1x"'),
    ("time_diff('2023-02-29T00:00:00Z', '2023-01-01T00:00:00Z')", 'parsing time "2023-02-29T00:00:00Z": day out of range'),
    ("time_utc('2023-13-02T00:00:00Z')", 'parsing time "2023-13-02T00:00:00Z": month out of range'),
    ("time_utc('2023-01-02T25:00:00Z')", 'parsing time "2023-01-02T25:00:00Z": hour out of range'),
    ("time_before('2023-01-02 15:04:05Z', '')",
     'parsing time "2023-01-02 15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 15:04:05Z" as "T"'),
    ("time_after('2023-01-02T15:04:05Zjunk', '')", 'parsing time "2023-01-02T15:04:05Zjunk": extra text: "junk"'),
    ("time_parse('2006-01-02', 'x')", 'parsing time "x" as "2006-01-02": cannot parse "x" as "2006"'),
    ("time_parse('Jan 2', 'Feb 30')", 'parsing time "Feb 30": day out of range'),
    ("time_since('', '', '')", 'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"'),
    # chainsaw
    ("x_k8s_get(`null`, 'v1', 'Pod', 'ns', 'name')", "cluster client not set"),
    ("x_k8s_list(`null`, 'v1', 'Pod')", "cluster client not set"),
    ("x_k8s_exists(`null`, 'v1', 'Pod', 'ns', 'name')", "cluster client not set"),
    ("x_k8s_resource_exists(`null`, 'v1', 'Pod')", "cluster client not set"),
    ("x_k8s_server_version(`null`)", "cluster client not set"),
    ("x_k8s_get('not a client', 'v1', 'Pod', 'ns', 'name')", "invalid type"),
    ("trim_space(`1`)", 'invalid type for: 1, expected: []functions.JpType{"string"}'),
]


@pytest.mark.parametrize(("expression", "message"), ERRORS)
def test_function_error(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, DATA, Bindings())
    assert str(caught.value) == message


REFERENCE_FUNCTIONS = ["abs", "avg", "ceil", "floor", "max", "min", "sum", "to_number", "contains", "ends_with", "starts_with", "find_first", "find_last", "join", "lower", "upper", "pad_left", "pad_right", "replace", "split", "trim", "trim_left", "trim_right", "to_string", "from_items", "group_by", "items", "keys", "values", "length", "map", "max_by", "min_by", "merge", "not_null", "reverse", "sort", "sort_by", "to_array", "type", "zip", "at", "concat", "json_parse", "wildcard", "compare", "equal_fold", "replace_all", "to_upper", "to_lower", "trim_prefix", "regex_replace_all", "regex_replace_all_literal", "regex_match", "pattern_match", "label_match", "to_boolean", "add", "subtract", "multiply", "divide", "modulo", "round", "base64_decode", "base64_encode", "path_canonicalize", "truncate", "semver_compare", "parse_json", "parse_yaml", "lookup", "object_from_lists", "random", "x509_decode", "time_since", "time_now", "time_now_utc", "time_to_cron", "time_add", "time_parse", "time_utc", "time_diff", "time_before", "time_after", "time_between", "time_truncate", "env", "trim_space", "as_string", "x_k8s_get", "x_k8s_list", "x_k8s_exists", "x_k8s_resource_exists", "x_k8s_server_version", "x_metrics_decode"]


def test_every_reference_function_is_registered() -> None:
    caller = default_caller()
    missing = [name for name in REFERENCE_FUNCTIONS if caller.get(name) is None]
    assert missing == []


@pytest.mark.parametrize(("name", "family", "arity"), [
    ("items", "kyverno", 3), ("sum", "kyverno", 1), ("replace", "kyverno", 4), ("trim", "kyverno", 2),
    ("split", "kyverno", 2), ("abs", "jmespath", 1), ("env", "chainsaw", 1), ("at", "kyverno-json", 2),
])
def test_registration_order_last_wins(name: str, family: str, arity: int) -> None:
    entry = default_caller().get(name)
    assert entry is not None
    owners = [fam for fam, entries in function_families() if any(e.name == name for e in entries)]
    assert owners[-1] == family
    assert entry in dict(function_families())[family]
    assert len(entry.args) == arity


def test_family_order() -> None:
    assert [family for family, _ in function_families()] == ["jmespath", "kyverno-json", "kyverno", "chainsaw"]


def test_time_now() -> None:
    local = evaluate("time_now()", None, Bindings())
    utc = evaluate("time_now_utc()", None, Bindings())
    rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)"
    assert re.fullmatch(rfc3339, local)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc)
    assert evaluate("time_before(time_add(time_now_utc(), '-1h'), time_now_utc())", None, Bindings()) is True
    assert re.fullmatch(r"-?\d+(\.\d+)?(ns|µs|ms|s)|(\d+h)?(\d+m)?\d+(\.\d+)?s",
                        evaluate("time_since('', '2020-01-01T00:00:00Z', '')", None, Bindings()))


def test_random_refuses_what_go_refuses() -> None:
    with pytest.raises(ExpressionError, match=r"error parsing regexp: invalid escape sequence: `\\1`"):
        evaluate("random('(a)\\1')", None, Bindings())


def test_env_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINSAW_PY_TEST_VARIABLE", "value")
    assert evaluate("env('CHAINSAW_PY_TEST_VARIABLE')", None, Bindings()) == "value"


@pytest.mark.parametrize("pattern", [
    "[a-z]{8}", "[0-9a-f]{8}-[0-9a-f]{4}", "ab+c?", "(foo|bar)-\\d{3}", "[^a-z]{3}", "\\w+@example\\.com",
    ".{3}", "^x[yz]*$", "(a)(b)?(?P<n>c)\\z", "[[:alpha:]]", "(?<name>x|y)",
])
def test_random_matches_its_pattern(pattern: str) -> None:
    from chainsaw_py.golang.regexp import compile_go

    bindings = Bindings().register("p", pattern)
    for _ in range(20):
        value = evaluate("random($p)", None, bindings)
        assert compile_go(pattern).fullmatch(value), value


def test_every_function_is_documented() -> None:
    from pathlib import Path

    document = (Path(__file__).resolve().parents[2] / "docs" / "expressions.md").read_text(encoding="utf-8")
    undocumented = [entry.name for entry in default_caller().entries() if f"`{entry.name}(" not in document]
    assert undocumented == []
