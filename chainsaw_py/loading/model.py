"""The test model: Chainsaw's v1alpha1 Test/StepTemplate and v1alpha2 Configuration as dataclasses.

Field names are snake_case; YAML names are camelCase (see ``codec``). Expression fields are kept as
the raw strings the user wrote (evaluated at run time); assertion trees, resources and binding
values are raw YAML data (``Any``). Durations are Go duration strings (``golang.durations``).
Every class round-trips: ``Cls.from_dict(d).to_dict()`` gives back ``d`` minus default values.
"""

from __future__ import annotations

import functools
import reprlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self

from chainsaw_py.loading import codec

Expression = str
"""An expression field: ``(expr)``, ``(jp; expr)``, ``(cel; expr)``, ``\\escaped\\`` or a literal."""

Duration = str
"""A Go duration string such as ``5s`` or ``1m30s``."""


class Model:
    """Mixin giving dataclasses ``from_dict``/``to_dict`` in Chainsaw's camelCase form, and the ``__eq__`` and
    ``__repr__`` that ``@dataclass`` generates, written once: the model's classes are declared ``eq=False,
    repr=False`` because compiling both for each of them took ~40 % of the model's import time, in every run
    (issue 14's start-up)."""

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        return codec.from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return codec.to_dict(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        cls: type = self.__class__
        names = _compared_fields(cls)
        return tuple(getattr(self, name) for name in names) == tuple(getattr(other, name) for name in names)

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls: type = self.__class__
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _shown_fields(cls))
        return f"{cls.__qualname__}({shown})"


@functools.cache
def _compared_fields(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls) if item.compare)


@functools.cache
def _shown_fields(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls) if item.repr)


# ---------------------------------------------------------------------------------------------
# Shared building blocks


@dataclass(eq=False, repr=False)
class Binding(Model):
    """A name bound to a value (an expression, or data holding expressions) for what follows."""

    name: Expression
    value: Any = field(default=None, metadata={"always": True})
    compiler: str | None = None


@dataclass(eq=False, repr=False)
class Output(Model):
    """A binding made from an operation's result (``match`` filters which results bind)."""

    name: Expression
    value: Any = field(default=None, metadata={"always": True})
    compiler: str | None = None
    match: Any = None


@dataclass(eq=False, repr=False)
class Expectation(Model):
    """A ``check`` applied to the results that ``match`` selects (Chainsaw's ``Expectation``)."""

    check: Any = field(default=None, metadata={"always": True})
    match: Any = None


@dataclass(eq=False, repr=False)
class Cluster(Model):
    """A cluster registered by name: its kubeconfig file and optional context."""

    kubeconfig: str
    context: str = ""


@dataclass(eq=False, repr=False)
class Timeouts(Model):
    """Per-kind timeouts of a test or step (Go duration strings; unset: the configuration's)."""

    apply: Duration | None = None
    assert_: Duration | None = field(default=None, metadata={"json": "assert"})
    cleanup: Duration | None = None
    delete: Duration | None = None
    error: Duration | None = None
    exec: Duration | None = None


@dataclass(eq=False, repr=False)
class ObjectReference(Model):
    """Which objects an operation acts on: apiVersion, kind, namespace, name and labels."""

    api_version: Expression = ""
    kind: Expression = ""
    namespace: Expression = ""
    name: Expression = ""
    labels: dict[str, str] | None = None


# ---------------------------------------------------------------------------------------------
# Operations (one dataclass per kind; field names follow pkg/apis/v1alpha1/action.go)


@dataclass(eq=False, repr=False)
class Apply(Model):
    """``apply``: create or update the resources of ``file`` or ``resource``."""

    file: Expression = ""
    resource: Any = None
    template: bool | None = None
    dry_run: bool | None = None
    expect: list[Expectation] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Create(Apply):
    """``create``: create the resources (an existing one is an error)."""


@dataclass(eq=False, repr=False)
class Update(Apply):
    """``update``: update existing resources."""


@dataclass(eq=False, repr=False)
class Patch(Apply):
    """``patch``: merge the resources into existing ones (optionally a subresource)."""

    subresource: str = ""


