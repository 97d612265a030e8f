"""The contact book: names stand for numbers, checked like any destination."""

from __future__ import annotations

import dataclasses

import pytest

from custom_components.twilio_bridge.core.contacts import (
    ContactBook,
    ContactError,
    Party,
    looks_like_number,
)
from custom_components.twilio_bridge.core.guards import CallRefusedError

from .test_guards import POLICY
from .test_numbers import _fullwidth as full_width

BOOK = ContactBook.from_config({"Alice": "090-1111-2222", "ボブ": "+819033334444"}, POLICY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("090-1111-2222", True),
        ("+819011112222", True),
        ("(03) 1234-5678", True),
        (full_width("090-1111-2222"), True),  # typed with a Japanese IME
        (full_width("+8190"), True),
        ("  090 1111 2222 ", True),
        ("alice", False),
        ("ボブ", False),
        ("Carer 2", False),
        ("", False),
    ],
)
def test_a_value_that_starts_like_a_number_is_a_number(value: str, expected: bool) -> None:
    assert looks_like_number(value) is expected


@pytest.mark.parametrize("typed", ["Alice", "alice", "ALICE", full_width("Alice"), " alice "])
def test_names_are_found_whatever_their_case(typed: str) -> None:
    party = BOOK.resolve(POLICY, typed, "party_a")
    assert party == Party(party.number, "Alice")  # the name as configured
    assert party.number.e164 == "+819011112222"


def test_a_number_resolves_to_itself_without_a_name() -> None:
    party = BOOK.resolve(POLICY, "090-3333-4444", "party_b")
    assert (party.number.e164, party.name) == ("+819033334444", None)
    assert len(BOOK) == 2


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(CallRefusedError) as raised:
        BOOK.resolve(POLICY, "carol", "party_b")
    assert raised.value.key == "unknown_contact"
    assert raised.value.placeholders == {"field": "party_b", "name": "carol"}


def test_an_unknown_name_holding_a_number_is_masked() -> None:
    # A number typed with a letter is read as a name: the error must not repeat it in full.
    with pytest.raises(CallRefusedError) as raised:
        BOOK.resolve(POLICY, "tel 09011112222", "party_a")
    assert "11112222" not in raised.value.placeholders["name"]
    assert raised.value.placeholders["name"].endswith("2222")


def test_a_contact_is_checked_again_when_called() -> None:
    stricter = dataclasses.replace(POLICY, blocked_prefixes=("+8190111",))
    with pytest.raises(CallRefusedError) as raised:
        BOOK.resolve(stricter, "alice", "party_a")
    assert raised.value.key == "destination_blocked"
    assert raised.value.placeholders == {"field": "party_a", "number": "+81 90-****-2222"}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"Alice": "090-1111-2222", "alice": "090-3333-4444"}, '"Alice" and "alice" are the same'),
        ({"110": "090-1111-2222"}, 'the name "110" looks like a phone number'),
        ({"+bob": "090-1111-2222"}, "looks like a phone number"),
        ({" ": "090-1111-2222"}, "a contact has an empty name"),
        ({"alice": "090-1111-22"}, '"alice" (***-**11-22) is not a valid phone number'),
        ({"alice": "0990-123-456"}, '"alice" (+81 990-***-456) is a premium-rate'),
        ({"alice": "+14155550100"}, '"alice" (+1 415-***-0100) is outside allowed_prefixes'),
        ({"alice": "090-9991-2222"}, '"alice" (+81 90-****-2222) matches blocked_prefixes'),
        ({"alice": "050-1234-5678"}, "is the integration's own Twilio number"),
    ],
)
def test_a_bad_contact_is_refused_by_name_without_its_number(
    entries: dict[str, str], message: str
) -> None:
    with pytest.raises(ContactError) as raised:
        ContactBook.from_config(entries, POLICY)
    assert message in str(raised.value)
    for number in entries.values():
        assert number.replace("-", "")[-8:] not in str(raised.value).replace("-", "")


def test_setup_errors_mask_even_when_masking_is_off() -> None:
    unmasked = dataclasses.replace(POLICY, mask=str)
    with pytest.raises(ContactError) as raised:
        ContactBook.from_config({"alice": "+14155550100"}, unmasked)
    assert "4155550100" not in str(raised.value)
