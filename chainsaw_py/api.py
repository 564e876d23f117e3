"""The public Python API: load and run Chainsaw tests, read structured results.

```python
from chainsaw_py import api

outcome = api.run(api.TestOptions(test_dirs=["tests/e2e"], no_cluster=True))
print(outcome.summary.passed, outcome.summary.failed)
for result in outcome.results:
    print(result.name, result.status, result.errors)
```

``run`` prints Chainsaw's console output to ``stream`` (``quiet=True`` keeps only errors and the summary);
``TestOptions`` mirrors the ``test`` command's flags (``None`` = not set, the configuration decides).
The CLI is a thin layer over this module.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TextIO

from chainsaw_py import __version__
from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.expressions import Bindings
from chainsaw_py.golang.durations import format_duration_ns, parse_duration_ns
from chainsaw_py.loading.discovery import DiscoveredTest
from chainsaw_py.loading.model import (
    OPERATION_KINDS,
    Assert,
    Cluster,
    Configuration,
    ConfigurationSpec,
    ReportOptions,
    Test,
)
from chainsaw_py.loading.sut_file import sut_path
from chainsaw_py.operations.base import CancelToken, OperationContext, OperationError
from chainsaw_py.report.console import Console, ConsoleStepLogger, use_color
from chainsaw_py.report.model import OutputBudget, Report, ShardInfo, now
from chainsaw_py.report.progress import RunProgress, live_status, status_wanted
from chainsaw_py.runner.names import scenario_name
from chainsaw_py.runner.runner import Runner, RunResult, RunSettings
from chainsaw_py.runner.state import Summary
from chainsaw_py.util.leftovers import LEFTOVERS
from chainsaw_py.util.masking import Masker, active
from chainsaw_py.util.terminal import sanitize

if TYPE_CHECKING:  # imported when used: a run without a system under test or a merge needs none of them
    from chainsaw_py.embedded.runtime.images import ImageProgram
    from chainsaw_py.loading.sut import ProcessSpec, SutConfig
    from chainsaw_py.report.merge import MergeSummary


@dataclass
class TestOptions:
    """Everything ``chainsaw-py test`` accepts. ``None`` means "not set": the configuration decides."""

    __test__ = False  # not a pytest test class

    test_dirs: list[str] = field(default_factory=list)
    config: str | None = None
    test_file: str | None = None
    apply_timeout: str | None = None
    assert_timeout: str | None = None
    cleanup_timeout: str | None = None
    delete_timeout: str | None = None
    error_timeout: str | None = None
    exec_timeout: str | None = None
    skip_delete: bool | None = None
    template: bool | None = None
    default_compiler: str | None = None
    fail_fast: bool | None = None
    parallel: int | None = None
    repeat_count: int | None = None
    report_format: str | None = None
    """One of ``JSON``, ``XML``, ``JUNIT-TEST``, ``JUNIT-STEP``, ``JUNIT-OPERATION``, ``HTML``, or several
    separated by commas (``JSON,HTML``)."""
    report_path: str | None = None
    report_name: str | None = None
    namespace: str | None = None
    fast_namespace_deletion: bool | None = None
    deletion_propagation_policy: str | None = None
    full_name: bool | None = None
    include_test_regex: str | None = None
    exclude_test_regex: str | None = None
    force_termination_grace_period: str | None = None
    cleanup_delay: str | None = None
    selector: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    set_values: list[str] = field(default_factory=list)
    set_string_values: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    shard_index: int = 0
    shard_count: int = 0
    no_cluster: bool = False
    embedded: bool = False
    kubeconfig: str | None = None
    """The kubeconfig file(s) of the default cluster, read in place of ``$KUBECONFIG`` (a path list, the same
    loading rules); the process environment is left alone. None: ``$KUBECONFIG``, else ``~/.kube/config``."""
    kubeconfig_overrides: dict[str, Any] = field(default_factory=dict)
    pause_on_failure: bool = False
    quiet: bool = False
    no_color: bool = False
    force_color: bool = False
    """Colours even when the output is not a terminal, as the ``test`` command does (Chainsaw forces them)."""
    remarshal: bool = False
    sut_config: str | None = None
    """chainsaw_py's own file (``.chainsaw-py.yaml``): processes to run, images mapped to local programs;
    default: the one next to the configuration file, if any."""
    processes: list[ProcessSpec] = field(default_factory=list)
    """Processes run alongside the suite, after those of the file."""
    images: list[ImageProgram] = field(default_factory=list)
    """Images that run as local programs on the embedded cluster, after those of the file."""


@dataclass
class TestResult:
    """One test instance (a test, or one scenario of it, in one repetition)."""

    __test__ = False  # not a pytest test class

    name: str
    full_name: str
    base_path: str
    scenario: str
    status: str
    duration: float
    errors: list[str]
    labels: dict[str, str]


@dataclass
class Outcome:
    """What ``run`` returns: the summary, the report, each test's result and the report files."""

    summary: Summary
    report: Report
    results: list[TestResult]
    report_file: Path | None = None
    """The first report written (see ``report_files``)."""
    interrupted: bool = False
    report_files: list[Path] = field(default_factory=list)
    """Every report written, one per format."""

    @property
    def ok(self) -> bool:
        return self.summary.failed == 0 and not self.interrupted


