"""The real logbook, filtered by entity as a logbook card is, lists the calls in Japanese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.components.logbook.helpers import async_determine_event_types
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator

from .conftest import PARTY_A, PARTY_B, Bridge, bridge_config, free_port, serve

STATUS = "sensor.twilio_bridge_last_call_status"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must start before Home Assistant does, so before the custom loader."""


async def test_an_entity_filtered_logbook_lists_the_calls_in_home_assistants_language(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    await hass.config.async_update(language="ja")
    # The logbook's panel needs the frontend, which is not installed for tests: the logbook's
    # queries and descriptions are what is under test here.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    port = free_port()
    await serve(hass, aiohttp_client, port)
    assert await async_setup_component(hass, DOMAIN, bridge_config(sim, f"http://127.0.0.1:{port}"))
    await hass.async_block_till_done()
    bridge = Bridge(hass=hass, sim=sim, base_url="")
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    await async_wait_recording_done(hass)

    def entries() -> list[dict[str, object]]:
        processor = EventProcessor(
            hass, async_determine_event_types(hass, [STATUS], None), [STATUS]
        )
        now = dt_util.utcnow()
        return processor.get_events(now - timedelta(hours=1), now + timedelta(hours=1))

    found = await get_instance(hass).async_add_executor_job(entries)
    ours = [entry for entry in found if entry.get("domain") == DOMAIN]
    assert [(e["name"], e["message"], e["entity_id"]) for e in ours] == [
        ("Twilio Bridge", "通話が終了しました: 完了、通話時間 93 秒、64.8 JPY", STATUS)
    ]
