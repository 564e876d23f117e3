"""The work behind ``chainsaw-py lint``: one document checked against the schema of its version."""

from __future__ import annotations

import json
from typing import Any

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.golang.jsonnum import decode_float, decode_integer
from chainsaw_py.loading.extensions import extensions_used
from chainsaw_py.loading.syntax import check_configuration_expressions, check_test_expressions
from chainsaw_py.loading.validate import load_schema, schema_errors, sort_errors
from chainsaw_py.util import limits
from chainsaw_py.yamldocs import Document, parse_documents

_KINDS = {"test": "Test", "configuration": "Configuration"}


def extensions_in(text: str, extension: str | None, name: str) -> list[str]:
    """Where the first document of ``text`` uses chainsaw_py extensions (see ``loading.extensions``)."""
    return extensions_used(_document(text, _format(extension, text), name).data)


def lint_text(kind: str, text: str, extension: str | None, name: str) -> list[str]:
    """Problems of the first document of ``text`` linted as ``kind`` (``test`` or ``configuration``).

    ``extension`` is the file's (``.json``/``.yaml``; anything else is refused), or None to detect JSON
    by a leading ``{`` as Chainsaw does for standard input. Input that cannot be linted at all raises.
    """
    if kind not in _KINDS:
        raise ChainsawError(f'invalid argument "{kind}" for lint (expected test or configuration)')
    document = _document(text, _format(extension, text), name)
    version = _version(document)
    load_schema(_KINDS[kind], version)
    errors = schema_errors(document, _KINDS[kind], version)
    if not errors:
        check = check_test_expressions if kind == "test" else check_configuration_expressions
        errors = check(document)
    if not errors:
        errors = _model_errors(kind, document)
    return [str(error) for error in sort_errors(errors)]


def _model_errors(kind: str, document: Document) -> list[LoadError]:
    """Whatever else ``test`` would refuse when it loads the document (lint never calls such a document
    valid): the document is turned into the model exactly as a run does."""
    from chainsaw_py.loading.config import configuration_from_document
    from chainsaw_py.loading.tests import parse_test

    try:
        if kind == "test":
            parse_test(document)
        else:
            configuration_from_document(document)
    except LoadError as err:
        return [err]
    except (TypeError, ValueError, KeyError) as err:  # a gap in the schema: still one line, never "valid"
        return [document.error(f"cannot load this document: {err}")]
    return []


def _format(extension: str | None, text: str) -> str:
    if extension is None or extension == "":
        return ".json" if text.lstrip().startswith("{") else ".yaml"
    if extension not in (".json", ".yaml"):
        raise ChainsawError(f"unsupported file format: {extension}")
    return extension


def _document(text: str, file_format: str, name: str) -> Document:
    if file_format == ".json":
        data = _json(text, name)
        try:
            documents = parse_documents(text, name)  # JSON is YAML: this gives the line numbers
        except LoadError:
            documents = []
        return documents[0] if documents and documents[0].data == data else Document(data, name)
    documents = parse_documents(text, name)
    if not documents:
        raise LoadError("the document is empty", name)
    return documents[0]


def _json(text: str, name: str) -> Any:
    """``text`` as JSON, bounded like the YAML loader: numbers as Go reads them into ``interface{}`` (a
    float64), and nesting within ``limits.MAX_NESTING_DEPTH``."""
    try:
        data = json.loads(text, parse_int=decode_integer, parse_float=decode_float)
    except json.JSONDecodeError as err:
        raise LoadError(f"invalid JSON: {err.msg} (column {err.colno})", name, err.lineno) from None
    except RecursionError:
        data = None
    except ValueError as err:
        raise LoadError(f"invalid JSON: {err}", name) from None
    if (data is None and text.strip() != "null") or _depth_exceeds(data, limits.MAX_NESTING_DEPTH):
        raise LoadError(f"exceeded max depth of {limits.MAX_NESTING_DEPTH} (nested mappings and lists)", name)
    return data



def _depth_exceeds(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict | list):
            if depth > limit:
                return True
            children = current.values() if isinstance(current, dict) else current
            pending.extend((child, depth + 1) for child in children)
    return False


def _version(document: Document) -> str:
    data = document.data
    api_version = data.get("apiVersion") if isinstance(data, dict) else None
    if not isinstance(api_version, str) or not api_version:
        raise document.error("apiVersion is missing or not a string")
    return api_version.rpartition("/")[2]
