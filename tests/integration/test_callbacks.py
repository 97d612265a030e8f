"""Call-backs on the one number: a recent party who calls is rejected (free) and called back.

End to end: the simulator's virtual phone dials the Twilio number, the simulator requests the
number's Voice URL (set by `manage_number` over the REST API, as the SDK does it), signed like
every webhook; Home Assistant answers TwiML and places the call-back through the SDK.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.twilio_bridge.const import DOMAIN, EVENT_CALLBACK, EVENT_CALLBACK_REFUSED
from custom_components.twilio_bridge.core.numbers import mask_number
from custom_components.twilio_bridge.logbook import describe
from custom_components.twilio_bridge.runtime import TwilioBridgeData, loaded_runtime
from custom_components.twilio_bridge.voice_url import ISSUE_VOICE_URL, async_sync_voice_url

from .conftest import PARTY_A, PARTY_B, SCENARIO, TWILIO_NUMBER, Bridge
from .test_protocol_defects import send
from .test_webhook_attacks import post

PREVIOUS_VOICE_URL = "https://example.com/old-voice-app"
CALLBACK = {"callback": True, "manage_number": True}


@pytest.fixture
def scenario() -> dict[str, Any]:
    # The number's Voice URL points at another app before Home Assistant manages it.
    return {**SCENARIO, "numbers": [{"number": TWILIO_NUMBER, "voice_url": PREVIOUS_VOICE_URL}]}


def runtime_of(bridge: Bridge) -> TwilioBridgeData:
    runtime = loaded_runtime(bridge.hass)
    assert runtime is not None
    return runtime


def number_settings(bridge: Bridge) -> Any:
    number = bridge.sim.engine.numbers.owner_of(TWILIO_NUMBER)
    assert number is not None
    return number.settings


async def first_call(bridge: Bridge) -> str:
    call_id = (await bridge.connect(PARTY_A, PARTY_B))["call_id"]
    await bridge.play_out()
    return str(call_id)


async def call_the_number(bridge: Bridge, caller: str, **extra: Any) -> str:
    """`caller` dials the Twilio number; Home Assistant's call-back timer then fires."""
    sid = await bridge.sim.dial(caller, TWILIO_NUMBER, **extra)
    await bridge.sim.advance(1)
    await bridge.hass.async_block_till_done()
    return sid


