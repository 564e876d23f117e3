"""Issue 10, the hostile-input sweep of the CLI options, the loader and ``cluster serve``'s request decoding:
each case found (a traceback, a hang, an unbounded resource) replayed."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.sut import load_sut
from chainsaw_py.loading.values import load_values

# --- CLI options ----------------------------------------------------------------------------------------------


def test_set_with_list_indexes_nested_thousands_deep_is_one_line() -> None:
    """``--set a[0][0]...=1`` 2,000 levels deep was a RecursionError traceback."""
    with pytest.raises(ChainsawError, match="^failed parsing --set data: list index nested level is greater than "
                                            "maximum supported nested level of 256$"):
        load_values([], ["a" + "[0]" * 2000 + "=1"], [])
    values = load_values([], ["a" + "[0]" * 200 + "=1"], [])
    depth, cursor = 0, values["a"]
    while isinstance(cursor, list):
        cursor, depth = cursor[0], depth + 1
    assert (depth, cursor) == (200, 1)


def test_a_sut_config_that_is_not_a_regular_file_says_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(ChainsawError, match=r"^/dev/zero: not a regular file \(a character device\)$"):
        load_sut("/dev/zero")
    with pytest.raises(ChainsawError, match="is a directory, not a file$"):
        load_sut(tmp_path)
    with pytest.raises(ChainsawError, match="file not found$"):
        load_sut(tmp_path / "missing.yaml")


def test_a_server_without_a_scheme_is_read_as_client_go_reads_it() -> None:
    """``--kube-server 127.0.0.1:1`` reached urllib3 without a scheme (a FutureWarning on every request);
    client-go's DefaultServerURL reads it again after ``http://`` (``https://`` with TLS material)."""
    from chainsaw_py.client.clusters import connect, default_server_url
    from chainsaw_py.client.errors import ApiError

    assert default_server_url("127.0.0.1:1", False) == "http://127.0.0.1:1"
    assert default_server_url("notaurl", True) == "https://notaurl"
    assert default_server_url("https://h:6443/base", False) == "https://h:6443/base"
    assert default_server_url("https://ho st:6443", True) == "https://https://ho st:6443"  # as client-go does
    cluster = connect(None, None, {"server": "127.0.0.1:1", "token": "t"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # urllib3's FutureWarning for a URL without a scheme
        with pytest.raises(ApiError, match=r'^Get "http://127\.0\.0\.1:1/api/v1": '):
            cluster.client.request("GET", "/api/v1")  # the token refresh sets the host again: still http://


@pytest.mark.parametrize(("value", "seconds"), [("0", None), ("5", 5.0), ("1m", 60.0), ("", None)])
def test_kube_request_timeouts_as_clientcmd_parses_them(value: str, seconds: float | None) -> None:
    from chainsaw_py.client.clusters import _request_timeout

    assert _request_timeout(value) == seconds


@pytest.mark.parametrize("value", ["abc", "-5", "1e3", "٥"])
def test_bad_kube_request_timeouts_are_clientcmds_error(value: str) -> None:
    from chainsaw_py.client.clusters import _request_timeout

    with pytest.raises(ChainsawError, match="^Invalid timeout value. Timeout must be a single integer in seconds"):
        _request_timeout(value)


def test_an_interrupted_run_starts_no_further_repeat_pass(tmp_path: Path) -> None:
    """``repeatCount: 1000000000`` ignored SIGTERM: every later pass still ran (its tests failing at once),
    1.4 GB after 20 minutes."""
    import signal
    import subprocess

    from .runner_support import start_cli, write_suite

    suite = write_suite(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: quick
        spec:
          steps:
          - try:
            - sleep:
                duration: 1ms
        """)
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nmetadata: {name: c}\n"
                      "spec: {execution: {repeatCount: 1000000000}}\n")
    process = start_cli(["test", str(suite), "--no-cluster", "--no-color", "--config", str(config)], tmp_path, {})
    assert process.stdout is not None
    passes = 0
    for line in process.stdout:  # a few passes, then SIGTERM
        passes += line.startswith("--- PASS: chainsaw ")
        if passes == 3:
            process.send_signal(signal.SIGTERM)
            break
    try:
        stdout, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the run went on after SIGTERM") from None
    assert stdout.count("=== RUN   chainsaw\n") <= 2  # the pass under way, at most
