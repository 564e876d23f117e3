"""Actions on a bounded number of threads (chainsaw_py.util.threads), as the runner and the abandon use them."""

from __future__ import annotations

import threading
import time

import pytest

from chainsaw_py.util.threads import Batch, run_each


def test_every_item_runs_on_at_most_the_workers_named_threads() -> None:
    lock = threading.Lock()
    running = {"now": 0, "most": 0}
    seen: dict[int, str] = {}

    def action(item: int) -> None:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
            seen[item] = threading.current_thread().name
        time.sleep(0.01)
        with lock:
            running["now"] -= 1

    run_each(action, list(range(9)), 3, "chainsaw")
    assert sorted(seen) == list(range(9))
    assert running["most"] <= 3
    assert set(seen.values()) <= {"chainsaw_0", "chainsaw_1", "chainsaw_2"}
    assert not any(thread.name.startswith("chainsaw_") for thread in threading.enumerate())


def test_the_first_failure_in_item_order_is_raised_after_all_ran() -> None:
    ran: list[int] = []
    release = threading.Event()

    def action(item: int) -> None:
        if item == 0:
            release.wait(5)   # item 0 fails last
            raise KeyError("first")
        ran.append(item)
        if item == 1:
            release.set()
            raise ValueError("second")

    with pytest.raises(KeyError):
        run_each(action, [0, 1, 2, 3], 2, "chainsaw")
    assert sorted(ran) == [1, 2, 3]


def test_no_items_start_no_thread() -> None:
    before = threading.active_count()
    run_each(lambda item: None, [], 4, "chainsaw")
    assert threading.active_count() == before


def test_a_cancelled_batch_starts_nothing_more_and_waits_with_a_deadline() -> None:
    started: list[int] = []
    release = threading.Event()

    def action(item: int) -> None:
        started.append(item)
        release.wait(5)

    batch = Batch(action, list(range(5)), 2, "chainsaw-abandon")
    assert batch.wait(timeout=0.05) is False
    batch.cancel()
    release.set()
    assert batch.wait(timeout=5) is True
    assert sorted(started) == [0, 1]