@dataclass(eq=False, repr=False)
class Assert(Model):
    """``assert``: poll until resources matching the assertion tree exist."""

    file: Expression = ""
    resource: Any = None
    template: bool | None = None
    bindings: list[Binding] = field(default_factory=list)
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Error(Assert):
    """``error``: poll until no resource matches the assertion tree."""


@dataclass(eq=False, repr=False)
class Delete(Model):
    """``delete``: delete the resources of ``file`` or ``ref``, and wait for them to go."""

    file: Expression = ""
    ref: ObjectReference | None = None
    template: bool | None = None
    deletion_propagation_policy: str | None = None
    expect: list[Expectation] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Command(Model):
    """``command``: run a program with arguments."""

    entrypoint: str = field(default="", metadata={"always": True})
    args: list[str] = field(default_factory=list)
    env: list[Binding] = field(default_factory=list)
    work_dir: str | None = None
    check: Any = None
    outputs: list[Output] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    skip_log_output: bool = False
    skip_command_output: bool = False
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Script(Model):
    """``script``: run ``content`` with a shell."""

    content: str = ""
    shell: str | None = None
    shell_args: list[str] | None = None
    env: list[Binding] = field(default_factory=list)
    work_dir: str | None = None
    check: Any = None
    outputs: list[Output] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    skip_log_output: bool = False
    skip_command_output: bool = False
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Sleep(Model):
    """``sleep``: wait ``duration``."""

    duration: Duration = field(default="", metadata={"always": True})


@dataclass(eq=False, repr=False)
class Get(Model):
    """``get``: print resources, as ``kubectl get``."""

    api_version: Expression = ""
    kind: Expression = ""
    namespace: Expression = ""
    name: Expression = ""
    selector: Expression = ""
    format: Expression = ""
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Describe(Model):
    """``describe``: describe resources, as ``kubectl describe``."""

    api_version: Expression = ""
    kind: Expression = ""
    namespace: Expression = ""
    name: Expression = ""
    selector: Expression = ""
    show_events: bool | None = None
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Events(Model):
    """``events``: print events, as ``kubectl events``."""

    namespace: Expression = ""
    name: Expression = ""
    selector: Expression = ""
    format: Expression = ""
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class PodLogs(Model):
    """``podLogs``: print the logs of pods' containers."""

    namespace: Expression = ""
    name: Expression = ""
    selector: Expression = ""
    container: Expression = ""
    tail: int | None = None
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Proxy(Model):
    """``proxy``: call a path of a service or pod through the API server's proxy."""

    api_version: Expression = ""
    kind: Expression = ""
    namespace: Expression = ""
    name: Expression = ""
    port: Expression = ""
    path: Expression = ""
    outputs: list[Output] = field(default_factory=list)
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class WaitForCondition(Model):
    """A condition to wait for (``status.conditions[type=name]``, by default ``True``)."""

    name: Expression
    value: Expression | None = None


@dataclass(eq=False, repr=False)
class WaitForJsonPath(Model):
    """A JSONPath to wait for, optionally until it equals ``value``."""

    path: Expression
    value: Expression | None = None


@dataclass(eq=False, repr=False)
class WaitFor(Model):
    """What a ``wait`` waits for: creation, deletion, a condition or a JSONPath."""

    creation: dict[str, Any] | None = None
    deletion: dict[str, Any] | None = None
    condition: WaitForCondition | None = None
    json_path: WaitForJsonPath | None = None


@dataclass(eq=False, repr=False)
class Wait(Model):
    """``wait``: wait for resources, as ``kubectl wait``."""

    api_version: Expression = ""
    kind: Expression = ""
    namespace: Expression = ""
    name: Expression = ""
    selector: Expression = ""
    for_: WaitFor = field(default_factory=WaitFor, metadata={"json": "for", "always": True})
    format: Expression = ""
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None


@dataclass(eq=False, repr=False)
class Python(Model):
    """chainsaw_py extension (upstream Chainsaw cannot run it): call a Python function.

    ``function`` is ``module:attr`` (an importable module) or ``file.py:attr`` (a file relative to the
    test folder); ``args`` are keyword arguments, evaluated like binding values. In code, ``target`` may
    hold the callable itself (it is not part of the YAML).
    """

    function: str = field(default="", metadata={"always": True})
    args: dict[str, Any] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    timeout: Duration | None = None
    target: Any = field(default=None, compare=False, repr=False, metadata={"internal": True})


