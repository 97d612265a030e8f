"""Phone number parsing, rate classification, masking and prefix rules.

Everything goes through ``phonenumbers`` (libphonenumber) so that the numbering plan knowledge
stays in a maintained library instead of hand-written patterns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final, Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

__all__ = [
    "InvalidNumberError",
    "InvalidReason",
    "PhoneNumber",
    "RateClass",
    "mask_number",
    "matches_prefix",
    "parse_number",
]


class RateClass(StrEnum):
    """Cost class of a destination; keys of the ``rates`` table."""

    MOBILE = "mobile"
    LANDLINE = "landline"
    IP_PHONE = "ip_phone"
    TOLL_FREE = "toll_free"


InvalidReason = Literal["invalid", "unsupported_type"]

# FIXED_LINE_OR_MOBILE (e.g. all of +1) is billed as landline: the plan cannot tell them apart.
_TYPE_TO_CLASS: Final[dict[int, RateClass]] = {
    PhoneNumberType.MOBILE: RateClass.MOBILE,
    PhoneNumberType.FIXED_LINE: RateClass.LANDLINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: RateClass.LANDLINE,
    PhoneNumberType.VOIP: RateClass.IP_PHONE,
    PhoneNumberType.TOLL_FREE: RateClass.TOLL_FREE,
}

_TYPE_NAMES: Final[dict[int, str]] = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}

_DIGIT_RUN: Final = re.compile(r"[0-9]+")


class InvalidNumberError(ValueError):
    """A number that cannot be dialed: unparsable/invalid, or of a refused type."""

    def __init__(
        self, number: str, reason: InvalidReason, *, number_type: str | None = None
    ) -> None:
        """Keep the number (E.164 once parsed, else the raw input); the message masks it."""
        self.number = number
        self.reason: InvalidReason = reason
        # phonenumbers' type name ("premium_rate", "uan", "pager", ...) for unsupported_type.
        self.number_type = number_type
        detail = f" ({number_type})" if number_type else ""
        super().__init__(f"{reason}{detail}: {mask_number(number)}")


@dataclass(frozen=True)
class PhoneNumber:
    """A validated, dialable number."""

    e164: str
    rate_class: RateClass

    @property
    def masked(self) -> str:
        """The number as shown in states, events and logs."""
        return mask_number(self.e164)


def _region_for(country_code: str) -> str:
    """Map a calling code ("81" or "+81") to the region phonenumbers reads domestic input in."""
    try:
        code = int(country_code.strip().lstrip("+"))
    except ValueError:
        raise ValueError(f"invalid country calling code: {country_code!r}") from None
    region = phonenumbers.region_code_for_country_code(code)
    if region == phonenumbers.UNKNOWN_REGION:
        raise ValueError(f"unknown country calling code: {country_code!r}")
    return region


def known_country_code(country_code: str) -> bool:
    """Whether ``country_code`` ("81" or "+81") is a country calling code phonenumbers knows."""
    try:
        _region_for(country_code)
    except ValueError:
        return False
    return True


def parse_number(raw: str, country_code: str = "81") -> PhoneNumber:
    """Parse E.164 or domestic input (read in ``country_code``'s region) and classify it.

    Raises InvalidNumberError (reason "invalid" or "unsupported_type") for numbers that must not
    be dialed, and ValueError for an unknown ``country_code`` (a configuration error).
    """
    region = _region_for(country_code)
    # NFKC folds full-width digits, plus sign and hyphen typed with a Japanese IME.
    text = unicodedata.normalize("NFKC", raw).strip()
    # phonenumbers silently turns vanity letters into digits and "ext"/"x" into extensions;
    # neither belongs in a destination we pay for, so any Latin letter is refused outright.
    if not text or any(ch.isascii() and ch.isalpha() for ch in text):
        raise InvalidNumberError(raw, "invalid")
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidNumberError(raw, "invalid") from None
    if parsed.extension or not phonenumbers.is_valid_number(parsed):
        raise InvalidNumberError(raw, "invalid")
    number_type = phonenumbers.number_type(parsed)
    rate_class = _TYPE_TO_CLASS.get(number_type)
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    if rate_class is None:
        raise InvalidNumberError(
            e164, "unsupported_type", number_type=_TYPE_NAMES.get(number_type, "unknown")
        )
    return PhoneNumber(e164=e164, rate_class=rate_class)


def _mask_tail(text: str) -> str:
    """Replace every digit except the last four with "*" (fallback for odd input)."""
    keep = 4
    out: list[str] = []
    for ch in reversed(text):
        if ch.isdigit():
            if keep > 0:
                keep -= 1
                out.append(ch)
            else:
                out.append("*")
        else:
            out.append(ch)
    return "".join(reversed(out))


def _mask_grouped(text: str) -> str | None:
    """Mask the middle groups of the international format, or None if that is not possible."""
    parsed = phonenumbers.parse(text, None)
    formatted = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    runs = list(_DIGIT_RUN.finditer(formatted))
    # Needs country code + first group + at least one middle group + last group; with fewer
    # groups nothing would be hidden.
    if len(runs) < 4:
        return None
    chars = list(formatted)
    for run in runs[2:-1]:
        chars[run.start() : run.end()] = "*" * (run.end() - run.start())
    return "".join(chars)


@lru_cache(maxsize=4096)  # states and events mask the same few numbers over and over
def mask_number(e164: str) -> str:
    """Format for display with the middle digits hidden: "+81 90-****-5678". Never raises."""
    text = str(e164)
    try:
        masked = _mask_grouped(text)
    except Exception:  # masking runs in logging/error paths and must never fail
        masked = None
    return masked if masked is not None else _mask_tail(text)


def _prefix_key(value: str) -> str:
    """Reduce a number or prefix to "+digits" ("" when it holds no digits)."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if "0" <= ch <= "9")
    return f"+{digits}" if digits else ""


def matches_prefix(e164: str, prefixes: Iterable[str]) -> bool:
    """True if the number starts with any prefix ("+81", "81", "+81 90" all work)."""
    # A bare string would be iterated per character ("+81" -> "8", "1") and match far too much.
    items: Iterable[str] = (prefixes,) if isinstance(prefixes, str) else prefixes
    number = _prefix_key(e164)
    if not number:
        return False
    # Empty prefixes are skipped: "" would otherwise match (allow or block) every number.
    return any(key and number.startswith(key) for key in map(_prefix_key, items))
