"""The run (Chainsaw's ``runner.Run`` on top of Go's ``testing``): one parent test ``chainsaw`` and one
instance per test and scenario. Non-concurrent tests run first, one at a time, in discovery order; the
concurrent ones then run in parallel threads, at most ``parallel`` at once. The console shows Go's
framing (``=== RUN``, ``--- PASS``) around Chainsaw's log lines.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from chainsaw_py.expressions import Bindings
from chainsaw_py.golang.durations import parse_duration
from chainsaw_py.loading.model import ConfigurationSpec, Test
from chainsaw_py.operations.base import CancelToken, ClusterHandle, OperationError, TimeoutSeconds
from chainsaw_py.report.console import Console, ConsoleStepLogger
from chainsaw_py.report.model import Report, TestReport, now
from chainsaw_py.report.progress import RunProgress
from chainsaw_py.runner.cleanup import Cleaner
from chainsaw_py.runner.clusters import ClusterRegistry, ConnectedSource
from chainsaw_py.runner.context import DEFAULT_CLUSTER, TestContext
from chainsaw_py.runner.names import ROOT, TestFilter, UniqueNames, scenario_name, test_name
from chainsaw_py.runner.state import Summary, TestState
from chainsaw_py.runner.test import (
    SETUP_STEP,
    Instance,
    InstanceResult,
    TestEnvironment,
    run_instance,
    setup_namespace,
)
from chainsaw_py.steplog import error_section
from chainsaw_py.util.leftovers import LEFTOVERS
from chainsaw_py.util.processes import subreaper
from chainsaw_py.util.threads import run_each


@dataclass
class RunResult:
    """The run so far: summary, report and each instance's result."""

    summary: Summary
    report: Report
    results: list[InstanceResult] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.summary.failed == 0 and not self.interrupted


@dataclass
class RunSettings:
    """What a run needs besides its tests: the configuration, values, default cluster and I/O."""

    spec: ConfigurationSpec
    values: dict[str, Any] = field(default_factory=dict)
    default_cluster: ClusterHandle | None = None
    pause_on_failure: bool = False
    stdin: TextIO | None = None
    stderr: TextIO | None = None
    failure_notes: Callable[[], list[str]] | None = None
    """Lines added to a failing operation's log and report (the system under test's last log lines)."""
    progress: RunProgress = field(default_factory=RunProgress)
    """Counts of instances run, for the terminal's status line (``report.progress``)."""


