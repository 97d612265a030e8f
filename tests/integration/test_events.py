"""Events carry their documented payloads and read well in the logbook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant

from custom_components.twilio_bridge import logbook

from .conftest import NO_ANSWER, PARTY_A, PARTY_B, Bridge, loaded_entry


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
        "entity_id",
    }
    assert started["party_a"] == "+81 90-****-2222"
    assert (started["party_a_name"], started["party_b_name"]) == (None, None)
    # The entity each event is about: entity-filtered logbook cards list the event.
    assert started["entity_id"] == "binary_sensor.twilio_bridge_call_in_progress"
    (connected,) = bridge.events["twilio_bridge_call_connected"]
    assert set(connected) == {"call_id", "connected_at", "entity_id"}
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
    assert ended["entity_id"] == "sensor.twilio_bridge_last_call_status"
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


async def _described_lines(bridge: Bridge) -> dict[str, dict[str, Any]]:
    described: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def register(domain: str, event_type: str, describe: Callable[[Event], dict[str, Any]]):
        assert domain == "twilio_bridge"
        described[event_type] = describe

    logbook.async_describe_events(bridge.hass, register)
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    return {
        event_type: described[event_type](Event(event_type, data))
        for event_type, events in bridge.events.items()
        if event_type in described
        for data in events
    }


async def test_logbook_descriptions(bridge: Bridge) -> None:
    entries = await _described_lines(bridge)
    lines = {event_type: entry["message"] for event_type, entry in entries.items()}
    assert lines["twilio_bridge_call_started"] == (
        "placed a call from +81 90-****-2222 to +81 90-****-4444"
    )
    assert lines["twilio_bridge_call_connected"] == "connected the two parties"
    assert lines["twilio_bridge_call_ended"] == "call ended: Completed, 93 s talk, 64.8 JPY"
    # Attached to the entities, whose icons the logbook then shows.
    assert entries["twilio_bridge_call_ended"]["entity_id"] == (
        "sensor.twilio_bridge_last_call_status"
    )
    assert entries["twilio_bridge_call_started"]["entity_id"] == (
        "binary_sensor.twilio_bridge_call_in_progress"
    )


async def test_logbook_descriptions_follow_the_language_of_home_assistant(
    hass: HomeAssistant, bridge: Bridge
) -> None:
    await hass.config.async_update(language="ja")
    await hass.config_entries.async_reload(loaded_entry(hass).entry_id)  # loads ja names
    await hass.async_block_till_done()
    lines = {e: entry["message"] for e, entry in (await _described_lines(bridge)).items()}
    assert lines["twilio_bridge_call_started"] == (
        "+81 90-****-2222 から +81 90-****-4444 への通話を発信しました"
    )
    assert lines["twilio_bridge_call_connected"] == "二人の通話がつながりました"
    assert lines["twilio_bridge_call_ended"] == (
        "通話が終了しました: 完了、通話時間 93 秒、64.8 JPY"
    )
