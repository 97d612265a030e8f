"""connect refuses bad input with a translated error and places no call."""

from __future__ import annotations

import dataclasses

import pytest
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .conftest import PARTY_A, PARTY_B, Bridge


@pytest.mark.parametrize(
    ("party_a", "party_b", "key", "message"),
    [
        ("090-1111", PARTY_B, "invalid_number", "party_a is not a valid phone number"),
        (PARTY_A, "090-3333-444x", "invalid_number", "party_b is not a valid phone number"),
        (PARTY_A, "0570-123-456", "unsupported_number", "party_b (+81 570-***-456) is a "),
        (PARTY_A, "0990-123-456", "unsupported_number", "premium-rate"),
        ("090-1111-2222", PARTY_A, "same_number", "party_a and party_b are the same number"),
        (PARTY_A, "+14155550100", "destination_not_allowed", "outside allowed_prefixes"),
    ],
)
async def test_invalid_parties_are_refused(
    bridge: Bridge, party_a: str, party_b: str, key: str, message: str
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect(party_a, party_b)
    assert raised.value.translation_key == key
    assert message in str(raised.value)
    assert bridge.sim.calls == []
    assert await bridge.calls() == []


@pytest.mark.parametrize("bridge_overrides", [{"blocked_prefixes": ["+8190333"]}])
async def test_blocked_prefix_is_refused(bridge: Bridge) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect(PARTY_A, PARTY_B)
    assert raised.value.translation_key == "destination_blocked"
    assert "party_b (+81 90-****-4444) matches blocked_prefixes" in str(raised.value)
    assert bridge.sim.calls == []


@pytest.mark.parametrize("bridge_overrides", [{"max_concurrent_calls": 1}])
async def test_max_concurrent_calls(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect("090-5555-6666", "090-7777-8888")
    assert raised.value.translation_key == "too_many_calls"
    assert "max_concurrent_calls is 1" in str(raised.value)
    assert len(bridge.sim.calls) == 1
    # Once the first call is over, a new one may be placed.
    await bridge.play_out()
    await bridge.connect("090-5555-6666", "090-7777-8888")
    assert len([c for c in bridge.sim.calls if c.parent_sid is None]) == 2


@pytest.mark.parametrize("bridge_overrides", [{"monthly_budget": 50}])
async def test_monthly_budget(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()  # 64.8 JPY: the budget of 50 is now spent
    assert float(bridge.hass.states.get("sensor.twilio_bridge_cost_this_month").state) == 64.8
    with pytest.raises(ServiceValidationError) as raised:
        await bridge.connect(PARTY_A, PARTY_B)
    assert raised.value.translation_key == "budget_reached"
    assert "50 JPY" in str(raised.value)
    assert len([c for c in bridge.sim.calls if c.parent_sid is None]) == 1


@pytest.mark.parametrize(("status", "code"), [(500, "20500"), (429, "20429"), (401, "20003")])
async def test_twilio_errors_become_translated_errors_and_are_not_retried(
    bridge: Bridge, status: int, code: str
) -> None:
    bridge.sim.inject_api_error("calls.create", status, times=1)
    with pytest.raises(HomeAssistantError) as raised:
        await bridge.connect(PARTY_A, PARTY_B)
    assert raised.value.translation_key == "twilio_error"
    assert f"error {code}" in str(raised.value)
    # One request, refused: no call exists and nothing was retried behind the user's back.
    assert bridge.sim.calls == []
    assert await bridge.calls() == []
    assert bridge.hass.states.get("sensor.twilio_bridge_calls_this_month").state == "0"


async def test_simulator_rejection_names_twilio_code(bridge: Bridge) -> None:
    # A valid Japanese number the account may not call (geo permissions) is refused by Twilio.
    bridge.sim.engine.scenario = dataclasses.replace(
        bridge.sim.scenario, allowed_destinations=("+8190333",)
    )
    with pytest.raises(HomeAssistantError) as raised:
        await bridge.connect(PARTY_A, PARTY_B)
    assert "error 21215" in str(raised.value)
