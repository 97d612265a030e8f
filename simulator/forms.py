"""A REST request's parameters, as the domain reads them (no HTTP types)."""

from __future__ import annotations

from collections.abc import Sequence


class Form:
    """Read access to form parameters with repeated keys (StatusCallbackEvent)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._items = list(items)

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self._items:
            if name == key:
                return value
        return default

    def getall(self, key: str) -> list[str]:
        return [value for name, value in self._items if name == key]

    def __contains__(self, key: str) -> bool:
        return any(name == key for name, _ in self._items)