# --------------------------------------------------------------------------------------- loading


def load_configuration(path: str | None = None) -> tuple[Configuration, str]:
    """The configuration Chainsaw would use: ``path``, else ``./.chainsaw.yaml``, else the default.
    Returns it with the file it came from (``""`` for the default)."""
    from chainsaw_py.loading import load_configuration as load

    return load(path)


def load_tests(paths: list[str], *, test_file: str = "chainsaw-test", selector: list[str] | None = None) -> list[Test]:
    """Discover and load tests exactly as ``chainsaw test`` does (recursive, sorted, validated)."""
    from chainsaw_py.loading import discover_tests

    return [found.test for found in discover_tests(paths or ["."], test_file=test_file, selector=selector or None)]


def apply_options(configuration: Configuration, options: TestOptions) -> ConfigurationSpec:
    """Flags override the configuration only when set (Chainsaw's ``pkg/commands/test/command.go``)."""
    spec = configuration.spec
    for option, key in (("apply_timeout", "apply"), ("assert_timeout", "assert_"), ("error_timeout", "error"),
                        ("delete_timeout", "delete"), ("cleanup_timeout", "cleanup"), ("exec_timeout", "exec")):
        value = getattr(options, option)
        if value is not None:
            setattr(spec.timeouts, key, value)
    _set(spec.discovery, "test_file", options.test_file)
    _set(spec.cleanup, "skip_delete", options.skip_delete)
    _set(spec.templating, "enabled", options.template)
    _set(spec.templating, "compiler", options.default_compiler)
    _set(spec.execution, "fail_fast", options.fail_fast)
    _set(spec.execution, "parallel", options.parallel)
    _set(spec.execution, "repeat_count", options.repeat_count)
    for option, key in (("report_format", "format"), ("report_path", "path"), ("report_name", "name")):
        value = getattr(options, option)
        if value is not None:
            spec.report = spec.report or ReportOptions()
            setattr(spec.report, key, value)
    _set(spec.namespace, "name", options.namespace)
    _set(spec.namespace, "fast_delete", options.fast_namespace_deletion)
    _set(spec.deletion, "propagation", options.deletion_propagation_policy)
    _set(spec.discovery, "full_name", options.full_name)
    _set(spec.discovery, "include_test_regex", options.include_test_regex)
    _set(spec.discovery, "exclude_test_regex", options.exclude_test_regex)
    _set(spec.execution, "force_termination_grace_period", options.force_termination_grace_period)
    _set(spec.cleanup, "delay_before_cleanup", options.cleanup_delay)
    for argument in options.clusters:
        name, kubeconfig, context = parse_cluster_argument(argument)
        spec.clusters[name] = Cluster(kubeconfig=kubeconfig, context=context)
    if options.pause_on_failure:
        spec.execution.parallel = 1
    return spec


