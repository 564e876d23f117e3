"""Declare Chainsaw tests in Python: typed builders over the model dataclasses, YAML round trip.

```python
from chainsaw_py.declare import Step, Test, apply, assert_, script, to_yaml

test = Test("quick-start", steps=[
    Step(try_=[
        apply(resource={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}),
        assert_(resource={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}),
    ]),
])
print(to_yaml(test))                 # a chainsaw-test.yaml upstream Chainsaw accepts
```

Every builder returns the model object (``loading.model``): ``Test`` a ``model.Test`` that ``api.Session``
runs as it is, ``Step`` a ``model.Step``, each operation builder a ``model.Operation``. ``Test`` checks the
whole test like a loaded file (schema and expression syntax) and raises ``LoadError`` with the field path.
Mappings are accepted where Chainsaw has lists of name/value pairs (``bindings``, ``outputs``, ``env``),
``datetime.timedelta`` where it has durations. ``python`` (a chainsaw_py extension) also takes a callable.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading import model
from chainsaw_py.operations.python_ import PythonContext, describe_function

__all__ = [
    "PythonContext", "Step", "Test", "apply", "assert_", "command", "create", "delete", "describe", "error",
    "events", "expect", "extensions_used", "for_condition", "for_creation", "for_deletion", "for_json_path",
    "from_yaml", "get", "patch", "pod_logs", "proxy", "python", "scenario", "script", "sleep", "to_yaml",
    "update", "validate", "wait",
]

DurationLike = str | datetime.timedelta
BindingsLike = Mapping[str, Any] | Sequence[model.Binding] | None
OutputsLike = Mapping[str, Any] | Sequence[model.Output] | None
TimeoutsLike = Mapping[str, DurationLike] | model.Timeouts | None


# --------------------------------------------------------------------------------------- tests and steps


def Test(name: str, steps: Sequence[model.Step], *, description: str = "", labels: Mapping[str, str] | None = None,
         annotations: Mapping[str, str] | None = None, bindings: BindingsLike = None,
         scenarios: Sequence[model.Scenario] | None = None, catch: Sequence[model.Operation] | None = None,
         timeouts: TimeoutsLike = None, namespace: str = "", namespace_template: Any = None,
         skip: bool | None = None, concurrent: bool | None = None, skip_delete: bool | None = None,
         template: bool | None = None, compiler: str | None = None, cluster: str | None = None,
         clusters: Mapping[str, model.Cluster] | None = None, fast_namespace_deletion: bool | None = None,
         force_termination_grace_period: DurationLike | None = None,
         delay_before_cleanup: DurationLike | None = None, deletion_propagation_policy: str | None = None,
         base_path: str | Path = ".") -> model.Test:
    """A test (``kind: Test``). ``base_path`` is the folder that relative files (``apply(file=...)``,
    ``python("helpers.py:f")``) are read from. Raises ``LoadError`` when the test is not valid."""
    spec = model.TestSpec(
        steps=list(steps), description=description, bindings=_bindings(bindings), scenarios=list(scenarios or []),
        catch=list(catch or []), timeouts=_timeouts(timeouts), namespace=namespace,
        namespace_template=namespace_template, skip=skip, concurrent=concurrent, skip_delete=skip_delete,
        template=template, compiler=compiler, cluster=cluster, clusters=dict(clusters or {}),
        fast_namespace_deletion=fast_namespace_deletion,
        force_termination_grace_period=_duration(force_termination_grace_period),
        delay_before_cleanup=_duration(delay_before_cleanup), deletion_propagation_policy=deletion_propagation_policy)
    test = model.Test(metadata=model.ObjectMeta(name=name, labels=dict(labels or {}),
                                                annotations=dict(annotations or {})), spec=spec)
    test.base_path = Path(base_path)
    validate(test)
    return test


def Step(*, try_: Sequence[model.Operation], name: str = "", description: str = "",
         catch: Sequence[model.Operation] | None = None, finally_: Sequence[model.Operation] | None = None,
         cleanup: Sequence[model.Operation] | None = None, bindings: BindingsLike = None,
         timeouts: TimeoutsLike = None, skip_delete: bool | None = None, template: bool | None = None,
         compiler: str | None = None, cluster: str | None = None,
         deletion_propagation_policy: str | None = None) -> model.Step:
    """A step: ``try_`` in order; ``catch`` when the test has failed; ``finally_`` always; ``cleanup`` at
    test end. Only command, delete, describe, events, get, pod_logs, python, script, sleep and wait may
    appear in catch, finally and cleanup."""
    return model.Step(name=name, description=description, try_=list(try_), catch=list(catch or []),
                      finally_=list(finally_ or []), cleanup=list(cleanup or []), bindings=_bindings(bindings),
                      timeouts=_timeouts(timeouts), skip_delete=skip_delete, template=template, compiler=compiler,
                      cluster=cluster, deletion_propagation_policy=deletion_propagation_policy)


def scenario(name: str = "", bindings: BindingsLike = None) -> model.Scenario:
    """One scenario: the whole test runs once per scenario, with these bindings."""
    return model.Scenario(name=name, bindings=_bindings(bindings))


def expect(check: Any, match: Any = None) -> model.Expectation:
    """An expectation for apply/create/update/patch/delete: ``check`` applies to the results ``match`` selects."""
    return model.Expectation(check=check, match=match)


# --------------------------------------------------------------------------------------- operations
# Every builder takes the entry's own fields last: description, continue_on_error (try only), compiler.


def apply(file: str = "", *, resource: Mapping[str, Any] | None = None, template: bool | None = None,
          dry_run: bool | None = None, expect: Sequence[model.Expectation] | None = None,
          outputs: OutputsLike = None, bindings: BindingsLike = None, timeout: DurationLike | None = None,
          cluster: str | None = None, description: str = "", continue_on_error: bool | None = None,
          compiler: str | None = None) -> model.Operation:
    """Create the resources of ``file`` (a path, glob or URL) or ``resource``, or merge-patch them when they exist."""
    action = model.Apply(**_write_fields(file, resource, template, dry_run, expect, outputs, bindings, timeout,
                                         cluster))
    return _entry("apply", action, description, continue_on_error, compiler)


def create(file: str = "", *, resource: Mapping[str, Any] | None = None, template: bool | None = None,
           dry_run: bool | None = None, expect: Sequence[model.Expectation] | None = None,
           outputs: OutputsLike = None, bindings: BindingsLike = None, timeout: DurationLike | None = None,
           cluster: str | None = None, description: str = "", continue_on_error: bool | None = None,
           compiler: str | None = None) -> model.Operation:
    """Create the resources; fail if one already exists."""
    action = model.Create(**_write_fields(file, resource, template, dry_run, expect, outputs, bindings, timeout,
                                          cluster))
    return _entry("create", action, description, continue_on_error, compiler)


def update(file: str = "", *, resource: Mapping[str, Any] | None = None, template: bool | None = None,
           dry_run: bool | None = None, expect: Sequence[model.Expectation] | None = None,
           outputs: OutputsLike = None, bindings: BindingsLike = None, timeout: DurationLike | None = None,
           cluster: str | None = None, description: str = "", continue_on_error: bool | None = None,
           compiler: str | None = None) -> model.Operation:
    """Replace existing resources."""
    action = model.Update(**_write_fields(file, resource, template, dry_run, expect, outputs, bindings, timeout,
                                          cluster))
    return _entry("update", action, description, continue_on_error, compiler)


def patch(file: str = "", *, resource: Mapping[str, Any] | None = None, subresource: str = "",
          template: bool | None = None, dry_run: bool | None = None,
          expect: Sequence[model.Expectation] | None = None, outputs: OutputsLike = None,
          bindings: BindingsLike = None, timeout: DurationLike | None = None, cluster: str | None = None,
          description: str = "", continue_on_error: bool | None = None,
          compiler: str | None = None) -> model.Operation:
    """Merge-patch existing resources (``subresource="status"`` to patch a subresource)."""
    action = model.Patch(subresource=subresource, **_write_fields(file, resource, template, dry_run, expect,
                                                                  outputs, bindings, timeout, cluster))
    return _entry("patch", action, description, continue_on_error, compiler)


def assert_(file: str = "", *, resource: Any = None, template: bool | None = None, bindings: BindingsLike = None,
            timeout: DurationLike | None = None, cluster: str | None = None, description: str = "",
            continue_on_error: bool | None = None, compiler: str | None = None) -> model.Operation:
    """Wait until a resource matches the assertion tree (``file`` or ``resource``)."""
    action = model.Assert(**_check_fields(file, resource, template, bindings, timeout, cluster))
    return _entry("assert", action, description, continue_on_error, compiler)


def error(file: str = "", *, resource: Any = None, template: bool | None = None, bindings: BindingsLike = None,
          timeout: DurationLike | None = None, cluster: str | None = None, description: str = "",
          continue_on_error: bool | None = None, compiler: str | None = None) -> model.Operation:
    """Wait until no resource matches the assertion tree."""
    action = model.Error(**_check_fields(file, resource, template, bindings, timeout, cluster))
    return _entry("error", action, description, continue_on_error, compiler)


def delete(file: str = "", *, api_version: str = "", kind: str = "", name: str = "", namespace: str = "",
           labels: Mapping[str, str] | None = None, template: bool | None = None,
           deletion_propagation_policy: str | None = None, expect: Sequence[model.Expectation] | None = None,
           bindings: BindingsLike = None, timeout: DurationLike | None = None, cluster: str | None = None,
           description: str = "", continue_on_error: bool | None = None,
           compiler: str | None = None) -> model.Operation:
    """Delete the resources of ``file``, or those ``api_version``/``kind`` (with ``name`` or ``labels``) name."""
    ref = None
    if api_version or kind or name or namespace or labels:
        ref = model.ObjectReference(api_version=api_version, kind=kind, namespace=namespace, name=name,
                                    labels=dict(labels) if labels is not None else None)
    action = model.Delete(file=file, ref=ref, template=template, deletion_propagation_policy=deletion_propagation_policy,
                          expect=list(expect or []), bindings=_bindings(bindings), timeout=_duration(timeout),
                          cluster=cluster)
    return _entry("delete", action, description, continue_on_error, compiler)


def command(entrypoint: str, *args: str, env: Mapping[str, str] | Sequence[model.Binding] | None = None,
            work_dir: str | None = None, check: Any = None, outputs: OutputsLike = None,
            bindings: BindingsLike = None, skip_log_output: bool = False, skip_command_output: bool = False,
            timeout: DurationLike | None = None, cluster: str | None = None, description: str = "",
            continue_on_error: bool | None = None, compiler: str | None = None) -> model.Operation:
    """Run ``entrypoint args...``; ``check`` is an assertion tree over ``$error``, ``$stdout``, ``$stderr``."""
    action = model.Command(entrypoint=entrypoint, args=list(args), env=_bindings(env), work_dir=work_dir,
                           check=check, outputs=_outputs(outputs), bindings=_bindings(bindings),
                           skip_log_output=skip_log_output, skip_command_output=skip_command_output,
                           timeout=_duration(timeout), cluster=cluster)
    return _entry("command", action, description, continue_on_error, compiler)


def script(content: str, *, shell: str | None = None, shell_args: Sequence[str] | None = None,
           env: Mapping[str, str] | Sequence[model.Binding] | None = None, work_dir: str | None = None,
           check: Any = None, outputs: OutputsLike = None, bindings: BindingsLike = None,
           skip_log_output: bool = False, skip_command_output: bool = False, timeout: DurationLike | None = None,
           cluster: str | None = None, description: str = "", continue_on_error: bool | None = None,
           compiler: str | None = None) -> model.Operation:
    """Run ``content`` with ``sh -c`` (or ``shell shell_args``)."""
    action = model.Script(content=content, shell=shell, shell_args=list(shell_args) if shell_args else None,
                          env=_bindings(env), work_dir=work_dir, check=check, outputs=_outputs(outputs),
                          bindings=_bindings(bindings), skip_log_output=skip_log_output,
                          skip_command_output=skip_command_output, timeout=_duration(timeout), cluster=cluster)
    return _entry("script", action, description, continue_on_error, compiler)


def sleep(duration: DurationLike, *, description: str = "", continue_on_error: bool | None = None) -> model.Operation:
    """Wait for ``duration``."""
    return _entry("sleep", model.Sleep(duration=_duration(duration) or ""), description, continue_on_error, None)


def get(api_version: str, kind: str, *, name: str = "", namespace: str = "", selector: str = "", format: str = "",
        timeout: DurationLike | None = None, cluster: str | None = None, description: str = "",
        continue_on_error: bool | None = None, compiler: str | None = None) -> model.Operation:
    """Print resources (``kubectl get``)."""
    action = model.Get(api_version=api_version, kind=kind, name=name, namespace=namespace, selector=selector,
                       format=format, timeout=_duration(timeout), cluster=cluster)
    return _entry("get", action, description, continue_on_error, compiler)


def describe(api_version: str, kind: str, *, name: str = "", namespace: str = "", selector: str = "",
             show_events: bool | None = None, timeout: DurationLike | None = None, cluster: str | None = None,
             description: str = "", continue_on_error: bool | None = None,
             compiler: str | None = None) -> model.Operation:
    """Describe resources (``kubectl describe``)."""
    action = model.Describe(api_version=api_version, kind=kind, name=name, namespace=namespace, selector=selector,
                            show_events=show_events, timeout=_duration(timeout), cluster=cluster)
    return _entry("describe", action, description, continue_on_error, compiler)


def events(*, name: str = "", namespace: str = "", selector: str = "", format: str = "",
           timeout: DurationLike | None = None, cluster: str | None = None, description: str = "",
           continue_on_error: bool | None = None, compiler: str | None = None) -> model.Operation:
    """Print events."""
    action = model.Events(name=name, namespace=namespace, selector=selector, format=format,
                          timeout=_duration(timeout), cluster=cluster)
    return _entry("events", action, description, continue_on_error, compiler)


def pod_logs(*, name: str = "", namespace: str = "", selector: str = "", container: str = "",
             tail: int | None = None, timeout: DurationLike | None = None, cluster: str | None = None,
             description: str = "", continue_on_error: bool | None = None,
             compiler: str | None = None) -> model.Operation:
    """Print pod logs (``podLogs``)."""
    action = model.PodLogs(name=name, namespace=namespace, selector=selector, container=container, tail=tail,
                           timeout=_duration(timeout), cluster=cluster)
    return _entry("podLogs", action, description, continue_on_error, compiler)


def proxy(api_version: str, kind: str, *, name: str = "", namespace: str = "", port: str = "", path: str = "",
          outputs: OutputsLike = None, timeout: DurationLike | None = None, cluster: str | None = None,
          description: str = "", continue_on_error: bool | None = None,
          compiler: str | None = None) -> model.Operation:
    """Call a service or pod through the API server proxy."""
    action = model.Proxy(api_version=api_version, kind=kind, name=name, namespace=namespace, port=port, path=path,
                         outputs=_outputs(outputs), timeout=_duration(timeout), cluster=cluster)
    return _entry("proxy", action, description, continue_on_error, compiler)


def wait(api_version: str, kind: str, for_: model.WaitFor, *, name: str = "", namespace: str = "",
         selector: str = "", format: str = "", timeout: DurationLike | None = None, cluster: str | None = None,
         description: str = "", continue_on_error: bool | None = None,
         compiler: str | None = None) -> model.Operation:
    """Wait for resources (``kubectl wait``); ``for_`` is one of ``for_condition``, ``for_json_path``,
    ``for_creation``, ``for_deletion``."""
    action = model.Wait(api_version=api_version, kind=kind, for_=for_, name=name, namespace=namespace,
                        selector=selector, format=format, timeout=_duration(timeout), cluster=cluster)
    return _entry("wait", action, description, continue_on_error, compiler)


def for_condition(name: str, value: str | None = None) -> model.WaitFor:
    return model.WaitFor(condition=model.WaitForCondition(name=name, value=value))


def for_json_path(path: str, value: str | None = None) -> model.WaitFor:
    return model.WaitFor(json_path=model.WaitForJsonPath(path=path, value=value))


def for_creation() -> model.WaitFor:
    return model.WaitFor(creation={})


def for_deletion() -> model.WaitFor:
    return model.WaitFor(deletion={})


def python(function: str | Callable[..., Any], *, args: Mapping[str, Any] | None = None,
           bindings: BindingsLike = None, timeout: DurationLike | None = None, cluster: str | None = None,
           description: str = "", continue_on_error: bool | None = None,
           compiler: str | None = None) -> model.Operation:
    """chainsaw_py extension (upstream Chainsaw cannot run it): call ``function(ctx, **args)``.

    ``function`` is ``"module:attr"``, ``"file.py:attr"`` (relative to the test folder) or a callable; ``ctx``
    is a :class:`PythonContext`. The function returns a mapping of outputs or ``None``; raising fails the
    operation. ``args`` values are evaluated like binding values (``"($namespace)"``)."""
    if isinstance(function, str):
        action = model.Python(function=function)
    elif callable(function):
        action = model.Python(target=function)
    else:
        raise ChainsawError(f"python: expected a function or a 'module:attr' string, got {type(function).__name__}")
    action.args = dict(args or {})
    action.bindings = _bindings(bindings)
    action.timeout = _duration(timeout)
    action.cluster = cluster
    return _entry("python", action, description, continue_on_error, compiler)


# --------------------------------------------------------------------------------------- YAML


def to_yaml(tests: model.Test | Iterable[model.Test]) -> str:
    """The YAML of one test, or of several as a multi-document file. A test using no chainsaw_py extension
    (see ``extensions_used``) gives a file upstream Chainsaw accepts. A ``python`` operation holding a
    callable is written as ``module:qualname``, which needs an importable, module-level function."""
    documents = [_document(test) for test in ([tests] if isinstance(tests, model.Test) else tests)]
    return "---\n".join(yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
                        for document in documents)


def from_yaml(text: str, *, base_path: str | Path = ".", file: str | Path | None = None) -> list[model.Test]:
    """The tests of a YAML text, loaded like a test file (validated; step templates resolved from
    ``base_path``, which also becomes each test's base path). Raises ``LoadError``."""
    from chainsaw_py.loading.tests import parse_test, resolve_step_templates
    from chainsaw_py.yamldocs import parse_documents

    documents = parse_documents(text, file)
    tests = []
    for document in documents:
        test = parse_test(document)
        test.base_path = Path(base_path)
        if file is not None:
            test.file = Path(file)
        resolve_step_templates(test, document, base_path)
        tests.append(test)
    return tests


def extensions_used(test: model.Test) -> list[str]:
    """Where ``test`` uses a chainsaw_py extension upstream Chainsaw cannot run (empty: portable)."""
    from chainsaw_py.loading.extensions import extensions_used as used

    return used(_document(test, placeholder_functions=True))


def validate(test: model.Test) -> None:
    """Check ``test`` as a loaded file would be checked (schema, expression syntax); raise ``LoadError``."""
    from chainsaw_py.loading.tests import parse_test
    from chainsaw_py.yamldocs import Document

    parse_test(Document(_document(test, placeholder_functions=True), file=f"test {test.name!r}"))


# --------------------------------------------------------------------------------------- helpers


def _entry(kind: str, action: Any, description: str, continue_on_error: bool | None,
           compiler: str | None) -> model.Operation:
    if not isinstance(action, model.OPERATION_KINDS[kind].action):
        raise TypeError(f"{kind}: expected a {model.OPERATION_KINDS[kind].action.__name__}, got {type(action).__name__}")
    return model.Operation(type=kind, action=action, description=description, continue_on_error=continue_on_error,
                           compiler=compiler)


def _write_fields(file: str, resource: Mapping[str, Any] | None, template: bool | None, dry_run: bool | None,
                  expect: Sequence[model.Expectation] | None, outputs: OutputsLike, bindings: BindingsLike,
                  timeout: DurationLike | None, cluster: str | None) -> dict[str, Any]:
    return {"file": file, "resource": _plain(resource), "template": template, "dry_run": dry_run,
            "expect": list(expect or []), "outputs": _outputs(outputs), "bindings": _bindings(bindings),
            "timeout": _duration(timeout), "cluster": cluster}


def _check_fields(file: str, resource: Any, template: bool | None, bindings: BindingsLike,
                  timeout: DurationLike | None, cluster: str | None) -> dict[str, Any]:
    return {"file": file, "resource": _plain(resource), "template": template, "bindings": _bindings(bindings),
            "timeout": _duration(timeout), "cluster": cluster}


def _plain(value: Any) -> Any:
    """Mappings and sequences as plain dicts and lists (what the YAML loader would give)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _bindings(bindings: BindingsLike) -> list[model.Binding]:
    if bindings is None:
        return []
    if isinstance(bindings, Mapping):
        return [model.Binding(name=name, value=_plain(value)) for name, value in bindings.items()]
    return list(bindings)


def _outputs(outputs: OutputsLike) -> list[model.Output]:
    if outputs is None:
        return []
    if isinstance(outputs, Mapping):
        return [model.Output(name=name, value=_plain(value)) for name, value in outputs.items()]
    return list(outputs)


def _duration(value: DurationLike | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.timedelta):
        from chainsaw_py.golang.durations import format_duration_ns

        return format_duration_ns(round(value.total_seconds() * 1e9))
    raise ChainsawError(f"expected a duration (a string such as 30s, or a timedelta), got {type(value).__name__}")


def _timeouts(timeouts: TimeoutsLike) -> model.Timeouts | None:
    if timeouts is None or isinstance(timeouts, model.Timeouts):
        return timeouts
    allowed = {"apply", "assert", "cleanup", "delete", "error", "exec"}
    unknown = sorted(set(timeouts) - allowed)
    if unknown:
        raise ChainsawError(f"unknown timeout {unknown[0]!r}: expected one of {', '.join(sorted(allowed))}")
    return model.Timeouts(**{("assert_" if key == "assert" else key): _duration(value)
                             for key, value in timeouts.items()})


def _document(test: model.Test, placeholder_functions: bool = False) -> dict[str, Any]:
    """The Test document in the conventional key order, python callables named."""
    data = test.to_dict()
    spec = data.get("spec", {})
    for where, operation in _operations(test):
        if operation.type == "python" and operation.action.target is not None and not operation.action.function:
            entry = _locate(spec, where)
            entry["python"]["function"] = (_VALIDATION_PLACEHOLDER if placeholder_functions
                                           else importable_name(operation.action.target))
    ordered_spec = {key: value for key, value in spec.items() if key != "steps"}
    ordered_spec["steps"] = spec.get("steps", [])
    head = {"apiVersion": data.get("apiVersion"), "kind": data.get("kind"), "metadata": data.get("metadata", {})}
    return {**head, "spec": ordered_spec}


def _operations(test: model.Test) -> Iterable[tuple[tuple[Any, ...], model.Operation]]:
    for index, operation in enumerate(test.spec.catch):
        yield ("catch", index), operation
    for step_index, step in enumerate(test.spec.steps):
        for block, key in (("try_", "try"), ("catch", "catch"), ("finally_", "finally"), ("cleanup", "cleanup")):
            for index, operation in enumerate(getattr(step, block)):
                yield ("steps", step_index, key, index), operation


def _locate(spec: dict[str, Any], where: tuple[Any, ...]) -> dict[str, Any]:
    node: Any = spec
    for part in where:
        node = node[part]
    assert isinstance(node, dict)
    return node


_VALIDATION_PLACEHOLDER = "code:callable"
"""What validation sees for a python operation holding a callable (the schema wants a module:attr)."""


def importable_name(function: Callable[..., Any]) -> str:
    """``module:qualname`` for a module-level function that can be imported back; ``ChainsawError`` otherwise."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    label = describe_function(model.Python(target=function))
    if not module or module == "__main__" or module.startswith("chainsaw_python_") or not qualname \
            or "<" in qualname:
        raise ChainsawError(f"python: {label} has no importable name to write in YAML; give the operation "
                            "a 'module:attr' or 'file.py:attr' string instead")
    return f"{module}:{qualname}"


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings (scripts)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    block = "\n" in value and all(line == line.rstrip() for line in value.split("\n"))
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if block else None)


_Dumper.add_representer(str, _represent_str)
