"""The plugin at run time: the process's ``api.Session`` (opened lazily, closed at the end of the pytest
session), running one Chainsaw test with its log captured, failFast across pytest-xdist workers, Ctrl-C,
and turning a Chainsaw result into pytest's outcome."""

from __future__ import annotations

import io
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.pytest_plugin.options import PluginSettings
from chainsaw_py.pytest_plugin.workers import concurrency_lock, failed_elsewhere, record_failure
from chainsaw_py.util.terminal import sanitize

if TYPE_CHECKING:
    from chainsaw_py.api import Session, TestResult
    from chainsaw_py.loading.model import Test

RUNTIME = pytest.StashKey["ChainsawRuntime"]()
NO_KUBECONFIG = "no kubeconfig found (set KUBECONFIG or --chainsaw-kubeconfig)"


class ChainsawSetupError(Exception):
    """The session could not start (configuration, values, cluster): every Chainsaw item fails with it."""

    def render(self) -> str:
        return sanitize(f"chainsaw: {self}")


class ChainsawFailure(Exception):
    """A Chainsaw test failed: ``errors`` are its error blocks."""

    def __init__(self, title: str, errors: list[str]) -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors

    def render(self) -> str:
        blocks = "\n\n".join(error.rstrip() for error in self.errors) or "(no error message)"
        return sanitize(f"{self.title}\n{blocks}")  # the errors are masked already


class LogStream(io.TextIOBase):
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
        self.stream = LogStream()
        self.interrupted = False
        self.close_errors = ""
        self.process_errors = ""
        """Why a process of the system under test exited, when no test reported it (it exited after the last)."""
        self.abort_reported = False
        self._stack = ExitStack()
        self._session: Session | None = None
        self._open_error: str | None = None
        self._s3: Any = None

    @property
    def shared(self) -> Path | None:
        """A folder all pytest-xdist workers of the run share (None without xdist)."""
        return self._shared()

    # --- the session

    def session(self) -> Session:
        if self._session is None:
            if self._open_error is not None:
                raise ChainsawSetupError(self._open_error)
            try:
                self._session = self._open_session()
            except ChainsawError as err:
                self._open_error = str(err)
                raise ChainsawSetupError(self._open_error) from None
        return self._session

    def _open_session(self) -> Session:
        from chainsaw_py.api import Session

        self.embedded = self._embedded_cluster()
        session = Session(self.settings.test_options(), tests=self.tests, stream=cast(TextIO, self.stream))
        return self._stack.enter_context(session)

    def _embedded_cluster(self) -> bool:
        """Whether the session will start an embedded cluster: the choice ``client.clusters.default_cluster``
        makes. Raises when the kubeconfig mode has no kubeconfig."""
        from chainsaw_py.client.kubeconfig import has_default_kubeconfig

        usable = has_default_kubeconfig(self.settings.kubeconfig)
        if self.settings.cluster == "kubeconfig" and not usable:
            raise ChainsawError(NO_KUBECONFIG)
        return self.settings.cluster == "embedded" or (self.settings.cluster == "auto" and not usable)

    @property
    def abort_reason(self) -> tuple[str, ...]:
        """Why the session stopped running tests (a process of the system under test exited), else ()."""
        return self._session.cancel.reason if self._session is not None else ()

    # --- running a test

    def run(self, test: Test, scenario: int | None) -> tuple[TestResult, str]:
        """Run one test (or one scenario) and return its result and its Chainsaw log."""
        session = self.session()
        if self._open_error is not None:  # a run that could not start fails every test the same way
            raise ChainsawSetupError(self._open_error)
        with concurrency_lock(self.shared, test.spec.concurrent is False):
            skip = self._fail_fast(session) and failed_elsewhere(self.shared)
            result, log = (skipped_result(test), "") if skip else self._run_captured(session, test, scenario)
        if result.status == "failed" and self._fail_fast(session):
            record_failure(self.shared)
        if result.status != "passed" and self.abort_reason:
            self.abort_reported = True
        return result, log

    def _run_captured(self, session: Session, test: Test, scenario: int | None) -> tuple[TestResult, str]:
        with self.stream.capture() as buffer, self._interruptible(session):
            try:
                return session.run_test(test, scenario)[0], buffer.getvalue()
            except ChainsawError as err:  # the run could not start (global namespace): say why, every time
                self._open_error = f"{err}\n{buffer.getvalue()}".rstrip()
                raise ChainsawSetupError(self._open_error) from None

    @staticmethod
    def _fail_fast(session: Session) -> bool:
        return bool(session.spec.execution.fail_fast)

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

    # --- fixtures' resources

    def cluster(self) -> Any:
        return self.session().cluster

    def s3(self) -> Any:
        """The embedded cluster's S3 when it has one, else a local S3 started for this process."""
        if self._s3 is None:
            handle = self.cluster()
            endpoint = getattr(handle, "s3", None) if handle is not None else None
            if endpoint is None:
                from chainsaw_py.embedded.s3 import start_s3

                server, endpoint = start_s3()
                self._stack.callback(server.stop)
            self._s3 = endpoint
        return self._s3

    def close(self) -> None:
        """Close the session (its cleanup's log is kept when it failed) and the local S3."""
        session, reason = self._session, self.abort_reason
        self._session = None
        with self.stream.capture() as buffer:
            self._stack.close()
        if session is not None and session.result.summary.failed and "ERROR" in buffer.getvalue():
            self.close_errors = buffer.getvalue()
        if reason and not self.abort_reported:
            self.process_errors = "\n".join(reason) + "\n"


