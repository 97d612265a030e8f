"""A restart in the middle of a call loses nothing: the log is stored, the call reconciled."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_test_home_assistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.core.totals import MonthTotals
from custom_components.twilio_bridge.store import CallLogStore
from simulator.harness import Simulator

from .conftest import PARTY_A, PARTY_B, bridge_config, free_port


async def test_restart_in_the_middle_of_a_call(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    port = free_port()
    config = bridge_config(sim, f"http://127.0.0.1:{port}")
    assert await async_setup_component(hass, "twilio_bridge", config)
    await hass.async_block_till_done()
    client = await aiohttp_client(hass.http.app, server_kwargs={"port": port})
    placed = await hass.services.async_call(
        "twilio_bridge",
        "connect",
        {"party_a": PARTY_A, "party_b": PARTY_B},
        blocking=True,
        return_response=True,
    )
    await sim.advance(30)  # both parties are talking
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == "on"

    # Home Assistant goes down; the call goes on and ends while nobody listens.
    await hass.async_stop()
    await client.close()
    stored = hass_storage["twilio_bridge.calls"]["data"]["calls"]
    assert [(c["call_id"], c["outcome"]) for c in stored] == [(placed["call_id"], None)]
    await sim.run_until_idle()
    assert all(leg.status == "completed" for leg in sim.calls)

    # Home Assistant comes back with the same storage and asks Twilio what happened.
    async with async_test_home_assistant() as hass2:
        hass2.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # as enable_custom_integrations does
        assert await async_setup_component(hass2, "twilio_bridge", config)
        await hass2.async_block_till_done()
        response = await hass2.services.async_call(
            "twilio_bridge", "get_calls", {}, blocking=True, return_response=True
        )
        (call,) = response["calls"]
        assert call["call_id"] == placed["call_id"]
        assert call["outcome"] == "completed"
        assert call["duration"] == 93
        assert call["cost_final"] is True
        assert call["cost"] == 64.8
        state = hass2.states.get("sensor.twilio_bridge_last_call_duration")
        assert float(state.state) == 93
        await hass2.async_stop()


async def test_the_log_is_written_during_a_steady_stream_of_changes(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A change every 0.3 s must not put the write off until things calm down."""
    store = CallLogStore(hass)
    totals = MonthTotals("2026-11")
    for calls in range(1, 8):  # 2.1 s of steady changes (real time: Store uses the loop)
        totals.calls = calls
        store.schedule_save([], totals)
        await asyncio.sleep(0.3)
    # Written about SAVE_DELAY after the first change, while changes kept coming.
    assert hass_storage["twilio_bridge.calls"]["data"]["month"]["calls"] >= 3
