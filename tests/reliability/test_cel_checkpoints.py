"""The checkpoints added to CEL macros (so that evaluation stops at the deadline) never change what an
expression means: random expressions mixing macros, strings and comments that look like macros give
the same result, or the same error, with and without them."""

from __future__ import annotations

from typing import Any

import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.kubecel.checkpoints import with_checkpoints, with_costed_checkpoints

CHECKPOINT = "__checkpoint__"
_TRICKY_STRINGS = ["'a.all(x, y)'", '"b).map(z, ("', "r'\\'", "'''x\\'''.filter(q, q)'''", 'b"\\x00,"',
                   "\"\\\".exists(\"", "r\"\"\"p.map(x, x)\"\"\""]


def _lists(depth: int) -> st.SearchStrategy[str]:
    literal = st.lists(st.integers(-3, 3), max_size=4).map(lambda items: "[" + ", ".join(map(str, items)) + "]")
    if depth == 0:
        return literal
    return st.one_of(literal, _macro(depth - 1, list_result=True))


def _predicates(depth: int, variable: str) -> st.SearchStrategy[str]:
    simple = st.sampled_from([f"{variable} > 0", f"{variable} == 1", f"1 / {variable} > 0", "true",
                              f"{variable} + 1", f"size(string({variable})) == 1"])
    if depth == 0:
        return simple
    return st.one_of(simple, _macro(depth - 1, list_result=False),
                     st.tuples(simple, st.sampled_from(_TRICKY_STRINGS)).map(
                         lambda parts: f"({parts[0]}) && size({parts[1]}) > 0"))


def _macro(depth: int, list_result: bool) -> st.SearchStrategy[str]:
    variable = f"v{depth}"
    names = ["map", "filter"] if list_result else ["all", "exists", "exists_one", "existsOne"]

    def build(parts: tuple[str, str, str, str, bool]) -> str:
        target, name, body, comment, with_filter = parts
        if name == "map" and with_filter:
            return f"{target}.map({variable}, {body}, {variable} * 2){comment}"
        return f"{target}.{name}({variable}, {body}){comment}"

    return st.tuples(_lists(depth), st.sampled_from(names), _predicates(depth, variable),
                     st.sampled_from(["", " // .all(x,\n", "\n"]), st.booleans()).map(build)


def _outcome(source: str, context: Any) -> tuple[str, Any]:
    try:
        return "value", cel.compile(source).execute(context)
    except Exception as error:  # the same error, whichever it is
        return type(error).__name__, str(error).split(" in CEL expression")[0].splitlines()[0]


@settings(max_examples=300, deadline=None)
@given(st.one_of(_macro(2, list_result=True), _macro(2, list_result=False)))
def test_checkpoints_keep_the_meaning(source: str) -> None:
    calls: list[int] = []
    context = cel.Context()
    context.add_function(CHECKPOINT, lambda: calls.append(1) or True)
    rewritten = with_checkpoints(source, CHECKPOINT)
    assert _outcome(rewritten, context)[0] != "ValueError", rewritten  # it compiles
    assert _outcome(rewritten, context) == _outcome(source, context)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_macro(2, list_result=True), _macro(2, list_result=False)))
def test_costed_checkpoints_keep_the_meaning_and_count_every_iteration(source: str) -> None:
    charged: list[int] = []
    context = cel.Context()
    rewritten, base_cost = with_costed_checkpoints(source, "__cost_")
    for name in cel.compile(rewritten).functions():
        if name.startswith("__cost_"):
            cost = int(name.removeprefix("__cost_"))
            context.add_function(name, lambda cost=cost: charged.append(cost) or True)
    iterations: list[int] = []
    counting = cel.Context()
    counting.add_function(CHECKPOINT, lambda: iterations.append(1) or True)
    _outcome(with_checkpoints(source, CHECKPOINT), counting)
    assert _outcome(rewritten, context) == _outcome(source, context)
    assert base_cost >= 1 and len(charged) == len(iterations) and all(cost >= 1 for cost in charged)


def test_text_that_only_looks_like_a_macro_is_kept() -> None:
    for source in _TRICKY_STRINGS + ["x.all", "f.all(1, 2)", "m.all(a.b, c)", "{'all': 1}.all"]:
        assert with_checkpoints(source, CHECKPOINT) == source
    # every loop, the innermost too, and both the predicate and the transform of a three-argument map
    assert with_checkpoints("l.map(x, p, e)", CHECKPOINT) == (
        f"l.map(x, ({CHECKPOINT}() ? (p) : null), ({CHECKPOINT}() ? (e) : null))")
    assert with_checkpoints("[l.all(x, x)].all(y, m.exists(z, z))", CHECKPOINT) == (
        f"[l.all(x, ({CHECKPOINT}() ? (x) : null))].all(y, ({CHECKPOINT}() ? "
        f"(m.exists(z, ({CHECKPOINT}() ? (z) : null))) : null))")


def test_costed_checkpoints_charge_what_one_iteration_evaluates() -> None:
    rewritten, base_cost = with_costed_checkpoints("self.all(x, self.all(y, x.name == y.name)) && size(self) > 1",
                                                   "c")
    # inner: x, .name, ==, y, .name + the step; outer: self, .all, y + the step (the inner loop's body is its own)
    assert rewritten == "self.all(x, (c4() ? (self.all(y, (c6() ? (x.name == y.name) : null))) : null)) && size(self) > 1"
    assert base_cost == 6   # self, .all, x, size, self, >
    assert with_costed_checkpoints("[1].map(x, {'a': [x]})", "c")[0] == "[1].map(x, (c42() ? ({'a': [x]}) : null))"


_DURATIONS = st.sampled_from(["'1h'", "'1.5h'", "'-2m30s'", "'0'", "'300ms'", "'2562047h47m16.854775807s'",
                              "'1x'", "''", "string(duration('1m'))", "duration('1s')", "'1h' + '1m'"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_DURATIONS, min_size=1, max_size=3), st.sampled_from(["+", "<", "=="]))
def test_the_duration_guard_keeps_what_go_accepts(arguments: list[str], operator: str) -> None:
    from chainsaw_py.kubecel.checkpoints import DURATION_GUARD, with_duration_guard
    from chainsaw_py.kubecel.library import go_duration_argument

    source = f" {operator} ".join(f"duration({argument})" for argument in arguments)
    context = cel.Context()
    context.add_function(DURATION_GUARD, go_duration_argument)
    guarded = _outcome(with_duration_guard(source), context)
    plain = _outcome(source, context)
    if guarded[0] == "value" or plain[0] != "value":
        assert guarded[0] == plain[0] and (guarded[0] != "value" or guarded == plain)
    else:  # refused only when an argument is not a Go duration
        assert "type conversion error from 'string' to 'google.protobuf.Duration'" in guarded[1]