def _set(target: Any, attribute: str, value: Any) -> None:
    if value is not None:
        setattr(target, attribute, value)


def parse_cluster_argument(argument: str) -> tuple[str, str, str]:
    """``--cluster name=kubeconfig[:context]``."""
    parts = argument.split("=")
    if len(parts) != 2:
        raise ChainsawError(f"failed to decode cluster argument {argument}")
    location = parts[1].split(":")
    if len(location) > 2:
        raise ChainsawError(f"failed to decode cluster argument {argument}")
    return parts[0], location[0], location[1] if len(location) == 2 else ""


# --------------------------------------------------------------------------------------- running


def run(options: TestOptions, stream: TextIO | None = None, *, cancel: CancelToken | None = None,
        handle_signals: bool = True) -> Outcome:
    """Load, run and report like ``chainsaw test``; Chainsaw's console output goes to ``stream``."""
    with _early_embedded_process(options) as process:
        return _run(options, stream, cancel, handle_signals, process)


def _run(options: TestOptions, stream: TextIO | None, cancel: CancelToken | None, handle_signals: bool,
         process: Any) -> Outcome:
    out = stream if stream is not None else sys.stdout
    console = Console(out, color=use_color(options.no_color, out, options.force_color), quiet=options.quiet)
    header = console.header
    header(f"Version: {__version__}")
    from chainsaw_py.loading import configuration_path, discover_tests, load_values, shard
    from chainsaw_py.loading.discovery import check_folders

    path = configuration_path(options.config)
    if not options.config and path:
        header(f"No configuration provided but found default file: {path}")
    header(f"Loading config ({path})..." if path else "Loading default configuration...")
    try:
        configuration, _ = load_configuration(path)
    except LoadError as err:
        raise LoadError(f"failed to load configuration ({err})") from None
    spec = apply_options(configuration, options)
    _check_report_formats(spec)
    test_dirs = options.test_dirs or ["."]
    settings = settings_lines(spec, options, test_dirs)
    for line in settings:
        header(line)
    header("Loading tests...")
    check_folders(test_dirs)
    discovered = discover_tests(test_dirs, test_file=spec.discovery.test_file, selector=options.selector or None,
                                default_compiler=spec.templating.compiler or "jp")
    before_sharding = discovered
    if options.shard_count > 0:
        discovered = shard(discovered, options.shard_index, options.shard_count)
    for found in discovered:
        header(f"- {found.test.name} ({found.test.base_path})")
    header("Loading values...")
    values = load_values(options.values, options.set_values, options.set_string_values)
    sut = system_under_test(options, path)
    _warn_about_empty_paths(test_dirs, before_sharding, spec.discovery.test_file, bool(options.selector))
    header("Running tests...")
    tests = [found.test for found in discovered]
    cancel = cancel or CancelToken()
    result = RunResult(Summary(), Report(shard=_shard_record(options, before_sharding),
                                         settings=[line.removeprefix("- ") for line in settings],
                                         output_budget=_output_budget(spec)))
    with (active(console.masker),
          _cluster_for(options, tests, console, sut, s3=_may_use_local_s3(tests, spec, sut),
                       process=process) as default_cluster,
          _signals(cancel, handle_signals), _report_when_abandoned(result, spec, console),
          _processes(sut, default_cluster, spec, console, cancel) as supervisor):
        result.report.cluster = _cluster_description(default_cluster)
        progress = RunProgress()
        run_settings = RunSettings(spec=spec, values=values, default_cluster=default_cluster,
                                   pause_on_failure=options.pause_on_failure,
                                   failure_notes=supervisor.failure_notes if supervisor is not None else None,
                                   progress=progress)
        with _status_line(options, out, console, progress):
            Runner(run_settings, console, cancel).run(tests, result)
        _count_process_failure(supervisor, result)
    if supervisor is not None:
        result.report.processes = supervisor.report_logs()
    return _finish(result, spec, console)


