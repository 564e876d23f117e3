"""The record of dataclasses' generated code (chainsaw_py.util.generated_code, issue 14: start-up): the
code run is the code ``exec`` compiles, it is kept between processes, and a bad record only means compiling."""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainsaw_py.util import generated_code

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_record(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_recorded", "_codes", "_new"):
        monkeypatch.setattr(generated_code, name, {})
    monkeypatch.setattr(dataclasses, "exec", generated_code.cached_exec, raising=False)


def _declare() -> tuple[type, type]:
    @dataclasses.dataclass(order=True)
    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        """A frozen pair."""

        name: str
        size: int = 1

    return Point, Frozen


def test_generated_methods_behave_as_compiled_by_exec(fresh_record: None) -> None:
    first_point, first_frozen = _declare()
    assert generated_code._new  # compiled once, recorded
    recorded = dict(generated_code._new)
    generated_code._recorded.update(recorded)
    generated_code._codes.clear()
    generated_code._new.clear()
    point, frozen = _declare()   # now decoded from the record
    assert not generated_code._new and set(generated_code._codes) == set(recorded)
    assert point(1) == point(1, 0, []) and point(1) < point(2) and point(1).tags is not point(1).tags
    assert repr(point(1, 2, ["a"])) == repr(first_point(1, 2, ["a"])).replace(first_point.__qualname__,
                                                                             point.__qualname__)
    pair = frozen("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.name = "b"  # type: ignore[misc]
    assert hash(pair) == hash(first_frozen("a")) and pair == frozen("a", 1)
    # compiled without this module's ``from __future__ import annotations``: annotations are objects
    assert point.__init__.__annotations__["return"] is None


def test_a_text_is_compiled_as_exec_compiles_it(fresh_record: None) -> None:
    text = "def f(x):\n return x + 1\n"
    namespace: dict[str, object] = {}
    generated_code.cached_exec(text, {}, namespace)
    expected: dict[str, object] = {}
    exec(compile(text, "<string>", "exec", dont_inherit=True), {}, expected)
    assert namespace["f"].__code__ == expected["f"].__code__  # type: ignore[attr-defined]
    with pytest.raises(SyntaxError):
        generated_code.cached_exec("def (", {}, {})


def _probe(cache: str) -> dict[str, int]:
    probe = ("import json, dataclasses\nimport chainsaw_py.cli\nfrom chainsaw_py.util import generated_code as g\n"
             "print(json.dumps({'new': len(g._new), 'known': len(g._codes), "
             "'installed': int(getattr(dataclasses, 'exec', None) is g.cached_exec)}))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHAINSAW_PY_CACHE_DIR": cache}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                         check=True)
    return dict(json.loads(run.stdout.splitlines()[-1]))


def test_the_command_line_records_the_code_once_and_reads_it_again(tmp_path: Path) -> None:
    first = _probe(str(tmp_path))
    assert first["installed"] == 1 and first["new"] > 0
    record = generated_code.record_file()
    files = list(tmp_path.glob("generated-code-*.marshal"))
    assert len(files) == 1 and record is not None and files[0].name == record.name
    second = _probe(str(tmp_path))
    assert second == {"new": 0, "known": first["known"], "installed": 1}


def test_a_damaged_record_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    _probe(str(tmp_path))
    (record,) = tmp_path.glob("generated-code-*.marshal")
    record.write_bytes(b"\x00garbage")
    assert _probe(str(tmp_path))["new"] > 0
    assert isinstance(marshal.loads(record.read_bytes()), dict)


def test_an_empty_cache_dir_leaves_dataclasses_alone(tmp_path: Path) -> None:
    assert _probe("")["installed"] == 0


def test_the_record_is_bounded(fresh_record: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINSAW_PY_CACHE_DIR", str(tmp_path))
    record = generated_code.record_file()
    assert record is not None
    monkeypatch.setattr(generated_code, "_installed", [record])
    monkeypatch.setattr(generated_code, "LIMIT", 3)
    for number in range(5):
        generated_code.compiled(f"def f{number}():\n return {number}\n")
    generated_code.save()
    assert len(marshal.loads(record.read_bytes())) == 3
