"""Generated namespace names are unique among the tests of a run (the scale benchmark once had two of 3,500
tests at ``--parallel 16`` draw the same of ~25,000 names, share the namespace, and fail when one deleted it)."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainsaw_py import api
from chainsaw_py.runner import namespace
from chainsaw_py.runner.namespace import GeneratedNames


class _Scripted(random.Random):
    """``choice`` returns the given picks in turn: the same adjective and animal until told otherwise."""

    def __init__(self, picks: list[str]) -> None:
        super().__init__(0)
        self._picks: Iterator[str] = iter(picks)

    def choice(self, seq: object) -> str:  # type: ignore[override]
        return next(self._picks)


def test_a_held_name_is_drawn_again_and_a_released_one_may_come_back() -> None:
    names = GeneratedNames()
    rng = _Scripted(["brave", "otter", "brave", "otter", "calm", "heron", "brave", "otter"])
    assert names.reserve(rng) == "chainsaw-brave-otter"
    assert names.reserve(rng) == "chainsaw-calm-heron"
    names.release("chainsaw-brave-otter")
    assert names.reserve(rng) == "chainsaw-brave-otter"


TEST = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: t{index}
spec:
  steps:
  - try:
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: mine
          data:
            owner: t{index}
    - sleep:
        duration: 300ms
    - assert:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: mine
          data:
            owner: t{index}
"""


def test_concurrent_tests_never_share_a_generated_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = itertools.chain(["chainsaw-same-name"] * 3, (f"chainsaw-other-{n}" for n in itertools.count()))
    monkeypatch.setattr(namespace, "generate_name", lambda rng=None: next(draws))
    for index in range(2):
        folder = tmp_path / f"t{index}"
        folder.mkdir()
        (folder / "chainsaw-test.yaml").write_text(TEST.format(index=index), encoding="utf-8")
    stream = io.StringIO()
    outcome = api.run(api.TestOptions(test_dirs=[str(tmp_path)], embedded=True, parallel=2), stream,
                      handle_signals=False)
    assert outcome.ok, stream.getvalue()[-3000:]
    assert sorted(result.namespace for result in outcome.report.tests) == ["chainsaw-other-0", "chainsaw-same-name"]
