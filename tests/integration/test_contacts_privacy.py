"""Calls placed by contact name leave no full number in Home Assistant's own records.

An automation calls `twilio_bridge.connect`; afterwards we read everything Home Assistant
kept of it: the recorder's database, every event on the bus, the log (at debug level, where
the bus logs each event it handles) and the automation's stored trace. The same automation
with numbers shows what names keep out.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.util import session_scope
from homeassistant.const import EVENT_LOGGING_CHANGED, MATCH_ALL
from homeassistant.core import Event, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator
from sqlalchemy import text

from .conftest import PARTY_A, PARTY_B, Bridge

CONTACTS = {"alice": PARTY_A, "bob": PARTY_B}
TRIGGER = "contacts_test_call"


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """The recorder's database must be prepared before Home Assistant starts."""


def full_number(e164: str) -> re.Pattern[str]:
    """The number in full in any usual spelling: +81 90-1111-2222, 09011112222, ..."""
    digits = e164.removeprefix("+81")
    return re.compile(r"[\s\-.()]{0,2}".join(digits))


def holding_a_full_number(lines: list[str], parties: tuple[str, ...] = (PARTY_A, PARTY_B)):
    return [line for line in lines if any(full_number(p).search(line) for p in parties)]


def bus_debug_line(kept: Kept, party_a: str) -> list[str]:
    """The bus's debug line of the connect call (proves the log was read at debug level)."""
    return [
        line
        for line in kept.log
        if line.startswith("Bus:Handling <Event call_service")
        and f"service_data=party_a={party_a}," in line
    ]


@dataclass
class Kept:
    """What Home Assistant kept of one call placed by an automation."""

    recorded_events: list[tuple[str, str]]  # (event type, stored data) from the database
    database: list[str]  # every row of every table
    bus: list[str]
    log: list[str]
    trace: list[str]


def _recorded(bridge: Bridge) -> tuple[list[tuple[str, str]], list[str]]:
    with session_scope(hass=bridge.hass, read_only=True) as session:
        events = session.execute(
            text(
                "SELECT event_types.event_type, event_data.shared_data FROM events"
                " JOIN event_types ON events.event_type_id = event_types.event_type_id"
                " JOIN event_data ON events.data_id = event_data.data_id"
            )
        )
        recorded = [(str(kind), str(data)) for kind, data in events]
        tables = [str(name) for (name,) in session.execute(text("SELECT name FROM sqlite_master"))]
        rows = [
            repr(tuple(row))
            for table in tables
            if not table.startswith("sqlite_") and not table.startswith("ix_")
            for row in session.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - our tables
        ]
    return recorded, rows


async def place_by_automation(
    bridge: Bridge,
    recorder: Recorder,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    *,
    party_a: str,
    party_b: str,
) -> Kept:
    hass = bridge.hass
    caplog.set_level(logging.DEBUG)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)  # the bus logs every event it handles from now
    bus: list[str] = []

    @callback
    def seen(event: Event) -> None:
        bus.append(json.dumps(event.as_dict(), default=str))

    hass.bus.async_listen(MATCH_ALL, seen)
    automation = {
        "id": "call_by_contacts",
        "alias": "Call by contacts",
        "triggers": [{"trigger": "event", "event_type": TRIGGER}],
        "actions": [
            {
                "action": "twilio_bridge.connect",
                "data": {"party_a": party_a, "party_b": party_b, "label": "automation"},
                "response_variable": "call",
            }
        ],
    }
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    hass.bus.async_fire(TRIGGER)
    await hass.async_block_till_done()
    await bridge.play_out()
    (logged,) = await bridge.calls()
    assert (logged["outcome"], logged["duration"]) == ("completed", 93)  # the call went through

    await async_wait_recording_done(hass)
    recorded, database = await recorder.async_add_executor_job(_recorded, bridge)
    log = [record.getMessage() for record in caplog.records]
    await hass.async_stop()  # the trace component stores its traces when Home Assistant stops
    saved = hass_storage["trace.saved_traces"]["data"]
    (trace,) = saved["automation.call_by_contacts"]
    assert trace["extended_dict"]["trace"]["action/0"]  # the connect step is in it
    return Kept(
        recorded_events=recorded,
        database=database,
        bus=bus,
        log=log,
        trace=[json.dumps(trace)],
    )


type Place = Callable[[str, str], Awaitable[Kept]]


@pytest.fixture
def place(
    recorder_mock: Recorder,
    bridge: Bridge,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> Place:
    """Place a call by automation, then gather what Home Assistant kept of it."""

    async def by_automation(party_a: str, party_b: str) -> Kept:
        return await place_by_automation(
            bridge, recorder_mock, hass_storage, caplog, party_a=party_a, party_b=party_b
        )

    return by_automation


@pytest.mark.parametrize("bridge_overrides", [{"contacts": CONTACTS}])
async def test_a_call_by_names_leaves_no_full_number_anywhere(bridge: Bridge, place: Place) -> None:
    kept = await place("alice", "bob")
    (connect,) = [
        data
        for kind, data in kept.recorded_events
        if kind == "call_service" and '"service":"connect"' in data
    ]
    assert '"party_a":"alice","party_b":"bob"' in connect
    assert len(bus_debug_line(kept, "alice")) == 1
    assert holding_a_full_number(kept.database) == []
    assert holding_a_full_number(kept.bus) == []
    assert holding_a_full_number(kept.log) == []
    assert holding_a_full_number(kept.trace) == []
    assert "alice" in kept.trace[0]  # the trace shows who was called, by name


async def test_a_call_by_numbers_leaves_them_in_the_recorder_trace_and_bus(
    place: Place,
) -> None:
    kept = await place("090-1111-2222", PARTY_B)
    # Measured: of all the rows in the database, exactly one holds the numbers, and it is
    # Home Assistant's own call_service event, outside the integration's masking.
    leaking = [(kind, data) for kind, data in kept.recorded_events if holding_a_full_number([data])]
    ((kind, data),) = leaking
    assert kind == "call_service"
    assert '"party_a":"090-1111-2222","party_b":"+819033334444"' in data
    assert holding_a_full_number(kept.database) != []
    for party in (PARTY_A, PARTY_B):
        for kept_lines in (kept.bus, kept.log, kept.trace):
            assert holding_a_full_number(kept_lines, (party,)) != []
    assert len(bus_debug_line(kept, "090-1111-2222")) == 1
