"""pytest plugin: run Chainsaw tests as pytest items, and fixtures for the cluster and the local S3.

Registered through the ``pytest11`` entry point; collection is off unless asked for with ``--chainsaw`` or
the ini setting ``chainsaw = true``. See docs/embedding.md for the options, the naming scheme and how
Chainsaw's execution settings map onto pytest.

- Every ``chainsaw-test.yaml``/``.yml`` (or the configured test file) is a pytest file node; a folder with no
  test file but kuttl-style numbered files (``00-install.yaml``...) is collected through its first
  numbered file. One item per test, and per scenario: ``<test name>`` or ``<test name>[<scenario name>]``
  (Go's subtest rewriting: spaces become ``_``; duplicates get ``#01``, ``#02``...).
- Labels become markers (``-m tier``, ``-m "tier(value='e2e')"``); every item also has the ``chainsaw`` marker.
- One ``api.Session`` per process (so one embedded cluster per pytest-xdist worker), opened at the first
  item or fixture that needs it and closed at the end of the session.
"""

from __future__ import annotations

import io
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import pytest

if TYPE_CHECKING:
    from chainsaw_py.api import Session, TestOptions, TestResult
    from chainsaw_py.loading.model import Test

CLUSTER_MODES = ("auto", "embedded", "kubeconfig", "none")
RESERVED_MARKERS = frozenset({"chainsaw", "filterwarnings", "parametrize", "skip", "skipif", "tryfirst", "trylast",
                              "usefixtures", "xfail"})
"""Label keys that would clash with pytest's own markers become ``label-<key>`` markers."""
_MARKER_UNSAFE = re.compile(r"[^\w.\-/+]")
"""Characters a marker name cannot have (``-m`` grammar, ini registration): they become ``_``."""

_RUNTIME = pytest.StashKey["ChainsawRuntime"]()
_SETTINGS = pytest.StashKey["PluginSettings"]()
_DISCOVERY = pytest.StashKey["Discovery"]()
_LABEL_MARKERS = pytest.StashKey[set[str]]()


# --------------------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chainsaw", "Chainsaw tests (chainsaw_py)")
    group.addoption("--chainsaw", action="store_true", default=None,
                    help="collect Chainsaw tests (chainsaw-test.yaml files, kuttl-style folders) as test items")
    group.addoption("--chainsaw-config", metavar="FILE", help="Chainsaw configuration file (default: .chainsaw.yaml "
                    "when present)")
    group.addoption("--chainsaw-values", metavar="FILE", action="append", default=None,
                    help="values file bound as $values (repeatable)")
    group.addoption("--chainsaw-set", metavar="KEY=VALUE", action="append", default=None,
                    help="set a value (Helm --set syntax; repeatable)")
    group.addoption("--chainsaw-set-string", metavar="KEY=VALUE", action="append", default=None,
                    help="set a string value (repeatable)")
    group.addoption("--chainsaw-cluster", choices=CLUSTER_MODES, default=None,
                    help="auto (default): the kubeconfig's cluster when there is one, else an embedded cluster; "
                         "embedded; kubeconfig; none (no cluster)")
    group.addoption("--chainsaw-kubeconfig", metavar="FILE",
                    help="kubeconfig to use (sets KUBECONFIG for the session; implies --chainsaw-cluster=kubeconfig)")
    group.addoption("--chainsaw-kube-context", metavar="NAME", help="kubeconfig context to use")
    group.addoption("--chainsaw-test-file", metavar="NAME", help="test file name (default: the configuration's, "
                    "chainsaw-test)")
    group.addoption("--chainsaw-selector", metavar="SELECTOR", action="append", default=None,
                    help="only collect tests whose labels match (Kubernetes label selector; repeatable)")
    group.addoption("--chainsaw-fail-fast", metavar="BOOL", nargs="?", const="true", default=None,
                    choices=("true", "false"), help="skip the remaining tests after a failure (default: the "
                    "configuration's failFast)")
    group.addoption("--chainsaw-sut", metavar="FILE", help="chainsaw_py's system-under-test file (processes to run "
                    "alongside the tests, images mapped to local programs; default: .chainsaw-py.yaml next to the "
                    "configuration)")
    parser.addini("chainsaw", "collect Chainsaw tests (like --chainsaw)", type="bool", default=False)
    parser.addini("chainsaw_config", "Chainsaw configuration file, relative to the ini file")
    parser.addini("chainsaw_values", "values files, relative to the ini file", type="linelist", default=[])
    parser.addini("chainsaw_set", "values as KEY=VALUE (Helm --set syntax)", type="linelist", default=[])
    parser.addini("chainsaw_set_string", "string values as KEY=VALUE", type="linelist", default=[])
    parser.addini("chainsaw_cluster", "auto, embedded, kubeconfig or none", default="auto")
    parser.addini("chainsaw_kubeconfig", "kubeconfig file, relative to the ini file")
    parser.addini("chainsaw_kube_context", "kubeconfig context")
    parser.addini("chainsaw_test_file", "test file name")
    parser.addini("chainsaw_selector", "label selectors", type="linelist", default=[])
    parser.addini("chainsaw_fail_fast", "true or false (default: the configuration's failFast)")
    parser.addini("chainsaw_sut", "system-under-test file, relative to the ini file")


