"""Collection: Chainsaw test folders become pytest files, their tests (and scenarios) items with markers;
then the configuration's regexes, the shard flags and Chainsaw's ``concurrent: false`` order apply."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.pytest_plugin.options import SETTINGS, PluginSettings
from chainsaw_py.pytest_plugin.runtime import (
    ChainsawFailure,
    ChainsawSetupError,
    check_result,
    runtime_of,
    stop_if_interrupted,
)

if TYPE_CHECKING:
    from chainsaw_py.loading.model import Test

RESERVED_MARKERS = frozenset({"chainsaw", "filterwarnings", "parametrize", "skip", "skipif", "tryfirst", "trylast",
                              "usefixtures", "xfail"})
"""Label keys that would clash with pytest's own markers become ``label-<key>`` markers."""
_MARKER_UNSAFE = re.compile(r"[^\w.\-/+]")
"""Characters a marker name cannot have (``-m`` grammar, ini registration): they become ``_``."""

DISCOVERY = pytest.StashKey["Discovery"]()
_LABEL_MARKERS = pytest.StashKey[set[str]]()


@dataclass(frozen=True)
class Discovery:
    """What collection needs from the configuration (flags applied)."""

    test_file: str
    compiler: str
    include_test_regex: str
    exclude_test_regex: str


def read_discovery(settings: PluginSettings) -> Discovery:
    from chainsaw_py import api

    try:
        configuration, _ = api.load_configuration(settings.config)
        spec = api.apply_options(configuration, settings.test_options())
    except ChainsawError as err:
        raise pytest.UsageError(f"chainsaw: {err}") from None
    return Discovery(test_file=spec.discovery.test_file, compiler=spec.templating.compiler or "jp",
                     include_test_regex=spec.discovery.include_test_regex,
                     exclude_test_regex=spec.discovery.exclude_test_regex)


# --------------------------------------------------------------------------------------- files and items


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if DISCOVERY not in parent.config.stash:
        return None
    discovery = parent.config.stash[DISCOVERY]
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
        from chainsaw_py.loading.discovery import label_selector, load_folder
        from chainsaw_py.runner.names import UniqueNames

        discovery = self.config.stash[DISCOVERY]
        try:
            found = load_folder(discovery.test_file, str(self.path.parent), discovery.compiler)
            matcher = label_selector(self.config.stash[SETTINGS].selector)
        except ChainsawError as err:
            raise self.CollectError(str(err)) from None
        names = UniqueNames()
        for position, discovered in enumerate(found):
            if matcher is None or matcher.matches(discovered.test.labels):
                yield from self._items(discovered.test, position, names.unique("", discovered.test.name))

    def _items(self, test: Test, position: int, unique: str) -> Iterator[pytest.Item]:
        """The test's item, or one per scenario."""
        from chainsaw_py.runner.names import UniqueNames, scenario_name

        base = unique.removeprefix("/")
        if not test.spec.scenarios:
            yield ChainsawItem.from_parent(self, name=base, test=test, scenario=None, position=position)
            return
        scenario_names = UniqueNames()
        for index, scenario in enumerate(test.spec.scenarios):
            label = scenario_names.unique("", scenario_name(scenario, index)).removeprefix("/")
            yield ChainsawItem.from_parent(self, name=f"{base}[{label}]", test=test, scenario=index,
                                           position=position)



class ChainsawItem(pytest.Item):
    """One Chainsaw test, or one scenario of it. ``position``: the test's place in its folder's discovery."""

    def __init__(self, *, test: Test, scenario: int | None, position: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test
        self.scenario = scenario
        self.position = position
        self.add_marker("chainsaw")
        for key, value in test.labels.items():
            self.add_marker(_label_marker(self.config, key, value))
        if test.spec.skip:
            self.add_marker(pytest.mark.skip(reason="skip: true"))

    def runtest(self) -> None:
        runtime = runtime_of(self.config)
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


# --------------------------------------------------------------------------------------- selection and order


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """After pytest's own selection (``-k``, ``-m``): the shard (as the CLI, before the regexes), the
    configuration's regexes, then ``concurrent: false`` tests first."""
    chainsaw_items = [item for item in items if isinstance(item, ChainsawItem)]
    if not chainsaw_items:
        return
    kept = _deselect_by_regex(config, _deselect_by_shard(config, items))
    if len(kept) != len(items):
        _report_deselected(config, items, kept)
        items[:] = kept
    _run_serial_tests_first(items)
    runtime_of(config).tests = list({id(item.test): item.test for item in chainsaw_items}.values())


def _report_deselected(config: pytest.Config, items: list[pytest.Item], kept: list[pytest.Item]) -> None:
    remaining = {id(item) for item in kept}
    config.hook.pytest_deselected(items=[item for item in items if id(item) not in remaining])


def _deselect_by_shard(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """``--chainsaw-shard-index/--chainsaw-shard-count``: the CLI's ``shard()`` over the same tests in the same
    order (folders sorted as the CLI sorts them, tests in file order); a test's scenarios stay together."""
    from chainsaw_py.loading.discovery import shard

    settings = config.stash[SETTINGS]
    if settings.shard_count <= 0:
        return items
    tests = discovery_order([item for item in items if isinstance(item, ChainsawItem)], config.invocation_params.dir)
    chosen = {id(test) for test in shard(tests, settings.shard_index, settings.shard_count)}
    return [item for item in items if not isinstance(item, ChainsawItem) or id(item.test) in chosen]


def discovery_order(items: list[ChainsawItem], cwd: Path) -> list[Test]:
    """The items' tests, once each, in the order ``chainsaw test`` run from ``cwd`` discovers them: folders
    sorted by their path as the CLI writes it (relative to ``cwd``), then each folder's tests in file order."""
    placed = {id(item.test): (os.path.relpath(item.path.parent, cwd), item.position, item.test) for item in items}
    return [test for _folder, _position, test in sorted(placed.values(), key=lambda entry: entry[:2])]


def _deselect_by_regex(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """The configuration's includeTestRegex/excludeTestRegex, with Go's -run/-skip semantics."""
    from chainsaw_py.runner.names import ROOT, TestFilter, rewrite

    discovery = config.stash[DISCOVERY]
    if not discovery.include_test_regex and not discovery.exclude_test_regex:
        return items
    test_filter = TestFilter(discovery.include_test_regex, discovery.exclude_test_regex)
    return [item for item in items
            if not isinstance(item, ChainsawItem) or test_filter.selects(f"{ROOT}/{rewrite(item.test.name)}")]


def _run_serial_tests_first(items: list[pytest.Item]) -> None:
    """Chainsaw runs the tests with ``concurrent: false`` first, one at a time, then the others."""
    slots = [index for index, item in enumerate(items) if isinstance(item, ChainsawItem)]
    ordered = sorted((items[index] for index in slots),
                     key=lambda item: 0 if item.test.spec.concurrent is False else 1)  # type: ignore[attr-defined]
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item
