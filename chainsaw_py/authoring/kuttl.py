"""kuttl tests -> Chainsaw tests, as ``chainsaw migrate kuttl tests`` converts them.

A folder is converted when it has no ``chainsaw-test.yaml`` and holds numbered step files
(``<N>-<name>.yaml``, grouped by ``N`` like Chainsaw's kuttl-style discovery). The test is named after the
folder and has one ``step-<N>`` per group. For each group, in file order:

1. the other files, then the ``<N>-assert`` files, then the ``<N>-errors`` files: a file without kuttl
   documents becomes one ``apply`` / ``assert`` / ``error`` operation;
2. in a file with kuttl documents, a ``TestStep`` puts its operations *before* every operation of the step
   so far (commands -> ``script`` or ``command``, then ``apply``, ``assert``, ``error`` and ``delete``
   lists), and a ``TestAssert`` appends its commands as ``script`` operations and its collectors to
   ``catch`` (``pod`` -> ``podLogs``, ``command`` -> ``script``, ``events`` -> ``events``); the file's
   other documents, if any, still become the file's operation (the file keeps only them when saved);
3. a ``TestStep`` anywhere but in "other" files, or another kuttl kind, is not supported.

Commands with ``background``, ``namespaced`` or ``ignoreFailure`` are refused, as upstream does. kuttl fields
the conversion drops (a TestAssert ``timeout``, ``resourceRefs``, ...) are reported as warnings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.authoring.kuttl_types import (
    Collector,
    KuttlCommand,
    KuttlDecodeError,
    decode_test_assert,
    decode_test_step,
    ignored_fields,
)
from chainsaw_py.authoring.manifests import api_version, load_manifests
from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.golang import shlex as goshlex
from chainsaw_py.golang.durations import format_duration_ns
from chainsaw_py.loading.discovery import StepFiles, find_step_files
from chainsaw_py.loading.model import (
    Apply,
    Assert,
    Command,
    Delete,
    Error,
    Events,
    ObjectMeta,
    ObjectReference,
    Operation,
    PodLogs,
    Script,
    Step,
    Test,
    TestSpec,
)

TEST_FILE = "chainsaw-test.yaml"
_HINTS = {("TestAssert", "timeout"): " (a step's timeouts.assert can hold it)"}
_SECOND_NS = 1_000_000_000


@dataclass
class FileRewrite:
    """A step file that mixed kuttl and plain documents: with ``--save`` it keeps only the plain ones."""

    path: str
    resources: list[dict[str, Any]]


@dataclass
class KuttlMigration:
    """The conversion of one kuttl test folder."""

    folder: str
    test: Test
    rewrites: list[FileRewrite] = field(default_factory=list)
    consumed_files: list[str] = field(default_factory=list)
    """Files whose every document was converted (deleted by ``--cleanup``)."""
    warnings: list[str] = field(default_factory=list)


class MigrationError(ChainsawError):
    """A kuttl file cannot be converted."""


def is_kuttl(resource: dict[str, Any]) -> bool:
    return api_version(resource).startswith("kuttl.dev/")


def kuttl_test_name(folder: str) -> str:
    """Chainsaw's name for a test found from numbered files: the folder name, lowercased, ``_`` -> ``-``."""
    return gopath.base(folder).replace("_", "-").lower()


def is_kuttl_test_folder(folder: str) -> bool:
    """Whether ``folder`` holds numbered step files and no Chainsaw test (what the migration converts)."""
    return not os.path.exists(gopath.join(folder, TEST_FILE)) and bool(find_step_files(folder))


def convert_folder(folder: str) -> KuttlMigration | None:
    """The migration of ``folder``, or None when it is not a kuttl test (or already has a Chainsaw test)."""
    if not is_kuttl_test_folder(folder):
        return None
    steps = find_step_files(folder)
    migration = KuttlMigration(folder, Test(metadata=ObjectMeta(name=kuttl_test_name(folder)), spec=TestSpec()))
    for key in sorted(steps):
        step = Step(name=f"step-{key}")
        _StepConverter(folder, step, migration).convert(steps[key])
        migration.test.spec.steps.append(step)
    return migration


@dataclass
class _Role:
    """How the files of one role (other / assert / errors) turn into operations."""

    name: str
    operation: Callable[[str], Operation]
    kuttl_kinds: tuple[str, ...]


_ROLES = (
    _Role("other", lambda file: Operation("apply", Apply(file=file)), ("TestStep", "TestAssert")),
    _Role("assert", lambda file: Operation("assert", Assert(file=file)), ("TestAssert",)),
    _Role("errors", lambda file: Operation("error", Error(file=file)), ("TestAssert",)),
)


