"""One test instance — a test, or one scenario of it, in one repetition (Chainsaw's ``runTest``):
context and bindings, the test namespace, the steps, and the end-of-test cleanup in LIFO order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from chainsaw_py.client.deadline import request_deadline
from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.model import Binding, NamespaceOptions, Test
from chainsaw_py.operations.base import CancelToken, OperationError
from chainsaw_py.report.console import Console, ConsoleStepLogger
from chainsaw_py.report.model import OutputBudget, StepReport, TestReport, now
from chainsaw_py.runner.cleanup import Cleaner
from chainsaw_py.runner.context import ContextData, TestContext
from chainsaw_py.runner.names import step_name
from chainsaw_py.runner.namespace import GENERATED_NAMES, build_namespace, ensure_namespace
from chainsaw_py.runner.state import Summary, TestState
from chainsaw_py.runner.step import StepRunner
from chainsaw_py.steplog import StepLogger, error_section
from chainsaw_py.util.diagnostics import log_internal_error

SETUP_STEP = "@chainsaw"


@dataclass(frozen=True)
class Instance:
    """What to run: a test, its position, and the scenario (if any)."""

    test: Test
    test_id: int
    display_name: str
    scenario_id: int = 0
    scenario_name: str = ""
    scenario_bindings: tuple[Binding, ...] = ()


@dataclass
class InstanceResult:
    """How one test instance ended: its state, report and duration."""

    instance: Instance
    state: TestState
    report: TestReport
    duration: float = 0.0


@dataclass
class TestEnvironment:
    """Run-wide things a test instance needs."""

    __test__ = False  # not a pytest test class

    console: Console
    summary: Summary
    cancel: CancelToken
    on_failure: Callable[[], None]
    fail_fast: bool
    namespace_options: NamespaceOptions
    report_sink: Callable[[TestReport], None]
    failure_notes: Callable[[], list[str]] = list
    output_budget: OutputBudget = field(default_factory=lambda: OutputBudget(0))
    """What operations may still record of their output for the HTML report."""


def step_column_width(test: Test) -> int:
    return max([len(SETUP_STEP), *(len(step_name(step, i)) for i, step in enumerate(test.spec.steps))])


def run_instance(instance: Instance, root: TestContext, env: TestEnvironment) -> InstanceResult:
    test = instance.test
    width = step_column_width(test)
    logger = ConsoleStepLogger(env.console, test.name, instance.scenario_name, f"{SETUP_STEP:<{width}}")
    state = TestState()
    report = TestReport(base_path=str(test.base_path), name=test.name, concurrent=test.spec.concurrent,
                        scenario=instance.scenario_name, labels=dict(test.labels))
    cleanups: list[Callable[[], None]] = []
    started = now()
    try:
        _run_body(instance, root, env, state, report, logger, width, cleanups)
    except OperationError as err:
        state.fail(str(err))
        report.errors.append(str(err))
        logger.log("INTERNAL", "ERROR", None, error_section(err.errors))
    except Exception as err:
        log_internal_error(err)
        state.fail(f"internal error: {err!r}")
        report.errors.append(f"internal error: {err!r}")
        logger.log("INTERNAL", "ERROR", None, error_section([f"internal error: {err!r}"]))
    finally:
        report.end_time = now()
        report.skipped = state.skipped
        env.report_sink(report)
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except OperationError as err:
                state.fail(str(err))
                logger.log("CLEANUP", "ERROR", None, error_section(err.errors))
        env.summary.count(state)
    return InstanceResult(instance, state, report, (now() - started).total_seconds())


def _run_body(instance: Instance, tc: TestContext, env: TestEnvironment, state: TestState,
              report: TestReport, logger: StepLogger, width: int, cleanups: list[Callable[[], None]]) -> None:
    test = instance.test
    spec = test.spec
    if spec.skip:
        state.skipped = True
        return
    try:
        tc = _test_context(instance, tc)
    except OperationError as err:
        _internal(err, state, report, logger, env)
        return
    if env.fail_fast and env.summary.failed > 0:
        state.skipped = True
        return
    tc = tc.with_compiler(spec.compiler)
    options, generated = _namespace_options(spec, env.namespace_options, tc)
    cleaner = Cleaner(timeout=tc.timeouts.cleanup, wait_for_deletion=not options.fast_delete, delay=None,
                      propagation=tc.deletion_propagation)
    holder = _Holder(tc)
    if generated:  # runs after the cleanup below (cleanups run newest first)
        cleanups.append(lambda: _release_generated_name(options.name, holder, cleaner))
    cleanups.append(lambda: _test_cleanup(holder, cleaner, report, logger, state, env))
    try:
        tc = setup_namespace(options, tc, cleaner, logger)
        holder.tc = tc
        report.namespace = tc.namespace or ""
        tc = tc.with_bindings(spec.bindings)
        holder.tc = tc
    except OperationError as err:
        _internal(err, state, report, logger, env)
        return
    for index, step in enumerate(spec.steps):
        runner = StepRunner(state=state, logger=logger.with_step(f"{step_name(step, index):<{width}}"),
                            cancel=env.cancel, on_failure=env.on_failure, failure_notes=env.failure_notes,
                            unattached_errors=report.errors, output_budget=env.output_budget)
        if runner.run_step(tc.bind("step", {"id": index + 1}), step, report, cleanups.append):
            return


@dataclass
class _Holder:
    """The test's latest context, read by the cleanups registered before it changed."""

    tc: TestContext


