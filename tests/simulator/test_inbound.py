"""Inbound calls (DESIGN §7.2): a virtual phone calls an owned number, the simulator asks
the number's Voice URL, <Reject> refuses the call unanswered and unbilled, anything else
answers it. The Voice URL comes from the scenario or is set over REST as the SDK does it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.harness import Simulator
from simulator.numbers import number_sid
from simulator.scenario import NumberSettings, Scenario, ScenarioError

from .conftest import SimFactory
from .support import (
    ACCOUNT_SID,
    DIGITS,
    NUMBER,
    OTHER_NUMBER,
    STANDARD_PARAMS,
    A,
    App,
    B,
    Rest,
    base_scenario,
)

PN = number_sid(NUMBER)
HOLD = "<Response><Say>thank you for calling</Say><Pause length='600'/></Response>"


async def _route(aclient: Client, app: App, twiml: str, method: str = "POST") -> str:
    """Point NUMBER's Voice URL at the app, answering with `twiml`; return the URL."""
    url = app.on("/incoming", twiml)
    await aclient.incoming_phone_numbers(PN).update_async(voice_url=url, voice_method=method)
    return url


# ----------------------------------------------------------------------------- the number


async def test_the_sdk_sets_and_fetches_the_voice_url(
    sim: Simulator, aclient: Client, client: Client, app: App
) -> None:
    before = await aclient.incoming_phone_numbers(PN).fetch_async()
    assert (before.phone_number, before.voice_url, before.voice_method) == (NUMBER, None, "POST")
    await sim.advance(30)
    url = app.url("/incoming")
    updated = await aclient.incoming_phone_numbers(PN).update_async(
        voice_url=url, voice_method="GET", status_callback=app.url("/status")
    )
    assert (updated.sid, updated.voice_url, updated.voice_method) == (PN, url, "GET")
    assert updated.status_callback == app.url("/status")
    assert updated.date_updated > before.date_updated
    fetched = await asyncio.to_thread(client.incoming_phone_numbers(PN).fetch)
    assert (fetched.voice_url, fetched.voice_method) == (url, "GET")
    [listed] = await aclient.incoming_phone_numbers.list_async(phone_number=NUMBER)
    assert listed.voice_url == url
    cleared = await asyncio.to_thread(client.incoming_phone_numbers(PN).update, voice_url="")
    assert cleared.voice_url is None
    assert cleared.voice_method == "GET"  # only what the request names changes


async def test_an_unknown_number_sid_is_20404(sim: Simulator, aclient: Client) -> None:
    unknown = "PN" + "0" * 32
    for call in (
        aclient.incoming_phone_numbers(unknown).fetch_async(),
        aclient.incoming_phone_numbers(unknown).update_async(voice_url="https://x.example/"),
    ):
        with pytest.raises(TwilioRestException) as caught:
            await call
        assert (caught.value.status, caught.value.code) == (404, 20404)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"VoiceUrl": "ftp://example.com/voice"}, 21402),
        ({"VoiceUrl": "https://ok.example/", "VoiceMethod": "PUT"}, 21403),
        ({"StatusCallback": "not a url"}, 21402),
    ],
)
async def test_a_bad_voice_url_or_method_is_refused_and_changes_nothing(
    sim: Simulator, rest: Rest, form: dict[str, str], code: int
) -> None:
    status, body = await rest.request("POST", f"/IncomingPhoneNumbers/{PN}.json", data=form)
    assert (status, body and body["code"]) == (400, code)
    assert sim.engine.numbers.get(PN).settings == NumberSettings()


async def test_injected_errors_on_the_number(sim: Simulator, aclient: Client) -> None:
    sim.inject_api_error("incoming_phone_numbers.update", 429)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.incoming_phone_numbers(PN).update_async(voice_url="https://x.example/")
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert sim.engine.numbers.get(PN).settings.voice_url is None


# ----------------------------------------------------------------------------- the call


async def test_an_inbound_call_asks_the_voice_url_with_twilios_inbound_parameters(
    sim: Simulator, rest: Rest, aclient: Client, app: App
) -> None:
    await _route(aclient, app, HOLD)
    sid = await sim.dial(A, NUMBER)
    assert app.received() == []  # asked on the clock, not inside the dial request
    await sim.advance(0)
    [hit] = app.received("/incoming")
    assert hit.method == "POST"
    assert hit.signed()
    assert set(hit.params) == STANDARD_PARAMS
    params = hit.params
    assert params["CallSid"] == sid
    assert (params["Direction"], params["CallStatus"]) == ("inbound", "ringing")
    assert (params["From"], params["Caller"], params["FromCountry"]) == (A, A, "JP")
    assert (params["To"], params["Called"], params["ToCountry"]) == (NUMBER, NUMBER, "JP")
    assert (params["AccountSid"], params["ApiVersion"]) == (ACCOUNT_SID, "2010-04-01")
    call = await rest.fetch(sid)
    assert (call["direction"], call["from"], call["to"]) == ("inbound", A, NUMBER)
    assert call["phone_number_sid"] == PN
    assert call["status"] == "in-progress"  # <Say> answered it


