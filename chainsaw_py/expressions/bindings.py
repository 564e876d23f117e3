"""Immutable, scoped bindings: what ``$name`` resolves to in expressions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chainsaw_py.grammar.errors import ExpressionError


class Bindings:
    """An immutable scope chain of named values.

    ``register`` returns a new ``Bindings`` in which the name hides any earlier binding of the same
    name; the receiver is never changed. Names are given without the ``$`` sigil.
    """

    __slots__ = ("_flat", "_name", "_parent", "_value")

    def __init__(self) -> None:
        self._name: str | None = None
        self._value: Any = None
        self._parent: Bindings | None = None
        self._flat: dict[str, Any] | None = None

    def register(self, name: str, value: Any) -> Bindings:
        child = Bindings()
        child._name = _strip_sigil(name)
        child._value = value
        child._parent = self
        return child

    def register_all(self, values: dict[str, Any]) -> Bindings:
        """Register several names in order (each later one sees nothing; they only hide)."""
        bindings = self
        for name, value in values.items():
            bindings = bindings.register(name, value)
        return bindings

    def resolve(self, name: str) -> Any:
        flat = self._flatten()
        key = _strip_sigil(name)
        if key not in flat:
            raise ExpressionError(f"variable not defined: ${key}")
        return flat[key]

    def has(self, name: str) -> bool:
        return _strip_sigil(name) in self._flatten()

    def get(self, name: str, default: Any = None) -> Any:
        return self._flatten().get(_strip_sigil(name), default)

    def names(self) -> list[str]:
        """Visible names, oldest registration first."""
        return list(self._flatten())

    def as_dict(self) -> dict[str, Any]:
        """A copy of the visible name -> value mapping."""
        return dict(self._flatten())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._flatten())

    def __repr__(self) -> str:
        return f"Bindings({', '.join('$' + n for n in self.names())})"

    def _flatten(self) -> dict[str, Any]:
        # Built lazily and cached: a Bindings never changes once created.
        if self._flat is None:
            chain: list[Bindings] = []
            node: Bindings | None = self
            while node is not None and node._flat is None and node._name is not None:
                chain.append(node)
                node = node._parent
            flat = dict(node._flat) if node is not None and node._flat is not None else {}
            for link in reversed(chain):
                assert link._name is not None
                flat.pop(link._name, None)
                flat[link._name] = link._value
            self._flat = flat
        return self._flat


def _strip_sigil(name: str) -> str:
    return name.removeprefix("$")
