"""hangup, get_calls, time limits, greeting and label."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import PARTY_A, PARTY_B, SCENARIO, Bridge

LONG_TALKER = "+819055556666"


@pytest.mark.parametrize(
    "scenario",
    [{**SCENARIO, "phones": {**SCENARIO["phones"], LONG_TALKER: {"hangup_after": None}}}],
)
async def test_time_limit_ends_the_talk(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, LONG_TALKER, time_limit=30)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert call["duration"] == 30
    leg_b = next(leg for leg in bridge.sim.calls if leg.parent_sid)
    assert leg_b.duration == 30


@pytest.mark.parametrize("bridge_overrides", [{"time_limit": 20}])
async def test_service_time_limit_cannot_exceed_the_configured_one(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B, time_limit=600)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["duration"] == 20


async def test_greeting_and_label(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B, greeting="おつなぎします", label="order 42")
    await bridge.play_out()
    answer = next(e for e in bridge.sim.exchanges("voice"))
    assert '<Say language="ja-JP">おつなぎします</Say>' in answer.body
    (call,) = await bridge.calls()
    assert call["label"] == "order 42"
    state = bridge.hass.states.get("sensor.twilio_bridge_last_call_status")
    assert state.attributes["label"] == "order 42"


async def test_hangup_one_call_while_talking(bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.advance(40)
    await bridge.hass.async_block_till_done()
    response = await bridge.hass.services.async_call(
        "twilio_bridge",
        "hangup",
        {"call_id": placed["call_id"]},
        blocking=True,
        return_response=True,
    )
    assert response == {"call_ids": [placed["call_id"]], "failed_call_ids": []}
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert 0 < call["duration"] < 93
    assert all(leg.ended for leg in bridge.sim.calls)


async def test_hangup_everything_while_ringing(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.connect("090-5555-6666", "090-7777-8888")
    await bridge.sim.advance(1)
    await bridge.hass.async_block_till_done()
    response = await bridge.hass.services.async_call(
        "twilio_bridge", "hangup", {}, blocking=True, return_response=True
    )
    assert len(response["call_ids"]) == 2
    await bridge.play_out()
    calls = await bridge.calls()
    assert [c["outcome"] for c in calls] == ["canceled", "canceled"]
    assert [c["failed_party"] for c in calls] == ["a", "a"]
    assert all(c["cost"] == 0 for c in calls)


async def test_hangup_refuses_unknown_and_finished_calls(bridge: Bridge) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.hass.services.async_call(
            "twilio_bridge", "hangup", {"call_id": "nope"}, blocking=True
        )
    assert raised.value.translation_key == "unknown_call"
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.hass.services.async_call(
            "twilio_bridge", "hangup", {"call_id": placed["call_id"]}, blocking=True
        )
    assert raised.value.translation_key == "call_not_active"


async def test_get_calls_newest_first_with_limit(bridge: Bridge) -> None:
    first = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    second = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    response = await bridge.hass.services.async_call(
        "twilio_bridge", "get_calls", {"limit": 1}, blocking=True, return_response=True
    )
    assert [c["call_id"] for c in response["calls"]] == [second["call_id"]]
    assert [c["call_id"] for c in await bridge.calls()] == [second["call_id"], first["call_id"]]


@pytest.mark.parametrize("bridge_overrides", [{"call_log_size": 2}])
async def test_call_log_is_bounded(bridge: Bridge) -> None:
    for _ in range(3):
        await bridge.connect(PARTY_A, PARTY_B)
        await bridge.play_out()
    assert len(await bridge.calls()) == 2
    # Month totals count every call, not only the ones still in the log.
    assert bridge.hass.states.get("sensor.twilio_bridge_calls_this_month").state == "3"


async def test_extend_refuses_bridge_calls(bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.hass.services.async_call(
            "twilio_bridge",
            "extend",
            {"call_id": placed["call_id"], "seconds": 60},
            blocking=True,
        )
    assert raised.value.translation_key == "extend_needs_conference"


async def test_one_call_twilio_refuses_to_end_does_not_keep_the_others_running(
    bridge: Bridge,
) -> None:
    first = await bridge.connect(PARTY_A, PARTY_B)
    second = await bridge.connect("090-5555-6666", "090-7777-8888")
    await bridge.sim.advance(1)
    await bridge.hass.async_block_till_done()
    bridge.sim.inject_api_error("calls.update", 500, times=1)  # the first hang-up fails
    response = await bridge.hass.services.async_call(
        "twilio_bridge", "hangup", {}, blocking=True, return_response=True
    )
    assert response == {"call_ids": [second["call_id"]], "failed_call_ids": [first["call_id"]]}
    await bridge.hass.async_block_till_done()
    # The refused one is asked again as a whole (one more hang-up ends it).
    await bridge.hass.services.async_call(
        "twilio_bridge", "hangup", {}, blocking=True, return_response=True
    )
    await bridge.play_out()
    assert [c["outcome"] for c in await bridge.calls()] == ["canceled", "canceled"]


async def test_a_call_twilio_does_not_know_is_closed_not_active_for_good(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.reset()  # Twilio forgets the call (another account, a restored log)
    freezer.tick(timedelta(seconds=120))  # past the reconciliation deadline
    async_fire_time_changed(bridge.hass)
    await bridge.hass.async_block_till_done()
    (call,) = await bridge.calls()
    assert (call["outcome"], call["failed_party"]) == ("failed", "a")
    assert bridge.hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == "off"