@dataclass(frozen=True)
class PluginSettings:
    enabled: bool
    config: str | None = None
    values: list[str] = field(default_factory=list)
    set_values: list[str] = field(default_factory=list)
    set_string_values: list[str] = field(default_factory=list)
    cluster: str = "auto"
    kubeconfig: str | None = None
    kube_context: str | None = None
    test_file: str | None = None
    selector: list[str] = field(default_factory=list)
    fail_fast: bool | None = None
    sut_config: str | None = None

    def test_options(self) -> TestOptions:
        from chainsaw_py.api import TestOptions

        return TestOptions(
            config=self.config, values=list(self.values), set_values=list(self.set_values),
            set_string_values=list(self.set_string_values), test_file=self.test_file, selector=list(self.selector),
            fail_fast=self.fail_fast, no_cluster=self.cluster == "none", embedded=self.cluster == "embedded",
            kubeconfig_overrides={"context": self.kube_context} if self.kube_context else {}, no_color=True,
            sut_config=self.sut_config)


def read_settings(config: pytest.Config) -> PluginSettings:
    """Command-line options win over ini settings; ini paths are relative to the ini file."""
    base = config.inipath.parent if config.inipath else config.rootpath

    def option(name: str) -> Any:
        return config.getoption(name)

    def ini_path(name: str) -> str | None:
        value = str(config.getini(name) or "")
        return str(base / value) if value else None

    def ini_list(name: str) -> list[str]:
        return [str(item) for item in config.getini(name)]

    kubeconfig = option("chainsaw_kubeconfig") or ini_path("chainsaw_kubeconfig")
    cluster = option("chainsaw_cluster") or ("kubeconfig" if option("chainsaw_kubeconfig") else None) \
        or str(config.getini("chainsaw_cluster") or "auto")
    if cluster not in CLUSTER_MODES:
        raise pytest.UsageError(f"chainsaw_cluster: invalid value {cluster!r} (expected one of "
                                f"{', '.join(CLUSTER_MODES)})")
    fail_fast_text = option("chainsaw_fail_fast") or str(config.getini("chainsaw_fail_fast") or "")
    if fail_fast_text not in ("", "true", "false"):
        raise pytest.UsageError(f"chainsaw_fail_fast: invalid value {fail_fast_text!r} (expected true or false)")
    return PluginSettings(
        enabled=bool(option("chainsaw") or config.getini("chainsaw")),
        config=option("chainsaw_config") or ini_path("chainsaw_config"),
        values=option("chainsaw_values") or [str(base / path) for path in ini_list("chainsaw_values")],
        set_values=option("chainsaw_set") or ini_list("chainsaw_set"),
        set_string_values=option("chainsaw_set_string") or ini_list("chainsaw_set_string"),
        cluster=cluster, kubeconfig=kubeconfig,
        kube_context=option("chainsaw_kube_context") or str(config.getini("chainsaw_kube_context") or "") or None,
        test_file=option("chainsaw_test_file") or str(config.getini("chainsaw_test_file") or "") or None,
        selector=option("chainsaw_selector") or ini_list("chainsaw_selector"),
        fail_fast=None if not fail_fast_text else fail_fast_text == "true",
        sut_config=option("chainsaw_sut") or ini_path("chainsaw_sut"))


