"""The rules a call must pass before anything is paid for.

Each refusal names a translation key and its placeholders, so the shell can raise it in
the user's language; nothing here knows Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .numbers import InvalidNumberError, PhoneNumber, matches_prefix, parse_number


class CallRefusedError(Exception):
    """A call that must not be placed; `key` is the translation key of the reason."""

    def __init__(self, key: str, **placeholders: str) -> None:
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """The configured limits a new call is checked against."""

    own_number: str  # E.164 of the one Twilio number
    country_code: str
    allowed_prefixes: tuple[str, ...]
    blocked_prefixes: tuple[str, ...]
    max_concurrent_calls: int
    monthly_budget: Decimal | None
    currency: str
    mask: Callable[[str], str] = field(default=str)


@dataclass(frozen=True, slots=True)
class Usage:
    """What is in use right now."""

    active_calls: int
    month_cost: Decimal


def check_party(policy: CallPolicy, raw: str, field_name: str) -> PhoneNumber:
    """Parse one party's number and apply the toll-fraud guards."""
    try:
        number = parse_number(raw, policy.country_code)
    except InvalidNumberError as err:
        key = "unsupported_number" if err.reason == "unsupported_type" else "invalid_number"
        raise CallRefusedError(key, field=field_name, number=policy.mask(err.number)) from err
    masked = policy.mask(number.e164)
    if number.e164 == policy.own_number:
        # Twilio would call its own number: a paid loop that reaches nobody.
        raise CallRefusedError("own_number", field=field_name, number=masked)
    if policy.allowed_prefixes and not matches_prefix(number.e164, policy.allowed_prefixes):
        raise CallRefusedError("destination_not_allowed", field=field_name, number=masked)
    if matches_prefix(number.e164, policy.blocked_prefixes):
        raise CallRefusedError("destination_blocked", field=field_name, number=masked)
    return number


def check_call(
    policy: CallPolicy, usage: Usage, party_a: PhoneNumber, party_b: PhoneNumber
) -> None:
    """The rules about the call as a whole: two people, within the limits and the budget."""
    if party_a.e164 == party_b.e164:
        raise CallRefusedError("same_number")
    if usage.active_calls >= policy.max_concurrent_calls:
        raise CallRefusedError("too_many_calls", limit=str(policy.max_concurrent_calls))
    budget = policy.monthly_budget
    if budget is not None and usage.month_cost >= budget:
        amount = format(budget.normalize(), "f")
        raise CallRefusedError("budget_reached", budget=f"{amount} {policy.currency}")