def _check_report_formats(spec: ConfigurationSpec) -> None:
    """Refuse unknown or clashing report formats before anything runs."""
    if spec.report is not None and spec.report.format:
        from chainsaw_py.report.writers import report_formats

        report_formats(spec.report.format, spec.report.path, spec.report.name)


def _output_budget(spec: ConfigurationSpec) -> OutputBudget:
    """Operation output is kept only for an HTML report."""
    if spec.report is None or not spec.report.format:
        return OutputBudget(0)
    from chainsaw_py.report.writers import report_formats

    return OutputBudget() if "HTML" in report_formats(spec.report.format) else OutputBudget(0)


def _cluster_description(cluster: Any) -> str:
    """The cluster in use, for the HTML report: embedded, or which kubeconfig context."""
    if cluster is None:
        return "none (--no-cluster)"
    return str(getattr(cluster, "description", ""))


def _shard_record(options: TestOptions, suite: list[DiscoveredTest]) -> ShardInfo | None:
    """Which shard of which suite this run is, for ``report merge`` (None when not sharded)."""
    if options.shard_count <= 0:
        return None
    from chainsaw_py.report.merge import suite_fingerprint

    roots = options.test_dirs or ["."]
    fingerprint = suite_fingerprint((_relative_to_roots(found.test.base_path, roots), found.test.name)
                                    for found in suite)
    return ShardInfo(options.shard_index, options.shard_count, fingerprint)


def _relative_to_roots(base_path: str | Path, roots: list[str]) -> str:
    """``base_path`` as ``<n>:<path under the n-th test directory>``: the same for every shard wherever the
    suite sits on each machine (a checkout, a pod's volume)."""
    path = os.path.abspath(base_path)
    for index, root in enumerate(roots):
        relative = os.path.relpath(path, os.path.abspath(root))
        if relative != ".." and not relative.startswith(".." + os.sep):
            return f"{index}:{relative}"
    return path


def _status_line(options: TestOptions, out: TextIO, console: Console, progress: RunProgress) -> Any:
    """The live status line while the tests run, on a terminal only (``report.progress``)."""
    if options.pause_on_failure or not status_wanted(out, quiet=options.quiet, no_color=options.no_color):
        return nullcontext()
    return live_status(console, progress)


def system_under_test(options: TestOptions, configuration: str | None) -> SutConfig | None:
    """The file's processes and image mappings, then those given in ``options``; None without any (its model,
    ``loading.sut``, is then not imported)."""
    path = sut_path(configuration, options.sut_config)
    if path is None and not options.processes and not options.images:
        return None
    from chainsaw_py.loading.sut import SutConfig, load_sut

    return load_sut(path).merged(SutConfig(tuple(options.processes), tuple(options.images)))


@contextmanager
def _processes(sut: SutConfig | None, cluster: Any, spec: ConfigurationSpec, console: Console,
               cancel: CancelToken) -> Iterator[Any]:
    """The processes of the system under test, for the block; one exiting aborts the run."""
    if sut is None or not sut.processes:  # runner.processes loads sockets and TLS
        yield None
        return
    from chainsaw_py.runner.processes import ProcessFailed, running_processes

    def on_exit(error: ProcessFailed) -> None:
        console.write(error.lines[0])
        cancel.cancel("\n".join(error.lines))

    log_dir = None
    if spec.report is not None and spec.report.format:
        log_dir = Path(spec.report.path or ".")
    with running_processes(sut.processes, cluster, log_dir, on_exit, console.write,
                           lambda: cancel.cancelled) as supervisor:
        yield supervisor


def _count_process_failure(supervisor: Any, result: RunResult) -> None:
    """A process that died fails the run even when no test was running at that moment."""
    if supervisor is not None and supervisor.failure is not None and result.summary.failed == 0:
        result.summary.fail_run()


