"""Contacts: calls placed by name, shown by name, and refused clearly when a name is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.twilio_bridge import logbook
from simulator.harness import Simulator

from .conftest import PARTY_A, PARTY_B, Bridge, bridge_config
from .test_restart import logged_calls, restarted

CONTACTS = {"alice": "090-1111-2222", "Bob": PARTY_B}
WITH_CONTACTS = pytest.mark.parametrize("bridge_overrides", [{"contacts": CONTACTS}])


@WITH_CONTACTS
async def test_a_call_by_names_shows_the_names_beside_the_masked_numbers(bridge: Bridge) -> None:
    placed = await bridge.connect("Alice", "bob")  # names ignore case
    await bridge.play_out()

    (leg_a,) = [call for call in bridge.sim.calls if call.parent_sid is None]
    assert leg_a.to == PARTY_A  # the name became the number only on the way to Twilio
    names = {"party_a_name": "alice", "party_b_name": "Bob"}  # as configured
    masked = {"party_a": "+81 90-****-2222", "party_b": "+81 90-****-4444"}
    (started,) = bridge.events["twilio_bridge_call_started"]
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    (logged,) = await bridge.calls()
    attributes = bridge.hass.states.get("sensor.twilio_bridge_last_call_duration").attributes
    for shown in (started, ended, logged, attributes):
        assert {key: shown[key] for key in (*names, *masked)} == names | masked
    assert logged["call_id"] == placed["call_id"]
    assert (logged["outcome"], logged["duration"], logged["cost"]) == ("completed", 93, 64.8)


@WITH_CONTACTS
async def test_the_logbook_reads_names(bridge: Bridge) -> None:
    described: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def register(domain: str, event_type: str, describe: Callable[[Event], dict[str, Any]]):
        described[event_type] = describe

    logbook.async_describe_events(bridge.hass, register)
    await bridge.connect("alice", "bob")
    await bridge.connect("alice", "090-7777-8888")  # one name, one number
    await bridge.play_out()
    lines = [
        described[event_type](Event(event_type, data))["message"]
        for event_type in ("twilio_bridge_call_started", "twilio_bridge_call_ended")
        for data in bridge.events[event_type]
    ]
    assert lines == [
        "placed a call from alice to Bob",
        "placed a call from alice to +81 90-****-8888",
        "call ended: alice ↔ +81 90-****-8888, Completed, 60 s talk, 48.6 JPY",
        "call ended: alice ↔ Bob, Completed, 93 s talk, 64.8 JPY",
    ]


@WITH_CONTACTS
async def test_an_unknown_name_is_a_clear_error_and_places_no_call(bridge: Bridge) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect("alice", "carol")
    assert raised.value.translation_key == "unknown_contact"
    assert str(raised.value).startswith("party_b: there is no contact named carol under contacts:")
    assert bridge.sim.calls == []
    assert await bridge.calls() == []


@WITH_CONTACTS
async def test_a_name_whose_number_is_refused_places_no_call(bridge: Bridge) -> None:
    # alice's number given again, once by name and once as a number: the same person.
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect("alice", "+81 90-1111-2222")
    assert raised.value.translation_key == "same_number"
    assert bridge.sim.calls == []


@WITH_CONTACTS
async def test_calls_by_number_still_have_no_names(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (logged,) = await bridge.calls()
    assert (logged["party_a"], logged["party_a_name"], logged["party_b_name"]) == (
        "+81 90-****-2222",
        None,
        None,
    )
    assert logged["outcome"] == "completed"


@pytest.mark.parametrize(
    ("contacts", "logged"),
    [
        (
            {"alice": "090-1111-2222", "carol": "+14155550100"},
            'contacts: the number of "carol" (+1 415-***-0100) is outside allowed_prefixes',
        ),
        (
            {"alice": "090-1111-2222", "carol": "0570-123-456"},
            'contacts: the number of "carol" (+81 570-***-456) is a premium-rate',
        ),
        (
            {"carol": "050-1234-5678"},
            "is the integration's own Twilio number",
        ),
        (
            {"Carol": "090-5555-6666", "carol": "090-7777-8888"},
            'contacts: "Carol" and "carol" are the same name',
        ),
        (
            {"119": "090-5555-6666"},
            'contacts: the name "119" looks like a phone number',
        ),
    ],
)
async def test_a_bad_contact_fails_setup_with_a_clear_line_and_no_call_is_possible(  # noqa: PLR0917
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
    sim: Simulator,
    contacts: dict[str, str],
    logged: str,
) -> None:
    config = bridge_config(sim, "http://127.0.0.1:8123", contacts=contacts)
    # The YAML is imported into the config entry, whose setup fails with a Repairs issue.
    assert await async_setup_component(hass, "twilio_bridge", config)
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries("twilio_bridge")
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue("twilio_bridge", "invalid_contact")
    assert issue is not None
    assert logged in issue.translation_placeholders["error"]
    assert logged in caplog.text
    assert config["twilio_bridge"]["auth_token"] not in caplog.text
    for number in contacts.values():
        assert number.replace("-", "")[-7:] not in caplog.text.replace("-", "")
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "twilio_bridge", "connect", {"party_a": "alice", "party_b": PARTY_B}, blocking=True
        )
    assert raised.value.translation_key == "not_configured"
    assert sim.calls == []


@WITH_CONTACTS
async def test_names_survive_a_restart(bridge: Bridge, hass_storage: dict[str, Any]) -> None:
    await bridge.connect("alice", "bob")
    await bridge.play_out()
    await bridge.hass.async_stop()
    (stored,) = hass_storage["twilio_bridge.calls"]["data"]["calls"]
    assert (stored["party_a_name"], stored["party_b_name"]) == ("alice", "Bob")
    async with restarted(bridge_config(bridge.sim, bridge.base_url, contacts=CONTACTS)) as hass2:
        (logged,) = await logged_calls(hass2)
        assert (logged["party_a_name"], logged["party_b_name"]) == ("alice", "Bob")
