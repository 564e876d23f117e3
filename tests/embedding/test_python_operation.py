"""The ``python`` operation (a chainsaw_py extension): what the function receives, what its outputs do,
how it fails, timeouts and interrupts, loading by ``module:attr`` and ``file.py:attr``, and the schemas."""

from __future__ import annotations

import io
import json
import os
import textwrap
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chainsaw_py import api
from chainsaw_py.declare import Step, Test, assert_, from_yaml, python, script, sleep
from chainsaw_py.errors import LoadError
from chainsaw_py.loading import model
from chainsaw_py.operations.base import CancelToken, OperationError
from tests.shared import SHARED

UPSTREAM_TEST_SCHEMA = SHARED / "reference" / "upstream-schemas" / "test-chainsaw-v1alpha1.json"


def run(test: model.Test, cancel: CancelToken | None = None, **options: Any) -> tuple[api.TestResult, str]:
    stream = io.StringIO()
    with api.Session(api.TestOptions(no_cluster=True, **options), stream=stream, cancel=cancel) as session:
        result = session.run_test(test)[0]
    return result, stream.getvalue()


def one_step(*operations: Any, base_path: Path | str = ".", **spec: Any) -> model.Test:
    return Test("py", steps=[Step(try_=list(operations))], base_path=base_path, **spec)


# --------------------------------------------------------------------------------------- the context


