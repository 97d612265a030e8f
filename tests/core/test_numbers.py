"""Tests for number parsing, classification, masking and prefix matching."""

from __future__ import annotations

import pytest

from custom_components.twilio_bridge.core.numbers import (
    InvalidNumberError,
    PhoneNumber,
    RateClass,
    mask_number,
    matches_prefix,
    parse_number,
)


def _fullwidth(text: str) -> str:
    """Turn ASCII into its full-width form, as typed with a Japanese IME."""
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


@pytest.mark.parametrize(
    ("raw", "e164", "rate_class"),
    [
        ("090-1234-5678", "+819012345678", RateClass.MOBILE),
        ("080-1234-5678", "+818012345678", RateClass.MOBILE),
        ("070-1234-5678", "+817012345678", RateClass.MOBILE),
        ("060-1234-5678", "+816012345678", RateClass.MOBILE),
        ("03-1234-5678", "+81312345678", RateClass.LANDLINE),
        ("06-1234-5678", "+81612345678", RateClass.LANDLINE),
        ("011-231-4567", "+81112314567", RateClass.LANDLINE),
        ("0112-34-5678", "+81112345678", RateClass.LANDLINE),
        ("050-1234-5678", "+815012345678", RateClass.IP_PHONE),
        ("0120-123-456", "+81120123456", RateClass.TOLL_FREE),
        ("0800-123-4567", "+818001234567", RateClass.TOLL_FREE),
    ],
)
def test_japanese_classes(raw: str, e164: str, rate_class: RateClass) -> None:
    """Every dialable Japanese class parses to its E.164 form and rate class."""
    assert parse_number(raw) == PhoneNumber(e164=e164, rate_class=rate_class)


@pytest.mark.parametrize(
    ("domestic", "international"),
    [
        ("090-1234-5678", "+819012345678"),
        ("09012345678", "+81 90 1234 5678"),
        ("03-1234-5678", "+81-3-1234-5678"),
        (_fullwidth("090-1234-5678"), _fullwidth("+819012345678")),
        ("090\u30fc1234\u30fc5678", "+819012345678"),  # katakana long-vowel mark as dash
        ("(03) 1234-5678", "+81 (3) 1234 5678"),
    ],
)
def test_domestic_and_e164_agree(domestic: str, international: str) -> None:
    """Domestic, E.164 (with separators) and full-width input give the same number."""
    assert parse_number(domestic) == parse_number(international)


def test_country_code_sets_domestic_region() -> None:
    """Domestic input is read in the region of the configured calling code."""
    us = parse_number("(415) 555-0100", country_code="1")
    assert us.e164 == "+14155550100"
    # +1 numbers are FIXED_LINE_OR_MOBILE, billed as landline.
    assert us.rate_class is RateClass.LANDLINE
    assert parse_number("+819012345678", country_code="+1").e164 == "+819012345678"


def test_unknown_country_code_is_a_config_error() -> None:
    """An unknown calling code is a plain ValueError, not a number error."""
    with pytest.raises(ValueError, match="country calling code") as info:
        parse_number("090-1234-5678", country_code="999")
    assert not isinstance(info.value, InvalidNumberError)
    with pytest.raises(ValueError, match="country calling code"):
        parse_number("090-1234-5678", country_code="JP")


@pytest.mark.parametrize(
    ("raw", "number_type", "e164"),
    [
        ("0570-123-456", "uan", "+81570123456"),
        ("0990-123-456", "premium_rate", "+81990123456"),
        ("020-1234-5678", "pager", "+812012345678"),
        ("020-4123-4567", "pager", "+812041234567"),
    ],
)
def test_refused_types(raw: str, number_type: str, e164: str) -> None:
    """Valid numbers of a non-person or premium type are refused as unsupported_type."""
    with pytest.raises(InvalidNumberError) as info:
        parse_number(raw)
    assert info.value.reason == "unsupported_type"
    assert info.value.number_type == number_type
    assert info.value.number == e164  # parsed, so messages can show it in one format


