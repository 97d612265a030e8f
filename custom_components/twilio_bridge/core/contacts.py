"""The contact book: names that stand for numbers, so automations never hold a number.

A `party_a`/`party_b` value that looks like a number (it starts with a digit, "+" or "(")
is a number; anything else is a contact name, matched without regard to case.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .guards import CallPolicy, CallRefusedError, check_party
from .numbers import PhoneNumber, mask_number

_NUMBER_STARTS = frozenset("+(0123456789")

# What setup's log says of a contact's number, by the guard's translation key.
_REFUSALS = {
    "invalid_number": "is not a valid phone number",
    "unsupported_number": "is a premium-rate, shared-cost, pager or other refused number type",
    "destination_not_allowed": "is outside allowed_prefixes",
    "destination_blocked": "matches blocked_prefixes",
    "own_number": "is the integration's own Twilio number",
}


class ContactError(ValueError):
    """A `contacts:` entry that cannot be used; the message names it, never its full number."""


def _normal(text: str) -> str:
    # NFKC folds full-width letters, digits and "+" typed with a Japanese IME.
    return unicodedata.normalize("NFKC", text).strip()


def _key(name: str) -> str:
    return _normal(name).casefold()


def looks_like_number(value: str) -> bool:
    """True for a value that is meant as a number rather than a contact name."""
    text = _normal(value)
    return bool(text) and text[0] in _NUMBER_STARTS


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a call: its checked number, and the contact name it was given by."""

    number: PhoneNumber
    name: str | None = None


class ContactBook:
    """Contact names (unique, case-insensitive) and their checked numbers."""

    def __init__(self, contacts: Mapping[str, PhoneNumber] | None = None) -> None:
        self._by_key = {_key(name): (name, number) for name, number in (contacts or {}).items()}

    def __len__(self) -> int:
        return len(self._by_key)

    def items(self) -> list[tuple[str, PhoneNumber]]:
        """Every contact's name as configured, and its number."""
        return list(self._by_key.values())

    def find(self, name: str) -> tuple[str, PhoneNumber] | None:
        """The contact's name as configured and its number, or None."""
        return self._by_key.get(_key(name))

    @classmethod
    def from_config(cls, entries: Mapping[str, str], policy: CallPolicy) -> ContactBook:
        """Check every entry like a destination; raises ContactError naming the first bad one."""
        # These messages go to the log: mask the number whatever mask_numbers says.
        policy = replace(policy, mask=mask_number)
        numbers: dict[str, PhoneNumber] = {}
        seen: dict[str, str] = {}
        for name, raw in entries.items():
            if not _normal(name):
                raise ContactError("contacts: a contact has an empty name")
            if looks_like_number(name):
                raise ContactError(
                    f'contacts: the name "{name}" looks like a phone number; '
                    'a name must not start with a digit, "+" or "("'
                )
            first = seen.setdefault(_key(name), name)
            if first != name:
                raise ContactError(
                    f'contacts: "{first}" and "{name}" are the same name (names ignore case)'
                )
            try:
                numbers[name] = check_party(policy, raw, name)
            except CallRefusedError as err:
                number = err.placeholders["number"]
                raise ContactError(
                    f'contacts: the number of "{name}" ({number}) {_REFUSALS[err.key]}'
                ) from err
        return cls(numbers)

    def resolve(self, policy: CallPolicy, value: str, field_name: str) -> Party:
        """A party given as a number or a contact name, through every guard of check_party."""
        if looks_like_number(value):
            return Party(check_party(policy, value, field_name))
        found = self.find(value)
        if found is None:
            # Masked like a number: a "name" may be a number typed with a letter in it.
            name = policy.mask(_normal(value))
            raise CallRefusedError("unknown_contact", field=field_name, name=name)
        name, number = found
        # Checked again like any number given directly: one path applies every guard.
        return Party(check_party(policy, number.e164, field_name), name)
