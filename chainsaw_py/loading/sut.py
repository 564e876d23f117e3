"""The system under test: chainsaw_py's own file next to the configuration (``.chainsaw-py.yaml``, found by
``loading.sut_file``; upstream Chainsaw never reads it), typed.

```yaml
processes:                       # started after the cluster is up, before the tests; stopped after the run
- name: operator
  command: [kopf, run, --standalone, operator.py]     # or one string, run by /bin/sh -c
  workingDir: ./operator         # relative to this file (default: its folder)
  env: {LOG_LEVEL: debug}
  ready:                         # one or more (all must hold), within `timeout`
    log: "Starting the operator"                  # a regular expression on a stdout/stderr line
    tcp: 127.0.0.1:8080
    http: http://127.0.0.1:8080/healthz            # any status below 400
    resource: {apiVersion: apps/v1, kind: Deployment, namespace: x, name: y, condition: Available}
    timeout: 30s
  stopTimeout: 10s               # SIGTERM to the process group, this long, then SIGKILL
images:                          # embedded cluster: pods whose images all map here really run
- image: ghcr.io/acme/operator:*                  # exact or glob
  entrypoint: [python, -m, acme.operator]         # the image's ENTRYPOINT (container `command` replaces it)
  args: []                                        # the image's CMD (container `args` replaces it)
  workingDir: .                                   # the image's WORKDIR
  env: {}
```
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsaw_py.embedded.runtime.images import ImageProgram
from chainsaw_py.errors import LoadError
from chainsaw_py.golang.durations import DurationError, parse_duration
from chainsaw_py.yamldocs import Document, PathPart, read_documents


@dataclass(frozen=True)
class ResourceCondition:
    """Ready when the object exists and, if given, its ``status.conditions[type=condition]`` is True and
    the dotted ``field`` is non-empty (e.g. ``spec.holderIdentity`` of a Lease)."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""
    condition: str = ""
    field: str = ""


@dataclass(frozen=True)
class Readiness:
    log: str = ""
    tcp: str = ""
    http: str = ""
    resource: ResourceCondition | None = None
    timeout: float = 60.0

    @property
    def empty(self) -> bool:
        return not (self.log or self.tcp or self.http or self.resource)


@dataclass(frozen=True)
class ProcessSpec:
    """A local process run alongside the suite (the operator, a webhook server, ...)."""

    name: str
    command: tuple[str, ...]
    working_dir: Path = Path(".")
    env: Mapping[str, str] = field(default_factory=dict)
    ready: Readiness = field(default_factory=Readiness)
    stop_timeout: float = 10.0


@dataclass(frozen=True)
class SutConfig:
    processes: tuple[ProcessSpec, ...] = ()
    images: tuple[ImageProgram, ...] = ()
    source: str = ""

    @property
    def empty(self) -> bool:
        return not self.processes and not self.images

    def merged(self, other: SutConfig) -> SutConfig:
        return SutConfig(self.processes + other.processes, self.images + other.images, self.source or other.source)


def load_sut(path: str | Path | None) -> SutConfig:
    if path is None:
        return SutConfig()
    if not Path(path).exists():  # other kinds of file are refused by the reading, with what they are
        raise LoadError("file not found", path)
    documents = read_documents(path)
    if not documents:
        return SutConfig(source=str(path))
    if len(documents) > 1:
        raise documents[1].error("expected one YAML document")
    return _Parser(documents[0], Path(path).resolve().parent).config(str(path))


