"""Events carry their documented payloads and read well in the logbook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event

from custom_components.twilio_bridge import logbook

from .conftest import NO_ANSWER, PARTY_A, PARTY_B, Bridge


async def test_event_payloads(bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B, label="demo")
    await bridge.play_out()

    (started,) = bridge.events["twilio_bridge_call_started"]
    assert set(started) == {
        "call_id",
        "party_a",
        "party_b",
        "party_a_name",
        "party_b_name",
        "mode",
        "label",
        "callback_of",
        "started_at",
    }
    assert started["party_a"] == "+81 90-****-2222"
    assert (started["party_a_name"], started["party_b_name"]) == (None, None)
    (connected,) = bridge.events["twilio_bridge_call_connected"]
    assert set(connected) == {"call_id", "connected_at"}
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert set(ended) >= {
        "call_id",
        "outcome",
        "failed_party",
        "duration",
        "started_at",
        "ended_at",
        "cost",
        "currency",
    }
    assert ended["call_id"] == placed["call_id"]
    assert (ended["party_b"], ended["party_b_name"]) == ("+81 90-****-4444", None)
    assert (ended["cost"], ended["currency"]) == (64.8, "JPY")
    progress = bridge.events["twilio_bridge_call_progress"]
    assert {(p["leg"], p["status"]) for p in progress} == {
        (leg, status)
        for leg in ("a", "b")
        for status in ("initiated", "ringing", "in-progress", "completed")
    }
    assert all(set(p) == {"call_id", "leg", "status"} for p in progress)
    assert len(progress) == 8  # each leg status once, whichever message told it first


async def test_no_answer_event(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, NO_ANSWER)
    await bridge.play_out()
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert (ended["outcome"], ended["failed_party"], ended["duration"]) == ("no_answer", "b", 0)


async def test_logbook_descriptions(bridge: Bridge) -> None:
    described: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def register(domain: str, event_type: str, describe: Callable[[Event], dict[str, Any]]):
        assert domain == "twilio_bridge"
        described[event_type] = describe

    logbook.async_describe_events(bridge.hass, register)
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    lines = {
        event_type: described[event_type](Event(event_type, data))["message"]
        for event_type, events in bridge.events.items()
        if event_type in described
        for data in events
    }
    assert lines["twilio_bridge_call_started"] == (
        "placed a call from +81 90-****-2222 to +81 90-****-4444"
    )
    assert lines["twilio_bridge_call_connected"] == "connected the two parties"
    assert lines["twilio_bridge_call_ended"] == "call ended: completed, 93 s talk, 64.8 JPY"