async def test_a_get_voice_url_is_signed_with_its_query(
    sim: Simulator, aclient: Client, app: App
) -> None:
    await _route(aclient, app, HOLD, method="GET")
    await sim.dial(A, NUMBER)
    await sim.advance(0)
    [hit] = app.received("/incoming")
    assert hit.method == "GET"
    assert hit.query["Direction"] == "inbound"
    assert hit.signed()


@pytest.mark.parametrize(
    ("twiml", "status", "sip"),
    [
        ("<Reject reason='busy'/>", "busy", "486"),
        ("<Reject/>", "no-answer", "603"),  # reason="rejected" is the default
        ("<Reject reason='rejected'/><Say>never said</Say>", "no-answer", "603"),
        ("<Pause length='4'/><Reject reason='busy'/>", "busy", "486"),  # still ringing
        ("<Hangup/>", "no-answer", "603"),
    ],
    ids=["busy", "default", "rejected", "after-pause", "hangup"],
)
async def test_reject_first_ends_the_call_unanswered_and_unbilled(
    sim: Simulator, rest: Rest, aclient: Client, app: App, *, twiml: str, status: str, sip: str
) -> None:
    await _route(aclient, app, f"<Response>{twiml}</Response>")
    await aclient.incoming_phone_numbers(PN).update_async(status_callback=app.url("/status"))
    sid = await sim.dial(A, NUMBER)
    await sim.advance(10)
    leg = sim.call(sid)
    assert leg.answered_at is None
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"], call["price"]) == (status, None, "0.00000")
    [completed] = app.callbacks("/status", sid)  # the number's StatusCallback
    assert (completed["CallStatus"], completed["Direction"]) == (status, "inbound")
    assert (completed["CallDuration"], completed["Duration"]) == ("0", "0")
    assert completed["SipResponseCode"] == sip
    assert "in-progress" not in [s for _, s in leg.timeline]


@pytest.mark.parametrize(
    "scenario", [{**base_scenario(), "rates": {"currency": "JPY", "inbound": 2.5}}]
)
async def test_any_other_twiml_answers_the_call_and_it_is_billed(
    sim: Simulator, rest: Rest, aclient: Client, app: App
) -> None:
    await _route(
        aclient, app, "<Response><Pause length='4'/><Say>hello</Say><Pause length='90'/></Response>"
    )
    sid = await sim.dial(A, NUMBER)  # A never hangs up by itself
    await sim.advance(3.9)
    assert sim.call(sid).status == "ringing"  # a leading <Pause> does not pick up
    await sim.advance(0.1)
    assert sim.call(sid).status == "in-progress"
    await sim.advance(1 + 90)
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"]) == ("completed", "91")
    assert (call["price"], call["price_unit"]) == ("-5.00000", "JPY")  # 2 minutes at 2.5


async def test_the_caller_hangs_up_after_its_script_says(
    sim: Simulator, rest: Rest, aclient: Client, app: App
) -> None:
    await _route(aclient, app, HOLD)
    sid = await sim.dial(B, NUMBER)  # B hangs up 93 s after the answer
    await sim.advance(100)
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"]) == ("completed", "93")


async def test_the_caller_presses_its_digits_into_a_gather(
    sim: Simulator, aclient: Client, app: App
) -> None:
    await _route(aclient, app, "<Response><Gather numDigits='2' action='/menu'/></Response>")
    app.on("/menu", "<Response><Hangup/></Response>")
    await sim.dial(DIGITS, NUMBER)
    await sim.advance(5)
    [menu] = app.received("/menu")
    assert (menu.params["Digits"], menu.params["Direction"]) == ("12", "inbound")


@pytest.mark.parametrize(("caller_id", "country"), [("anonymous", ""), ("+266696687", "LS")])
async def test_a_withheld_caller_id_as_the_dial_request_chooses(
    sim: Simulator, aclient: Client, app: App, caller_id: str, country: str
) -> None:
    await _route(aclient, app, "<Response><Reject/></Response>")
    sid = await sim.dial(B, NUMBER, caller_id=caller_id)
    await sim.advance(0)
    [hit] = app.received("/incoming")
    assert (hit.params["From"], hit.params["Caller"]) == (caller_id, caller_id)
    assert hit.params["FromCountry"] == country
    assert hit.signed()
    assert sim.call(sid).from_ == caller_id


