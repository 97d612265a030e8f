"""The account's phone numbers (IncomingPhoneNumber resources, PN...), their capabilities
and their voice settings: where Twilio asks what to do with a call to the number, set by the
scenario or over REST as the SDK does it (`incoming_phone_numbers(sid).update(voice_url=...)`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InvalidNumberMethod, InvalidNumberUrl, PhoneNumberNotFound
from .forms import Form
from .scenario import Capabilities, NumberSettings, Scenario

# REST parameter → attribute, for the settings an update may change.
URLS = {"VoiceUrl": "voice_url", "StatusCallback": "status_callback"}
METHODS = {"VoiceMethod": "voice_method", "StatusCallbackMethod": "status_callback_method"}


def number_sid(number: str) -> str:
    """A stable PN SID for a number, the same in every run of a scenario."""
    return "PN" + hashlib.md5(number.encode(), usedforsecurity=False).hexdigest()


@dataclass
class IncomingNumber:
    sid: str
    phone_number: str
    settings: NumberSettings
    capabilities: Capabilities = field(default_factory=Capabilities)
    updated_at: float = 0.0


class IncomingNumbers:
    """Every number the account owns, in the scenario's order."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.numbers: dict[str, IncomingNumber] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the scenario's settings (a reset of the simulated account)."""
        self.numbers.clear()
        for number in self.scenario.numbers:
            self.numbers[number] = IncomingNumber(
                sid=number_sid(number),
                phone_number=number,
                settings=self.scenario.settings(number),
                capabilities=self.scenario.capabilities(number),
            )

    def listed(self, containing: str | None) -> list[IncomingNumber]:
        """The PhoneNumber filter matches a part of the number, as Twilio's does."""
        return [n for n in self.numbers.values() if not containing or containing in n.phone_number]

    def get(self, sid: str) -> IncomingNumber:
        for number in self.numbers.values():
            if number.sid == sid:
                return number
        raise PhoneNumberNotFound(sid)

    def owner_of(self, phone_number: str) -> IncomingNumber | None:
        return self.numbers.get(phone_number)

    def update(self, number: IncomingNumber, form: Form, now: float) -> None:
        """Change the voice settings the form names; an empty URL clears it. Every value is
        checked before anything changes. Other parameters are ignored (Twilio warns 20001)."""
        changes: dict[str, Any] = {}  # URLs (str | None) and methods (str)
        for key, attribute in URLS.items():
            if (url := form.get(key)) is not None:
                if url and not url.startswith(("http://", "https://")):
                    raise InvalidNumberUrl(f"{key} is not a valid URL: {url}")
                changes[attribute] = url or None
        for key, attribute in METHODS.items():
            if (method := form.get(key)) is not None:
                if method.upper() not in {"GET", "POST"}:
                    raise InvalidNumberMethod(f"{key} must be GET or POST, got {method!r}")
                changes[attribute] = method.upper()
        if changes:
            number.settings = replace(number.settings, **changes)
            number.updated_at = now