# --------------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Discovery:
    """What collection needs from the configuration (flags applied)."""

    test_file: str
    compiler: str
    include_test_regex: str
    exclude_test_regex: str


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chainsaw: a Chainsaw test collected by chainsaw_py")
    settings = read_settings(config)
    config.stash[_SETTINGS] = settings
    config.stash[_RUNTIME] = ChainsawRuntime(settings, lambda: _shared_directory(config))
    if settings.enabled:
        config.stash[_DISCOVERY] = _discovery(settings)



def _discovery(settings: PluginSettings) -> Discovery:
    from chainsaw_py import api
    from chainsaw_py.errors import ChainsawError

    try:
        configuration, _ = api.load_configuration(settings.config)
        spec = api.apply_options(configuration, settings.test_options())
    except ChainsawError as err:
        raise pytest.UsageError(f"chainsaw: {err}") from None
    return Discovery(test_file=spec.discovery.test_file, compiler=spec.templating.compiler or "jp",
                     include_test_regex=spec.discovery.include_test_regex,
                     exclude_test_regex=spec.discovery.exclude_test_regex)


def _shared_directory(config: pytest.Config) -> Path | None:
    """A folder every pytest-xdist worker of this run sees (None without xdist)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return None
    return Path(factory.getbasetemp()).parent


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(_RUNTIME, None)
    if runtime is not None:
        runtime.close()


# --------------------------------------------------------------------------------------- collection


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _DISCOVERY not in parent.config.stash:
        return None
    discovery = parent.config.stash[_DISCOVERY]
    if file_path.suffix not in (".yaml", ".yml") and file_path.name != discovery.test_file:
        return None
    if representative_file(file_path.parent, discovery.test_file) != file_path:
        return None
    collector: pytest.Collector = ChainsawFile.from_parent(parent, path=file_path)
    return collector


def representative_file(folder: Path, test_file: str) -> Path | None:
    """The file a test folder is collected through: the test file Chainsaw would load, else (kuttl style)
    the first numbered step file; ``None`` when the folder holds no test."""
    from chainsaw_py.loading.discovery import STEP_FILE

    names = [test_file] if Path(test_file).suffix else [f"{test_file}.yaml", f"{test_file}.yml"]
    for name in names:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    try:
        steps = sorted(entry.name for entry in os.scandir(folder) if entry.is_file() and STEP_FILE.fullmatch(entry.name))
    except OSError:
        return None
    return folder / steps[0] if steps else None


class ChainsawFile(pytest.File):
    """The tests of one folder (Chainsaw's discovery of that folder, label selector applied)."""

    def collect(self) -> Iterator[pytest.Item]:
        from chainsaw_py.errors import ChainsawError
        from chainsaw_py.loading.discovery import load_folder
        from chainsaw_py.runner.names import UniqueNames, scenario_name

        discovery = self.config.stash[_DISCOVERY]
        settings = self.config.stash[_SETTINGS]
        try:
            found = load_folder(discovery.test_file, str(self.path.parent), discovery.compiler)
            matcher = _selector(settings.selector)
        except ChainsawError as err:
            raise self.CollectError(str(err)) from None
        names = UniqueNames()
        for discovered in found:
            test = discovered.test
            if matcher is not None and not matcher.matches(test.labels):
                continue
            base = names.unique("", test.name).removeprefix("/")
            if not test.spec.scenarios:
                yield ChainsawItem.from_parent(self, name=base, test=test, scenario=None)
                continue
            scenario_names = UniqueNames()
            for index, scenario in enumerate(test.spec.scenarios):
                label = scenario_names.unique("", scenario_name(scenario, index)).removeprefix("/")
                yield ChainsawItem.from_parent(self, name=f"{base}[{label}]", test=test, scenario=index)


def _selector(selector: list[str]) -> Any:
    if not selector:
        return None
    from chainsaw_py.errors import ChainsawError
    from chainsaw_py.util.labels import SelectorError, parse_selector

    try:
        return parse_selector(",".join(selector))
    except SelectorError as err:
        raise ChainsawError(str(err)) from None


class ChainsawFailure(Exception):
    """A Chainsaw test failed: ``errors`` are its error blocks."""

    def __init__(self, title: str, errors: list[str]) -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors

    def render(self) -> str:
        from chainsaw_py.util.terminal import sanitize

        blocks = "\n\n".join(error.rstrip() for error in self.errors) or "(no error message)"
        return sanitize(f"{self.title}\n{blocks}")  # the errors are masked already


class ChainsawItem(pytest.Item):
    """One Chainsaw test, or one scenario of it."""

    def __init__(self, *, test: Test, scenario: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test
        self.scenario = scenario
        self.add_marker("chainsaw")
        for key, value in test.labels.items():
            self.add_marker(_label_marker(self.config, key, value))
        if test.spec.skip:
            self.add_marker(pytest.mark.skip(reason="skip: true"))

    def runtest(self) -> None:
        runtime = self.config.stash[_RUNTIME]
        result, log = runtime.run(self.test, self.scenario)
        if log:
            self.add_report_section("call", "chainsaw", log)
        stop_if_interrupted(self.session, runtime)
        check_result(result, runtime)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        if isinstance(excinfo.value, ChainsawFailure | ChainsawSetupError):
            return excinfo.value.render()
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        # pytest needs a line for skip reports; the test's own line is not kept by the loader.
        kind = "chainsaw test" if self.scenario is None else "chainsaw scenario"
        return self.path, 0, f"{kind} {self.name}"


def stop_if_interrupted(session: pytest.Session, runtime: ChainsawRuntime) -> None:
    """After a Ctrl-C the interrupted test is reported (with its cleanup) and the session stops."""
    if runtime.interrupted:
        session.shouldstop = "interrupted (Ctrl-C): the running Chainsaw test was stopped and cleaned up"


def check_result(result: TestResult, runtime: ChainsawRuntime) -> None:
    """Turn a Chainsaw result into pytest's outcome: skip, failure (the error blocks) or nothing."""
    if result.status == "skipped":
        reason = "interrupted" if runtime.interrupted else "failFast: skipped after an earlier failure"
        # Reported at the item's location, as a skip marker is (not at this line of the plugin).
        raise pytest.skip.Exception(reason, _use_item_location=True)
    if result.status == "failed":
        name = repr(result.name) + (f" ({result.scenario})" if result.scenario else "")
        raise ChainsawFailure(f"chainsaw test {name} failed:", result.errors)


def marker_name(key: str) -> str:
    """The marker a label key becomes."""
    name = _MARKER_UNSAFE.sub("_", key)
    return f"label-{name}" if name in RESERVED_MARKERS or not name or name.startswith("_") else name


def _label_marker(config: pytest.Config, key: str, value: str) -> pytest.MarkDecorator:
    name = marker_name(key)
    registered = config.stash.setdefault(_LABEL_MARKERS, set())
    if name not in registered:
        registered.add(name)
        config.addinivalue_line("markers", f"{name}: Chainsaw label {key}")
    decorator: pytest.MarkDecorator = getattr(pytest.mark, name)
    return decorator.with_args(value, value=value)



@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    chainsaw_items = [item for item in items if isinstance(item, ChainsawItem)]
    if not chainsaw_items:
        return
    kept = _deselect_by_regex(config, items)
    if len(kept) != len(items):
        items[:] = kept
    # Chainsaw runs the tests with concurrent: false first, one at a time, then the others.
    slots = [index for index, item in enumerate(items) if isinstance(item, ChainsawItem)]
    ordered = sorted((items[index] for index in slots),
                     key=lambda item: 0 if item.test.spec.concurrent is False else 1)  # type: ignore[attr-defined]
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item
    config.stash[_RUNTIME].tests = list({id(item.test): item.test for item in chainsaw_items}.values())


def _deselect_by_regex(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """The configuration's includeTestRegex/excludeTestRegex, with Go's -run/-skip semantics."""
    from chainsaw_py.runner.names import ROOT, TestFilter, rewrite

    discovery = config.stash[_DISCOVERY]
    if not discovery.include_test_regex and not discovery.exclude_test_regex:
        return items
    test_filter = TestFilter(discovery.include_test_regex, discovery.exclude_test_regex)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        selected = not isinstance(item, ChainsawItem) or test_filter.selects(f"{ROOT}/{rewrite(item.test.name)}")
        (kept if selected else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    return kept


# --------------------------------------------------------------------------------------- the runtime


class ChainsawSetupError(Exception):
    """The session could not start (configuration, values, cluster): every Chainsaw item fails with it."""

    def render(self) -> str:
        return f"chainsaw: {self}"


class _LogStream(io.TextIOBase):
    """The Session's console stream: each item's lines go to that item's buffer, the rest to ``outside``."""

    def __init__(self) -> None:
        super().__init__()
        self.outside = io.StringIO()
        self._current: io.StringIO | None = None
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            (self._current or self.outside).write(text)
        return len(text)

    def isatty(self) -> bool:
        return False

    @contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        buffer = io.StringIO()
        with self._lock:
            if self.outside.getvalue():
                buffer.write(self.outside.getvalue())
                self.outside = io.StringIO()
            self._current = buffer
        try:
            yield buffer
        finally:
            with self._lock:
                self._current = None


class ChainsawRuntime:
    """The process's ``api.Session`` (opened lazily), its log stream and its cross-worker coordination."""

    def __init__(self, settings: PluginSettings, shared: Callable[[], Path | None] = lambda: None) -> None:
        self.settings = settings
        self._shared = shared
        self.tests: list[Test] = []
        self.embedded = False
        self.stream = _LogStream()
        self.interrupted = False
        self.close_errors = ""
        self._session: Session | None = None
        self._open_error: str | None = None
        self._saved_kubeconfig: tuple[bool, str | None] | None = None
        self._s3: Any = None
        self._s3_server: Any = None

    @property
    def shared(self) -> Path | None:
        """A folder all pytest-xdist workers of the run share (None without xdist)."""
        return self._shared()

    # --- the session

    def session(self) -> Session:
        if self._session is not None:
            return self._session
        if self._open_error is not None:
            raise ChainsawSetupError(self._open_error)
        from chainsaw_py.api import Session
        from chainsaw_py.errors import ChainsawError

        self._use_kubeconfig()
        session = Session(self.settings.test_options(), tests=self.tests, stream=cast(TextIO, self.stream))
        try:
            session.__enter__()
        except ChainsawError as err:
            self._open_error = str(err)
            self._restore_kubeconfig()
            raise ChainsawSetupError(self._open_error) from None
        self._session = session
        return session

    def _use_kubeconfig(self) -> None:
        from chainsaw_py.client.kubeconfig import has_default_kubeconfig

        if self.settings.kubeconfig:
            self._saved_kubeconfig = ("KUBECONFIG" in os.environ, os.environ.get("KUBECONFIG"))
            os.environ["KUBECONFIG"] = self.settings.kubeconfig
        usable = has_default_kubeconfig()
        if self.settings.cluster == "kubeconfig" and not usable:
            self._open_error = "no kubeconfig found (set KUBECONFIG or --chainsaw-kubeconfig)"
            self._restore_kubeconfig()
            raise ChainsawSetupError(self._open_error)
        # The same choice as client.clusters.default_cluster makes.
        self.embedded = self.settings.cluster == "embedded" or (self.settings.cluster == "auto" and not usable)

    def _restore_kubeconfig(self) -> None:
        if self._saved_kubeconfig is None:
            return
        present, value = self._saved_kubeconfig
        if present and value is not None:
            os.environ["KUBECONFIG"] = value
        else:
            os.environ.pop("KUBECONFIG", None)
        self._saved_kubeconfig = None

    def run(self, test: Test, scenario: int | None) -> tuple[TestResult, str]:
        """Run one test (or one scenario) and return its result and its Chainsaw log."""
        from chainsaw_py.errors import ChainsawError

        session = self.session()
        if self._open_error is not None:
            raise ChainsawSetupError(self._open_error)
        with _concurrency_lock(self.shared, test.spec.concurrent is False):
            if self._failed_elsewhere(session):
                return self._skipped(test), ""
            with self.stream.capture() as buffer, self._interruptible(session):
                try:
                    result = session.run_test(test, scenario)[0]
                except ChainsawError as err:  # the run could not start (global namespace): say why, every time
                    self._open_error = f"{err}\n{buffer.getvalue()}".rstrip()
                    raise ChainsawSetupError(self._open_error) from None
        if result.status == "failed":
            self._record_failure()
        return result, buffer.getvalue()

    @contextmanager
    def _interruptible(self, session: Session) -> Iterator[None]:
        """First Ctrl-C: stop the test's operations and let it clean up (the caller then stops the pytest
        session, see ``stop_if_interrupted``). Second: ``KeyboardInterrupt`` at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if session.cancel.cancelled:
                raise KeyboardInterrupt
            self.interrupted = True
            session.cancel.cancel()

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    # --- fail fast across pytest-xdist workers

    def _fail_fast(self, session: Session) -> bool:
        return bool(session.spec.execution.fail_fast)

    def _failed_elsewhere(self, session: Session) -> bool:
        return self.shared is not None and self._fail_fast(session) and (self.shared / "chainsaw-failed").exists()

    def _record_failure(self) -> None:
        if self.shared is not None and self._session is not None and self._fail_fast(self._session):
            (self.shared / "chainsaw-failed").touch()

    def _skipped(self, test: Test) -> TestResult:
        from chainsaw_py.api import TestResult

        return TestResult(name=test.name, full_name=test.name, base_path=str(test.base_path), scenario="",
                          status="skipped", duration=0.0, errors=[], labels=dict(test.labels))

    # --- fixtures' resources

    def cluster(self) -> Any:
        return self.session().cluster

    def s3(self) -> Any:
        """The embedded cluster's S3 when it has one, else a local S3 started for this process."""
        if self._s3 is not None:
            return self._s3
        handle = self.cluster()
        endpoint = getattr(handle, "s3", None) if handle is not None else None
        if endpoint is None:
            from chainsaw_py.embedded.s3 import start_s3

            self._s3_server, endpoint = start_s3()
        self._s3 = endpoint
        return endpoint

    def close(self) -> None:
        session, self._session = self._session, None
        try:
            if session is not None:
                with self.stream.capture() as buffer:
                    session.__exit__(None, None, None)
                if session.result.summary.failed and "ERROR" in buffer.getvalue():
                    self.close_errors = buffer.getvalue()
        finally:
            if self._s3_server is not None:
                self._s3_server.stop()
                self._s3_server = None
            self._restore_kubeconfig()


@contextmanager
def _concurrency_lock(shared: Path | None, exclusive: bool) -> Iterator[None]:
    """Under pytest-xdist, a test with ``concurrent: false`` runs alone: it takes an exclusive lock that
    every other Chainsaw test takes shared (Chainsaw's guarantee, across worker processes)."""
    if shared is None:
        yield
        return
    import fcntl

    with open(shared / "chainsaw-concurrency.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    runtime = config.stash.get(_RUNTIME, None)
    if runtime is not None and runtime.close_errors:
        terminalreporter.section("chainsaw cleanup")
        terminalreporter.write(runtime.close_errors)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    runtime = session.config.stash.get(_RUNTIME, None)
    if runtime is None:
        return
    runtime.close()
    if runtime.close_errors and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --------------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster the Chainsaw tests of this process use."""

    kubeconfig: Path
    client: Any
    server: str
    embedded: bool

    @property
    def api_client(self) -> Any:
        """The ``kubernetes`` package's ApiClient for this cluster."""
        return self.client.api_client


@dataclass(frozen=True)
class S3Info:
    """A local S3 (moto on loopback) and credentials that work against it."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str

    def client(self, service: str = "s3") -> Any:
        """A boto3 client for this endpoint."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key_id,
                            aws_secret_access_key=self.secret_access_key, region_name=self.region)

    @property
    def environment(self) -> dict[str, str]:
        """The AWS_* variables that point the AWS CLI and SDKs at it."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key, "AWS_DEFAULT_REGION": self.region}


def _runtime(config: pytest.Config) -> ChainsawRuntime:
    return config.stash[_RUNTIME]


def _open(config: pytest.Config) -> Session:
    try:
        return _runtime(config).session()
    except ChainsawSetupError as err:
        pytest.fail(err.render(), pytrace=False)


@pytest.fixture(scope="session")
def chainsaw_session(pytestconfig: pytest.Config) -> Session:
    """The ``api.Session`` of this process (the same one the collected Chainsaw tests run in)."""
    return _open(pytestconfig)


@pytest.fixture(scope="session")
def chainsaw_cluster(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> ClusterInfo:
    """The cluster in use (skips the test when the plugin runs without a cluster)."""
    handle = _open(pytestconfig).cluster
    if handle is None:
        pytest.skip("chainsaw: running without a cluster (chainsaw_cluster = none)")
    path = tmp_path_factory.mktemp("chainsaw-cluster") / "kubeconfig"
    handle.write_kubeconfig(path)
    return ClusterInfo(kubeconfig=path, client=handle.client, server=handle.selection.server,
                       embedded=_runtime(pytestconfig).embedded)


@pytest.fixture(scope="session")
def chainsaw_s3(pytestconfig: pytest.Config) -> S3Info:
    """The local S3: the embedded cluster's when it runs, else one started for this process."""
    _open(pytestconfig)
    endpoint = _runtime(pytestconfig).s3()
    return S3Info(endpoint_url=endpoint.endpoint_url, access_key_id=endpoint.access_key_id,
                  secret_access_key=endpoint.secret_access_key, region=endpoint.region)


@pytest.fixture
def chainsaw_run(request: pytest.FixtureRequest) -> Callable[..., list[TestResult]]:
    """``chainsaw_run(test, scenario=None)``: run a ``model.Test`` (e.g. built with ``chainsaw_py.declare``)
    in this process's session; its log is attached to the calling test, a failure fails it with Chainsaw's
    error block. Returns the results (one per scenario)."""
    runtime = _runtime(request.config)

    def run(test: Test, scenario: int | None = None) -> list[TestResult]:
        indexes = [scenario] if scenario is not None or not test.spec.scenarios else \
            list(range(len(test.spec.scenarios)))
        results = []
        for index in indexes:
            try:
                result, log = runtime.run(test, index)
                if log:
                    request.node.add_report_section("call", f"chainsaw {test.name}", log)
                results.append(result)
                stop_if_interrupted(request.session, runtime)
                check_result(result, runtime)
            except (ChainsawSetupError, ChainsawFailure) as err:
                message = err.render()
            else:
                continue
            pytest.fail(message, pytrace=False)
        return results

    return run
