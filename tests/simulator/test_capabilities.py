"""Per-number capabilities: reported in IncomingPhoneNumbers, and a number that is not
voice-capable neither places nor takes calls."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.harness import Simulator
from simulator.scenario import Capabilities, Scenario, ScenarioError

from .support import NUMBER, A, Rest, base_scenario

SMS_ONLY = "+815033334444"
HOLD = "<Response><Pause length='60'/></Response>"


@pytest.fixture
def scenario() -> dict[str, Any]:
    """The account owns a voice number and an SMS-only one."""
    return {
        **base_scenario(),
        "numbers": [NUMBER, {"number": SMS_ONLY, "capabilities": {"voice": False, "sms": True}}],
    }


async def test_capabilities_are_reported_per_number(
    sim: Simulator, rest: Rest, aclient: Client, client: Client
) -> None:
    status, body = await rest.request("GET", "/IncomingPhoneNumbers.json")
    assert status == 200
    assert body is not None
    assert {n["phone_number"]: n["capabilities"] for n in body["incoming_phone_numbers"]} == {
        NUMBER: {"voice": True, "sms": False, "mms": False, "fax": False},  # the default
        SMS_ONLY: {"voice": False, "sms": True, "mms": False, "fax": False},
    }
    (number,) = await aclient.incoming_phone_numbers.list_async(phone_number=SMS_ONLY)
    assert number.capabilities == {"voice": False, "sms": True, "mms": False, "fax": False}
    fetched = await asyncio.to_thread(client.incoming_phone_numbers(number.sid).fetch)
    assert fetched.capabilities["voice"] is False


async def test_a_number_without_voice_places_no_call(
    sim: Simulator, aclient: Client, client: Client
) -> None:
    with pytest.raises(TwilioRestException) as async_error:
        await aclient.calls.create_async(to=A, from_=SMS_ONLY, twiml=HOLD)
    with pytest.raises(TwilioRestException) as sync_error:
        await asyncio.to_thread(client.calls.create, to=A, from_=SMS_ONLY, twiml=HOLD)
    for error in (async_error.value, sync_error.value):
        assert (error.status, error.code) == (400, 21210)
        assert f"{SMS_ONLY} is not a voice-capable Twilio number" in error.msg
    assert sim.calls == []
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)
    assert call.status == "queued"  # the voice number still calls


async def test_a_number_without_voice_takes_no_call(sim: Simulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.url}/_sim/dial", json={"from": A, "to": SMS_ONLY}) as response,
    ):
        assert response.status == 400
        assert "not voice-capable" in (await response.json())["error"]
    assert sim.calls == []


async def test_capabilities_survive_a_reset(sim: Simulator) -> None:
    await sim.reset()
    number = sim.engine.numbers.owner_of(SMS_ONLY)
    assert number is not None
    assert number.capabilities == Capabilities(voice=False, sms=True)


def test_capabilities_in_the_mapping_form() -> None:
    scenario = Scenario.from_mapping(
        {"numbers": {NUMBER: {"voice_url": "https://x.example/in", "capabilities": {"fax": 1}}}}
    )
    assert scenario.capabilities(NUMBER) == Capabilities(fax=True)
    assert scenario.settings(NUMBER).voice_url == "https://x.example/in"
    assert Scenario.from_mapping({"numbers": [NUMBER]}).capabilities(NUMBER) == Capabilities()


@pytest.mark.parametrize(
    ("capabilities", "message"),
    [
        ({"video": True}, "unknown capabilities of number"),
        ({"voice": "no"}, "capabilities.voice must be true or false"),
        (["voice"], "capabilities of number .* must be a mapping"),
    ],
)
def test_bad_capabilities_are_refused(capabilities: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_mapping({"numbers": [{"number": NUMBER, "capabilities": capabilities}]})
