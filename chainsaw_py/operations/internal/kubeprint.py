"""kubectl's printers, for the native helpers: ``-o json`` (Go's ``json.MarshalIndent`` with four spaces),
``-o yaml`` (``sigs.k8s.io/yaml``), ``-o name``, ``-o jsonpath=``, the human-readable table built from the
server's ``Table`` (``printers.TablePrinter`` through a ``tabwriter`` with padding 3), and a generic
``describe`` (kubectl's ``GenericDescriber``: the object's fields under title-cased labels).

Like kubectl, JSON and YAML output omit ``metadata.managedFields``. Unlike kubectl, the values of a
Secret's ``data`` and ``stringData`` print as ``(redacted)``: helper output ends up in CI logs (a
chainsaw_py addition, as for failure diffs).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chainsaw_py.checks import REDACTED, marshal_yaml
from chainsaw_py.checks.redact import is_secret
from chainsaw_py.golang.durations import human_duration
from chainsaw_py.golang.fmt import format_v, json_marshal
from chainsaw_py.golang.jsonpath import JsonPathError, render


class PrintError(Exception):
    """The output cannot be produced (an unsupported format, a bad JSONPath template)."""


def list_object(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What ``kubectl get`` prints for several objects in JSON or YAML."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(obj.get("metadata"), dict) or "managedFields" not in obj["metadata"]:
        return obj
    result = copy.copy(obj)
    result["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return result


def json_indent(value: Any, indent: str = "    ", level: int = 0) -> str:
    """``json.MarshalIndent(value, "", indent)``: sorted keys, HTML characters escaped like Go."""
    pad, inner = indent * level, indent * (level + 1)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = sorted((str(k), v) for k, v in value.items())
        body = ",\n".join(f"{inner}{json_marshal(k)}: {json_indent(v, indent, level + 1)}" for k, v in items)
        return "{\n" + body + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        body = ",\n".join(inner + json_indent(v, indent, level + 1) for v in value)
        return "[\n" + body + "\n" + pad + "]"
    return json_marshal(value)


def print_json(value: dict[str, Any]) -> str:
    return json_indent(_clean(value)) + "\n"


def print_yaml(value: dict[str, Any]) -> str:
    return marshal_yaml(_clean(value))


def print_yaml_documents(values: Sequence[dict[str, Any]]) -> str:
    """kubectl's YAML printer prints ``---`` before every object but the first."""
    return "---\n".join(print_yaml(value) for value in values)


def _clean(value: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value.get("items"), list) and value.get("kind") == "List":
        return {**value, "items": [_clean_object(item) for item in value["items"]]}
    return _clean_object(value)


def _clean_object(obj: dict[str, Any]) -> dict[str, Any]:
    cleaned = without_managed_fields(obj)
    if not is_secret(cleaned):
        return cleaned
    cleaned = dict(cleaned)
    for field in ("data", "stringData"):
        if isinstance(cleaned.get(field), dict):
            cleaned[field] = dict.fromkeys(cleaned[field], REDACTED)
    return cleaned


def object_name(obj: dict[str, Any]) -> str:
    """kubectl's name printer: ``pod/example``, ``deployment.apps/web``."""
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.split("/")[0] if "/" in api_version else ""
    kind = str(obj.get("kind") or "").lower()
    name = str((obj.get("metadata") or {}).get("name") or "")
    return f"{kind}.{group}/{name}" if group else f"{kind}/{name}"


def print_names(objects: Sequence[dict[str, Any]], operation: str = "") -> str:
    suffix = f" {operation}" if operation else ""
    return "".join(f"{object_name(obj)}{suffix}\n" for obj in objects)


def print_jsonpath(template: str, value: Any) -> str:
    try:
        return render(template, value)
    except JsonPathError as err:
        raise PrintError(f"error executing jsonpath {template!r}: {err}") from err


def print_formatted(value: dict[str, Any], output: str) -> str:
    """One object (or a ``List``) in the machine-readable formats."""
    if output == "json":
        return print_json(value)
    if output == "yaml":
        return print_yaml(value)
    if output == "name":
        items = value.get("items") if value.get("kind") == "List" else [value]
        return print_names(items or [])
    template = jsonpath_template(output)
    if template is not None:
        return print_jsonpath(template, _clean(value))
    raise PrintError(f'unable to match a printer suitable for the output format "{output}"')


def jsonpath_template(output: str) -> str | None:
    for prefix in ("jsonpath=", "jsonpath-as-json="):
        if output.startswith(prefix):
            return output[len(prefix):]
    return None


def is_machine_format(output: str) -> bool:
    return output in ("json", "yaml", "name") or jsonpath_template(output) is not None


# --------------------------------------------------------------------------------------- tables


