"""Logbook entries for twilio_bridge's events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import (
    DOMAIN,
    EVENT_CALL_CONNECTED,
    EVENT_CALL_ENDED,
    EVENT_CALL_STARTED,
    EVENT_CALLBACK,
    EVENT_CALLBACK_REFUSED,
)

NAME = "Twilio Bridge"


def _who(data: Mapping[str, Any], party: str) -> str:
    """A party as people know it: the contact name, else the (masked) number."""
    return str(data.get(f"{party}_name") or data.get(party))


def _started(event: Event) -> str:
    data = event.data
    return f"placed a call from {_who(data, 'party_a')} to {_who(data, 'party_b')}"


def _connected(event: Event) -> str:
    return "connected the two parties"


def _ended(event: Event) -> str:
    data = event.data
    cost = data.get("cost")
    price = "" if cost is None else f", {cost:g} {data.get('currency', '')}"
    named = data.get("party_a_name") or data.get("party_b_name")
    who = f"{_who(data, 'party_a')} ↔ {_who(data, 'party_b')}, " if named else ""
    return f"call ended: {who}{data.get('outcome')}, {data.get('duration') or 0} s talk{price}"


def _callback(event: Event) -> str:
    return f"called back a recent caller (a party of call {event.data.get('callback_of')})"


# Why a call-back was not placed, by the guard's translation key.
REFUSAL_REASONS = {
    "budget_reached": "this month's cost has reached monthly_budget",
    "too_many_calls": "too many calls in progress (max_concurrent_calls)",
    "destination_not_allowed": "the number is outside allowed_prefixes",
    "destination_blocked": "the number matches blocked_prefixes",
    "twilio_error": "Twilio refused the call",
}


def _callback_refused(event: Event) -> str:
    reason = event.data.get("reason", "")
    return f"did not call {event.data.get('caller')} back: {REFUSAL_REASONS.get(reason, reason)}"


DESCRIBERS: dict[str, Callable[[Event], str]] = {
    EVENT_CALL_STARTED: _started,
    EVENT_CALL_CONNECTED: _connected,
    EVENT_CALL_ENDED: _ended,
    EVENT_CALLBACK: _callback,
    EVENT_CALLBACK_REFUSED: _callback_refused,
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe call events in the logbook (progress events are too chatty to list)."""
    for event_type, describe in DESCRIBERS.items():
        async_describe_event(DOMAIN, event_type, _entry(describe))


def _entry(describe: Callable[[Event], str]) -> Callable[[Event], dict[str, Any]]:
    @callback
    def entry(event: Event) -> dict[str, Any]:
        return {LOGBOOK_ENTRY_NAME: NAME, LOGBOOK_ENTRY_MESSAGE: describe(event)}

    return entry
