"""Logbook entries for twilio_bridge's events, in Home Assistant's language, on its entities.

Home Assistant 2025.4 has no translation keys for logbook messages, so the texts are a small
table here, chosen by `hass.config.language`; the outcome's name comes from the translated
states of the last-call-status sensor. Each event carries the entity it belongs to, so an
entity-filtered logbook card lists it and the entry shows that entity's icon.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_cached_translations

from .const import (
    DOMAIN,
    EVENT_CALL_CONNECTED,
    EVENT_CALL_ENDED,
    EVENT_CALL_STARTED,
    EVENT_CALLBACK,
    EVENT_CALLBACK_REFUSED,
)

NAME = "Twilio Bridge"

# The entity each event is about: (platform, description key).
ENTITY_OF_EVENT = {
    EVENT_CALL_STARTED: ("binary_sensor", "call_in_progress"),
    EVENT_CALL_CONNECTED: ("binary_sensor", "call_in_progress"),
    EVENT_CALL_ENDED: ("sensor", "last_call_status"),
    EVENT_CALLBACK: ("binary_sensor", "call_in_progress"),
    EVENT_CALLBACK_REFUSED: ("sensor", "last_call_status"),
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        EVENT_CALL_STARTED: "placed a call from {party_a} to {party_b}",
        EVENT_CALL_CONNECTED: "connected the two parties",
        EVENT_CALL_ENDED: "call ended: {who}{outcome}, {duration} s talk{price}",
        EVENT_CALLBACK: "{party_a} called the number: called them back, for {party_b}",
        EVENT_CALLBACK_REFUSED: "did not call {caller} back: {reason}",
        "price": ", {cost:g} {currency}",
        "who": "{party_a} ↔ {party_b}, ",
        # Why a call-back was not placed, by the guard's translation key.
        "budget_reached": "this month's cost has reached monthly_budget",
        "too_many_calls": "too many calls in progress (max_concurrent_calls)",
        "destination_not_allowed": "the number is outside allowed_prefixes",
        "destination_blocked": "the number matches blocked_prefixes",
        "twilio_error": "Twilio refused the call",
    },
    "ja": {
        EVENT_CALL_STARTED: "{party_a} から {party_b} への通話を発信しました",
        EVENT_CALL_CONNECTED: "二人の通話がつながりました",
        EVENT_CALL_ENDED: "通話が終了しました: {who}{outcome}、通話時間 {duration} 秒{price}",
        EVENT_CALLBACK: "{party_a} からの着信に折り返し、{party_b} におつなぎします",
        EVENT_CALLBACK_REFUSED: "{caller} に折り返し発信しませんでした: {reason}",
        "price": "、{cost:g} {currency}",
        "who": "{party_a} ↔ {party_b}、",
        "budget_reached": "今月の料金が monthly_budget に達しています",
        "too_many_calls": "通話中の件数が max_concurrent_calls に達しています",
        "destination_not_allowed": "番号が allowed_prefixes の範囲外です",
        "destination_blocked": "番号が blocked_prefixes に該当します",
        "twilio_error": "Twilio が発信を拒否しました",
    },
}


def logbook_entity_id(hass: HomeAssistant, account_sid: str, event_type: str) -> str | None:
    """The entity id (as the user may have renamed it) an event's logbook entry belongs to."""
    if event_type not in ENTITY_OF_EVENT:
        return None
    platform, key = ENTITY_OF_EVENT[event_type]
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{account_sid}_{key}")


def _texts(language: str) -> Mapping[str, str]:
    return TEXTS.get(language.split("-", maxsplit=1)[0].lower(), TEXTS["en"])


def _outcome_name(hass: HomeAssistant, outcome: Any) -> str:
    key = f"component.{DOMAIN}.entity.sensor.last_call_status.state.{outcome}"
    for language in (hass.config.language, "en"):
        name = async_get_cached_translations(hass, language, "entity", DOMAIN).get(key)
        if name:
            return name
    return str(outcome)


def _who(data: Mapping[str, Any], party: str) -> str:
    """A party as people know it: the contact name, else the (masked) number."""
    return str(data.get(f"{party}_name") or data.get(party))


def describe(hass: HomeAssistant, event_type: str, data: Mapping[str, Any]) -> str:
    """The logbook message of one event, in Home Assistant's language."""
    texts = _texts(hass.config.language)
    cost = data.get("cost")
    party_a, party_b = _who(data, "party_a"), _who(data, "party_b")
    named = data.get("party_a_name") or data.get("party_b_name")
    reason = str(data.get("reason", ""))
    fields = {
        "party_a": party_a,
        "party_b": party_b,
        # Calls placed by name say who talked; by number the entry reads as it always did.
        "who": texts["who"].format(party_a=party_a, party_b=party_b) if named else "",
        "callback_of": data.get("callback_of"),
        "caller": data.get("caller"),
        "reason": texts.get(reason, reason),
        "outcome": _outcome_name(hass, data.get("outcome")),
        "duration": data.get("duration") or 0,
        "price": ""
        if cost is None
        else texts["price"].format(cost=cost, currency=data.get("currency", "")),
    }
    return texts[event_type].format(**fields)


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe call events in the logbook (progress events are too chatty to list)."""
    for event_type in ENTITY_OF_EVENT:
        async_describe_event(DOMAIN, event_type, _entry(hass, event_type))


def _entry(hass: HomeAssistant, event_type: str) -> Callable[[Event], dict[str, Any]]:
    @callback
    def entry(event: Event) -> dict[str, Any]:
        described = {
            LOGBOOK_ENTRY_NAME: NAME,
            LOGBOOK_ENTRY_MESSAGE: describe(hass, event_type, event.data),
        }
        if entity_id := event.data.get("entity_id"):
            described[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return described

    return entry
