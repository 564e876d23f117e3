"""The runner's scoped context (Chainsaw's ``pkg/runner/context``): bindings, compiler, timeouts,
clusters, templating and cleanup settings. Immutable: every level derives its own copy, so a step never
leaks settings into the next one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chainsaw_py.expressions import Bindings, ExpressionError, evaluate_string
from chainsaw_py.golang.durations import parse_duration
from chainsaw_py.loading.model import Binding, Cluster, Operation
from chainsaw_py.loading.model import Timeouts as TimeoutsSpec
from chainsaw_py.operations.base import ClusterHandle, OperationError, TimeoutSeconds
from chainsaw_py.operations.bindings import register_bindings
from chainsaw_py.runner.clusters import ClusterRegistry

DEFAULT_CLUSTER = ""


@dataclass(frozen=True)
class ContextData:
    """What a test, a step or an operation may override (Chainsaw's ``ContextData``)."""

    base_path: Path | None = None
    catch: tuple[Operation, ...] = ()
    cluster: str | None = None
    clusters: dict[str, Cluster] | None = None
    delay_before_cleanup: str | None = None
    deletion_propagation: str | None = None
    dry_run: bool | None = None
    skip_delete: bool | None = None
    templating: bool | None = None
    termination_grace: str | None = None
    timeouts: TimeoutsSpec | None = None


@dataclass(frozen=True)
class TestContext:
    """What an operation runs with: bindings, clusters, timeouts and the settings in force."""

    __test__ = False  # not a pytest test class

    bindings: Bindings
    clusters: ClusterRegistry
    base_path: Path = Path(".")
    catch: tuple[Operation, ...] = ()
    cluster: ClusterHandle | None = None
    compiler: str = "jp"
    delay_before_cleanup: float | None = None
    deletion_propagation: str = "Background"
    dry_run: bool = False
    namespace: str | None = None
    skip_delete: bool = False
    templating: bool = True
    termination_grace: float | None = None
    timeouts: TimeoutSeconds = field(default_factory=TimeoutSeconds)

    def bind(self, name: str, value: Any) -> TestContext:
        return replace(self, bindings=self.bindings.register(name, value))

    def with_compiler(self, compiler: str | None) -> TestContext:
        return self if compiler is None else replace(self, compiler=compiler)

    def with_timeouts(self, spec: TimeoutsSpec | None) -> TestContext:
        timeouts = self.timeouts
        if spec is not None:
            for key in ("apply", "assert_", "cleanup", "delete", "error", "exec"):
                value = getattr(spec, key)
                if value is not None:
                    timeouts = timeouts.with_value(key.rstrip("_"), parse_duration(value))
        return replace(self, timeouts=timeouts).bind("timeouts", timeouts.as_binding())

    def with_clusters(self, clusters: dict[str, Cluster] | None) -> TestContext:
        registry = self.clusters
        for name, cluster in (clusters or {}).items():
            registry = registry.register_kubeconfig(name, self.base_path / cluster.kubeconfig, cluster.context)
        return replace(self, clusters=registry)

    def with_current_cluster(self, expression: str) -> TestContext:
        try:
            name = evaluate_string(expression, self.bindings, self.compiler)
        except ExpressionError as err:
            raise OperationError(str(err)) from err
        handle = self.clusters.connect(name)
        return replace(self, cluster=handle).bind("client", handle.client if handle else None).bind(
            "config", handle.config if handle else None)

    def with_bindings(self, bindings: list[Binding]) -> TestContext:
        return replace(self, bindings=register_bindings(self.bindings, bindings, self.compiler))

    def setup(self, data: ContextData) -> TestContext:
        """Apply overrides in Chainsaw's order (``SetupContext``)."""
        tc = self
        if data.base_path is not None:
            tc = replace(tc, base_path=data.base_path)
        if data.catch:
            tc = replace(tc, catch=tc.catch + tuple(data.catch))
        if data.dry_run is not None:
            tc = replace(tc, dry_run=data.dry_run)
        if data.delay_before_cleanup is not None:
            tc = replace(tc, delay_before_cleanup=parse_duration(data.delay_before_cleanup))
        if data.deletion_propagation is not None:
            tc = replace(tc, deletion_propagation=data.deletion_propagation)
        if data.skip_delete is not None:
            tc = replace(tc, skip_delete=data.skip_delete)
        if data.templating is not None:
            tc = replace(tc, templating=data.templating)
        if data.termination_grace is not None:
            tc = replace(tc, termination_grace=parse_duration(data.termination_grace))
        if data.timeouts is not None:
            tc = tc.with_timeouts(data.timeouts)
        tc = tc.with_clusters(data.clusters)
        if data.cluster is not None:
            tc = tc.with_current_cluster(data.cluster)
        return tc