class Runner:
    def __init__(self, settings: RunSettings, console: Console, cancel: CancelToken | None = None) -> None:
        self.settings = settings
        self.console = console
        self.cancel = cancel or CancelToken()
        self._pause_lock = threading.Lock()

    # ------------------------------------------------------------------------------ entry

    def run(self, tests: Sequence[Test], result: RunResult | None = None) -> RunResult:
        """Run ``tests``, filling ``result`` (a new one when None) as they complete."""
        spec = self.settings.spec
        result = result if result is not None else RunResult(Summary(), Report())
        test_filter = TestFilter(spec.discovery.include_test_regex, spec.discovery.exclude_test_regex)
        if tests and test_filter.selects(ROOT):
            repeat = spec.execution.repeat_count or 1
            selected = [name for name, _ in self._instances(tests, UniqueNames()) if test_filter.selects(name)]
            self.settings.progress.expect(len(selected) * repeat)
            for _ in range(repeat):
                if self.cancel.cancelled:  # an interrupted run starts no further pass (--repeat-count 1e9)
                    break
                # Go's testing makes a new matcher for each -test.count pass: every pass has the same names
                self._run_once(tests, test_filter, UniqueNames(), result)
            self.console.write("FAIL" if result.summary.failed else "PASS")
        elif tests:
            self.console.write("testing: warning: no tests to run")
            self.console.write("PASS")
        result.report.end_time = now()
        result.interrupted = result.report.interrupted = self.cancel.interrupted
        return result

    def on_failure(self) -> None:
        if not self.settings.pause_on_failure:
            return
        with self._pause_lock:
            stderr = self.settings.stderr or sys.stderr
            stderr.write("Failure detected, press ENTER to continue...\n")
            stderr.flush()
            (self.settings.stdin or sys.stdin).readline()

    # ------------------------------------------------------------------------------ one pass

    def open_pass(self, result: RunResult) -> RunPass:
        """Start one pass over the tests: root context and the global namespace (see ``RunPass``)."""
        run_pass = RunPass(self, result)
        run_pass.open()
        return run_pass

    def _run_once(self, tests: Sequence[Test], test_filter: TestFilter, names: UniqueNames,
                  result: RunResult) -> None:
        console = self.console
        console.write(f"=== RUN   {ROOT}")
        console.write(f"=== PAUSE {ROOT}")
        console.write(f"=== CONT  {ROOT}")
        started = time.monotonic()
        run_pass = self.open_pass(result)
        completed: list[tuple[str, InstanceResult]] = []
        synchronous_seconds = 0.0
        if run_pass.ready:
            synchronous_seconds = self._schedule(tests, test_filter, names, run_pass, completed)
        run_pass.close()
        result.results.extend(r for _, r in completed)
        failed = not run_pass.ready or any(r.state.failed for _, r in completed)
        elapsed = synchronous_seconds if completed else time.monotonic() - started
        console.write(f"--- {'FAIL' if failed else 'PASS'}: {ROOT} ({elapsed:.2f}s)")
        for name, instance_result in completed:
            status = "SKIP" if instance_result.state.skipped else ("FAIL" if instance_result.state.failed else "PASS")
            console.write(f"    --- {status}: {name} ({instance_result.duration:.2f}s)")

    def _schedule(self, tests: Sequence[Test], test_filter: TestFilter, names: UniqueNames,
                  run_pass: RunPass, completed: list[tuple[str, InstanceResult]]) -> float:
        """Run non-concurrent instances now, in order; queue concurrent ones; then run the queue."""
        lock = threading.Lock()
        queued: list[tuple[str, Instance]] = []
        synchronous = 0.0

        progress = self.settings.progress

        def execute(name: str, instance: Instance) -> None:
            progress.started()
            outcome = run_pass.run(instance)
            progress.finished(outcome.state.failed)
            with lock:
                completed.append((name, outcome))

        for name, instance in self._instances(tests, names):
            if not test_filter.selects(name):
                continue
            self.console.write(f"=== RUN   {name}")
            if instance.test.spec.concurrent is False:
                began = time.monotonic()
                execute(name, instance)
                synchronous += time.monotonic() - began
            else:
                self.console.write(f"=== PAUSE {name}")
                queued.append((name, instance))

        def resume(item: tuple[str, Instance]) -> None:
            self.console.write(f"=== CONT  {item[0]}")
            execute(*item)

        run_each(resume, queued, self._parallelism(), "chainsaw")
        return synchronous

    def _instances(self, tests: Sequence[Test], names: UniqueNames) -> list[tuple[str, Instance]]:
        full = self.settings.spec.discovery.full_name
        out: list[tuple[str, Instance]] = []
        for index, test in enumerate(tests):
            display = test_name(test, full)
            if not test.spec.scenarios:
                out.append((names.unique(ROOT, display), Instance(test, index + 1, display)))
                continue
            for scenario_index, scenario in enumerate(test.spec.scenarios):
                out.append((names.unique(ROOT, display), Instance(
                    test, index + 1, display, scenario_index + 1, scenario_name(scenario, scenario_index),
                    tuple(scenario.bindings))))
        return out

    def _parallelism(self) -> int:
        configured = self.settings.spec.execution.parallel
        return configured if configured and configured > 0 else (os.cpu_count() or 1)

    # ------------------------------------------------------------------------------ contexts

    def _root_context(self) -> TestContext:
        """Chainsaw's ``InitContext``: settings from the configuration, ``$values``, ``$timeouts``,
        the registered clusters and the default cluster (``$client`` / ``$config``)."""
        spec = self.settings.spec
        clusters = ClusterRegistry()
        if self.settings.default_cluster is not None:
            clusters = clusters.register(DEFAULT_CLUSTER, ConnectedSource(self.settings.default_cluster))
        tc = TestContext(bindings=Bindings(), clusters=clusters, compiler=spec.templating.compiler or "jp",
                         skip_delete=spec.cleanup.skip_delete, templating=spec.templating.enabled,
                         deletion_propagation=spec.deletion.propagation, catch=tuple(spec.error.catch))
        if spec.cleanup.delay_before_cleanup:
            tc = replace(tc, delay_before_cleanup=parse_duration(spec.cleanup.delay_before_cleanup))
        if spec.execution.force_termination_grace_period:
            tc = replace(tc, termination_grace=parse_duration(spec.execution.force_termination_grace_period))
        timeouts = TimeoutSeconds(
            apply=parse_duration(spec.timeouts.apply), assert_=parse_duration(spec.timeouts.assert_),
            cleanup=parse_duration(spec.timeouts.cleanup), delete=parse_duration(spec.timeouts.delete),
            error=parse_duration(spec.timeouts.error), exec=parse_duration(spec.timeouts.exec))
        tc = replace(tc, timeouts=timeouts).bind("timeouts", timeouts.as_binding())
        tc = tc.bind("values", self.settings.values)
        tc = tc.with_clusters(spec.clusters)
        if self.settings.default_cluster is not None:
            tc = tc.with_current_cluster(DEFAULT_CLUSTER)
        return tc