def test_the_function_gets_the_context_and_its_outputs_are_bound(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def produce(ctx: Any, count: int, label: str) -> dict[str, Any]:
        seen.update(bindings=ctx.bindings, client=ctx.client, cluster=ctx.cluster, namespace=ctx.namespace,
                    base_path=ctx.base_path, timeout=ctx.timeout, args=dict(ctx.args))
        return {"total": count * 2, "label": label.upper()}

    test = one_step(python(produce, args={"count": "($values.n)", "label": "x-($values.n)"}),
                    assert_(resource={"($total)": 6, "($label)": "X-($VALUES.N)"}),
                    base_path=tmp_path, bindings={"greeting": "hi"})
    result, log = run(test, set_values=["n=3"])
    assert result.status == "passed", result.errors
    assert seen["args"] == {"count": 3, "label": "x-($values.n)"}
    assert seen["bindings"]["greeting"] == "hi" and seen["bindings"]["values"] == {"n": 3}
    assert {"test", "step", "operation", "timeouts"} <= set(seen["bindings"])
    assert seen["client"] is None and seen["cluster"] is None and seen["namespace"] is None
    assert seen["base_path"] == tmp_path and seen["timeout"] == 5.0
    assert "| PYTHON    | RUN   |" in log and "| PYTHON    | DONE  |" in log


def test_bindings_are_read_only_and_a_copy() -> None:
    def tamper(ctx: Any) -> None:
        with pytest.raises(TypeError):
            ctx.bindings["config"] = {}  # type: ignore[index]
        ctx.bindings["config"]["replicas"] = 99

    test = one_step(python(tamper), assert_(resource={"($config.replicas)": 1}),
                    bindings={"config": {"replicas": 1}})
    result, _ = run(test)
    assert result.status == "passed", result.errors


def test_outputs_are_visible_to_the_step_only() -> None:
    test = Test("scope", steps=[
        Step(try_=[python(lambda ctx: {"made": 1}), assert_(resource={"($made)": 1})],
             finally_=[python(lambda ctx: None if ctx.bindings["made"] == 1 else {"x": 1})]),
        Step(try_=[python(lambda ctx: None if "made" not in ctx.bindings else 1 / 0)]),
    ])
    result, _ = run(test)
    assert result.status == "passed", result.errors


def test_the_logger_writes_chainsaw_lines() -> None:
    def chatty(ctx: Any) -> None:
        ctx.logger.info("first line")
        ctx.logger.warning("careful")

    result, log = run(one_step(python(chatty)))
    assert result.status == "passed"
    assert "| PYTHON    | LOG   |\n        === LOG\n        first line" in log
    assert "| PYTHON    | WARN  |\n        === LOG\n        careful" in log


def test_python_runs_in_catch_finally_and_cleanup(tmp_path: Path) -> None:
    (tmp_path / "record.py").write_text(textwrap.dedent("""
        ORDER = []

        def mark(ctx, name):
            ORDER.append(name)
        """), encoding="utf-8")
    text = textwrap.dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: blocks
        spec:
          steps:
          - try:
            - python:
                function: record.py:mark
                args: {name: try}
            - script:
                content: exit 1
            catch:
            - python:
                function: record.py:mark
                args: {name: catch}
            finally:
            - python:
                function: record.py:mark
                args: {name: finally}
            cleanup:
            - python:
                function: record.py:mark
                args: {name: cleanup}
        """)
    (test,) = from_yaml(text, base_path=tmp_path)
    result, _ = run(test)
    assert result.status == "failed"
    from chainsaw_py.operations.python_ import load_function

    assert load_function("record.py:ORDER", tmp_path) == ["try", "catch", "finally", "cleanup"]


# --------------------------------------------------------------------------------------- failures

HELPERS = """
import time

NOT_CALLABLE = 3


def boom(ctx):
    raise ValueError("the bucket is missing")


def bare_assert(ctx):
    assert 1 == 2


def several(ctx):
    from chainsaw_py.operations.base import OperationError
    raise OperationError("first problem", "second problem")


def returns_int(ctx):
    return 3


def bad_output_name(ctx):
    return {"not valid": 1}


def takes_x(ctx, x):
    return None
"""


@pytest.mark.parametrize(("function", "args", "expected"), [
    ("helpers.py:boom", {}, ["ValueError: the bucket is missing"]),
    ("helpers.py:bare_assert", {}, ["AssertionError"]),
    ("helpers.py:several", {}, ["first problem", "second problem"]),
    ("helpers.py:returns_int", {}, ["python: helpers.py:returns_int returned int, expected a mapping of outputs or None"]),
    ("helpers.py:bad_output_name", {}, ["python: helpers.py:bad_output_name returned an invalid output name 'not valid'"]),
    ("helpers.py:takes_x", {}, ["TypeError: takes_x() missing 1 required positional argument: 'x'"]),
    ("helpers.py:takes_x", {"x": "($nope)"}, ["x: Internal error: variable not defined: $nope"]),
    ("helpers.py:takes_x", {"not-ident": 1}, ["python: argument name 'not-ident' is not a Python identifier"]),
    ("helpers.py:nope", {}, ["python: helpers.py has no attribute nope"]),
    ("helpers.py:NOT_CALLABLE", {}, ["python: helpers.py:NOT_CALLABLE is not callable"]),
    ("absent.py:f", {}, ["python: {base}/absent.py: no such file"]),
    ("broken.py:f", {}, ["python: cannot load broken.py: SyntaxError: expected ':' (broken.py, line 1)"]),
    ("no_such_module_xyz:f", {}, [("python: cannot import no_such_module_xyz: ModuleNotFoundError: No module named "
                                  "'no_such_module_xyz' (for a file in the test folder, write file.py:attr)")]),
])
def test_failures_are_one_clear_error(tmp_path: Path, function: str, args: dict[str, Any],
                                      expected: list[str]) -> None:
    (tmp_path / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (tmp_path / "broken.py").write_text("def f(ctx) return\n", encoding="utf-8")
    result, log = run(one_step(python(function, args=args), base_path=tmp_path))
    assert result.status == "failed"
    assert result.errors == ["\n".join(sorted(line.format(base=tmp_path) for line in expected))]
    assert "| PYTHON    | ERROR |" in log


def test_an_exception_logs_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text(HELPERS, encoding="utf-8")
    _, log = run(one_step(python("helpers.py:boom"), base_path=tmp_path))
    assert "=== TRACEBACK" in log and 'helpers.py", line 8, in boom' in log
    assert "python_.py" not in log  # the operation's own frame is left out


def test_the_timeout_fails_the_operation_and_cancels_the_context() -> None:
    cancelled = threading.Event()

    def stuck(ctx: Any) -> None:
        if ctx.wait(30):
            cancelled.set()

    result, _ = run(one_step(python(stuck, timeout="200ms")))
    assert result.status == "failed" and result.errors == ["context deadline exceeded"]
    assert cancelled.wait(5)


def test_an_interrupt_stops_the_function() -> None:
    token = CancelToken()
    cancelled = threading.Event()

    def interrupted(ctx: Any) -> None:
        token.cancel()
        if ctx.wait(30):
            cancelled.set()

    result, _ = run(one_step(python(interrupted), sleep("1ms")), cancel=token)
    assert result.status == "failed" and result.errors == ["interrupted"]
    assert cancelled.wait(5)


def test_context_helpers_without_a_deadline() -> None:
    seen: dict[str, Any] = {}

    def check(ctx: Any) -> None:
        seen.update(remaining=ctx.remaining(), cancelled=ctx.cancelled, waited=ctx.wait(0.01))

    test = Test("no-limit", steps=[Step(try_=[python(check)])])
    test.spec.steps[0].try_[0].action.timeout = None
    result, _ = run(test, exec_timeout="1h")
    assert result.status == "passed"
    assert seen["cancelled"] is False and seen["waited"] is False and 3500 < seen["remaining"] <= 3600


# --------------------------------------------------------------------------------------- loading functions


def test_module_attr_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "mychecks"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "things.py").write_text("class Checks:\n    @staticmethod\n    def answer(ctx):\n"
                                       "        return {'answer': 42}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    result, _ = run(one_step(python("mychecks.things:Checks.answer"), assert_(resource={"($answer)": 42})))
    assert result.status == "passed", result.errors


def test_a_changed_file_is_loaded_again(tmp_path: Path) -> None:
    helpers = tmp_path / "version.py"
    for value in (1, 2):
        helpers.write_text(f"def get(ctx):\n    return {{'v': {value}}}\n", encoding="utf-8")
        os.utime(helpers, ns=(value * 10**9, value * 10**9))
        result, _ = run(one_step(python("version.py:get"), assert_(resource={"($v)": value}), base_path=tmp_path))
        assert result.status == "passed", result.errors


def test_files_with_dataclasses_load(tmp_path: Path) -> None:
    (tmp_path / "typed.py").write_text(textwrap.dedent("""
        from __future__ import annotations
        from dataclasses import dataclass

        @dataclass
        class Bucket:
            name: str

        def make(ctx):
            return {"bucket": Bucket("b").name}
        """), encoding="utf-8")
    result, _ = run(one_step(python("typed.py:make"), assert_(resource={"($bucket)": "b"}), base_path=tmp_path))
    assert result.status == "passed", result.errors


def test_load_function_rejects_a_reference_without_attribute() -> None:
    from chainsaw_py.operations.python_ import load_function

    with pytest.raises(OperationError, match="invalid function 'helpers.py': expected module:attr or file.py:attr"):
        load_function("helpers.py", Path("."))


# --------------------------------------------------------------------------------------- schemas

PYTHON_TEST = textwrap.dedent("""
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata:
      name: ext
    spec:
      steps:
      - try:
        - python:
            function: {function}
            timeout: 1s
            args:
              name: ($namespace)
    """)


@pytest.mark.parametrize("function", ["helpers.py:make", "sub/dir/helpers.py:Class.method", "pkg.module:attr"])
def test_our_schema_accepts_python(function: str) -> None:
    (test,) = from_yaml(PYTHON_TEST.format(function=function))
    operation = test.spec.steps[0].try_[0]
    assert operation.type == "python" and operation.action.function == function
    assert operation.action.args == {"name": "($namespace)"}


@pytest.mark.parametrize(("function", "message"), [
    ("helpers", "invalid function \"helpers\": expected module:attr"),
    ("'helpers.py:'", "invalid function \"helpers.py:\": expected module:attr"),
    ("'x:1a'", "invalid function \"x:1a\": expected module:attr"),
])
def test_our_schema_rejects_bad_function_references(function: str, message: str) -> None:
    with pytest.raises(LoadError, match=message):
        from_yaml(PYTHON_TEST.format(function=function))


@pytest.mark.skipif(not UPSTREAM_TEST_SCHEMA.is_file(), reason="../shared (upstream schemas) is not available")
def test_upstream_chainsaw_rejects_python() -> None:
    import yaml

    upstream = jsonschema.Draft7Validator(json.loads(UPSTREAM_TEST_SCHEMA.read_text(encoding="utf-8")))
    document = yaml.safe_load(PYTHON_TEST.format(function="helpers.py:make"))
    assert list(upstream.iter_errors(document))


def test_schemas_say_python_is_an_extension() -> None:
    from chainsaw_py.loading.validate import SCHEMA_DIR

    for name in ("test-chainsaw-v1alpha1.json", "steptemplate-chainsaw-v1alpha1.json"):
        definitions = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))["definitions"]
        assert "not portable to upstream Chainsaw" in definitions["Python"]["description"]
        assert "python" in definitions["CatchFinally"]["properties"]


def test_lint_accepts_python(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chainsaw_py.cli import main

    path = tmp_path / "t.yaml"
    path.write_text(PYTHON_TEST.format(function="helpers.py:make"), encoding="utf-8")
    assert main(["lint", "test", "-f", str(path)]) == 0
    assert "The document is valid" in capsys.readouterr().out


def test_script_and_python_mix() -> None:
    result, _ = run(one_step(script("echo 7", outputs={"seven": "($stdout)"}),
                             python(lambda ctx: {"doubled": int(ctx.bindings["seven"]) * 2}),
                             assert_(resource={"($doubled)": 14})))
    assert result.status == "passed", result.errors
