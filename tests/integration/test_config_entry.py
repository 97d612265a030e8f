"""The config entry's life: YAML import, reload and unload during a call, the old call log,
diagnostics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_IMPORT, SOURCE_RECONFIGURE, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import DOMAIN
from custom_components.twilio_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.harness import Simulator

from .conftest import (
    PARTY_A,
    PARTY_B,
    TWILIO_NUMBER,
    Bridge,
    bridge_config,
    free_port,
    loaded_entry,
    serve,
)

ACCOUNT_SID = "AC00000000000000000000000000000000"

# A finished call as the YAML-only version (before config entries) stored it.
OLD_STORE: dict[str, Any] = {
    "version": 1,
    "minor_version": 1,
    "key": "twilio_bridge.calls",
    "data": {
        "calls": [
            {
                "call_id": "0123456789abcdef0123456789abcdef",
                "mode": "bridge",
                "party_a": "+819011112222",
                "party_b": "+819033334444",
                "class_a": "mobile",
                "class_b": "mobile",
                "created_at": "2026-11-02T10:00:00+00:00",
                "currency": "JPY",
                "label": "before the update",
                "time_limit": 3600,
                "greeting": None,
                "legs": {
                    "a": {
                        "sid": "CA" + "a" * 32,
                        "status": "completed",
                        "sequence": 3,
                        "answered_at": "2026-11-02T10:00:03+00:00",
                        "ended_at": "2026-11-02T10:01:40+00:00",
                        "duration": 100,
                        "sip_code": None,
                        "price": None,
                        "joined_at": None,
                        "left_at": None,
                    },
                    "b": {
                        "sid": "CA" + "b" * 32,
                        "status": "completed",
                        "sequence": 3,
                        "answered_at": "2026-11-02T10:00:07+00:00",
                        "ended_at": "2026-11-02T10:01:40+00:00",
                        "duration": 93,
                        "sip_code": None,
                        "price": None,
                        "joined_at": None,
                        "left_at": None,
                    },
                },
                "connected_at": "2026-11-02T10:00:07+00:00",
                "ended_at": "2026-11-02T10:01:40+00:00",
                "duration": 93,
                "outcome": "completed",
                "failed_party": None,
                "cost": "64.8",
                "cost_final": True,
                "dial": {"status": "completed", "bridged": True, "duration": 93},
                "fees": "0",
                "conference_sid": None,
                "talk_ended_at": None,
            }
        ],
        "month": {"key": "2026-11", "calls": 1, "talk_seconds": 93, "cost": "64.8"},
    },
}
OLD_ENTITIES = (
    ("sensor", "last_call_duration"),
    ("sensor", "last_call_status"),
    ("binary_sensor", "call_in_progress"),
)


async def test_yaml_is_imported_and_owns_the_entry(hass: HomeAssistant, bridge: Bridge) -> None:
    entry = loaded_entry(hass)
    assert entry.source == SOURCE_IMPORT
    assert entry.data["api_base_url"] == bridge.sim.url
    assert entry.options["ring_timeout"] == 20
    # The UI only says where the settings are.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "yaml_managed")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "yaml_managed")


async def test_yaml_replaces_what_the_ui_had_set(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
) -> None:
    port = free_port()
    await serve(hass, aiohttp_client, port)
    config = bridge_config(sim, f"http://127.0.0.1:{port}", ring_timeout=45)
    ui_entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCOUNT_SID,
        data={k: v for k, v in config[DOMAIN].items() if k != "ring_timeout"},
        options={"ring_timeout": 15, "greeting": "set in the UI"},
        title="Twilio (an old number)",
    )
    ui_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, config)
    await hass.async_block_till_done()
    entry = loaded_entry(hass)
    assert entry.entry_id == ui_entry.entry_id  # no second entry
    config_now = entry.runtime_data.config
    assert config_now.ring_timeout == 45
    assert config_now.greeting is None  # not in the YAML: its default, not the UI's value
    assert entry.title == "Twilio +81 50-****-5678"  # named for the YAML's number


async def test_reload_during_a_call_keeps_tracking_it(hass: HomeAssistant, bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.advance(30)  # both parties are talking
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(loaded_entry(hass).entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == "on"
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert (call["call_id"], call["outcome"], call["duration"]) == (
        placed["call_id"],
        "completed",
        93,
    )
    assert call["cost"] == 64.8
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert ended["call_id"] == placed["call_id"]
    assert hass.states.get("sensor.twilio_bridge_last_call_duration").state == "93"


async def test_webhooks_answer_safely_while_unloaded_and_the_call_is_logged_after(
    hass: HomeAssistant, bridge: Bridge
) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.advance(30)
    await hass.async_block_till_done()
    entry = loaded_entry(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    await bridge.play_out()  # the call ends while nothing is loaded
    answered = [e for e in bridge.sim.exchanges() if e.status is not None]
    assert answered
    assert all(e.status < 500 for e in answered)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (call,) = await bridge.calls()
    assert (call["call_id"], call["outcome"], call["duration"]) == (
        placed["call_id"],
        "completed",
        93,
    )


async def test_the_call_log_and_entities_of_the_yaml_only_version_carry_over(  # noqa: PLR0917
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    hass_storage["twilio_bridge.calls"] = OLD_STORE
    for platform, key in OLD_ENTITIES:  # registered without a config entry, as before
        entity_registry.async_get_or_create(
            platform, DOMAIN, f"{ACCOUNT_SID}_{key}", suggested_object_id=f"{DOMAIN}_{key}"
        )
    port = free_port()
    await serve(hass, aiohttp_client, port)
    assert await async_setup_component(hass, DOMAIN, bridge_config(sim, f"http://127.0.0.1:{port}"))
    await hass.async_block_till_done()
    entry = loaded_entry(hass)
    (call,) = await Bridge(hass=hass, sim=sim, base_url="").calls()
    assert (call["call_id"], call["label"], call["duration"], call["cost"]) == (
        "0123456789abcdef0123456789abcdef",
        "before the update",
        93,
        64.8,
    )
    for platform, key in OLD_ENTITIES:
        entity_id = f"{platform}.{DOMAIN}_{key}"
        registered = entity_registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.config_entry_id == entry.entry_id
        assert registered.device_id is not None
    assert hass.states.get("sensor.twilio_bridge_last_call_duration").state == "93"


async def test_diagnostics_hold_no_secret_and_no_full_number(
    hass: HomeAssistant, bridge: Bridge
) -> None:
    await bridge.connect(PARTY_A, PARTY_B, label="diagnostics")
    await bridge.play_out()
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.advance(30)
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry(hass))
    text = json.dumps(diagnostics)
    for secret in (bridge.sim.scenario.auth_token, bridge.sim.scenario.account_sid):
        assert secret not in text
    for number in (PARTY_A, PARTY_B, TWILIO_NUMBER):
        assert number not in text
        assert number.removeprefix("+81") not in text
    assert bridge.base_url not in text
    assert diagnostics["entry"]["data"]["auth_token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["phone_number"] == "+81 50-****-5678"
    (active,) = diagnostics["active_calls"]
    assert active["party_a"] == "+81 90-****-2222"
    assert [c["label"] for c in diagnostics["recent_calls"]] == [None, "diagnostics"]
    received = diagnostics["webhooks"]["received"]
    assert received["api:twilio_bridge:answer"] == 2
    assert received["api:twilio_bridge:status"] > 0
    assert diagnostics["webhooks"]["refused"] == 0


@pytest.mark.parametrize("bridge_overrides", [{"mask_numbers": False}])
async def test_diagnostics_mask_numbers_even_when_the_ui_shows_them(
    hass: HomeAssistant, bridge: Bridge
) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["party_a"] == PARTY_A  # shown in full, as configured
    text = json.dumps(await async_get_config_entry_diagnostics(hass, loaded_entry(hass)))
    assert PARTY_A not in text


@pytest.mark.parametrize(
    "bridge_overrides", [{"contacts": {"grandma": "090-1111-2222", "carer": PARTY_B}}]
)
async def test_diagnostics_mask_the_contacts_numbers(hass: HomeAssistant, bridge: Bridge) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry(hass))
    assert diagnostics["entry"]["options"]["contacts"] == {
        "grandma": "+81 90-****-2222",
        "carer": "+81 90-****-4444",
    }
    text = json.dumps(diagnostics)
    for number in ("090-1111-2222", "9011112222", PARTY_B):
        assert number not in text