async def let_the_callback_start(bridge: Bridge, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(bridge.hass)
    await bridge.hass.async_block_till_done()
    await bridge.play_out()


def incoming_answers(bridge: Bridge) -> list[str]:
    return [e.body for e in bridge.sim.exchanges() if e.url.endswith("/incoming")]


@pytest.mark.parametrize("bridge_overrides", [CALLBACK])
async def test_a_recent_party_calls_back_free_and_is_connected_to_the_other(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    assert number_settings(bridge).voice_url == f"{bridge.base_url}/api/twilio_bridge/incoming"
    original = await first_call(bridge)
    inbound = await call_the_number(bridge, PARTY_B)
    (answer,) = incoming_answers(bridge)
    assert '<Reject reason="busy"' in answer
    leg = bridge.sim.call(inbound)
    assert (leg.status, leg.direction, leg.answered_at) == ("busy", "inbound", None)
    assert not leg.price  # never answered: nothing billed
    await let_the_callback_start(bridge, freezer)
    newest, _ = await bridge.calls()
    assert newest["callback_of"] == original
    # The caller first (they are at the phone), then the other party of their last call.
    assert (newest["party_a"], newest["party_b"]) == (mask_number(PARTY_B), mask_number(PARTY_A))
    # The caller (PARTY_B) hangs up 93 s after answering; the other answered 3 s into that.
    assert (newest["outcome"], newest["duration"]) == ("completed", 90)
    (called_back,) = bridge.events[EVENT_CALLBACK]
    assert called_back["call_id"] == newest["call_id"]
    assert called_back["callback_of"] == original
    assert describe(bridge.hass, EVENT_CALLBACK, called_back) == (
        f"{mask_number(PARTY_B)} called the number: called them back, for {mask_number(PARTY_A)}"
    )
    # Two outbound legs are billed; the rejected inbound call is not.
    billed = {c.sid for c in bridge.sim.calls if c.price}
    assert inbound not in billed
    assert len(billed) == 4  # the first call's two legs and the call-back's two


@pytest.mark.parametrize("bridge_overrides", [CALLBACK])
@pytest.mark.parametrize(
    ("caller", "caller_id"),
    [
        ("+819055556666", None),  # a stranger
        (PARTY_B, "anonymous"),  # a recent party with the caller ID withheld
        (PARTY_B, "+266696687"),  # Twilio's stand-in for a withheld number
    ],
)
async def test_anyone_else_is_rejected_and_nothing_is_placed(
    bridge: Bridge, freezer: FrozenDateTimeFactory, caller: str, caller_id: str | None
) -> None:
    await first_call(bridge)
    extra = {"caller_id": caller_id} if caller_id else {}
    await call_the_number(bridge, caller, **extra)
    (answer,) = incoming_answers(bridge)
    assert "<Reject" in answer
    assert "busy" not in answer
    await let_the_callback_start(bridge, freezer)
    assert len(await bridge.calls()) == 1
    assert bridge.events[EVENT_CALLBACK] == []


@pytest.mark.parametrize("bridge_overrides", [{**CALLBACK, "callback_window": 60}])
async def test_a_party_whose_window_has_passed_is_rejected(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await first_call(bridge)
    freezer.tick(timedelta(seconds=61))
    await call_the_number(bridge, PARTY_A)
    assert "busy" not in incoming_answers(bridge)[0]
    await let_the_callback_start(bridge, freezer)
    assert len(await bridge.calls()) == 1


@pytest.mark.parametrize("bridge_overrides", [{**CALLBACK, "monthly_budget": 10}])
async def test_the_budget_reached_refuses_the_call_back_and_says_why(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    original = await first_call(bridge)  # 64.8 JPY: over the budget of 10
    await call_the_number(bridge, PARTY_B)
    await let_the_callback_start(bridge, freezer)
    assert len(await bridge.calls()) == 1
    (refused,) = bridge.events[EVENT_CALLBACK_REFUSED]
    assert {key: refused[key] for key in ("caller", "callback_of", "reason")} == {
        "caller": mask_number(PARTY_B),
        "callback_of": original,
        "reason": "budget_reached",
    }
    line = describe(bridge.hass, EVENT_CALLBACK_REFUSED, refused)
    assert line == (
        f"did not call {mask_number(PARTY_B)} back: this month's cost has reached monthly_budget"
    )


@pytest.mark.parametrize("bridge_overrides", [CALLBACK])
async def test_calling_three_times_places_one_call_back(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await first_call(bridge)
    for _ in range(3):
        await call_the_number(bridge, PARTY_B)
    assert all('reason="busy"' in body for body in incoming_answers(bridge))
    await let_the_callback_start(bridge, freezer)
    assert len(await bridge.calls()) == 2
    assert len(bridge.events[EVENT_CALLBACK]) == 1


@pytest.mark.parametrize("bridge_overrides", [CALLBACK])
async def test_a_forged_or_garbage_incoming_webhook(bridge: Bridge) -> None:
    url = f"{bridge.base_url}/api/twilio_bridge/incoming"
    assert (await post(url, {"CallSid": "CA" + "0" * 32, "From": PARTY_B}))[0] == 403
    for params in ({}, {"CallSid": "nope", "From": PARTY_B}, {"CallSid": "CA" + "1" * 32}):
        status, body = await send(bridge, "incoming", params)
        assert status == 200
        assert "<Reject" in body
    status, body = await send(bridge, "incoming", {"CallSid": "CA" + "2" * 32, "From": "12"})
    assert (status, "busy" in body) == (200, False)
    assert len(await bridge.calls()) == 0


@pytest.mark.parametrize("bridge_overrides", [CALLBACK])
async def test_manage_number_sets_and_restores_the_voice_url(bridge: Bridge) -> None:
    incoming = f"{bridge.base_url}/api/twilio_bridge/incoming"
    assert number_settings(bridge).voice_url == incoming
    runtime = runtime_of(bridge)
    config = runtime.config
    # A second setup keeps the first previous value (not its own URL).
    api = runtime.manager.api
    number = await api.find_number(TWILIO_NUMBER)
    assert number is not None
    await async_sync_voice_url(bridge.hass, config, api, number)
    assert number_settings(bridge).voice_url == incoming
    # manage_number turned off: the previous Voice URL comes back.
    unmanaged = replace(config, manage_number=False, callback=False)
    await async_sync_voice_url(bridge.hass, unmanaged, api, number)
    assert number_settings(bridge).voice_url == PREVIOUS_VOICE_URL


@pytest.mark.parametrize("bridge_overrides", [{"callback": True}])
async def test_an_unmanaged_number_pointing_elsewhere_raises_a_repair(bridge: Bridge) -> None:
    issue = ir.async_get(bridge.hass).async_get_issue(DOMAIN, ISSUE_VOICE_URL)
    assert issue is not None
    assert issue.translation_placeholders == {
        "url": f"{bridge.base_url}/api/twilio_bridge/incoming"
    }
    assert number_settings(bridge).voice_url == PREVIOUS_VOICE_URL  # left as it was


@pytest.mark.parametrize(
    "bridge_overrides", [{**CALLBACK, "contacts": {"alice": PARTY_A, "bob": PARTY_B}}]
)
async def test_a_call_back_keeps_the_contact_names(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await bridge.connect("alice", "bob")
    await bridge.play_out()
    await call_the_number(bridge, PARTY_B)
    await let_the_callback_start(bridge, freezer)
    newest, _ = await bridge.calls()
    assert (newest["party_a_name"], newest["party_b_name"]) == ("bob", "alice")
