"""The polling loop every operation uses: the first attempt at once, then one per interval (or per wake)."""

from __future__ import annotations

import pytest

from chainsaw_py.operations.base import CancelToken, Interrupted
from chainsaw_py.operations.internal.polling import POLL_INTERVAL, poll


class RecordingToken(CancelToken):
    """Records each pause instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def wait(self, seconds: float) -> bool:
        self.events.append(f"pause {seconds:.2f}")
        return False


def counting_condition(token: RecordingToken, succeed_on: int) -> object:
    calls = [0]

    def condition() -> bool:
        calls[0] += 1
        token.events.append("attempt")
        return calls[0] >= succeed_on

    return condition


def test_first_attempt_is_made_before_any_pause() -> None:
    token = RecordingToken()
    assert poll(counting_condition(token, 1), timeout=5.0, cancel=token)  # type: ignore[arg-type]
    assert token.events == ["attempt"]


def test_retries_are_one_interval_apart() -> None:
    token = RecordingToken()
    assert poll(counting_condition(token, 3), timeout=5.0, cancel=token)  # type: ignore[arg-type]
    pause = f"pause {POLL_INTERVAL:.2f}"
    assert token.events == ["attempt", pause, "attempt", pause, "attempt"]


def test_a_wake_replaces_the_pause() -> None:
    token = RecordingToken()
    woken: list[float] = []
    assert poll(counting_condition(token, 2), timeout=5.0, cancel=token, wake=woken.append)  # type: ignore[arg-type]
    assert token.events == ["attempt", "attempt"]
    assert woken == [pytest.approx(POLL_INTERVAL)]


def test_zero_timeout_still_makes_one_attempt() -> None:
    token = RecordingToken()
    assert not poll(lambda: token.events.append("attempt") is not None, timeout=0.0, cancel=token)
    assert token.events == ["attempt"]


def test_cancelled_before_the_first_attempt_is_interrupted() -> None:
    token = RecordingToken()
    token.cancel()
    with pytest.raises(Interrupted):
        poll(lambda: True, timeout=5.0, cancel=token)
