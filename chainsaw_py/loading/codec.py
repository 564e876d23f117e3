"""Convert between model dataclasses and the camelCase dictionaries of Chainsaw's YAML.

Every model field is serialised under its camelCase name unless the field's metadata says otherwise
(``json``), and is omitted when it holds its default. Fields typed ``Any`` carry raw YAML data
(assertion trees, resources, projections) and are copied as they are.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")


def camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_name(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata.get("json", camel(field.name)))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _serialized_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


@functools.cache
def _decoders(cls: type) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, YAML key, type hint) of every serialised field of ``cls``, worked out once per class."""
    hints = _hints(cls)
    return tuple((field.name, json_name(field), hints[field.name]) for field in _serialized_fields(cls))


def from_dict(cls: type[T], data: Any) -> T:
    """Build ``cls`` from an (already schema-validated) dictionary. Unknown keys are ignored.

    A ``null`` value counts as absent (the field keeps its default), as Go's decoding leaves a zero
    value for ``null``; raw-YAML fields (``Any``) default to ``None`` anyway.
    """
    if not isinstance(data, dict):
        raise TypeError(f"expected a mapping for {cls.__name__}, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for name, key, hint in _decoders(typing.cast(type, cls)):
        value = data.get(key)
        if value is not None:
            kwargs[name] = _decode(hint, value)
    return cls(**kwargs)


def to_dict(obj: Any) -> dict[str, Any]:
    """Serialise a model dataclass to Chainsaw's camelCase form, omitting defaults."""
    out: dict[str, Any] = {}
    for field in _serialized_fields(type(obj)):
        value = getattr(obj, field.name)
        if _is_default(field, value) and not field.metadata.get("always"):
            continue
        out[json_name(field)] = _encode(value)
    return out


def _is_default(field: dataclasses.Field[Any], value: Any) -> bool:
    if field.default is not dataclasses.MISSING:
        return bool(value == field.default)
    if field.default_factory is not dataclasses.MISSING:
        return bool(value == field.default_factory())
    return False


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoder = getattr(value, "to_dict", None)
        return encoder() if encoder is not None else to_dict(value)
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(hint: Any, value: Any) -> Any:
    return None if value is None else _decoder(hint)(value)


def _keep(value: Any) -> Any:
    return value


@functools.cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """How to decode a non-null value for ``hint``, worked out once per type hint."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _decoder(options[0]) if len(options) == 1 else _keep
    if origin is list:
        (item_hint,) = get_args(hint) or (Any,)
        item = _decoder(item_hint)
        return lambda value: [None if v is None else item(v) for v in value]
    if origin is dict:
        _, item_hint = get_args(hint) or (Any, Any)
        item = _decoder(item_hint)
        return lambda value: {k: None if v is None else item(v) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        decoder: Callable[[Any], Any] | None = getattr(hint, "from_dict", None)
        return decoder if decoder is not None else functools.partial(from_dict, hint)
    return _keep
