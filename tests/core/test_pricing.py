"""Tests for the cost model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.twilio_bridge.core.numbers import RateClass
from custom_components.twilio_bridge.core.pricing import (
    RateTable,
    billed_minutes,
    conference_fee,
    leg_cost,
)


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (80, 2), (120, 2), (121, 3), (3600, 60)],
)
def test_billed_minutes(seconds: int, minutes: int) -> None:
    """Every started minute is billed."""
    assert billed_minutes(seconds) == minutes


def test_billed_minutes_rejects_negative() -> None:
    """A negative duration is a bug upstream, not zero minutes."""
    with pytest.raises(ValueError, match=">= 0"):
        billed_minutes(-1)


def test_default_rates() -> None:
    """Defaults follow DESIGN 3.1."""
    rates = RateTable()
    assert rates.currency == "JPY"
    assert rates.per_minute(RateClass.MOBILE) == Decimal("16.2")
    assert rates.per_minute(RateClass.LANDLINE) == Decimal("5.4")
    assert rates.per_minute(RateClass.IP_PHONE) == Decimal("5.4")
    assert rates.per_minute(RateClass.TOLL_FREE) == Decimal(0)
    assert rates.conference_participant == Decimal("0.3")


@pytest.mark.parametrize(
    ("rate_class", "seconds", "cost"),
    [
        (RateClass.MOBILE, 80, Decimal("32.4")),  # 1:20 -> 2 minutes
        (RateClass.MOBILE, 0, Decimal(0)),
        (RateClass.LANDLINE, 60, Decimal("5.4")),
        (RateClass.LANDLINE, 61, Decimal("10.8")),
        (RateClass.IP_PHONE, 1, Decimal("5.4")),
        (RateClass.TOLL_FREE, 600, Decimal(0)),
    ],
)
def test_leg_cost(rate_class: RateClass, seconds: int, cost: Decimal) -> None:
    """A leg costs its started minutes times its class's rate, exactly."""
    assert leg_cost(seconds, rate_class, RateTable()) == cost


def test_two_leg_bridge_rounds_each_leg() -> None:
    """A 1:20 bridge to two mobiles is billed as two 2-minute legs."""
    rates = RateTable()
    total = leg_cost(80, RateClass.MOBILE, rates) + leg_cost(80, RateClass.MOBILE, rates)
    assert total == Decimal("64.8")


@pytest.mark.parametrize(
    ("seconds", "fee"),
    [(0, Decimal(0)), (1, Decimal("0.3")), (60, Decimal("0.3")), (61, Decimal("0.6"))],
)
def test_conference_fee(seconds: int, fee: Decimal) -> None:
    """The conference fee is per started participant-minute."""
    assert conference_fee(seconds, RateTable()) == fee


def test_from_mapping_accepts_floats_ints_and_strings() -> None:
    """YAML values become exact Decimals; missing keys keep defaults."""
    rates = RateTable.from_mapping(
        {"currency": "usd", "mobile": 0.185, "landline": "0.0746", "toll_free": 0}
    )
    assert rates.currency == "USD"
    assert rates.mobile == Decimal("0.185")
    assert rates.landline == Decimal("0.0746")
    assert rates.toll_free == Decimal(0)
    assert rates.ip_phone == Decimal("5.4")
    assert rates.conference_participant == Decimal("0.3")
    assert leg_cost(61, RateClass.MOBILE, rates) == Decimal("0.370")


def test_from_mapping_empty_is_default() -> None:
    """An empty mapping gives the default table."""
    assert RateTable.from_mapping({}) == RateTable()


@pytest.mark.parametrize(
    "data",
    [
        {"mobile": "cheap"},
        {"mobile": True},
        {"mobile": None},
        {"mobile": -1},
        {"landline": "NaN"},
        {"ip_phone": float("inf")},
        {"currency": ""},
    ],
)
def test_from_mapping_rejects_bad_values(data: dict[str, object]) -> None:
    """Non-numeric, negative or non-finite rates are configuration errors."""
    with pytest.raises(ValueError, match=r"rate|currency"):
        RateTable.from_mapping(data)


def test_rate_table_is_frozen() -> None:
    """Rates cannot be changed after construction."""
    rates = RateTable()
    with pytest.raises(AttributeError):
        rates.mobile = Decimal(1)  # type: ignore[misc]
