"""Month totals: calls placed, talk time and cost since the first of the month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


def month_key(moment: datetime) -> str:
    """The month a moment belongs to, in the moment's own time zone."""
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass
class MonthTotals:
    key: str
    calls: int = 0
    talk_seconds: int = 0
    cost: Decimal = Decimal(0)

    def rolled(self, key: str) -> MonthTotals:
        """These totals, or fresh ones when `key` is a new month."""
        return self if key == self.key else MonthTotals(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "calls": self.calls,
            "talk_seconds": self.talk_seconds,
            "cost": str(self.cost),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonthTotals:
        return cls(
            key=str(data["key"]),
            calls=int(data.get("calls", 0)),
            talk_seconds=int(data.get("talk_seconds", 0)),
            cost=Decimal(str(data.get("cost", "0"))),
        )