class _Parser:
    def __init__(self, document: Document, base: Path) -> None:
        self.document = document
        self.base = base

    def fail(self, path: Sequence[PathPart], message: str) -> LoadError:
        return self.document.error(message, path)

    def config(self, source: str) -> SutConfig:
        data = self.document.data
        self._mapping(data, (), {"processes", "images"})
        processes = tuple(self._process(entry, ("processes", index))
                          for index, entry in enumerate(self._list(data.get("processes"), ("processes",))))
        names = [process.name for process in processes]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise self.fail(("processes", index, "name"), f"duplicate process name {name!r}")
        images = tuple(self._image(entry, ("images", index))
                       for index, entry in enumerate(self._list(data.get("images"), ("images",))))
        return SutConfig(processes, images, source)

    # --- entries ----------------------------------------------------------------------------------------

    def _process(self, data: Any, path: tuple[PathPart, ...]) -> ProcessSpec:
        self._mapping(data, path, {"name", "command", "workingDir", "env", "ready", "stopTimeout"})
        name = self._string(data.get("name"), path + ("name",), required=True)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise self.fail(path + ("name",), "expected a name of letters, digits, '.', '_' or '-'")
        return ProcessSpec(name=name, command=self._command(data.get("command"), path + ("command",), True),
                           working_dir=self._folder(data.get("workingDir"), path + ("workingDir",)),
                           env=self._env(data.get("env"), path + ("env",)),
                           ready=self._ready(data.get("ready"), path + ("ready",)),
                           stop_timeout=self._duration(data.get("stopTimeout"), path + ("stopTimeout",), 10.0))

    def _ready(self, data: Any, path: tuple[PathPart, ...]) -> Readiness:
        if data is None:
            return Readiness()
        self._mapping(data, path, {"log", "tcp", "http", "resource", "timeout"})
        log = self._string(data.get("log"), path + ("log",))
        if log:
            try:
                re.compile(log)
            except re.error as err:
                raise self.fail(path + ("log",), f"invalid regular expression: {err}") from None
        tcp = self._string(data.get("tcp"), path + ("tcp",))
        if tcp and not re.fullmatch(r"[^:\s]+:\d{1,5}", tcp):
            raise self.fail(path + ("tcp",), "expected host:port")
        http = self._string(data.get("http"), path + ("http",))
        if http and not http.startswith(("http://", "https://")):
            raise self.fail(path + ("http",), "expected an http:// or https:// URL")
        resource = None
        if data.get("resource") is not None:
            resource = self._resource(data["resource"], path + ("resource",))
        return Readiness(log, tcp, http, resource, self._duration(data.get("timeout"), path + ("timeout",), 60.0))

    def _resource(self, data: Any, path: tuple[PathPart, ...]) -> ResourceCondition:
        self._mapping(data, path, {"apiVersion", "kind", "name", "namespace", "condition", "field"})
        return ResourceCondition(
            api_version=self._string(data.get("apiVersion"), path + ("apiVersion",), required=True),
            kind=self._string(data.get("kind"), path + ("kind",), required=True),
            name=self._string(data.get("name"), path + ("name",), required=True),
            namespace=self._string(data.get("namespace"), path + ("namespace",)),
            condition=self._string(data.get("condition"), path + ("condition",)),
            field=self._string(data.get("field"), path + ("field",)))

    def _image(self, data: Any, path: tuple[PathPart, ...]) -> ImageProgram:
        self._mapping(data, path, {"image", "entrypoint", "args", "workingDir", "env"})
        folder = self._folder(data.get("workingDir"), path + ("workingDir",))
        return ImageProgram(image=self._string(data.get("image"), path + ("image",), required=True),
                            entrypoint=self._command(data.get("entrypoint"), path + ("entrypoint",), True),
                            args=self._command(data.get("args"), path + ("args",), False),
                            working_dir=str(folder), env=self._env(data.get("env"), path + ("env",)))

    # --- scalars ----------------------------------------------------------------------------------------

    def _mapping(self, data: Any, path: tuple[PathPart, ...], allowed: set[str]) -> None:
        if not isinstance(data, dict):
            raise self.fail(path, "expected a mapping")
        for key in data:
            if key not in allowed:
                raise self.fail(path + (str(key),), f"unknown field (expected one of: {', '.join(sorted(allowed))})")

    def _list(self, data: Any, path: tuple[PathPart, ...]) -> list[Any]:
        if data is None:
            return []
        if not isinstance(data, list):
            raise self.fail(path, "expected a list")
        return data

    def _string(self, data: Any, path: tuple[PathPart, ...], required: bool = False) -> str:
        if data is None or data == "":
            if required:
                raise self.fail(path, "required value missing")
            return ""
        if not isinstance(data, str):
            raise self.fail(path, "expected a string")
        return data

    def _command(self, data: Any, path: tuple[PathPart, ...], required: bool) -> tuple[str, ...]:
        if isinstance(data, str) and data.strip():
            return ("/bin/sh", "-c", data)
        if isinstance(data, list) and all(isinstance(item, (str, int, float)) for item in data) and data:
            return tuple(str(item) for item in data)
        if data is None or data == []:
            if required:
                raise self.fail(path, "required value missing")
            return ()
        raise self.fail(path, "expected a string or a list of strings")

    def _env(self, data: Any, path: tuple[PathPart, ...]) -> dict[str, str]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.fail(path, "expected a mapping of names to values")
        env = {}
        for key, value in data.items():
            if isinstance(value, (dict, list)) or value is None:
                raise self.fail(path + (str(key),), "expected a string value")
            env[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
        return env

    def _folder(self, data: Any, path: tuple[PathPart, ...]) -> Path:
        text = self._string(data, path)
        folder = (self.base / text).resolve() if text else self.base
        if not folder.is_dir():
            raise self.fail(path, f"no such folder: {folder}")
        return folder

    def _duration(self, data: Any, path: tuple[PathPart, ...], default: float) -> float:
        if data is None:
            return default
        try:
            seconds = parse_duration(str(data))
        except DurationError as err:
            raise self.fail(path, str(err)) from None
        if seconds <= 0:
            raise self.fail(path, "expected a positive duration")
        return seconds


def command_line(command: Sequence[str]) -> str:
    return shlex.join(command)