def _warn_about_empty_paths(paths: list[str], discovered: list[DiscoveredTest], test_file: str,
                            selected: bool) -> None:
    """Chainsaw exits 0 when it finds no test; say so loudly (on stderr) for each path that gave none."""
    from chainsaw_py.loading.discovery import empty_path_reason, paths_without_tests

    for path in paths_without_tests(paths, discovered):
        reason = "no test matches the selector" if selected else empty_path_reason(path, test_file)
        sys.stderr.write(sanitize(f"Warning: no test found under {path}: {reason}") + "\n")
    sys.stderr.flush()


class Session:
    """A run context for embedding the engine (the pytest plugin, custom harnesses): one configuration,
    one set of values and one cluster, used to run tests one at a time and read their results.

    ```python
    with api.Session(api.TestOptions(no_cluster=True), tests=tests) as session:
        for test in tests:
            for result in session.run_test(test):
                print(result.full_name, result.status, result.errors)
    ```

    ``tests`` (optional) lets an embedded cluster load the suite's ``chainsaw_embedded.py`` plugins.
    Inside the ``with`` block, ``cluster`` is the cluster in use (``client``, ``write_kubeconfig(path)``), or
    ``None`` with ``no_cluster``.
    Console output goes to ``stream`` (default: nowhere). Interrupts are the caller's business.
    """

    def __init__(self, options: TestOptions | None = None, *, tests: list[Test] | None = None,
                 stream: TextIO | None = None, cancel: CancelToken | None = None) -> None:
        self.options = options or TestOptions()
        self.console = Console(stream if stream is not None else io.StringIO(),
                               color=False if stream is None else use_color(self.options.no_color, stream,
                                                                               self.options.force_color),
                               quiet=self.options.quiet)
        self.cancel = cancel or CancelToken()
        self._tests = list(tests or [])
        self._stack = ExitStack()
        self.result = RunResult(Summary(), Report())
        self.cluster: Any = None
        self.processes: Any = None
        """The ``ProcessSupervisor`` of the system under test's processes (None without processes)."""

    def __enter__(self) -> Self:
        from chainsaw_py.loading import load_values

        configuration, source = load_configuration(self.options.config)
        self.spec = apply_options(configuration, self.options)
        _check_report_formats(self.spec)
        self.result.report.output_budget = _output_budget(self.spec)
        self.result.report.settings = [line.removeprefix("- ") for line in
                                       settings_lines(self.spec, self.options, self.options.test_dirs or ["."])]
        values = load_values(self.options.values, self.options.set_values, self.options.set_string_values)
        sut = system_under_test(self.options, source or None)
        try:
            self._stack.enter_context(active(self.console.masker))
            # Any test may be run later, so the local S3 starts whatever the tests given here need.
            cluster = self._stack.enter_context(_cluster_for(self.options, self._tests, self.console, sut,
                                                             s3=True))
            self.cluster = cluster
            self.result.report.cluster = _cluster_description(cluster)
            self.processes = self._stack.enter_context(_processes(sut, cluster, self.spec, self.console,
                                                                  self.cancel))
            settings = RunSettings(spec=self.spec, values=values, default_cluster=cluster,
                                   pause_on_failure=self.options.pause_on_failure,
                                   failure_notes=self.processes.failure_notes if self.processes is not None else None)
            self.runner = Runner(settings, self.console, self.cancel)
            self._pass = self.runner.open_pass(self.result)
        except BaseException:
            self._stack.close()
            raise
        return self

    def run_test(self, test: Test, scenario: int | None = None) -> list[TestResult]:
        """Run ``test`` — every scenario, or only the 0-based ``scenario`` — and return the results."""
        from chainsaw_py.runner.names import test_name
        from chainsaw_py.runner.test import Instance

        display = test_name(test, self.spec.discovery.full_name)
        if not test.spec.scenarios:
            instances = [Instance(test, 1, display)]
        else:
            chosen = range(len(test.spec.scenarios)) if scenario is None else [scenario]
            instances = [Instance(test, 1, display, index + 1, scenario_name(test.spec.scenarios[index], index),
                                  tuple(test.spec.scenarios[index].bindings)) for index in chosen]
        if not self._pass.ready:
            raise ChainsawError("the run could not start (see the console output)")
        results = []
        for instance in instances:
            outcome = self._pass.run(instance)
            self.result.results.append(outcome)
            results.append(_result_of(outcome, self.console.masker))
        return results

    def __exit__(self, *exc: object) -> None:
        try:
            self._pass.close()
        finally:
            self.result.report.end_time = now()
            self._stack.close()
            if self.processes is not None:
                self.result.report.processes = self.processes.report_logs()