def skipped_result(test: Test) -> TestResult:
    from chainsaw_py.api import TestResult

    return TestResult(name=test.name, full_name=test.name, base_path=str(test.base_path), scenario="",
                      status="skipped", duration=0.0, errors=[], labels=dict(test.labels))


def runtime_of(config: pytest.Config) -> ChainsawRuntime:
    return config.stash[RUNTIME]


# --------------------------------------------------------------------------------------- outcomes


def stop_if_interrupted(session: pytest.Session, runtime: ChainsawRuntime) -> None:
    """After a Ctrl-C the interrupted test is reported (with its cleanup) and the session stops."""
    if runtime.interrupted:
        session.shouldstop = "interrupted (Ctrl-C): the running Chainsaw test was stopped and cleaned up"


def check_result(result: TestResult, runtime: ChainsawRuntime) -> None:
    """Turn a Chainsaw result into pytest's outcome: skip, failure (the error blocks) or nothing."""
    name = repr(result.name) + (f" ({result.scenario})" if result.scenario else "")
    if result.status == "skipped" and runtime.abort_reason:
        # As the CLI fails the run: a test that could not run because the system under test is gone fails.
        raise ChainsawFailure(f"chainsaw test {name} not run:", ["\n".join(runtime.abort_reason)])
    if result.status == "skipped":
        reason = "interrupted" if runtime.interrupted else "failFast: skipped after an earlier failure"
        # Reported at the item's location, as a skip marker is (not at this line of the plugin).
        raise pytest.skip.Exception(reason, _use_item_location=True)
    if result.status == "failed":
        raise ChainsawFailure(f"chainsaw test {name} failed:", result.errors)


# --------------------------------------------------------------------------------------- end of the session


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(RUNTIME, None)
    if runtime is not None:
        runtime.close()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    runtime = session.config.stash.get(RUNTIME, None)
    if runtime is None:
        return
    runtime.close()
    if (runtime.close_errors or runtime.process_errors) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    runtime = config.stash.get(RUNTIME, None)
    if runtime is not None and runtime.close_errors:
        terminalreporter.section("chainsaw cleanup")
        terminalreporter.write(runtime.close_errors)
    if runtime is not None and runtime.process_errors:
        terminalreporter.section("chainsaw processes")
        terminalreporter.write(runtime.process_errors)
