"""Conference mode end to end: warning, end at the limit, extension, hang-ups, cost."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator.conference import Room
from simulator.twiml import Say

from .conftest import BUSY, SCENARIO, Bridge

TALKER = "+819055556666"  # answers after 4 s, never hangs up by itself
QUITTER = "+819077778888"  # answers after 4 s, hangs up after 50 s
PATIENT_A = "+819099990000"  # answers after 3 s, never hangs up by itself
IMPATIENT_A = "+819011119999"  # answers after 2 s, hangs up 8 s later
SLOW_B = "+819012340000"  # rings for 30 s before answering

CONFERENCE_SCENARIO: dict[str, Any] = {
    **SCENARIO,
    "phones": {
        **SCENARIO["phones"],
        PATIENT_A: {"answer_after": 3, "hangup_after": None},
        TALKER: {"answer_after": 4, "hangup_after": None},
        QUITTER: {"answer_after": 4, "hangup_after": 50},
        IMPATIENT_A: {"answer_after": 2, "hangup_after": 8},
        SLOW_B: {"answer_after": 30, "hangup_after": None},
    },
}
CONFERENCE = {"mode": "conference", "time_limit": 120, "warn_before": 60}

pytestmark = [
    pytest.mark.parametrize("scenario", [CONFERENCE_SCENARIO]),
    pytest.mark.parametrize("bridge_overrides", [CONFERENCE]),
]


async def lockstep(bridge: Bridge, freezer: FrozenDateTimeFactory, seconds: int) -> None:
    """Advance Twilio's (simulated) clock and Home Assistant's clock together."""
    for _ in range(seconds):
        await bridge.sim.advance(1)
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(bridge.hass)
        await bridge.hass.async_block_till_done()


def only_room(bridge: Bridge) -> Room:
    (room,) = bridge.sim.conferences.rooms.values()
    return room


async def test_warning_heard_by_both_then_the_room_ends_at_the_limit(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    placed = await bridge.connect(PATIENT_A, TALKER)
    await lockstep(bridge, freezer, 200)
    room = only_room(bridge)
    assert room.friendly_name == f"twilio_bridge-{placed['call_id']}"
    assert room.started_at is not None
    (announcement,) = room.announcements
    # Heard 60 s before the 120 s limit, by both parties, in Japanese by default.
    assert announcement["at"] - room.started_at == pytest.approx(60, abs=1)
    legs = {leg.to: leg for leg in bridge.sim.calls}
    assert set(announcement["heard_by"]) == {legs[PATIENT_A].sid, legs[TALKER].sid}
    assert announcement["said"] == ["まもなく通話が終了します。残り時間はあと1分です。"]
    assert room.reason_ended == "conference-ended-via-api"
    assert room.ended_at - room.started_at == pytest.approx(120, abs=1)
    # No leg is left open after the room closes.
    assert all(leg.ended for leg in bridge.sim.calls)
    assert all(leg.ended_at - room.ended_at <= 1 for leg in bridge.sim.calls)

    (call,) = await bridge.calls()
    assert call["mode"] == "conference"
    assert call["outcome"] == "completed"
    assert call["duration"] == pytest.approx(120, abs=1)
    # Both legs at Twilio's price plus the per-participant-minute conference fee.
    legs_price = sum((leg.price for leg in bridge.sim.calls), Decimal(0))
    fee = bridge.sim.conferences.fee(room)
    assert fee == Decimal("0.3") * sum(
        -(-int(p.seconds(room.ended_at)) // 60) for p in room.participants.values()
    )
    assert call["cost"] == pytest.approx(float(legs_price + fee))
    assert call["cost_final"] is True
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert ended["outcome"] == "completed"
    assert len(bridge.events["twilio_bridge_call_connected"]) == 1
    cost_this_month = bridge.hass.states.get("sensor.twilio_bridge_cost_this_month")
    assert float(cost_this_month.state) == pytest.approx(float(legs_price + fee), abs=0.05)


async def test_extension_moves_the_warning_and_the_end(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    placed = await bridge.connect(PATIENT_A, TALKER)
    await lockstep(bridge, freezer, 40)
    room = only_room(bridge)
    assert room.status == "in-progress"
    response = await bridge.hass.services.async_call(
        "twilio_bridge",
        "extend",
        {"call_id": placed["call_id"], "seconds": 60},
        blocking=True,
        return_response=True,
    )
    assert response == {"call_id": placed["call_id"], "time_limit": 180}
    await lockstep(bridge, freezer, 200)

    (announcement,) = room.announcements
    assert announcement["at"] - room.started_at == pytest.approx(120, abs=1)
    assert room.ended_at - room.started_at == pytest.approx(180, abs=1)
    # The legs' own safety caps moved with the limit.
    assert all(leg.time_limit >= 180 for leg in bridge.sim.calls)
    (call,) = await bridge.calls()
    assert call["duration"] == pytest.approx(180, abs=1)


@pytest.mark.parametrize(("party_a", "party_b"), [(PATIENT_A, QUITTER), (QUITTER, TALKER)])
async def test_a_hang_up_by_either_side_ends_everything(
    bridge: Bridge, freezer: FrozenDateTimeFactory, party_a: str, party_b: str
) -> None:
    await bridge.connect(party_a, party_b)
    await lockstep(bridge, freezer, 100)

    room = only_room(bridge)
    quitter = next(leg for leg in bridge.sim.calls if leg.to == QUITTER)
    assert room.reason_ended == "participant-with-end-conference-on-exit-left"
    assert room.call_sid_ending == quitter.sid
    assert room.announcements == []  # it ended before the warning was due
    assert all(leg.ended for leg in bridge.sim.calls)
    assert all(leg.ended_at - quitter.ended_at <= 1 for leg in bridge.sim.calls)
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert 40 <= call["duration"] <= 55


async def test_busy_b_releases_a_at_once(bridge: Bridge, freezer: FrozenDateTimeFactory) -> None:
    await bridge.connect(PATIENT_A, BUSY)
    await lockstep(bridge, freezer, 60)
    leg_a = next(leg for leg in bridge.sim.calls if leg.to == PATIENT_A)
    leg_b = next(leg for leg in bridge.sim.calls if leg.to == BUSY)
    assert leg_b.status == "busy"
    assert leg_a.ended
    assert leg_a.ended_at - leg_b.ended_at <= 10  # told, then hung up
    (call,) = await bridge.calls()
    assert (call["outcome"], call["failed_party"], call["duration"]) == ("busy", "b", 0)
    room = only_room(bridge)
    assert room.started_at is None  # B never joined: the room never started


async def test_hangup_service_closes_the_room(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    placed = await bridge.connect(PATIENT_A, TALKER)
    await lockstep(bridge, freezer, 30)
    await bridge.hass.services.async_call(
        "twilio_bridge", "hangup", {"call_id": placed["call_id"]}, blocking=True
    )
    await lockstep(bridge, freezer, 5)
    assert only_room(bridge).reason_ended == "conference-ended-via-api"
    assert all(leg.ended for leg in bridge.sim.calls)
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"


async def test_a_leaving_while_b_rings_cancels_b(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await bridge.connect(IMPATIENT_A, SLOW_B)
    await lockstep(bridge, freezer, 40)
    leg_b = next(leg for leg in bridge.sim.calls if leg.to == SLOW_B)
    assert leg_b.status == "canceled"
    assert leg_b.answered_at is None  # never billed
    (call,) = await bridge.calls()
    assert (call["outcome"], call["failed_party"]) == ("canceled", "a")


async def test_b_that_cannot_be_placed_releases_a(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await bridge.connect(PATIENT_A, TALKER)
    bridge.sim.inject_api_error("calls.create", 500)  # the request for B fails
    await lockstep(bridge, freezer, 30)
    (leg_a,) = bridge.sim.calls
    assert leg_a.ended
    # A was told, in the configured language, before the leg was hung up.
    said = [verb.text for verb in leg_a.program if isinstance(verb, Say)]
    assert said == ["申し訳ありません。相手の方につながりませんでした。"]
    (call,) = await bridge.calls()
    assert (call["outcome"], call["failed_party"]) == ("failed", "b")


async def test_a_refused_end_is_retried(bridge: Bridge, freezer: FrozenDateTimeFactory) -> None:
    await bridge.connect(PATIENT_A, TALKER)
    await lockstep(bridge, freezer, 90)  # the warning has been announced
    bridge.sim.inject_api_error("conferences.update", 500)  # Twilio refuses the first end
    await lockstep(bridge, freezer, 100)
    room = only_room(bridge)
    assert room.reason_ended == "conference-ended-via-api"
    # Closed by the retry 10 s after the refused attempt at the 120 s limit.
    assert room.ended_at - room.started_at == pytest.approx(130, abs=1)
    assert all(leg.ended for leg in bridge.sim.calls)