def _finish(result: RunResult, spec: ConfigurationSpec, console: Console) -> Outcome:
    console.write("Tests Summary...")
    console.write(f"- Passed  tests {result.summary.passed}")
    console.write(f"- Failed  tests {result.summary.failed}")
    console.write(f"- Skipped tests {result.summary.skipped}")
    report_files: list[Path] = []
    if spec.report is not None and spec.report.format:
        from chainsaw_py.report.writers import save_reports

        console.header("Saving report...")
        report_files = save_reports(result.report, spec.report.format, spec.report.path, spec.report.name,
                                    mask=console.masker.mask)
    if result.interrupted:
        console.header("Done with error.")
    elif result.summary.failed > 0:
        console.header("Done with failures.")
    else:
        console.header("Done.")
    report = result.report
    if not console.masker.empty:
        from chainsaw_py.report.writers import masked

        report = masked(report, console.masker.mask)
    return Outcome(result.summary, report, [_result_of(r, console.masker) for r in result.results],
                   report_files[0] if report_files else None, result.interrupted, report_files)


def _result_of(result: Any, masker: Masker) -> TestResult:
    state, instance = result.state, result.instance
    status = "skipped" if state.skipped else ("failed" if state.failed else "passed")
    return TestResult(name=instance.test.name, full_name=instance.display_name,
                      base_path=str(instance.test.base_path), scenario=instance.scenario_name, status=status,
                      duration=result.duration, errors=[masker.mask(error) for error in state.errors],
                      labels=dict(instance.test.labels))


def settings_lines(spec: ConfigurationSpec, options: TestOptions, test_dirs: list[str]) -> list[str]:
    """The settings dump of ``chainsaw test`` (Chainsaw's ``pkg/commands/test/command.go``), in Chainsaw's order."""
    go_list = "[" + " ".join(test_dirs) + "]"
    lines = [f"- Using test file: {spec.discovery.test_file}", f"- TestDirs {go_list}",
             f"- Quiet {_go_bool(options.quiet)}", f"- SkipDelete {_go_bool(spec.cleanup.skip_delete)}",
             f"- FailFast {_go_bool(spec.execution.fail_fast)}"]
    if spec.report is not None:
        lines += [f"- ReportFormat '{spec.report.format}'", f"- ReportName '{spec.report.name}'"]
        if spec.report.path:
            lines.append(f"- ReportPath '{spec.report.path}'")
    lines += [
        f"- Namespace '{spec.namespace.name}'", f"- FastNamespaceDeletion {_go_bool(spec.namespace.fast_delete)}",
        f"- FullName {_go_bool(spec.discovery.full_name)}",
        f"- IncludeTestRegex '{spec.discovery.include_test_regex}'",
        f"- ExcludeTestRegex '{spec.discovery.exclude_test_regex}'",
        f"- ApplyTimeout {_go_duration(spec.timeouts.apply)}",
        f"- AssertTimeout {_go_duration(spec.timeouts.assert_)}",
        f"- CleanupTimeout {_go_duration(spec.timeouts.cleanup)}",
        f"- DeleteTimeout {_go_duration(spec.timeouts.delete)}",
        f"- ErrorTimeout {_go_duration(spec.timeouts.error)}",
        f"- ExecTimeout {_go_duration(spec.timeouts.exec)}",
        f"- DeletionPropagationPolicy {spec.deletion.propagation}",
    ]
    if spec.execution.parallel:
        lines.append(f"- Parallel {spec.execution.parallel}")
    if spec.execution.repeat_count is not None:
        lines.append(f"- RepeatCount {spec.execution.repeat_count}")
    if spec.execution.force_termination_grace_period:
        lines.append(f"- ForceTerminationGracePeriod {_go_duration(spec.execution.force_termination_grace_period)}")
    if spec.cleanup.delay_before_cleanup:
        lines.append(f"- DelayBeforeCleanup {_go_duration(spec.cleanup.delay_before_cleanup)}")
    if options.selector:
        lines.append(f"- Selector [{' '.join(options.selector)}]")
    if options.values:
        lines.append(f"- Values [{' '.join(options.values)}]")
    lines.append(f"- Template {_go_bool(spec.templating.enabled)}")
    if spec.templating.compiler:
        lines.append(f"- Default compiler {spec.templating.compiler}")
    if spec.clusters:
        entries = " ".join(f"{name}:{{{c.kubeconfig} {c.context}}}" for name, c in sorted(spec.clusters.items()))
        lines.append(f"- Clusters map[{entries}]")
    if options.remarshal:
        lines.append(f"- Remarshal {_go_bool(options.remarshal)}")
    lines.append(f"- NoCluster {_go_bool(options.no_cluster)}")
    lines.append(f"- PauseOnFailure {_go_bool(options.pause_on_failure)}")
    if options.shard_count > 0:
        lines.append(f"- Shard {options.shard_index} / {options.shard_count}")
    return lines


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def _go_duration(value: str) -> str:
    return format_duration_ns(parse_duration_ns(value))