@dataclass
class _StepConverter:
    folder: str
    step: Step
    migration: KuttlMigration

    def convert(self, files: StepFiles) -> None:
        by_role = {"other": files.other_files, "assert": files.assert_files, "errors": files.error_files}
        for role in _ROLES:
            for file in by_role[role.name]:
                self._convert_file(role, file)

    def _convert_file(self, role: _Role, file: str) -> None:
        path = gopath.join(self.folder, file)
        resources = load_manifests(path)
        plain = [resource for resource in resources if not is_kuttl(resource)]
        for resource in resources:
            if is_kuttl(resource):
                self._convert_kuttl(role, resource, path)
        if plain:
            self.step.try_.append(role.operation(file))
            if len(plain) != len(resources):
                self.migration.rewrites.append(FileRewrite(path, plain))
        else:
            self.migration.consumed_files.append(path)

    def _convert_kuttl(self, role: _Role, resource: dict[str, Any], path: str) -> None:
        kind = resource.get("kind")
        if kind not in role.kuttl_kinds:
            raise MigrationError(f"type not supported {api_version(resource)} / {kind}")
        try:
            if kind == "TestStep":
                self.step.try_[:0] = _test_step_operations(resource)
            else:
                self._add_test_assert(resource, path)
        except (KuttlDecodeError, goshlex.ShlexError, MigrationError) as err:
            raise MigrationError(f"failed to convert {kind} ({path}): {err}") from None
        self.migration.warnings.extend(
            f"{path}: {kind} field {name!r} is not converted{_HINTS.get((str(kind), name), '')}"
            for name in ignored_fields(str(kind), resource))

    def _add_test_assert(self, resource: dict[str, Any], path: str) -> None:
        test_assert = decode_test_assert(resource)
        for command in test_assert.commands:
            content = command.script or command.command
            if command.namespaced:  # upstream drops the flag silently
                self.migration.warnings.append(f"{path}: TestAssert command {content!r}: namespaced=true is "
                                               "not converted (the script runs as written)")
            if content:
                self.step.try_.append(Operation("script", Script(content=content,
                                                                 skip_log_output=command.skip_log_output)))
        for collector in test_assert.collectors:
            self.step.catch.append(_collector_operation(collector))


def _test_step_operations(resource: dict[str, Any]) -> list[Operation]:
    test_step = decode_test_step(resource)
    operations = [operation for command in test_step.commands
                  if (operation := _command_operation(command)) is not None]
    operations += [Operation("apply", Apply(file=file)) for file in test_step.apply]
    operations += [Operation("assert", Assert(file=file)) for file in test_step.assert_]
    operations += [Operation("error", Error(file=file)) for file in test_step.error]
    operations += [
        Operation("delete", Delete(ref=ObjectReference(api_version=ref.api_version, kind=ref.kind,
                                                       namespace=ref.namespace, name=ref.name,
                                                       labels=ref.labels or None)))
        for ref in test_step.delete
    ]
    return operations


def _command_operation(command: KuttlCommand) -> Operation | None:
    for flag, name in ((command.background, "background"), (command.namespaced, "namespaced"),
                       (command.ignore_failure, "ignoreFailure")):
        if flag:
            raise MigrationError(f"found a command with {name}=true, this is not supported in chainsaw")
    timeout = format_duration_ns(command.timeout * _SECOND_NS) if command.timeout else None
    if command.script:
        return Operation("script", Script(content=command.script, timeout=timeout,
                                          skip_log_output=command.skip_log_output))
    if not command.command:
        return None
    words = goshlex.split(command.command)
    if not words:
        raise MigrationError(f"command {command.command!r} has no words to run")
    return Operation("command", Command(entrypoint=words[0], args=words[1:], timeout=timeout,
                                       skip_log_output=command.skip_log_output))


def _collector_operation(collector: Collector) -> Operation:
    kind = collector.type
    if not kind and collector.cmd:
        kind = "command"
    if not kind and (collector.pod or collector.selector):
        kind = "pod"
    if kind == "pod":
        return Operation("podLogs", PodLogs(name=collector.pod, namespace=collector.namespace,
                                            selector=collector.selector, container=collector.container,
                                            tail=collector.tail or None))
    if kind == "command":
        if not collector.cmd:
            raise MigrationError("cmd must be set when type is command")
        return Operation("script", Script(content=collector.cmd))
    if kind == "events":
        return Operation("events", Events(name=collector.pod, namespace=collector.namespace,
                                          selector=collector.selector))
    raise MigrationError(f"unknown collector type: {kind}")
