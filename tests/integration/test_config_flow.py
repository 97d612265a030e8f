"""UI setup: the config flow against the simulator, options, reauthentication, reconfigure."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator

from .conftest import (
    PARTY_A,
    PARTY_B,
    SMS_ONLY,
    TWILIO_NUMBER,
    WITH_SMS_ONLY,
    Bridge,
    free_port,
    loaded_entry,
    serve,
)


@pytest.fixture
async def served(
    hass: HomeAssistant, aiohttp_client: ClientSessionGenerator, socket_enabled: None
) -> str:
    """Home Assistant served on a port, twilio_bridge loaded without YAML: its public URL."""
    port = free_port()
    await serve(hass, aiohttp_client, port)
    assert await async_setup_component(hass, DOMAIN, {})
    return f"http://127.0.0.1:{port}"


def form(sim: Simulator, base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "account_sid": sim.scenario.account_sid,
        "auth_token": sim.scenario.auth_token,
        "phone_number": "050-1234-5678",
        "webhook_base_url": base_url,
        "api_base_url": sim.url,
        **overrides,
    }


async def submit(hass: HomeAssistant, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def set_up_from_the_ui(hass: HomeAssistant, sim: Simulator, base_url: str) -> Any:
    result = await submit(hass, form(sim, base_url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result


async def test_ui_setup_checks_twilio_then_creates_the_entry_its_device_and_entities(
    hass: HomeAssistant,
    served: str,
    sim: Simulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    result = await set_up_from_the_ui(hass, sim, served)
    assert result["title"] == "Twilio +81 50-****-5678"
    assert result["data"]["phone_number"] == TWILIO_NUMBER  # stored as E.164
    entry = loaded_entry(hass)
    assert entry.unique_id == sim.scenario.account_sid
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert (device.manufacturer, device.name) == ("Twilio", "Twilio +81 50-****-5678")
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert {e.entity_id for e in entities} == {
        "sensor.twilio_bridge_last_call_duration",
        "sensor.twilio_bridge_last_call_status",
        "sensor.twilio_bridge_last_call_cost",
        "sensor.twilio_bridge_active_calls",
        "sensor.twilio_bridge_calls_this_month",
        "sensor.twilio_bridge_talk_time_this_month",
        "sensor.twilio_bridge_cost_this_month",
        "binary_sensor.twilio_bridge_call_in_progress",
    }
    assert all(e.device_id == device.id for e in entities)

    # It places calls like the YAML setup does.
    bridge = Bridge(hass=hass, sim=sim, base_url=served)
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    state = hass.states.get("sensor.twilio_bridge_last_call_duration")
    assert state.state == "93"
    assert state.attributes["call_id"] == placed["call_id"]


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"auth_token": "wrong-token"}, "base", "invalid_auth"),
        ({"phone_number": "+815099998888"}, "phone_number", "number_not_on_account"),
        ({"phone_number": "0570-000-000"}, "phone_number", "invalid_phone_number"),
        ({"account_sid": "not-a-sid"}, "account_sid", "invalid_value"),
        ({"webhook_base_url": "not a url"}, "webhook_base_url", "invalid_value"),
    ],
)
async def test_each_flow_error_names_its_field(  # noqa: PLR0917
    hass: HomeAssistant,
    served: str,
    sim: Simulator,
    overrides: dict[str, Any],
    field: str,
    error: str,
) -> None:
    result = await submit(hass, form(sim, served, **overrides))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not hass.config_entries.async_entries(DOMAIN)  # nothing kept


@pytest.mark.parametrize("scenario", [WITH_SMS_ONLY])
async def test_a_number_that_cannot_make_voice_calls_is_refused(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    result = await submit(hass, form(sim, served, phone_number=SMS_ONLY))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"phone_number": "number_not_voice_capable"}
    assert not hass.config_entries.async_entries(DOMAIN)
    # The user picks the account's voice number in the same form.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form(sim, served))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["phone_number"] == TWILIO_NUMBER


async def test_flow_error_when_twilio_cannot_be_reached(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = await submit(hass, form(sim, served, api_base_url=closed))
    assert result["errors"] == {"base": "cannot_connect"}
    # The user fixes it in the same form.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form(sim, served))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_a_second_entry_is_refused(hass: HomeAssistant, served: str, sim: Simulator) -> None:
    await set_up_from_the_ui(hass, sim, served)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_options_apply_without_a_restart(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    await set_up_from_the_ui(hass, sim, served)
    entry = loaded_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"ring_timeout": 35, "max_concurrent_calls": 2, "rates": {"currency": "usd"}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = loaded_entry(hass)  # reloaded
    assert entry.options["ring_timeout"] == 35
    config = entry.runtime_data.config
    assert (config.ring_timeout, config.max_concurrent_calls) == (35, 2)
    assert config.rates.currency == "USD"
    assert (
        hass.states.get("sensor.twilio_bridge_cost_this_month").attributes["unit_of_measurement"]
        == "USD"
    )
    await hass.services.async_call(
        DOMAIN, "connect", {"party_a": PARTY_A, "party_b": PARTY_B}, blocking=True
    )
    (leg_a,) = sim.calls
    assert leg_a.timeout == 35  # Twilio was asked to ring for the new timeout


async def test_invalid_option_is_refused_with_its_field(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    await set_up_from_the_ui(hass, sim, served)
    entry = loaded_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"country_code": "999"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"country_code": "invalid_value"}


async def test_reauthentication_after_the_token_changed(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    await set_up_from_the_ui(hass, sim, served)
    entry = loaded_entry(hass)
    # The account owner rotates the auth token in the Twilio console.
    rotated = dataclasses.replace(sim.scenario, auth_token="rotated-token")
    sim.scenario = sim.engine.scenario = rotated
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"auth_token": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"auth_token": "rotated-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert loaded_entry(hass).data["auth_token"] == "rotated-token"


async def test_reconfigure_changes_the_url_after_checking_with_twilio(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    await set_up_from_the_ui(hass, sim, served)
    entry = loaded_entry(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"phone_number": "+815099998888", "webhook_base_url": served}
    )
    assert result["errors"] == {"phone_number": "number_not_on_account"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"phone_number": TWILIO_NUMBER, "webhook_base_url": served + "/"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    entry = loaded_entry(hass)
    # The simulator's URL (an advanced field, not shown here) is kept.
    assert entry.data["api_base_url"] == sim.url
    assert entry.runtime_data.config.webhook_base_url == served


async def test_a_contact_that_cannot_be_called_is_refused_in_the_options(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    """Saved, it would fail the setup that saving starts: the form refuses it instead."""
    await set_up_from_the_ui(hass, sim, served)
    entry = loaded_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"contacts": {"carer": "0990-123-456"}}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"contacts": "invalid_contact"}
    assert "carer" in result["description_placeholders"]["error"]
    assert "0990-123-456" not in result["description_placeholders"]["error"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"contacts": {"carer": PARTY_B}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_entry(hass).state is ConfigEntryState.LOADED


async def test_without_a_public_url_the_form_says_so_before_creating_anything(
    hass: HomeAssistant, served: str, sim: Simulator
) -> None:
    user_input = form(sim, served)
    del user_input["webhook_base_url"]
    result = await submit(hass, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"webhook_base_url": "no_external_url"}
    assert hass.config_entries.async_entries(DOMAIN) == []
