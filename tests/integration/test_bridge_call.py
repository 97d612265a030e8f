"""The V-call end to end: Home Assistant places it, the simulator plays it out."""

from __future__ import annotations

from homeassistant.const import STATE_OFF

from .conftest import BUSY, PARTY_A, PARTY_B, Bridge


async def test_completed_call_is_logged_with_talk_time_and_cost(bridge: Bridge) -> None:
    response = await bridge.connect("090-1111-2222", PARTY_B)
    assert response["status"] == "queued"
    call_id = response["call_id"]

    await bridge.play_out()

    leg_a = next(leg for leg in bridge.sim.calls if leg.direction == "outbound-api")
    leg_b = next(leg for leg in bridge.sim.calls if leg.parent_sid == leg_a.sid)
    assert leg_a.to == PARTY_A
    assert leg_b.to == PARTY_B
    assert leg_b.from_ == "+815012345678"  # B sees only the Twilio number
    assert leg_b.duration == 93
    # The dial-done webhook answered <Hangup/>: leg A ended with leg B, not later.
    assert leg_a.ended_at == leg_b.ended_at

    (call,) = await bridge.calls()
    assert call["call_id"] == call_id
    assert call["outcome"] == "completed"
    assert call["failed_party"] is None
    assert call["duration"] == 93
    assert call["billed_seconds"] == {"a": leg_a.duration, "b": 93}
    # Twilio's prices (two 2-minute mobile legs at 16.2 JPY) replaced the estimate.
    assert call["cost_final"] is True
    assert call["cost"] == float(leg_a.price + leg_b.price) == 64.8
    assert call["party_a"] == "+81 90-****-2222"

    state = bridge.hass.states.get("sensor.twilio_bridge_last_call_duration")
    assert state is not None
    assert float(state.state) == 93
    assert state.attributes["device_class"] == "duration"
    assert state.attributes["call_id"] == call_id
    assert state.attributes["party_b"] == "+81 90-****-4444"
    assert bridge.hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == STATE_OFF

    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert ended["call_id"] == call_id
    assert ended["outcome"] == "completed"
    assert ended["duration"] == 93
    assert len(bridge.events["twilio_bridge_call_started"]) == 1
    assert len(bridge.events["twilio_bridge_call_connected"]) == 1


async def test_busy_party_b_ends_at_once_with_no_talk_time(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, BUSY)

    await bridge.play_out()

    leg_a = next(leg for leg in bridge.sim.calls if leg.direction == "outbound-api")
    leg_b = next(leg for leg in bridge.sim.calls if leg.parent_sid == leg_a.sid)
    assert leg_b.status == "busy"
    # Leg A is hung up right after the short "could not be reached" message.
    assert leg_a.ended_at is not None
    assert leg_b.ended_at is not None
    assert leg_a.ended_at - leg_b.ended_at <= 10
    (call,) = await bridge.calls()
    assert call["outcome"] == "busy"
    assert call["failed_party"] == "b"
    assert call["duration"] == 0
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert ended["outcome"] == "busy"
    assert bridge.events["twilio_bridge_call_connected"] == []