def print_table(table: dict[str, Any], *, wide: bool = False, namespace_column: bool = False,
                now: datetime | None = None) -> str:
    """The human-readable table kubectl prints for a server-side ``Table``."""
    columns = [(index, column) for index, column in enumerate(table.get("columnDefinitions") or [])
               if wide or int(column.get("priority") or 0) == 0]
    header = [str(column.get("name") or "").upper() for _, column in columns]
    rows: list[list[str]] = []
    for row in table.get("rows") or []:
        cells = row.get("cells") or []
        line = [_cell(cells[index] if index < len(cells) else None, column, now) for index, column in columns]
        if namespace_column:
            line.insert(0, _row_namespace(row))
        rows.append(line)
    if namespace_column:
        header.insert(0, "NAMESPACE")
    return tabwrite([header, *rows])


def _row_namespace(row: dict[str, Any]) -> str:
    obj = row.get("object") or {}
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _cell(value: Any, column: dict[str, Any], now: datetime | None) -> str:
    if value is None:
        return "<none>"
    if column.get("type") == "date" or column.get("format") == "date":
        parsed = _parse_time(value)
        if parsed is not None:
            return human_duration(((now or datetime.now(UTC)) - parsed).total_seconds())
    if isinstance(value, (dict, list)):
        return format_v(value)
    return format_v(value)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def tabwrite(rows: Sequence[Sequence[str]], *, min_width: int = 6, padding: int = 3) -> str:
    """Go's ``tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`` for rows of cells (the last cell of each row is
    not aligned, as kubectl writes it)."""
    width = max((len(row) for row in rows), default=0)
    widths = [0] * width
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(cell) + padding, min_width)
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[index]) for index, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + (row[-1] if row else ""))
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------------------- describe


def describe_generic(obj: dict[str, Any], events: Sequence[dict[str, Any]] = ()) -> str:
    """kubectl's generic describer: identity lines, then every other field under title-cased labels,
    then the object's events."""
    meta = obj.get("metadata") or {}
    lines = [
        _pair("Name:", str(meta.get("name") or "")),
        _pair("Namespace:", str(meta.get("namespace") or "")),
        _map_lines("Labels:", meta.get("labels")),
        _map_lines("Annotations:", meta.get("annotations")),
        _pair("API Version:", str(obj.get("apiVersion") or "")),
        _pair("Kind:", str(obj.get("kind") or "")),
    ]
    out = "".join(lines)
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if isinstance(rest.get("metadata"), dict):
        rest["metadata"] = {k: v for k, v in rest["metadata"].items()
                            if k not in ("name", "namespace", "labels", "annotations", "managedFields")}
    out += _describe_fields(rest, 0)
    return out + _events_section(events)


_WIDTH = 14


def _pair(label: str, value: str) -> str:
    return f"{label.ljust(_WIDTH)}{value}\n"


def _map_lines(label: str, value: Any) -> str:
    if not isinstance(value, dict) or not value:
        return _pair(label, "<none>")
    items = sorted(value.items())
    first, *others = [f"{k}={v}" if label == "Labels:" else f"{k}: {v}" for k, v in items]
    return _pair(label, first) + "".join(" " * _WIDTH + line + "\n" for line in others)


def smart_label(name: str) -> str:
    """``creationTimestamp`` -> ``Creation Timestamp``, ``apiVersion`` -> ``API Version``."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).split(" ")
    fixed = {"Api": "API", "Url": "URL", "Uid": "UID", "Ip": "IP", "Id": "ID", "Cpu": "CPU"}
    return " ".join(fixed.get(word[:1].upper() + word[1:], word[:1].upper() + word[1:]) for word in words)


def _describe_fields(value: dict[str, Any], level: int) -> str:
    indent = "  " * level
    out = []
    for key in sorted(value):
        item = value[key]
        label = smart_label(str(key)) + ":"
        if isinstance(item, dict):
            out.append(f"{indent}{label}\n" + _describe_fields(item, level + 1))
        elif isinstance(item, list):
            out.append(f"{indent}{label}\n" + _describe_list(item, level + 1))
        else:
            out.append(f"{indent}{label}  {format_v(item)}\n")
    return "".join(out)


def _describe_list(items: list[Any], level: int) -> str:
    indent = "  " * level
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(_describe_fields(item, level))
        else:
            out.append(f"{indent}{format_v(item)}\n")
    return "".join(out)


def _events_section(events: Sequence[dict[str, Any]]) -> str:
    if not events:
        return "Events:  <none>\n"
    rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
    now = datetime.now(UTC)
    for event in events:
        when = _parse_time(event.get("lastTimestamp") or event.get("eventTime")
                           or (event.get("metadata") or {}).get("creationTimestamp"))
        age = human_duration((now - when).total_seconds()) if when else "<unknown>"
        source = event.get("source") or {}
        rows.append([str(event.get("type") or ""), str(event.get("reason") or ""), age,
                     str(source.get("component") or event.get("reportingComponent") or ""),
                     str(event.get("message") or "").strip()])
    table = tabwrite(rows, min_width=0, padding=2)
    return "Events:\n" + "".join("  " + line + "\n" for line in table.splitlines())
