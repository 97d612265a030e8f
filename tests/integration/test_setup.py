"""Configuration: validation, defaults and clear setup errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.twilio_bridge import CONFIG_SCHEMA
from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator

from .conftest import loaded_entry


def sim_credentials(sim: Simulator) -> dict[str, str]:
    return {"account_sid": sim.scenario.account_sid, "auth_token": sim.scenario.auth_token}


BASE: dict[str, Any] = {
    "account_sid": "AC" + "0" * 32,
    "auth_token": "secret-token-value",
    "phone_number": "050-1234-5678",
}


def test_defaults() -> None:
    conf = CONFIG_SCHEMA({DOMAIN: BASE})[DOMAIN]
    assert conf["mode"] == "bridge"
    assert conf["ring_timeout"] == 20
    assert conf["time_limit"] == 3600
    assert conf["warn_before"] == 60
    assert conf["language"] == "ja-JP"
    assert conf["country_code"] == "81"
    assert conf["allowed_prefixes"] == ["+81"]
    assert conf["blocked_prefixes"] == []
    assert conf["max_concurrent_calls"] == 5
    assert conf["mask_numbers"] is True
    assert conf["call_log_size"] == 500
    assert conf["rates"] == {
        "currency": "JPY",
        "mobile": 16.2,
        "landline": 5.4,
        "ip_phone": 5.4,
        "toll_free": 0.0,
        "conference_participant": 0.3,
    }


@pytest.mark.parametrize(
    "override",
    [
        {"account_sid": "not-a-sid"},
        {"mode": "queue"},
        {"ring_timeout": 1},
        {"edge": "tokyo", "api_base_url": "http://127.0.0.1:8765"},
        {"allowed_prefixes": ["+81abc"]},
        {"rates": {"mobile": -1}},
        {"unknown_key": 1},
        {"country_code": "999"},
        {"rates": {"currency": "yen"}},
        {"rates": {"currency": "XYZ"}},
    ],
)
def test_invalid_configuration_is_refused(override: dict[str, Any]) -> None:
    import voluptuous as vol

    with pytest.raises(vol.Invalid):
        CONFIG_SCHEMA({DOMAIN: {**BASE, **override}})


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        ({"country_code": "999"}, "country_code", "not a country calling code"),
        ({"country_code": "+8a"}, "country_code", "not a country calling code"),
        ({"rates": {"currency": "yen"}}, "currency", "ISO 4217"),
    ],
)
def test_errors_name_the_key_at_fault(override: dict[str, Any], key: str, message: str) -> None:
    import voluptuous as vol

    with pytest.raises(vol.Invalid) as raised:
        CONFIG_SCHEMA({DOMAIN: {**BASE, **override}})
    assert raised.value.path[-1] == key
    assert message in str(raised.value)


def test_currency_is_read_in_any_case() -> None:
    conf = CONFIG_SCHEMA({DOMAIN: {**BASE, "rates": {"currency": "usd"}}})[DOMAIN]
    assert conf["rates"]["currency"] == "USD"


async def test_setup_fails_clearly_without_an_external_url(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, issue_registry: ir.IssueRegistry
) -> None:
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: BASE})
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    # Retried with a back-off: once an external URL is set, the entry comes up by itself.
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(DOMAIN, "no_external_url")
    assert issue is not None
    assert issue.severity == ir.IssueSeverity.ERROR
    translations = Path(__file__).parents[2] / "custom_components/twilio_bridge/translations"
    for language in ("en", "ja"):
        strings = json.loads((translations / f"{language}.json").read_text("utf-8"))
        assert strings["issues"][issue.translation_key]["title"]
    assert "no external URL" in caplog.text
    assert "webhook_base_url" in caplog.text
    assert BASE["auth_token"] not in caplog.text
    assert not hass.states.async_entity_ids()  # no entity before setup passed its checks


async def test_external_url_is_the_default_webhook_base(
    hass: HomeAssistant, socket_enabled: None, sim: Simulator
) -> None:
    # On loopback, with nothing listening: the start-up self-test requests this URL, and a
    # test sends nothing off this machine.
    await hass.config.async_update(external_url="http://127.0.0.1:9")
    conf = {**BASE, **sim_credentials(sim), "api_base_url": sim.url}
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: conf})
    await hass.async_block_till_done()
    config = loaded_entry(hass).runtime_data.config
    assert config.webhook_base_url == "http://127.0.0.1:9"
    assert config.phone_number.e164 == "+815012345678"


async def test_invalid_twilio_number_fails_setup(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, issue_registry: ir.IssueRegistry
) -> None:
    conf = {**BASE, "phone_number": "0570-000-000", "webhook_base_url": "https://ha.example"}
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: conf})
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "phone_number is not a valid number (read with country_code 81): "
        "use E.164 (+815012345678) or 050-1234-5678"
    )
    issue = issue_registry.async_get_issue(DOMAIN, "invalid_phone_number")
    assert issue is not None
    assert issue.translation_placeholders == {"country_code": "81"}


async def test_services_without_configuration_raise_a_clear_error(hass: HomeAssistant) -> None:
    from homeassistant.exceptions import ServiceValidationError

    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "get_calls", {}, blocking=True, return_response=True)
    assert raised.value.translation_key == "not_configured"


async def test_invalid_configuration_does_not_log_the_auth_token(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    for bad in (
        {"edge": "tokyo", "api_base_url": "http://127.0.0.1:8765"},
        {"ring_timeout": 1},
        {"unknown_key": 1},
    ):
        assert not await async_setup_component(hass, DOMAIN, {DOMAIN: {**BASE, **bad}})
    assert "Invalid config for 'twilio_bridge'" in caplog.text
    assert BASE["auth_token"] not in caplog.text