# --------------------------------------------------------------------------------------- merging reports


@dataclass
class MergeOutcome:
    """What ``merge_reports`` returns: the merged report, the files written and the counts."""

    report: Report
    files: list[Path]
    summary: MergeSummary
    """Passed, failed and skipped tests of all shards."""


def merge_reports(inputs: list[str], *, formats: list[str] | None = None, path: str = "",
                  name: str = "chainsaw-report", allow_missing_shards: bool = False) -> MergeOutcome:
    """Merge the JSON reports of a suite's shards (``[LABEL=]FILE`` each) into one report, written in every
    format of ``formats`` (default JSON) as ``<path>/<name>.<ext>`` — what ``chainsaw-py report merge`` does.
    Reports of different runs, overlapping or missing shards raise ``ChainsawError`` (docs/scaling.md)."""
    from chainsaw_py.report.merge import load_shards, summarize
    from chainsaw_py.report.merge import merge_reports as merge  # api.merge_reports is this one's wrapper
    from chainsaw_py.report.writers import report_formats, save_reports

    chosen = ",".join(formats or ["JSON"])
    report_formats(chosen, path, name)  # checked before anything is read or written
    report = merge(load_shards(inputs), name, allow_missing=allow_missing_shards)
    files = save_reports(report, chosen, path, name)
    return MergeOutcome(report, files, summarize(report))


# --------------------------------------------------------------------------------------- one assertion


def assert_resource(assertion: dict[str, Any], cluster: Any, *, namespace: str = "default",
                    timeout: float | None = None) -> None:
    """Poll one assertion (a resource, or a bindings-only check) against ``cluster`` until it holds or
    ``timeout`` passes (what ``chainsaw-py assert`` does); raises ``ChainsawError("assertion failed ...")``."""
    quiet_logger = ConsoleStepLogger(Console(io.StringIO()), "assert", "", "assert")
    ctx = OperationContext(bindings=Bindings(), logger=quiet_logger, timeout=timeout, templating=False,
                           namespace=namespace, cluster=cluster)
    from chainsaw_py.operations import assert_ as assert_operation

    try:
        assert_operation.run(Assert(resource=assertion), assertion, ctx)
    except OperationError as err:
        raise ChainsawError("assertion failed\n" + str(err)) from err


# --------------------------------------------------------------------------------------- clusters


@contextmanager
def _early_embedded_process(options: TestOptions) -> Iterator[Any]:
    """The embedded cluster's process, spawned before the tests load when the run will use one (it loads
    meanwhile, on the other core); None otherwise."""
    if options.no_cluster:
        yield None
        return
    from chainsaw_py.client.clusters import early_embedded_process

    with early_embedded_process(options.kubeconfig_overrides, embedded=options.embedded,
                                kubeconfig=options.kubeconfig) as process:
        yield process


