"""Callbacks duplicated, reordered, delayed or lost: the record is still right."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import BUSY, PARTY_A, PARTY_B, SCENARIO, Bridge


def with_faults(**faults: Any) -> dict[str, Any]:
    return {**SCENARIO, "faults": {"seed": 7, **faults}}


@pytest.mark.parametrize(
    "scenario",
    [
        with_faults(duplicate=1.0),
        with_faults(reorder=True),
        with_faults(reorder=True, duplicate=0.5, seed=3),
        with_faults(delay=20),
    ],
    ids=["duplicated", "reordered", "reordered+duplicated", "delayed"],
)
async def test_completed_call_survives_callback_faults(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    await bridge.sim.advance(60)  # delayed callbacks
    await bridge.hass.async_block_till_done()

    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert call["duration"] == 93
    assert call["cost"] == 64.8
    assert len(bridge.events["twilio_bridge_call_ended"]) == 1
    assert len(bridge.events["twilio_bridge_call_connected"]) == 1
    talk = bridge.hass.states.get("sensor.twilio_bridge_talk_time_this_month")
    assert talk.attributes["unit_of_measurement"] == "s"
    assert talk.state == "93"


@pytest.mark.parametrize("scenario", [with_faults(reorder=True, duplicate=1.0)])
async def test_busy_call_survives_callback_faults(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, BUSY)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert (call["outcome"], call["failed_party"], call["duration"]) == ("busy", "b", 0)
    assert len(bridge.events["twilio_bridge_call_ended"]) == 1


@pytest.mark.parametrize("scenario", [with_faults(drop=1.0)])
async def test_lost_callbacks_are_reconciled_from_twilio(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    """Every status callback lost: the <Dial action> plus fetching from Twilio finish it."""
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    assert bridge.sim.dispatcher.dropped > 0
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(bridge.hass)
    await bridge.hass.async_block_till_done()

    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert call["duration"] == 93
    leg_a = next(leg for leg in bridge.sim.calls if not leg.parent_sid)
    assert call["billed_seconds"] == {"a": leg_a.duration, "b": 93}
    assert call["cost_final"] is True
    assert len(bridge.events["twilio_bridge_call_ended"]) == 1