Action = (
    Apply | Assert | Command | Create | Delete | Describe | Error | Events | Get | Patch | PodLogs | Proxy
    | Python | Script | Sleep | Update | Wait
)

@dataclass(frozen=True)
class OperationKind:
    """One operation kind, the single place it is described: its YAML key, its model dataclass, the module
    implementing it (``chainsaw_py.operations.<module>``), its report type (Chainsaw's ``pkg/report``), the configured
    timeout bounding it (``None``: none), the label of its error log line, whether ``catch``, ``finally``
    and ``cleanup`` allow it, whether it writes resources (honours ``dryRun``), whether it is a
    chainsaw_py extension that upstream Chainsaw cannot run, and whether it runs the suite's own programs
    (which may reach the embedded cluster's local S3 through ``AWS_ENDPOINT_URL``)."""

    key: str
    action: type[Model]
    module: str
    report_type: str
    timeout: str | None
    log_label: str
    in_catch: bool
    writes: bool = False
    extension: bool = False
    runs_programs: bool = False


OPERATION_KINDS: dict[str, OperationKind] = {kind.key: kind for kind in (
    OperationKind("apply", Apply, "apply", "apply", "apply", "APPLY", in_catch=False, writes=True),
    OperationKind("assert", Assert, "assert_", "assert", "assert", "ASSERT", in_catch=False),
    OperationKind("command", Command, "command", "command", "exec", "CMD", in_catch=True,
                  runs_programs=True),
    OperationKind("create", Create, "create", "create", "apply", "CREATE", in_catch=False, writes=True),
    OperationKind("delete", Delete, "delete", "delete", "delete", "DELETE", in_catch=True),
    OperationKind("describe", Describe, "describe", "command", "exec", "CMD", in_catch=True),
    OperationKind("error", Error, "error", "error", "error", "ERROR", in_catch=False),
    OperationKind("events", Events, "events", "command", "exec", "CMD", in_catch=True),
    OperationKind("get", Get, "get", "command", "exec", "CMD", in_catch=True),
    OperationKind("patch", Patch, "patch", "patch", "apply", "PATCH", in_catch=False, writes=True),
    OperationKind("podLogs", PodLogs, "pod_logs", "command", "exec", "CMD", in_catch=True),
    OperationKind("proxy", Proxy, "proxy", "command", "exec", "CMD", in_catch=False),
    OperationKind("python", Python, "python_", "python", "exec", "PYTHON", in_catch=True, extension=True,
                  runs_programs=True),
    OperationKind("script", Script, "script", "script", "exec", "SCRIPT", in_catch=True, runs_programs=True),
    OperationKind("sleep", Sleep, "sleep", "sleep", None, "SLEEP", in_catch=True),
    OperationKind("update", Update, "update", "update", "apply", "UPDATE", in_catch=False, writes=True),
    OperationKind("wait", Wait, "wait", "command", "exec", "CMD", in_catch=True),
)}
"""Every operation kind, by YAML key (the order of Chainsaw's schema)."""

ACTION_TYPES: dict[str, type[Model]] = {key: kind.action for key, kind in OPERATION_KINDS.items()}
"""Operation kinds allowed in ``try`` (the YAML key -> its dataclass)."""

CATCH_FINALLY_TYPES: frozenset[str] = frozenset(key for key, kind in OPERATION_KINDS.items() if kind.in_catch)
"""Operation kinds allowed in ``catch``, ``finally`` and ``cleanup``."""