def _skipped_result(instance: Instance) -> InstanceResult:
    state = TestState(skipped=True)
    report = TestReport(base_path=str(instance.test.base_path), name=instance.test.name,
                        concurrent=instance.test.spec.concurrent, skipped=True,
                        scenario=instance.scenario_name, labels=dict(instance.test.labels))
    report.end_time = report.start_time
    return InstanceResult(instance, state, report)


class RunPass:
    """One pass over the tests (one repetition of the suite): the root context, the global namespace
    created at the start (when configured) and deleted at the end. While it is open the process is a
    child subreaper, and at its end whatever the scripts left running is killed (``util.processes``)."""

    def __init__(self, runner: Runner, result: RunResult) -> None:
        self.runner = runner
        self.result = result
        self.logger = ConsoleStepLogger(runner.console, ROOT, "", SETUP_STEP)
        self.root = runner._root_context()
        spec = runner.settings.spec
        self.env = TestEnvironment(console=runner.console, summary=result.summary, cancel=runner.cancel,
                                   failure_notes=runner.settings.failure_notes or list,
                                   on_failure=runner.on_failure, fail_fast=spec.execution.fail_fast,
                                   namespace_options=spec.namespace, report_sink=result.report.add,
                                   output_budget=result.report.output_budget)
        self.cleaner = Cleaner(timeout=self.root.timeouts.cleanup, wait_for_deletion=not spec.namespace.fast_delete,
                               delay=None, propagation=self.root.deletion_propagation)
        self.ready = False
        self._reaper = ExitStack()

    def open(self) -> None:
        self._reaper.enter_context(subreaper())
        try:
            self.root = setup_namespace(self.runner.settings.spec.namespace, self.root, self.cleaner, self.logger)
        except OperationError as err:
            self.logger.log("INTERNAL", "ERROR", None, error_section(err.errors))
            self.result.summary.fail_run()
            return
        self.ready = True

    def run(self, instance: Instance) -> InstanceResult:
        """Run one instance (skipped without running once the run is interrupted)."""
        if self.runner.cancel.cancelled:
            outcome = _skipped_result(instance)
            self.env.summary.count(outcome.state)
            self.env.report_sink(outcome.report)
            return outcome
        return run_instance(instance, self.root, self.env)

    def close(self) -> None:
        """Delete the global namespace if this run created it; end what the scripts left running."""
        try:
            self._close_namespace()
        finally:
            LEFTOVERS.sweep()
            self._reaper.close()

    def _close_namespace(self) -> None:
        if self.root.skip_delete:
            self.cleaner.release()
            if not self.cleaner.empty:
                self.logger.log("CLEANUP", "SKIP", color="yellow")
            return
        if self.cleaner.empty:
            return
        self.logger.log("CLEANUP", "BEGIN")
        try:
            for message in self.cleaner.run(self.logger, None):
                self.logger.log("CLEANUP", "ERROR", None, error_section([message]))
                self.result.summary.fail_run()
        finally:
            self.logger.log("CLEANUP", "END")
