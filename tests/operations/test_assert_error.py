"""assert and error in resource mode against the embedded cluster: GET/LIST selection, any-candidate
semantics, polling until a change, hard errors, timeouts and Chainsaw's failure block (diff included,
Secret values redacted)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from chainsaw_py.loading.model import Assert, Error
from chainsaw_py.operations import assert_, error
from chainsaw_py.operations.base import OperationError
from tests.operations.harness import Harness, configmap


def run_assert(h: Harness, expected: dict[str, Any], **ctx: Any) -> None:
    assert_.run(Assert(resource=expected), expected, h.ctx(**ctx))


def run_error(h: Harness, expected: dict[str, Any], **ctx: Any) -> None:
    error.run(Error(resource=expected), expected, h.ctx(**ctx))


def test_assert_by_name(harness: Harness) -> None:
    harness.apply(configmap("cm", foo="bar"))
    run_assert(harness, configmap("cm", foo="bar"))
    ns = harness.namespace
    assert harness.lines() == [f"test | step | ASSERT | RUN | v1/ConfigMap @ {ns}/cm",
                               f"test | step | ASSERT | DONE | v1/ConfigMap @ {ns}/cm"]


def test_assert_failure_block_and_diff(harness: Harness) -> None:
    harness.apply(configmap("cm", foo="bar"))
    with pytest.raises(OperationError) as caught:
        run_assert(harness, configmap("cm", foo="baz"), timeout=0.3)
    ns = harness.namespace
    header = f"v1/ConfigMap/{ns}/cm"
    assert str(caught.value) == "\n".join([
        "-" * len(header), header, "-" * len(header),
        '* data.foo: Invalid value: "bar": Expected value: "baz"',
        "",
        "--- expected",
        "+++ actual",
        "@@ -1,6 +1,6 @@",
        " apiVersion: v1",
        " data:",
        "-  foo: baz",
        "+  foo: bar",
        " kind: ConfigMap",
        " metadata:",
        "   name: cm",
        "",
    ])
    assert harness.lines()[1] == f"test | step | ASSERT | ERROR | v1/ConfigMap @ {ns}/cm"
    assert harness.lines()[2] == "=== ERROR"


def test_secret_values_are_redacted_in_failures(harness: Harness) -> None:
    harness.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                   "stringData": {"password": "hunter2-actual"}})
    expected = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "data": {"password": "aHVudGVyMi1leHBlY3RlZA=="}}
    with pytest.raises(OperationError) as caught:
        run_assert(harness, expected, timeout=0.3)
    message = str(caught.value)
    assert "* data.password: Invalid value:" in message and "--- expected" in message
    assert "aHVudGVyMi1leHBlY3RlZA==" not in message and "aHVudGVyMi1hY3R1YWw=" not in message
    assert "hunter2" not in harness.log()


def test_missing_resources(harness: Harness) -> None:
    with pytest.raises(OperationError, match="^actual resource not found$"):
        run_assert(harness, configmap("absent"), timeout=0.2)
    labelled = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"app": "none"}}}
    with pytest.raises(OperationError, match="^no actual resource found$"):
        run_assert(harness, labelled, timeout=0.2)


def test_any_candidate_passes(harness: Harness) -> None:
    for name, value in (("one", "x"), ("two", "y")):
        harness.apply({**configmap(name, v=value), "metadata": {"name": name, "labels": {"app": "pick"}}})
    run_assert(harness, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"app": "pick"}},
                         "data": {"v": "y"}})
    with pytest.raises(OperationError) as caught:
        run_assert(harness, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"app": "pick"}},
                             "data": {"v": "z"}}, timeout=0.2)
    assert str(caught.value).count("* data.v: Invalid value") == 2  # one block per candidate


def test_assert_notices_a_later_change(harness: Harness) -> None:
    threading.Timer(0.3, lambda: harness.apply(configmap("later", ready="yes"))).start()
    started = time.monotonic()
    run_assert(harness, configmap("later", ready="yes"), timeout=20)
    assert time.monotonic() - started < 15


def test_hard_errors_stop_polling_at_once(harness: Harness) -> None:
    harness.apply(configmap("typed", foo="bar"))
    started = time.monotonic()
    with pytest.raises(OperationError, match="types are not comparable"):
        run_assert(harness, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typed"},
                             "data": {"foo": 1}}, timeout=20)
    assert time.monotonic() - started < 15


def test_unknown_kinds_fail_at_once(harness: Harness) -> None:
    with pytest.raises(OperationError, match='no matches for kind "Nope"'):
        run_assert(harness, {"apiVersion": "v1", "kind": "Nope", "metadata": {"name": "x"}}, timeout=20)


def test_error_passes_when_nothing_matches(harness: Harness) -> None:
    run_error(harness, configmap("absent"))
    harness.apply(configmap("cm", foo="bar"))
    run_error(harness, configmap("cm", foo="other"))


def test_error_fails_when_a_candidate_matches(harness: Harness) -> None:
    harness.apply(configmap("cm", foo="bar"))
    with pytest.raises(OperationError) as caught:
        run_error(harness, configmap("cm", foo="bar"), timeout=0.2)
    assert str(caught.value) == f"v1/ConfigMap/{harness.namespace}/cm - resource matches expectation"


def test_error_waits_for_the_match_to_go_away(harness: Harness) -> None:
    cm = harness.apply(configmap("flip", state="bad"))
    threading.Timer(0.3, lambda: harness.client.patch(cm, {"data": {"state": "good"}})).start()
    run_error(harness, configmap("flip", state="bad"), timeout=20)