@dataclass(eq=False, repr=False)
class Operation(Model):
    """One entry of ``try`` / ``catch`` / ``finally`` / ``cleanup``: a one-of over the action kinds."""

    type: str
    action: Any
    description: str = ""
    continue_on_error: bool | None = None
    compiler: str | None = None
    line: int | None = field(default=None, compare=False, metadata={"internal": True})

    _BASE_KEYS: ClassVar[tuple[str, ...]] = ("description", "continueOnError", "compiler")

    @classmethod
    def from_dict(cls, data: Any) -> Operation:
        kinds = [key for key in data if key in ACTION_TYPES]
        if len(kinds) != 1:
            raise ValueError(f"an operation needs exactly one of {sorted(ACTION_TYPES)}, found {kinds}")
        kind = kinds[0]
        return cls(
            type=kind,
            action=ACTION_TYPES[kind].from_dict(data[kind] or {}),
            description=data.get("description", ""),
            continue_on_error=data.get("continueOnError"),
            compiler=data.get("compiler"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.continue_on_error is not None:
            out["continueOnError"] = self.continue_on_error
        if self.compiler is not None:
            out["compiler"] = self.compiler
        out[self.type] = self.action.to_dict()
        return out


# ---------------------------------------------------------------------------------------------
# Steps, step templates, tests


@dataclass(eq=False, repr=False)
class With(Model):
    """The bindings given to a step template (``use.with``)."""

    bindings: list[Binding] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class Use(Model):
    """A step made from a step template (``use.template``, relative to the test's folder)."""

    template: str
    with_: With = field(default_factory=With, metadata={"json": "with"})


@dataclass(eq=False, repr=False)
class Step(Model):
    """One step of a test: ``try`` operations, then ``catch``, ``finally`` and ``cleanup``."""

    name: str = ""
    use: Use | None = None
    description: str = ""
    timeouts: Timeouts | None = None
    deletion_propagation_policy: str | None = None
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    skip_delete: bool | None = None
    template: bool | None = None
    compiler: str | None = None
    bindings: list[Binding] = field(default_factory=list)
    try_: list[Operation] = field(default_factory=list, metadata={"json": "try", "always": True})
    catch: list[Operation] = field(default_factory=list)
    finally_: list[Operation] = field(default_factory=list, metadata={"json": "finally"})
    cleanup: list[Operation] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class StepTemplateSpec(Model):
    """The operations of a step template, as in a step."""

    bindings: list[Binding] = field(default_factory=list)
    try_: list[Operation] = field(default_factory=list, metadata={"json": "try", "always": True})
    catch: list[Operation] = field(default_factory=list)
    finally_: list[Operation] = field(default_factory=list, metadata={"json": "finally"})
    cleanup: list[Operation] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class ObjectMeta(Model):
    """Name, labels and annotations of a test, step template or configuration."""

    name: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False, repr=False)
class StepTemplate(Model):
    """A ``StepTemplate`` document (v1alpha1)."""

    metadata: ObjectMeta
    spec: StepTemplateSpec
    api_version: str = "chainsaw.kyverno.io/v1alpha1"
    kind: str = "StepTemplate"


@dataclass(eq=False, repr=False)
class Scenario(Model):
    """One scenario of a test: the test runs once per scenario, with its bindings."""

    name: str = ""
    bindings: list[Binding] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class TestSpec(Model):
    """The spec of a ``Test``: its steps and the settings that override the configuration's."""

    __test__ = False  # not a pytest test class (user test modules import the model)

    steps: list[Step] = field(default_factory=list, metadata={"always": True})
    description: str = ""
    fail_fast: bool | None = None
    timeouts: Timeouts | None = None
    cluster: Expression | None = None
    clusters: dict[str, Cluster] = field(default_factory=dict)
    skip: bool | None = None
    concurrent: bool | None = None
    skip_delete: bool | None = None
    template: bool | None = None
    compiler: str | None = None
    namespace: str = ""
    namespace_template: Any = None
    namespace_template_compiler: str | None = None
    fast_namespace_deletion: bool | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    catch: list[Operation] = field(default_factory=list)
    force_termination_grace_period: Duration | None = None
    delay_before_cleanup: Duration | None = None
    deletion_propagation_policy: str | None = None


@dataclass(eq=False, repr=False)
class Test(Model):
    """A Test document. ``base_path`` (the folder relative paths resolve against) and ``file`` are
    filled in by discovery and are not part of the YAML."""

    __test__ = False  # not a pytest test class (user test modules import the model)

    metadata: ObjectMeta
    spec: TestSpec
    api_version: str = field(default="chainsaw.kyverno.io/v1alpha1", metadata={"always": True})
    kind: str = field(default="Test", metadata={"always": True})
    base_path: Path = field(default=Path("."), compare=False, metadata={"internal": True})
    file: Path | None = field(default=None, compare=False, metadata={"internal": True})

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels

    def operations(self) -> list[Operation]:
        """Every operation of the test: its ``catch``, then each step's try, catch, finally and cleanup."""
        found = list(self.spec.catch)
        for step in self.spec.steps:
            found += [*step.try_, *step.catch, *step.finally_, *step.cleanup]
        return found


# ---------------------------------------------------------------------------------------------
# Configuration (v1alpha2; v1alpha1 documents are converted by loading.config)


@dataclass(eq=False, repr=False)
class DefaultTimeouts(Model):
    """The configuration's timeout of each operation kind."""

    apply: Duration = field(default="5s", metadata={"always": True})
    assert_: Duration = field(default="30s", metadata={"json": "assert", "always": True})
    cleanup: Duration = field(default="30s", metadata={"always": True})
    delete: Duration = field(default="15s", metadata={"always": True})
    error: Duration = field(default="30s", metadata={"always": True})
    exec: Duration = field(default="5s", metadata={"always": True})


@dataclass(eq=False, repr=False)
class CleanupOptions(Model):
    """The configuration's cleanup settings: skip deletion, delay before cleanup."""

    skip_delete: bool = False
    delay_before_cleanup: Duration | None = None


@dataclass(eq=False, repr=False)
class DeletionOptions(Model):
    """The configuration's deletion propagation policy."""

    propagation: str = field(default="Background", metadata={"always": True})


@dataclass(eq=False, repr=False)
class DiscoveryOptions(Model):
    """How tests are found: test file name, include/exclude regular expressions, full names."""

    exclude_test_regex: str = ""
    include_test_regex: str = ""
    test_file: str = field(default="chainsaw-test", metadata={"always": True})
    full_name: bool = False


@dataclass(eq=False, repr=False)
class ErrorOptions(Model):
    """Operations run in ``catch`` of every test (the configuration's ``error.catch``)."""

    catch: list[Operation] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class ExecutionOptions(Model):
    """How tests run: fail fast, parallelism, repetitions, termination grace period."""

    fail_fast: bool = False
    parallel: int | None = None
    repeat_count: int | None = None
    force_termination_grace_period: Duration | None = None


@dataclass(eq=False, repr=False)
class NamespaceOptions(Model):
    """The namespace of the tests: its name, template and deletion."""

    name: str = ""
    compiler: str | None = None
    template: Any = None
    fast_delete: bool = False


@dataclass(eq=False, repr=False)
class ReportOptions(Model):
    """The report to write: format, folder and name."""

    format: str = field(default="JSON", metadata={"always": True})
    path: str = ""
    name: str = field(default="chainsaw-report", metadata={"always": True})


@dataclass(eq=False, repr=False)
class TemplatingOptions(Model):
    """Whether resources are templated, and the default expression compiler."""

    enabled: bool = field(default=True, metadata={"always": True})
    compiler: str | None = None


@dataclass(eq=False, repr=False)
class ConfigurationSpec(Model):
    """The spec of a ``Configuration`` (v1alpha2 shape; v1alpha1 files are converted)."""

    cleanup: CleanupOptions = field(default_factory=CleanupOptions)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    deletion: DeletionOptions = field(default_factory=DeletionOptions)
    discovery: DiscoveryOptions = field(default_factory=DiscoveryOptions)
    error: ErrorOptions = field(default_factory=ErrorOptions)
    execution: ExecutionOptions = field(default_factory=ExecutionOptions)
    namespace: NamespaceOptions = field(default_factory=NamespaceOptions)
    report: ReportOptions | None = None
    templating: TemplatingOptions = field(default_factory=TemplatingOptions)
    timeouts: DefaultTimeouts = field(default_factory=DefaultTimeouts)


@dataclass(eq=False, repr=False)
class Configuration(Model):
    """A ``Configuration`` document."""

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ConfigurationSpec = field(default_factory=ConfigurationSpec)
    api_version: str = field(default="chainsaw.kyverno.io/v1alpha2", metadata={"always": True})
    kind: str = field(default="Configuration", metadata={"always": True})
