"""The rules a call must pass before anything is paid for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.twilio_bridge.core.guards import (
    CallPolicy,
    CallRefusedError,
    Usage,
    check_call,
    check_party,
)
from custom_components.twilio_bridge.core.numbers import mask_number

POLICY = CallPolicy(
    own_number="+815012345678",
    country_code="81",
    allowed_prefixes=("+81",),
    blocked_prefixes=("+8190999",),
    max_concurrent_calls=2,
    monthly_budget=Decimal(1000),
    currency="JPY",
    mask=mask_number,
)
IDLE = Usage(active_calls=0, month_cost=Decimal(0))


def refusal(raw: str) -> tuple[str, dict[str, str]]:
    with pytest.raises(CallRefusedError) as raised:
        check_party(POLICY, raw, "party_a")
    return raised.value.key, raised.value.placeholders


def test_the_own_number_is_never_called() -> None:
    # In any spelling (full-width digits too): a call to itself would be paid and reach nobody.
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in "05012345678")
    for raw in ("+815012345678", "050-1234-5678", full_width):
        assert refusal(raw) == ("own_number", {"field": "party_a", "number": "+81 50-****-5678"})


def test_number_rules() -> None:
    assert refusal("12345")[0] == "invalid_number"
    assert refusal("0570-000-000")[0] == "unsupported_number"
    assert refusal("+14155550100")[0] == "destination_not_allowed"
    assert refusal("090-9991-2345")[0] == "destination_blocked"
    assert check_party(POLICY, "090-1111-2222", "party_a").e164 == "+819011112222"


def test_call_rules() -> None:
    a = check_party(POLICY, "090-1111-2222", "party_a")
    b = check_party(POLICY, "03-1111-2222", "party_b")
    check_call(POLICY, IDLE, a, b)
    cases = [
        (IDLE, a, a, "same_number"),
        (Usage(active_calls=2, month_cost=Decimal(0)), a, b, "too_many_calls"),
        (Usage(active_calls=0, month_cost=Decimal(1000)), a, b, "budget_reached"),
    ]
    for usage, first, second, key in cases:
        with pytest.raises(CallRefusedError) as raised:
            check_call(POLICY, usage, first, second)
        assert raised.value.key == key