@pytest.mark.parametrize("raw", ["0180-99-1234", "0170-99-1234", "0600-123-4567"])
def test_unassigned_service_ranges_refused(raw: str) -> None:
    """0180/0170/0600 are not valid in libphonenumber's plan, so they are refused as invalid."""
    with pytest.raises(InvalidNumberError) as info:
        parse_number(raw)
    assert info.value.reason == "invalid"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "+",
        "090-1234-567",  # one digit short
        "12345",
        "abc",
        "090-CALL-NOWX",  # vanity letters would otherwise become a valid mobile
        "090-1234-5678 ext 5",
        "0120-ABC-DEF",
        "+81 1234",
    ],
)
def test_invalid_input(raw: str) -> None:
    """Unparsable, short, lettered or extension input is refused as invalid."""
    with pytest.raises(InvalidNumberError) as info:
        parse_number(raw)
    assert info.value.reason == "invalid"
    assert info.value.number == raw
    assert isinstance(info.value, ValueError)


def test_error_message_is_masked() -> None:
    """The exception text never carries the full number (it ends up in logs)."""
    with pytest.raises(InvalidNumberError) as info:
        parse_number("0990-123-456")
    assert "123" not in str(info.value)
    assert str(info.value).startswith("unsupported_type (premium_rate): ")
    assert info.value.number == "+81990123456"


def test_phone_number_masked_property() -> None:
    """PhoneNumber.masked is the display form."""
    assert parse_number("090-1234-5678").masked == "+81 90-****-5678"


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+819012345678", "+81 90-****-5678"),
        ("+81312345678", "+81 3-****-5678"),
        ("+815012345678", "+81 50-****-5678"),
        ("+81120123456", "+81 120-***-456"),
        ("+14155550100", "+1 415-***-0100"),
        ("+442079460958", "+44 20 **** 0958"),
    ],
)
def test_mask_number(e164: str, masked: str) -> None:
    """The middle groups of the international format are hidden."""
    assert mask_number(e164) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("090-1234-5678", "***-****-5678"),  # not E.164: cannot be grouped
        ("+81901234567", "+*******4567"),  # too few groups to hide anything
        ("not a number", "not a number"),
        ("", ""),
        ("123", "123"),
    ],
)
def test_mask_number_fallback(raw: str, masked: str) -> None:
    """Anything that cannot be grouped keeps only its last four digits, and never raises."""
    assert mask_number(raw) == masked


@pytest.mark.parametrize(
    ("prefixes", "expected"),
    [
        (["+81"], True),
        (["81"], True),
        (["+81 90"], True),
        (["+81-90-12"], True),
        (["+8190", "+1"], True),
        (["+1"], False),
        (["+8180"], False),
        ([], False),
        ([""], False),  # an empty prefix matches nothing rather than everything
        ("+81", True),  # a bare string is one prefix, not its characters
        ("+8", True),
        ("+1", False),
    ],
)
def test_matches_prefix(prefixes: list[str] | str, expected: bool) -> None:
    """Prefixes are compared on "+digits", with or without "+", separators ignored."""
    assert matches_prefix("+819012345678", prefixes) is expected


def test_matches_prefix_bare_string_is_not_split() -> None:
    """A bare string "+81" must not be read as the prefixes "+8" and "+1"."""
    assert matches_prefix("+14155550100", "+81") is False


def test_matches_prefix_on_unusable_number() -> None:
    """A number without digits matches no prefix."""
    assert matches_prefix("", ["+81"]) is False


def test_mask_number_tolerates_non_strings() -> None:
    """Masking sits in logging paths, so even a wrong type must not raise."""
    assert mask_number(819012345678) == "********5678"  # type: ignore[arg-type]
    assert mask_number(None) == "None"  # type: ignore[arg-type]
