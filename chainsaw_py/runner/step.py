"""One step's lifecycle (Chainsaw's ``runStep``): try, then catch if the test has failed, then finally;
the step cleanup (created resources, then ``cleanup:`` operations) is registered to run at test end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.loading.model import OPERATION_KINDS, Operation, Step
from chainsaw_py.loading.model import Timeouts as TimeoutsSpec
from chainsaw_py.operations.base import (
    CancelToken,
    OperationContext,
    OperationError,
    OperationModule,
    Outputs,
)
from chainsaw_py.operations.registry import operation_module
from chainsaw_py.report.model import OperationReport, OutputBudget, StepReport, TestReport, now
from chainsaw_py.report.recording import RecordingStepLogger
from chainsaw_py.runner.cleanup import Cleaner
from chainsaw_py.runner.context import ContextData, TestContext
from chainsaw_py.runner.state import TestState
from chainsaw_py.steplog import StepLogger, error_section, section


@dataclass
class StepRunner:
    """Runs the operations of a step and keeps the step-scoped context (outputs add to it)."""

    state: TestState
    logger: StepLogger
    cancel: CancelToken
    on_failure: Callable[[], None]
    failure_notes: Callable[[], list[str]] = list
    unattached_errors: list[str] = field(default_factory=list)
    """Where failures that no operation report holds go (the test report's ``errors``, HTML only)."""
    output_budget: OutputBudget = field(default_factory=lambda: OutputBudget(0))

    # ------------------------------------------------------------------------------ step

    def run_step(self, tc: TestContext, step: Step, test_report: TestReport,
                 register_cleanup: Callable[[Callable[[], None]], None]) -> bool:
        """Run ``step``; return True when the test must stop (a failed operation without continueOnError)."""
        report = StepReport(name=step.name)
        try:
            return self._run_step(tc, step, report, test_report, register_cleanup)
        finally:
            report.end_time = now()
            test_report.add(report)

    def _run_step(self, tc: TestContext, step: Step, report: StepReport, test_report: TestReport,
                  register_cleanup: Callable[[Callable[[], None]], None]) -> bool:
        tc = tc.with_compiler(step.compiler)
        try:
            tc = tc.setup(ContextData(
                catch=tuple(step.catch), cluster=step.cluster, clusters=step.clusters,
                deletion_propagation=step.deletion_propagation_policy, skip_delete=step.skip_delete,
                templating=step.template, timeouts=step.timeouts))
            tc = tc.with_bindings(step.bindings)
        except OperationError as err:
            self._internal_error(err)
            return True
        cleaner = Cleaner(timeout=tc.timeouts.cleanup, wait_for_deletion=True, delay=tc.delay_before_cleanup,
                          propagation=tc.deletion_propagation)
        scope = _Scope(tc)
        register_cleanup(lambda: self._step_cleanup(scope, step, cleaner, report, test_report))
        stop = False
        self.logger.log("TRY", "BEGIN")
        try:
            for index, operation in enumerate(step.try_):
                if self.cancel.cancelled:
                    self.state.fail(str(self.cancel.error()))
                    self.unattached_errors.append(str(self.cancel.error()))
                    stop = True
                    break
                tc_after, error = self._run_operation(scope, operation, index, cleaner, report.add)
                if error is not None:
                    self.state.fail(_describe(error))
                    if not operation.continue_on_error:
                        stop = True
                        break
                scope.tc = tc_after
        finally:
            self.logger.log("TRY", "END")
            if scope.tc.catch and self.state.failed and not self.cancel.cancelled:
                self._block("CATCH", scope, list(scope.tc.catch), report)
            if step.finally_ and not self.cancel.cancelled:
                self._block("FINALLY", scope, step.finally_, report)
        return stop

    def _block(self, name: str, scope: _Scope, operations: list[Operation], report: StepReport) -> None:
        self.logger.log(name, "BEGIN")
        try:
            for index, operation in enumerate(operations):
                scope.tc, error = self._run_operation(scope, operation, index, None,
                                                      _block_sink(report, name.lower()))
                if error is not None:
                    self.state.fail(_describe(error))
        finally:
            self.logger.log(name, "END")

    def _step_cleanup(self, scope: _Scope, step: Step, cleaner: Cleaner, report: StepReport,
                      test_report: TestReport) -> None:
        if cleaner.empty and not step.cleanup:
            return
        cleanup_report = StepReport(name=f"cleanup ({report.name})")
        self.logger.log("CLEANUP", "BEGIN")
        try:
            if not cleaner.empty:
                for message in cleaner.run(self.logger, cleanup_report):
                    self.state.fail(message)
                    self.logger.log("CLEANUP", "ERROR", None, error_section([message]))
                    self.on_failure()
            # Cleanup operations must complete even after an interrupt: they get a fresh token.
            for index, operation in enumerate(step.cleanup):
                scope.tc, error = self._run_operation(scope, operation, index, None,
                                                      _block_sink(cleanup_report, "cleanup"), CancelToken())
                if error is not None:
                    self.state.fail(_describe(error))
        finally:
            self.logger.log("CLEANUP", "END")
            cleanup_report.end_time = now()
            test_report.add(cleanup_report)

    # ------------------------------------------------------------------------------ operations

    def _run_operation(self, scope: _Scope, operation: Operation, index: int, cleaner: Cleaner | None,
                       record: Callable[[OperationReport], None],
                       cancel: CancelToken | None = None) -> tuple[TestContext, OperationError | None]:
        """Load the operation's payloads with step-level bindings and run one action per payload, each
        recorded through ``record``. Returns the context with the outputs bound: as in Chainsaw, it becomes
        the step's context for the operations after it (the operation's ``compiler`` included)."""
        tc = scope.tc.with_compiler(operation.compiler)
        module = operation_module(operation.type)
        try:
            payloads = module.load(operation.action, self._load_context(tc))
        except OperationError as err:
            self.logger.log("TRY", "ERROR", None, error_section(err.errors))
            self.unattached_errors.append(str(err))
            self.on_failure()
            return tc, err
        errors: list[OperationError] = []
        for resource_index, payload in enumerate(payloads):
            outputs, error = self._run_action(tc, module, operation, payload, index, resource_index,
                                              cleaner, record, cancel)
            if error is not None:
                errors.append(error)
                self.on_failure()
            for name, value in outputs.items():
                tc = tc.bind(name, value)
        return tc, OperationError.combine(errors) if errors else None

    def _run_action(self, tc: TestContext, module: OperationModule, operation: Operation, payload: Any, index: int,
                    resource_index: int, cleaner: Cleaner | None, record: Callable[[OperationReport], None],
                    cancel: CancelToken | None = None) -> tuple[Outputs, OperationError | None]:
        tc = tc.bind("operation", {"id": index + 1, "resourceId": resource_index + 1})
        entry = OperationReport(type=OPERATION_KINDS[operation.type].report_type)
        try:
            logger = RecordingStepLogger(self.logger, entry, self.output_budget)
            ctx = self._action_context(tc, operation, cleaner, cancel, logger)
            return module.run(operation.action, payload, ctx), None
        except OperationError as err:
            notes = [] if self.cancel.reason else self.failure_notes()
            if notes:
                self.logger.log(OPERATION_KINDS[operation.type].log_label, "LOG", None,
                                section("PROCESSES", "\n".join(notes)))
            entry.error = "\n".join([str(err), *notes])
            return {}, err
        finally:
            entry.end_time = now()
            record(entry)

    def _action_context(self, tc: TestContext, operation: Operation, cleaner: Cleaner | None,
                        cancel: CancelToken | None, logger: StepLogger) -> OperationContext:
        action = operation.action
        kind = OPERATION_KINDS[operation.type]
        timeout_key = kind.timeout
        timeouts = None
        if timeout_key is not None and getattr(action, "timeout", None):
            timeouts = TimeoutsSpec(**{("assert_" if timeout_key == "assert" else timeout_key): action.timeout})
        try:
            tc = tc.setup(ContextData(
                cluster=getattr(action, "cluster", None), clusters=getattr(action, "clusters", None),
                timeouts=timeouts, templating=getattr(action, "template", None),
                dry_run=getattr(action, "dry_run", None) if kind.writes else None,
                deletion_propagation=getattr(action, "deletion_propagation_policy", None)))
            tc = tc.with_bindings(getattr(action, "bindings", None) or [])
        except OperationError as err:
            # Chainsaw fails such an operation silently; saying why is kinder.
            self.logger.log(kind.log_label, "ERROR", None, error_section(err.errors))
            raise
        registrar = None if tc.dry_run or tc.skip_delete or cleaner is None else _Registrar(cleaner)
        return OperationContext(
            bindings=tc.bindings, logger=logger, base_path=tc.base_path, compiler=tc.compiler,
            timeouts=tc.timeouts, timeout=tc.timeouts.get(timeout_key) if timeout_key else None,
            templating=tc.templating, dry_run=tc.dry_run, namespace=tc.namespace, cluster=tc.cluster,
            cleaner=registrar, deletion_propagation=tc.deletion_propagation,
            termination_grace=tc.termination_grace, skip_delete=tc.skip_delete,
            cancel=cancel or self.cancel)

    def _load_context(self, tc: TestContext) -> OperationContext:
        return OperationContext(bindings=tc.bindings, logger=self.logger, base_path=tc.base_path,
                                compiler=tc.compiler, templating=tc.templating, namespace=tc.namespace,
                                cluster=tc.cluster, cancel=self.cancel)

    def _internal_error(self, err: OperationError) -> None:
        self.state.fail(str(err))
        self.unattached_errors.append(str(err))
        self.logger.log("INTERNAL", "ERROR", None, error_section(err.errors))
        self.on_failure()


@dataclass
class _Scope:
    """The step-scoped context; outputs of try operations are added to it (visible to catch, finally
    and cleanup of the same step, not to later steps)."""

    tc: TestContext


@dataclass(frozen=True)
class _Registrar:
    """Registers the objects an operation creates with the step's cleaner."""

    cleaner: Cleaner

    def add(self, cluster: Any, obj: dict[str, Any]) -> None:
        self.cleaner.add(cluster, obj)


def _block_sink(report: StepReport, block: str) -> Callable[[OperationReport], None]:
    """Records the operations of a ``catch``, ``finally`` or ``cleanup`` block (HTML only)."""
    def record(entry: OperationReport) -> None:
        operations = report.blocks.setdefault(block, [])
        entry.name = entry.name or f"{block} {len(operations) + 1}"
        operations.append(entry)
    return record


def _describe(error: OperationError) -> str:
    return "\n".join(sorted(error.errors))
