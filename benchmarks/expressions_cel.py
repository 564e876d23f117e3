"""Compare the two CEL candidates on the CEL that Chainsaw suites write, for correctness and speed.

Candidates: ``common-expression-language`` (module ``cel``, Rust ``cel`` crate bindings) and
``cel-python`` (module ``celpy``, pure Python). Each gets the same minimal adapter: ``object`` = the
current node, ``bindings.resolve(name)`` reads a binding. Prints, per candidate, the cases that
passed, the failures, and the mean time to compile+evaluate and to evaluate a compiled program.

    python benchmarks/expressions_cel.py
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OBJECT = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "quick-start", "labels": {"app": "demo"}},
    "spec": {"replicas": 3, "ratio": 0.5, "containers": [{"name": "a", "image": "nginx:1.25"},
                                                         {"name": "b", "image": "busybox"}]},
    "data": {"foo": "bar"},
}
BINDINGS = {"a": 1, "b": 2, "c": "3", "namespace": "chainsaw-test"}

# (expression, expected) — corpus uses first (cel, namespace-template-config), then the
# libraries Chainsaw's CEL environment enables.
CASES: list[tuple[str, Any]] = [
    ('bindings.resolve("c")', "3"),
    ('string(bindings.resolve("a") + bindings.resolve("b"))', "3"),
    ('string("hello")', "hello"),
    ('bindings.resolve("namespace")', "chainsaw-test"),
    ("object.metadata.name", "quick-start"),
    ("object.spec.replicas == 3", True),
    ("object.spec.replicas > 2", True),
    ("object.spec.replicas == 3.0", True),          # cross-type numeric comparisons
    ("object.spec.ratio < 1", True),
    ("size(object.spec.containers)", 2),
    ("object.spec.containers.map(c, c.name)", ["a", "b"]),
    ("object.spec.containers.exists(c, c.image.startsWith('nginx'))", True),
    ("object.spec.containers.all(c, c.name != '')", True),
    ("has(object.spec.missing)", False),
    ("object.metadata.labels['app']", "demo"),
    ("'a,b,c'.split(',')", ["a", "b", "c"]),        # ext strings
    ("'Hello'.lowerAscii()", "hello"),
    ("'  x '.trim()", "x"),
    ("['a', 'b'].join('-')", "a-b"),
    ("'abc'.substring(1)", "bc"),
    ("'abcabc'.indexOf('c')", 2),
    ("'abc'.replace('b', 'x')", "axc"),
    ("sets.contains([1, 2, 3], [1, 3])", True),     # ext sets
    ("sets.intersects([1, 2], [2, 5])", True),
    ("[3, 1, 2].sum()", 6),                        # k8s lists
    ("[1, 2, 3].isSorted()", True),
    ("'nginx:1.25'.find('[0-9.]+')", "1.25"),       # k8s regex
    ("quantity('1Gi').isGreaterThan(quantity('512Mi'))", True),   # k8s quantity
    ("isQuantity('100m')", True),
    ("isURL('https://example.com/x')", True),      # k8s URLs
    ("isIP('10.0.0.1')", True),                    # k8s IP
    ("cidr('10.0.0.0/8').containsIP(ip('10.1.2.3'))", True),     # k8s CIDR
    ("optional.of(1).hasValue()", True),          # optional types
    ("object.?spec.missing.orValue(7)", 7),
]


def _celrust_runner() -> tuple[Callable[[str], Any], Callable[[str], Callable[[], Any]]]:
    import cel
    from cel import stdlib

    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    context.add_function("resolve", lambda _scope, name: BINDINGS[name])
    context.add_variable("bindings", {})
    context.add_variable("object", OBJECT)

    def once(expression: str) -> Any:
        return cel.evaluate(expression, context)

    def compiled(expression: str) -> Callable[[], Any]:
        program = cel.compile(expression)
        return lambda: program.execute(context)

    return once, compiled


def _celpy_runner() -> tuple[Callable[[str], Any], Callable[[str], Callable[[], Any]]]:
    import celpy
    from celpy import celtypes

    environment = celpy.Environment()
    functions = {"resolve": lambda _scope, name: celpy.json_to_cel(BINDINGS[str(name)])}
    activation = {"object": celpy.json_to_cel(OBJECT), "bindings": celtypes.MapType({})}

    def compiled(expression: str) -> Callable[[], Any]:
        program = environment.program(environment.compile(expression), functions=functions)
        return lambda: _plain(program.evaluate(activation))

    def once(expression: str) -> Any:
        return compiled(expression)()

    return once, compiled


def _plain(value: Any) -> Any:
    from celpy import celtypes

    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _measure(label: str, factory: Callable[[], Any]) -> None:
    import warnings

    warnings.simplefilter("ignore")
    try:
        once, compiled = factory()
    except ImportError as error:
        print(f"{label}: not installed ({error})")
        return
    passed, failures = 0, []
    for expression, expected in CASES:
        try:
            result = once(expression)
        except Exception as error:
            failures.append(f"{expression}  -> {type(error).__name__}: {str(error).splitlines()[0][:90]}")
            continue
        if result == expected and type(result) is type(expected):
            passed += 1
        else:
            failures.append(f"{expression}  -> {result!r} (expected {expected!r})")
    once_times, run_times = [], []
    for _ in range(5):
        for expression in ("object.spec.replicas > 2", 'string(bindings.resolve("a") + bindings.resolve("b"))'):
            start = time.perf_counter()
            once(expression)
            once_times.append(time.perf_counter() - start)
            program = compiled(expression)
            start = time.perf_counter()
            for _ in range(200):
                program()
            run_times.append((time.perf_counter() - start) / 200)
    print(f"{label}: {passed}/{len(CASES)} cases pass; compile+eval {statistics.mean(once_times) * 1e6:.0f} µs, "
          f"eval of a compiled program {statistics.mean(run_times) * 1e6:.1f} µs")
    for failure in failures:
        print(f"    FAIL {failure}")


def main() -> None:
    _measure("common-expression-language (cel, Rust), no extra libraries", _celrust_runner)
    _measure("cel-python (celpy), no extra libraries", _celpy_runner)
    _measure_ours()
    _measure_checkpoints(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)


def _best_of(runs: int, call: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _measure_checkpoints(size: int) -> None:
    """What the checkpoint in every macro iteration costs: each loop natively, with Chainsaw's checkpoint (a
    clock check per element, ``expressions.cel``), and with the API server's cost meter (``celenv``)."""
    import cel

    from chainsaw_py.embedded import celenv
    from chainsaw_py.expressions import cel as chainsaw_cel
    from chainsaw_py.grammar.compilers import compile_cel_with_checkpoints

    value = {"items": list(range(size))}
    small = {"items": list(range(min(size, 2_000)))}   # map and filter copy their result per element: quadratic
    runner_context = chainsaw_cel._context()
    print(f"per element ({size} elements; map and filter on {len(small['items'])}):")
    for source, data in (("self.items.all(x, x >= 0)", value), ("self.items.exists(x, x < 0)", value),
                         ("self.items.exists_one(x, x == 7)", value),
                         ("self.items.map(x, x * 2)", small), ("self.items.filter(x, x % 2 == 0)", small)):
        runner_context.add_variable("self", data)
        native_program, runner_program = cel.compile(source), compile_cel_with_checkpoints(source)
        native = _best_of(3, functools.partial(native_program.execute, runner_context))
        runner = _best_of(3, functools.partial(runner_program.execute, runner_context))
        server = _best_of(3, functools.partial(celenv.execute, celenv.compile_program(source), "rules",
                                               {"self": data, "oldSelf": None}))
        count = len(data["items"])
        print(f"  {source:36s} native {native / count * 1e9:7.0f} ns, with the deadline checkpoint "
              f"{runner / count * 1e9:7.0f} ns, with the cost meter {server / count * 1e9:7.0f} ns")


def _measure_ours() -> None:
    from chainsaw_py.expressions import Bindings, evaluate

    bindings = Bindings().register_all(BINDINGS)
    passed, failures = 0, []
    for expression, expected in CASES:
        try:
            result = evaluate(expression, OBJECT, bindings, "cel")
        except Exception as error:
            failures.append(f"{expression}  -> {error}")
            continue
        if result == expected and type(result) is type(expected):
            passed += 1
        else:
            failures.append(f"{expression}  -> {result!r} (expected {expected!r})")
    start = time.perf_counter()
    for _ in range(1000):
        evaluate("object.spec.replicas > 2", OBJECT, bindings, "cel")
    per_call = (time.perf_counter() - start) / 1000
    print(f"chainsaw_py.expressions (compiler cel): {passed}/{len(CASES)} cases pass; "
          f"evaluate() {per_call * 1e6:.1f} µs per call (program cached)")
    for failure in failures:
        print(f"    FAIL {failure}")


if __name__ == "__main__":
    main()
