"""A restart in the middle of a call loses nothing: the log is stored, the call reconciled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.core.totals import MonthTotals
from custom_components.twilio_bridge.store import CallLogStore
from simulator.harness import Simulator

from .conftest import PARTY_A, PARTY_B, SCENARIO, bridge_config, free_port

TALKER = "+819055556666"  # answers after 2 s, never hangs up by itself


async def start(instance: HomeAssistant, config: dict[str, Any]) -> None:
    assert await async_setup_component(instance, "twilio_bridge", config)
    await instance.async_block_till_done()


@asynccontextmanager
async def restarted(config: dict[str, Any]) -> AsyncIterator[HomeAssistant]:
    """A second Home Assistant on the same (mocked) storage: the one after the restart."""
    async with async_test_home_assistant() as hass2:
        hass2.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # as enable_custom_integrations does
        await start(hass2, config)
        yield hass2
        await hass2.async_stop()


async def logged_calls(instance: HomeAssistant) -> list[dict[str, Any]]:
    response = await instance.services.async_call(
        "twilio_bridge", "get_calls", {}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return list(response["calls"])


async def test_restart_in_the_middle_of_a_call(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    port = free_port()
    config = bridge_config(sim, f"http://127.0.0.1:{port}")
    await start(hass, config)
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
    async with restarted(config) as hass2:
        (call,) = await logged_calls(hass2)
        assert call["call_id"] == placed["call_id"]
        assert call["outcome"] == "completed"
        assert call["duration"] == 93
        assert call["cost_final"] is True
        assert call["cost"] == 64.8
        state = hass2.states.get("sensor.twilio_bridge_last_call_duration")
        assert float(state.state) == 93


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


@pytest.mark.parametrize(
    "scenario",
    [
        {
            **SCENARIO,
            "phones": {**SCENARIO["phones"], TALKER: {"answer_after": 2, "hangup_after": None}},
        }
    ],
)
async def test_restart_in_the_middle_of_a_conference_keeps_its_warning_and_end(  # noqa: PLR0917
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    """Timers re-armed after a restart still warn and close the room on time."""
    port = free_port()
    config = bridge_config(
        sim, f"http://127.0.0.1:{port}", mode="conference", time_limit=120, warn_before=60
    )

    async def lockstep(instance: HomeAssistant, seconds: int) -> None:
        for _ in range(seconds):
            await sim.advance(1)
            freezer.tick(timedelta(seconds=1))
            async_fire_time_changed(instance)
            await instance.async_block_till_done()

    await start(hass, config)
    client = await aiohttp_client(hass.http.app, server_kwargs={"port": port})
    await hass.services.async_call(
        "twilio_bridge", "connect", {"party_a": PARTY_A, "party_b": TALKER}, blocking=True
    )
    await lockstep(hass, 20)
    (room,) = sim.conferences.rooms.values()
    assert room.status == "in-progress"

    await hass.async_stop()  # down for 20 s while the parties talk
    await client.close()
    for _ in range(20):
        await sim.advance(1)
        freezer.tick(timedelta(seconds=1))

    async with restarted(config) as hass2:
        await aiohttp_client(hass2.http.app, server_kwargs={"port": port})
        await lockstep(hass2, 120)
        (announcement,) = room.announcements
        assert announcement["at"] - room.started_at == pytest.approx(60, abs=1)
        assert room.ended_at - room.started_at == pytest.approx(120, abs=1)
        assert all(leg.ended for leg in sim.calls)
        (call,) = await logged_calls(hass2)
        assert call["outcome"] == "completed"
        assert call["duration"] == pytest.approx(120, abs=1)


@pytest.mark.parametrize("scenario", [{**SCENARIO, "price_delay": 600}])
async def test_prices_that_settled_while_home_assistant_was_down_are_fetched_at_start(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    port = free_port()
    config = bridge_config(sim, f"http://127.0.0.1:{port}")
    await start(hass, config)
    client = await aiohttp_client(hass.http.app, server_kwargs={"port": port})
    await hass.services.async_call(
        "twilio_bridge", "connect", {"party_a": PARTY_A, "party_b": PARTY_B}, blocking=True
    )
    await sim.run_until_idle()
    await hass.async_block_till_done()
    await hass.async_stop()
    await client.close()
    (stored,) = hass_storage["twilio_bridge.calls"]["data"]["calls"]
    assert (stored["outcome"], stored["cost_final"]) == ("completed", False)

    await sim.advance(600)  # Twilio settles the prices while Home Assistant is down
    async with restarted(config) as hass2:
        (call,) = await logged_calls(hass2)
        assert call["cost_final"] is True
        assert call["cost"] == 64.8