async def test_a_number_without_a_voice_url_is_out_of_service(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sid = await sim.dial(A, OTHER_NUMBER)
    await sim.advance(5)
    assert app.received() == []
    assert sim.exchanges() == []
    call = await rest.fetch(sid)
    assert (call["status"], call["price"]) == ("no-answer", "0.00000")


async def test_a_failing_voice_url_fails_the_call(
    sim: Simulator, rest: Rest, aclient: Client, app: App
) -> None:
    url = app.on("/incoming", "oops", status=500)
    await aclient.incoming_phone_numbers(PN).update_async(voice_url=url)
    sid = await sim.dial(A, NUMBER)
    await sim.advance(1)
    assert (await rest.fetch(sid))["status"] == "failed"
    assert [e.code for e in sim.call(sid).errors] == [11200]


# ----------------------------------------------------------------------------- /_sim/dial


async def test_post_sim_dial_starts_an_inbound_call(
    sim: Simulator, aclient: Client, app: App
) -> None:
    await _route(aclient, app, "<Response><Reject reason='busy'/></Response>")
    async with aiohttp.ClientSession() as session:
        body = {"from": A, "to": NUMBER, "caller_id": "anonymous"}
        async with session.post(f"{sim.url}/_sim/dial", json=body) as response:
            assert response.status == 201
            call = await response.json()
    assert (call["direction"], call["from"], call["to"]) == ("inbound", "anonymous", NUMBER)
    assert call["status"] == "ringing"
    await sim.advance(1)
    assert sim.call(call["sid"]).status == "busy"


@pytest.mark.parametrize(
    "body",
    [
        b'{"from": "+819011112222", "to": "+819033334444"}',  # not an owned number
        b'{"to": "+815012345678"}',
        b"[]",
        b"not json",
        b"\xff",
    ],
)
async def test_post_sim_dial_refuses_bad_requests(sim: Simulator, body: bytes) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.url}/_sim/dial", data=body) as response,
    ):
        assert response.status == 400
        assert "error" in await response.json()
    assert sim.calls == []


async def test_inbound_calls_on_the_inspector(sim: Simulator, aclient: Client, app: App) -> None:
    await _route(aclient, app, "<Response><Reject/></Response>")
    sid = await sim.dial(A, NUMBER)
    await sim.advance(1)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.url}/_sim/calls") as response:
            [call] = (await response.json())["calls"]
        async with session.get(f"{sim.url}/_sim/") as response:
            page = await response.text()
    assert (call["sid"], call["direction"], call["status"]) == (sid, "inbound", "no-answer")
    assert [e["kind"] for e in call["exchanges"]] == ["voice"]
    assert f"{sid} ← {A} to {NUMBER} · inbound" in page


# ----------------------------------------------------------------------------- the scenario


def _as_mapping(url: str) -> dict[str, Any]:
    return {NUMBER: {"voice_url": url, "voice_method": "GET"}, OTHER_NUMBER: None}


def _as_list(url: str) -> list[Any]:
    return [{"number": NUMBER, "voice_url": url, "voice_method": "get"}, OTHER_NUMBER]


@pytest.mark.parametrize("numbers", [_as_mapping, _as_list], ids=["mapping", "list-of-objects"])
async def test_the_scenario_sets_the_voice_url(
    make_sim: SimFactory, numbers: Callable[[str], Any]
) -> None:
    server = App()
    await server.start()
    url = server.on("/incoming", "<Response><Reject/></Response>")
    try:
        sim = await make_sim({**base_scenario(), "numbers": numbers(url)})
        assert sim.scenario.numbers == (NUMBER, OTHER_NUMBER)
        async with aiohttp.ClientSession() as session:
            rest = Rest(sim, session)
            status, body = await rest.request("GET", "/IncomingPhoneNumbers.json")
            assert status == 200
            assert body is not None
            voice = [(n["voice_url"], n["voice_method"]) for n in body["incoming_phone_numbers"]]
            assert voice == [(url, "GET"), (None, "POST")]
            await sim.dial(A, NUMBER)
            await sim.advance(1)
            [hit] = server.received("/incoming")
            assert hit.method == "GET"
            await rest.request("POST", f"/IncomingPhoneNumbers/{PN}.json", data={"VoiceUrl": ""})
            assert sim.engine.numbers.get(PN).settings.voice_url is None
            await sim.reset()  # the scenario's settings come back
            assert sim.engine.numbers.get(PN).settings.voice_url == url
    finally:
        await server.stop()


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ({NUMBER: {"voice_url": "ftp://x"}}, "voice_url must be an http"),
        ({NUMBER: {"voice_method": "PUT"}}, "voice_method must be GET or POST"),
        ({NUMBER: {"sms_url": "https://x"}}, "unknown keys of number"),
        ([{"voice_url": "https://x"}], "a number without its number"),
        ("+815012345678", "numbers must be a list or a mapping"),
    ],
)
def test_bad_number_settings_are_refused(numbers: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_mapping({"numbers": numbers})