@contextmanager
def _cluster_for(options: TestOptions, tests: list[Test], console: Console,
                 sut: SutConfig | None = None, *, s3: bool, process: Any = None) -> Iterator[Any]:
    """The default cluster: none with ``--no-cluster``; the kubeconfig's when there is one (unless
    ``--embedded``); otherwise an embedded cluster started for the run (in ``process`` when one was
    spawned early)."""
    if options.no_cluster:
        yield None
        return
    from chainsaw_py.client.clusters import default_cluster

    with default_cluster(options.kubeconfig_overrides, embedded=options.embedded, tests=tests,
                         announce=console.write, images=sut.images if sut is not None else (),
                         s3=s3, kubeconfig=options.kubeconfig, process=process) as handle:
        yield handle


def _may_use_local_s3(tests: list[Test], spec: ConfigurationSpec, sut: SutConfig | None) -> bool:
    """Whether the run could reach an embedded cluster's local S3 (``AWS_ENDPOINT_URL``, Secret
    ``kube-system/aws-creds``): only programs can, so a suite without any (script, command and python
    operations, anywhere, the configuration's ``catch`` included; processes and image mappings of the system
    under test) does not pay for starting it."""
    if sut is not None and not sut.empty:
        return True
    operations = [*spec.error.catch, *(operation for test in tests for operation in test.operations())]
    return any(OPERATION_KINDS[operation.type].runs_programs for operation in operations)


@contextmanager
def _report_when_abandoned(result: RunResult, spec: ConfigurationSpec, console: Console) -> Iterator[None]:
    """If a second Ctrl-C cuts the run short, the report of what completed is still written (marked
    interrupted)."""
    if spec.report is None or not spec.report.format:
        yield
        return
    report_options = spec.report

    def write() -> None:
        from chainsaw_py.report.writers import save_reports

        result.report.interrupted = True
        result.report.end_time = now()
        save_reports(result.report, report_options.format, report_options.path, report_options.name,
                     mask=console.masker.mask)

    key = LEFTOVERS.add_final(write)
    try:
        yield
    finally:
        LEFTOVERS.discard_action(key)


ABANDON_SECONDS = 2.0
"""A second Ctrl-C exits within this time, whatever the cleanup still waits for."""


def abandon_and_exit(code: int = 130) -> None:
    """The second Ctrl-C: kill every child, send the namespace deletes, write the report, remove the
    temporary files — then exit, in at most ``ABANDON_SECONDS`` (a watchdog exits if something hangs)."""
    watchdog = threading.Timer(ABANDON_SECONDS, os._exit, (code,))
    watchdog.daemon = True
    watchdog.start()
    LEFTOVERS.abandon(budget=ABANDON_SECONDS * 0.75)
    sys.stderr.write("Interrupted again: stopped at once (child processes killed, deletes sent, report written "
                     "when configured, temporary files removed).\n")
    sys.stderr.flush()
    os._exit(code)


@contextmanager
def _signals(cancel: CancelToken, enabled: bool) -> Iterator[None]:
    """First Ctrl-C / SIGTERM: stop operations, then clean up and report. Second: abandon the cleanup
    and exit within two seconds (``abandon_and_exit``)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        with nullcontext():
            yield
        return
    count = {"n": 0}

    def handler(signum: int, _frame: Any) -> None:
        count["n"] += 1
        if count["n"] > 1:
            abandon_and_exit()
        sys.stderr.write("Interrupted: stopping operations, cleaning up (press Ctrl-C again to stop at once)...\n")
        sys.stderr.flush()
        cancel.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_to_string(options: TestOptions) -> tuple[Outcome, str]:
    """Run and capture the console output (handy in tests and notebooks)."""
    buffer = io.StringIO()
    outcome = run(options, buffer, handle_signals=False)
    return outcome, buffer.getvalue()
