"""Resolving an operation's ``file`` / ``resource`` into documents (Chainsaw's ``fileRefOrResource`` and
``fileRefOrCheck``, ``pkg/loaders/resource``): a URL is downloaded (3 tries with backoff), anything else
is a glob relative to the test folder; every YAML document is one resource and ``List``-like documents
(a top-level ``items`` array) are flattened."""

from __future__ import annotations

import glob
import json
import time
from typing import Any
from urllib.parse import urlparse

from chainsaw_py.errors import LoadError
from chainsaw_py.expressions import ExpressionError, evaluate_string
from chainsaw_py.operations.base import OperationContext, OperationError
from chainsaw_py.util import files, limits
from chainsaw_py.yamldocs import load_documents


def resolve(file: str, resource: Any, ctx: OperationContext, *, manifest: bool) -> list[dict[str, Any]]:
    """The documents an operation acts on, from its inline ``resource`` or its ``file``."""
    if resource is not None:
        if not isinstance(resource, dict):
            raise OperationError("resource must be an object")
        return [resource]
    if file:
        try:
            reference = evaluate_string(file, ctx.bindings, ctx.compiler)
        except ExpressionError as err:
            raise OperationError(str(err)) from err
        if _is_uri(reference):
            return _parse(_download(reference), reference, manifest, empty=f"found no test in {reference}")
        return load_glob(str(ctx.base_path / reference), manifest)
    raise OperationError("file or resource must be set")


def _is_uri(reference: str) -> bool:
    """Go's ``url.ParseRequestURI`` succeeds for absolute URLs and absolute paths."""
    if reference.startswith("/"):
        return False  # an absolute path: read it as a file (Chainsaw hands it to go-getter, which does the same)
    parsed = urlparse(reference)
    return bool(parsed.scheme) and parsed.scheme not in ("",) and (bool(parsed.netloc) or parsed.scheme == "file")


def load_glob(pattern: str, manifest: bool) -> list[dict[str, Any]]:
    matches = sorted(glob.glob(pattern))
    if not matches:
        raise OperationError(f"no files found matching path: {pattern}")
    documents: list[dict[str, Any]] = []
    for file in matches:
        try:
            text = files.read_text(file)
        except (OSError, UnicodeDecodeError) as err:
            raise OperationError(f"open {file}: {err}") from None
        documents.extend(_parse(text, file, manifest))
    if not documents:
        raise OperationError(f"found no resource in {pattern}")
    return documents


def _parse(text: str, source: str, manifest: bool, empty: str | None = None) -> list[dict[str, Any]]:
    try:
        raw = load_documents(text, source, strict=False)  # Chainsaw: yaml.ToJSON, go-yaml v2 non-strict
    except LoadError as err:
        raise OperationError(str(err)) from err
    documents: list[dict[str, Any]] = []
    for document in raw:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise OperationError(f"{source}: expected an object, got {type(document).__name__}")
        if manifest and not document.get("kind"):
            raise OperationError(f"Object 'Kind' is missing in '{_compact(document)}'")
        items = document.get("items")
        if isinstance(items, list):
            documents.extend(item for item in items if isinstance(item, dict))
        else:
            documents.append(document)
    if empty and not documents:
        raise OperationError(empty)
    return documents


def _compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str)


def _download(url: str) -> str:
    import urllib.error  # with http.client and email: ~25 ms that runs without a URL never need
    import urllib.request

    delay = 1.0
    last: Exception | None = None
    for attempt in range(3):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                content = response.read(limits.MAX_FILE_BYTES + 1)
            if len(content) > limits.MAX_FILE_BYTES:
                raise OperationError(f"error downloading content: more than {limits.MAX_FILE_BYTES} bytes "
                                     "(set CHAINSAW_PY_MAX_FILE_BYTES to raise the limit)")
            return content.decode()
        except (urllib.error.URLError, OSError, ValueError) as err:
            last = err
            if attempt < 2:
                time.sleep(delay)
                delay *= 2
    raise OperationError(f"error downloading content: {last}")
