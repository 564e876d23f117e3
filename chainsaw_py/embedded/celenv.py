"""The CEL environments of the API server: one ``cel.Context`` per thread and purpose, with the standard
library, the ``cel`` package's extensions and the Kubernetes CEL libraries (``chainsaw_py.kubecel``):
``rules`` for CRD ``x-kubernetes-validations``, ``admission`` (also Authz) for webhook ``matchConditions`` and
ValidatingAdmissionPolicy. Variables are set on the context before each evaluation.

Programs are compiled with a costed checkpoint in every iteration of their macros (``kubecel.checkpoints``):
an evaluation counts cel-go's runtime cost as it goes and stops, as kube-apiserver's does, once it exceeds
``PER_CALL_LIMIT`` (``operation cancelled: actual cost limit exceeded``); it also stops after
``EVALUATION_SECONDS`` (``operation interrupted``), which bounds what the cost model undercounts."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py import kubecel
from chainsaw_py.kubecel import extensions
from chainsaw_py.kubecel.checkpoints import with_costed_checkpoints, with_duration_guard

_local = threading.local()
# the extension logs every failing Python callback as a warning; the error reaches us anyway
logging.getLogger("cel").setLevel(logging.ERROR)


PER_CALL_LIMIT = 1_000_000
"""k8s.io/apiserver/pkg/apis/cel ``PerCallLimit``: the runtime cost one expression may reach."""
EVALUATION_SECONDS = 5.0
"""The time one evaluation may take (a module attribute: tests lower it)."""
COST_LIMIT_EXCEEDED = "operation cancelled: actual cost limit exceeded"
INTERRUPTED = "operation interrupted"
_CHECKPOINT_PREFIX = "__chainsaw_cost_"


@dataclass(frozen=True)
class CompiledRule:
    """A program with costed checkpoints: ``base_cost`` is the cost of what runs once (outside the macros'
    iterations), ``checkpoint_costs`` the per-iteration costs its checkpoints charge."""
    source: str
    program: Any
    base_cost: int
    checkpoint_costs: frozenset[int]


def compile_program(source: str) -> CompiledRule:
    """Compile ``source`` with costed checkpoints; raises the ``cel`` package's ``ValueError`` for a bad one."""
    import cel

    program = cel.compile(source)
    rewritten, base_cost = with_costed_checkpoints(with_duration_guard(source), _CHECKPOINT_PREFIX)
    if rewritten == source:
        return CompiledRule(source, program, base_cost, frozenset())
    try:
        costed = cel.compile(rewritten)
    except ValueError:  # not a shape the rewriting knows: runs without checkpoints
        return CompiledRule(source, program, base_cost, frozenset())
    costs = frozenset(int(name[len(_CHECKPOINT_PREFIX):]) for name in costed.functions()
                      if name.startswith(_CHECKPOINT_PREFIX))
    return CompiledRule(source, costed, base_cost, costs)


@dataclass
class _Meter:
    cost: int
    limit: int
    stop: float
    failure: str | None = None


def _charge(cost: int) -> Callable[[], bool]:
    def checkpoint() -> bool:
        meter: _Meter | None = getattr(_local, "meter", None)
        if meter is None:
            return True
        meter.cost += cost
        if meter.failure is None:
            if meter.cost > meter.limit:
                meter.failure = COST_LIMIT_EXCEEDED
            elif time.monotonic() > meter.stop:
                meter.failure = INTERRUPTED
        if meter.failure is not None:
            raise RuntimeError(meter.failure)
        return True
    return checkpoint


def _remembering(function: Callable[..., Any]) -> Callable[..., Any]:
    """Keep a library function's own message: the ``cel`` package wraps it in its own words."""
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except kubecel.LibraryError as error:
            _local.failure = str(error)
            raise
    return call


def _build(with_authz: bool) -> Any:
    import cel
    from cel import stdlib

    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    for name, function in extensions.functions().items():
        context.add_function(name, function)
    table = kubecel.functions()
    if with_authz:
        table.update(kubecel.authz_functions())
    for name, function in table.items():
        context.add_function(name, _remembering(function))
    return context


def context(purpose: str) -> Any:
    """The calling thread's context for ``purpose`` (``"rules"`` or ``"admission"``)."""
    contexts: dict[str, Any] = getattr(_local, "contexts", None) or {}
    _local.contexts = contexts
    if purpose not in contexts:
        contexts[purpose] = _build(purpose == "admission")
    return contexts[purpose]


def _with_checkpoints(bound: Any, purpose: str, costs: frozenset[int]) -> None:
    registered: dict[str, set[int]] = getattr(_local, "checkpoints", None) or {}
    _local.checkpoints = registered
    known = registered.setdefault(purpose, set())
    for cost in costs - known:
        bound.add_function(f"{_CHECKPOINT_PREFIX}{cost}", _charge(cost))
        known.add(cost)


def execute(rule: CompiledRule, purpose: str, variables: dict[str, Any]) -> Any:
    """Run ``rule`` with ``variables``; errors are re-raised as ``RuntimeError`` with cel-go's wording."""
    return execute_with_cost(rule, purpose, variables)[0]


def execute_with_cost(rule: CompiledRule, purpose: str, variables: dict[str, Any],
                      limit: int | None = None) -> tuple[Any, int]:
    """``execute``, and the evaluation's runtime cost (as cel-go counts it, approximately). Past ``limit``
    (``PER_CALL_LIMIT`` by default) or ``EVALUATION_SECONDS`` the evaluation stops with cel-go's error,
    which ``||``/``&&`` cannot absorb."""
    bound = context(purpose)
    _with_checkpoints(bound, purpose, rule.checkpoint_costs)
    for name, value in variables.items():
        bound.add_variable(name, value)
    meter = _Meter(rule.base_cost, PER_CALL_LIMIT if limit is None else limit, time.monotonic() + EVALUATION_SECONDS)
    _local.failure, _local.meter = None, meter
    try:
        result = rule.program.execute(bound)
    except Exception as error:
        failure = meter.failure or getattr(_local, "failure", None)
        raise RuntimeError(failure or _first_line(error)) from None
    finally:
        _local.failure, _local.meter = None, None
    if meter.failure is not None:  # absorbed by `||` or `&&`: cel-go's cancellation is not
        raise RuntimeError(meter.failure)
    return result, meter.cost


def _first_line(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    marker = "Python function call failed: "
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.removesuffix(" Check function arguments and their types.")


def to_plain(value: Any) -> Any:
    """Library values (quantities, URLs, semvers...) as their strings, optionals unwrapped."""
    if isinstance(value, dict):
        text = kubecel.as_string(value)
        return text if text is not None else {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if type(value).__name__ == "OptionalValue":
        return to_plain(value.value()) if value.has_value() else None
    return value
