"""Cost model: per started minute per leg, plus a conference per-participant fee."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Self

from .numbers import RateClass

__all__ = ["RateTable", "billed_minutes", "conference_fee", "leg_cost"]

_RATE_FIELDS = ("mobile", "landline", "ip_phone", "toll_free", "conference_participant")


def _to_decimal(name: str, value: Any) -> Decimal:
    """Convert a config value to Decimal via str, so 16.2 stays 16.2 and not a float artefact."""
    # bool is an int subclass; "rates: {mobile: yes}" is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"rate {name!r} must be a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"rate {name!r} must be a number, got {value!r}") from None
    return result


@dataclass(frozen=True)
class RateTable:
    """Per-minute prices by rate class, in ``currency`` (defaults: Twilio JP, in JPY)."""

    currency: str = "JPY"
    mobile: Decimal = Decimal("16.2")
    landline: Decimal = Decimal("5.4")
    ip_phone: Decimal = Decimal("5.4")
    toll_free: Decimal = Decimal("0")
    conference_participant: Decimal = Decimal("0.3")

    def __post_init__(self) -> None:
        """Refuse negative or non-finite rates, which would corrupt budgets silently."""
        if not self.currency:
            raise ValueError("currency must not be empty")
        for field in fields(self):
            if field.name in _RATE_FIELDS:
                value = getattr(self, field.name)
                if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                    raise ValueError(f"rate {field.name!r} must be a finite number >= 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        """Build from YAML-ish data (floats, ints or strings); missing keys keep defaults."""
        kwargs: dict[str, Any] = {
            name: _to_decimal(name, data[name]) for name in _RATE_FIELDS if name in data
        }
        if "currency" in data:
            kwargs["currency"] = str(data["currency"]).strip().upper()
        return cls(**kwargs)

    def per_minute(self, rate_class: RateClass) -> Decimal:
        """Price of one started minute of a leg to a number of this class."""
        match rate_class:
            case RateClass.MOBILE:
                return self.mobile
            case RateClass.LANDLINE:
                return self.landline
            case RateClass.IP_PHONE:
                return self.ip_phone
            case RateClass.TOLL_FREE:
                return self.toll_free


def billed_minutes(seconds: int) -> int:
    """Minutes Twilio bills for a leg: every started minute counts (61 s -> 2)."""
    if seconds < 0:
        raise ValueError(f"duration must be >= 0 seconds, got {seconds}")
    return -(-seconds // 60)


def leg_cost(seconds: int, rate_class: RateClass, rates: RateTable) -> Decimal:
    """Estimated cost of one call leg (each leg is rounded up on its own)."""
    return billed_minutes(seconds) * rates.per_minute(rate_class)


def conference_fee(participant_seconds: int, rates: RateTable) -> Decimal:
    """Conference fee for one participant's time in the room, per started minute."""
    return billed_minutes(participant_seconds) * rates.conference_participant
