"""``renovate config``: a Configuration file (v1alpha1 or v1alpha2) rewritten as the minimal v1alpha2 document.

As upstream, the file is loaded and converted to v1alpha2 by the loading layer (defaults applied), both it
and the built-in default configuration are shaped as Go's JSON, and the result is the JSON merge patch
(RFC 7386) from the default to it: only what differs from the defaults is kept. ``apiVersion``, ``kind``,
the name, labels and annotations are then set from the loaded file.

chainsaw_py adds two things: ``spec: {}`` when nothing differs (upstream leaves ``spec`` out, which the
schema rejects), and :func:`reload_differences` to warn when the result does not load back the same.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.authoring.gojson import go_json
from chainsaw_py.authoring.manifests import schema_comment
from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.loading.model import Configuration

CONFIGURATION_SCHEMA = schema_comment("configuration", "v1alpha2")
V1ALPHA2 = "chainsaw.kyverno.io/v1alpha2"


def load_for_renovation(path: str) -> Configuration:
    from chainsaw_py.loading.config import read_configuration

    try:
        return read_configuration(path)
    except LoadError as err:
        raise ChainsawError(f"failed to load configuration file {path}: {err}") from None


def renovated(configuration: Configuration) -> dict[str, Any]:
    """The v1alpha2 document holding what ``configuration`` changes from the default configuration."""
    from chainsaw_py.loading.config import default_configuration

    patch = create_merge_patch(go_json(default_configuration()), go_json(configuration))
    patch["apiVersion"] = V1ALPHA2
    patch["kind"] = "Configuration"
    metadata = patch.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    _set_or_remove(metadata, "name", configuration.metadata.name)
    _set_or_remove(metadata, "labels", configuration.metadata.labels)
    _set_or_remove(metadata, "annotations", configuration.metadata.annotations)
    patch["metadata"] = metadata
    patch.setdefault("spec", {})  # upstream omits it when nothing differs, which its schema then rejects
    return patch


def render_renovated(configuration: Configuration) -> str:
    from chainsaw_py.golang.yaml import marshal

    return marshal(renovated(configuration))


def reload_differences(configuration: Configuration, document: str) -> list[str]:
    """The fields (dotted paths) whose value changes when the renovated ``document`` is loaded back.

    Upstream's renovation is not always faithful: a v1alpha1 file without ``reportFormat`` (no report)
    renovates to a ``report`` section whose format then defaults to JSON. Callers warn about these.
    """
    from chainsaw_py.loading.config import parse_configuration

    reloaded = parse_configuration(document, "<renovated>")
    return _leaf_paths(create_merge_patch(go_json(configuration), go_json(reloaded)), "")


def _leaf_paths(patch: dict[str, Any], prefix: str) -> list[str]:
    paths: list[str] = []
    for key in sorted(patch):
        path = f"{prefix}.{key}" if prefix else key
        value = patch[key]
        paths.extend(_leaf_paths(value, path) if isinstance(value, dict) and value else [path])
    return paths


def create_merge_patch(original: Any, modified: Any) -> dict[str, Any]:
    """The RFC 7386 merge patch turning the object ``original`` into ``modified`` (``null`` = removed key).

    Nested objects are diffed key by key; any other changed value (lists included) is replaced whole.
    """
    if not isinstance(original, dict) or not isinstance(modified, dict):
        raise ChainsawError("a merge patch needs two objects")
    patch: dict[str, Any] = {}
    for key, value in modified.items():
        if key not in original:
            patch[key] = value
        elif isinstance(value, dict) and isinstance(original[key], dict):
            nested = create_merge_patch(original[key], value)
            if nested:
                patch[key] = nested
        elif not _same_json(original[key], value):
            patch[key] = value
    for key in original:
        if key not in modified:
            patch[key] = None
    return patch


def _same_json(left: Any, right: Any) -> bool:
    from chainsaw_py.golang.fmt import json_marshal

    return json_marshal(left) == json_marshal(right)


def _set_or_remove(metadata: dict[str, Any], key: str, value: Any) -> None:
    """``unstructured.SetName``/``SetLabels``/``SetAnnotations``: an empty value removes the key."""
    if value:
        metadata[key] = value
    else:
        metadata.pop(key, None)