def _release_generated_name(name: str, holder: _Holder, cleaner: Cleaner) -> None:
    """The generated name may be drawn again once its namespace is gone: after a cleanup that waited for
    the deletion, or when no namespace was made (kept namespaces keep their names held)."""
    if holder.tc.namespace != name or (cleaner.wait_for_deletion and not holder.tc.skip_delete):
        GENERATED_NAMES.release(name)


def _test_context(instance: Instance, tc: TestContext) -> TestContext:
    test = instance.test
    spec = test.spec
    tc = tc.bind("test", {"id": instance.test_id, "scenarioId": instance.scenario_id,
                          "metadata": test.metadata.to_dict()})
    tc = tc.with_bindings(list(instance.scenario_bindings))
    return tc.setup(ContextData(
        base_path=test.base_path, catch=tuple(spec.catch), cluster=spec.cluster, clusters=spec.clusters,
        delay_before_cleanup=spec.delay_before_cleanup, deletion_propagation=spec.deletion_propagation_policy,
        skip_delete=spec.skip_delete, templating=spec.template,
        termination_grace=spec.force_termination_grace_period, timeouts=spec.timeouts))


def _namespace_options(spec: Any, defaults: NamespaceOptions, tc: TestContext) -> tuple[NamespaceOptions, bool]:
    """The test's namespace options, and whether the name was generated (held in ``GENERATED_NAMES``)."""
    options = replace(defaults, name=spec.namespace)
    if spec.fast_namespace_deletion is not None:
        options = replace(options, fast_delete=spec.fast_namespace_deletion)
    generated = tc.namespace is None and not options.name
    if generated:
        options = replace(options, name=GENERATED_NAMES.reserve())
    if spec.namespace_template is not None:
        options = replace(options, template=spec.namespace_template, compiler=spec.namespace_template_compiler)
    return options, generated


def setup_namespace(options: NamespaceOptions, tc: TestContext, cleaner: Cleaner | None,
                    logger: StepLogger) -> TestContext:
    """Chainsaw's ``setupNamespace``: build, create when missing (registering it for deletion), bind."""
    if not options.name:
        return tc
    compiler = options.compiler or tc.compiler
    namespace = build_namespace(options.name, options.template, tc.bindings, compiler)
    if tc.cluster is None:
        return tc
    try:
        with request_deadline(tc.timeouts.apply):
            created = ensure_namespace(tc.cluster, namespace, logger)
    except ChainsawError as err:  # an API error here is a setup failure of the test
        raise OperationError(str(err)) from err
    if created and cleaner is not None:
        cleaner.add(tc.cluster, namespace)
    name = namespace["metadata"]["name"]
    return replace(tc, namespace=name).bind("namespace", name)


def _test_cleanup(holder: _Holder, cleaner: Cleaner, report: TestReport, logger: StepLogger,
                  state: TestState, env: TestEnvironment) -> None:
    if holder.tc.skip_delete:
        cleaner.release()
        logger.log("CLEANUP", "SKIP", color="yellow")
        return
    if cleaner.empty:
        return
    logger.log("CLEANUP", "BEGIN")
    step_report = StepReport(name="@cleanup")
    try:
        for message in cleaner.run(logger, step_report):
            state.fail(message)
            logger.log("CLEANUP", "ERROR", None, error_section([message]))
            env.on_failure()
    finally:
        logger.log("CLEANUP", "END")
        step_report.end_time = now()
        report.add(step_report)


def _internal(err: OperationError, state: TestState, report: TestReport, logger: StepLogger,
              env: TestEnvironment) -> None:
    state.fail(str(err))
    report.errors.append(str(err))
    logger.log("INTERNAL", "ERROR", None, error_section(err.errors))
    env.on_failure()
