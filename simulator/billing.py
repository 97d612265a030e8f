"""Destination classes and per-leg prices, as Twilio bills them: per started minute."""

from __future__ import annotations

import math
from decimal import Decimal

import phonenumbers
from phonenumbers import PhoneNumberType

from .scenario import Rates

_CLASSES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    PhoneNumberType.VOIP: "ip_phone",
    PhoneNumberType.TOLL_FREE: "toll_free",
}


def destination_class(number: str) -> str:
    """mobile, landline, ip_phone, toll_free, or special (premium, shared cost, M2M, unknown)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "special"
    if not phonenumbers.is_valid_number(parsed):
        return "special"
    return _CLASSES.get(phonenumbers.number_type(parsed), "special")


def is_valid_e164(number: str) -> bool:
    if not number.startswith("+"):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def billed_minutes(seconds: float) -> int:
    return math.ceil(seconds / 60) if seconds > 0 else 0


def leg_price(seconds: float, number: str, rates: Rates) -> Decimal:
    """The positive price of one leg; Twilio reports it negated."""
    return billed_minutes(seconds) * rates.rate(destination_class(number))


def twilio_price(amount: Decimal) -> str:
    """Twilio's price string: negative, five decimals (e.g. "-32.40000")."""
    return f"{-amount:.5f}" if amount else "0.00000"
