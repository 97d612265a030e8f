"""The flows that confirm a real person is on the line (DESIGN §7.1, §7.5): <Gather> on a
voicemail, a slow or quick presser (`digits_after`), whispers that refuse or accept the
bridge, and what each leg is billed."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from simulator.harness import Simulator
from simulator.scenario import Scenario, ScenarioError

from .conftest import SimFactory
from .support import (
    DIGITS,
    NUMBER,
    RATES,
    STANDARD_PARAMS,
    VOICEMAIL,
    A,
    App,
    B,
    Rest,
    base_scenario,
)

PROMPT = "x" * 36  # said in 3 s (about 12 characters a second)
CONFIRM = (
    "<Response><Gather numDigits='1' action='/confirmed' timeout='{timeout}'{extra}>"
    f"<Say>{PROMPT}</Say></Gather><Say>goodbye</Say><Hangup/></Response>"
)
PRESSER = "+819077778888"  # answers after 2 s, never hangs up; presses as the test says


def _confirm(timeout: int = 8, extra: str = "") -> str:
    return CONFIRM.format(timeout=timeout, extra=extra)


def _gather(attrs: str) -> str:
    return f"<Response><Gather {attrs}><Say>{PROMPT}</Say></Gather></Response>"


def _price(seconds: float, rate: str = RATES["mobile"]) -> str:
    return f"{-(math.ceil(seconds / 60) * Decimal(rate)):.5f}"


def _with_presser(**script: Any) -> dict[str, Any]:
    scenario = base_scenario()
    scenario["phones"][PRESSER] = {"answer_after": 2, "hangup_after": None, **script}
    return scenario


async def _call(rest: Rest, url: str, to: str) -> str:
    return str((await rest.create(To=to, From=NUMBER, Url=url))["sid"])


# ----------------------------------------------------------------------------- <Gather>


async def test_a_voicemail_presses_nothing_and_the_gather_falls_through(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _confirm(timeout=8))
    sid = await _call(rest, app.url("/answer"), VOICEMAIL)  # a machine answers after 2 s
    await sim.advance(2 + 3 + 8 - 0.1)
    assert sim.call(sid).status == "in-progress"  # still listening
    await sim.advance(0.1 + 1)  # timeout over, then "goodbye" (1 s) and <Hangup/>
    assert app.received("/confirmed") == []
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"]) == ("completed", str(3 + 8 + 1))
    assert call["price"] == _price(12)  # one started minute of leg A, nothing else
    assert sim.children(sid) == []


def test_a_voicemail_with_digits_is_refused() -> None:
    with pytest.raises(ScenarioError, match="voicemail presses no keys"):
        Scenario.from_mapping({"phones": {VOICEMAIL: {"behavior": "voicemail", "digits": "1"}}})


async def test_action_on_empty_result_requests_the_action_with_empty_digits(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _confirm(timeout=8, extra=" actionOnEmptyResult='true'"))
    app.on("/confirmed", "<Response><Hangup/></Response>")
    sid = await _call(rest, app.url("/answer"), VOICEMAIL)
    await sim.advance(2 + 3 + 8)
    [hit] = app.received("/confirmed")
    assert hit.at == 2 + 3 + 8
    assert (hit.params["Digits"], hit.params["FinishedOnKey"]) == ("", "")
    assert hit.signed()
    assert sim.call(sid).duration == 3 + 8


async def test_the_gather_action_carries_digits_and_the_calls_parameters(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on(
        "/answer", f"<Response><Gather action='/confirmed'><Say>{PROMPT}</Say></Gather></Response>"
    )
    app.on("/confirmed", "<Response><Hangup/></Response>")
    sid = await _call(rest, app.url("/answer"), DIGITS)  # presses 1234# after the prompt
    await sim.advance(1 + 3 + 5 * 0.5)
    [hit] = app.received("/confirmed")
    assert set(hit.params) == STANDARD_PARAMS | {"Digits", "FinishedOnKey"}
    assert (hit.params["Digits"], hit.params["FinishedOnKey"]) == ("1234", "#")
    assert hit.params["CallSid"] == sid
    assert (hit.params["CallStatus"], hit.params["Direction"]) == ("in-progress", "outbound-api")
    assert hit.at == 1 + 3 + 4 * 0.5  # the fifth key, '#', ends the input at once


@pytest.mark.parametrize("scenario", [_with_presser(digits="#")], ids=["hash"])
async def test_the_finish_key_alone_ends_the_gather(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _confirm())
    app.on("/confirmed", "<Response><Hangup/></Response>")
    await _call(rest, app.url("/answer"), PRESSER)
    await sim.advance(2 + 3)
    [hit] = app.received("/confirmed")
    assert (hit.params["Digits"], hit.params["FinishedOnKey"]) == ("#", "#")


@pytest.mark.parametrize("scenario", [_with_presser(digits="12")], ids=["two-keys"])
async def test_without_num_digits_input_ends_timeout_seconds_after_the_last_key(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _gather("action='/g' timeout='4'"))
    app.on("/g", "<Response><Hangup/></Response>")
    await _call(rest, app.url("/answer"), PRESSER)
    await sim.advance(30)
    [hit] = app.received("/g")
    assert (hit.params["Digits"], hit.params["FinishedOnKey"]) == ("12", "")
    assert hit.at == 2 + 3 + 0.5 + 4  # keys at 3 s and 3.5 s, then 4 s of silence


# ----------------------------------------------------------------------------- digits_after


@pytest.mark.parametrize(
    ("digits_after", "confirmed_at"),
    [
        (1, 1),  # during the prompt: the key cuts it short
        (3 + 8, 3 + 8),  # the last moment: prompt (3 s) + timeout (8 s)
        (3 + 8.5, None),  # too late: the <Gather> went on to "goodbye"
        (30, None),
    ],
    ids=["during-prompt", "last-moment", "just-late", "much-later"],
)
async def test_digits_after_against_the_gather_timeout(
    make_sim: SimFactory, digits_after: float, confirmed_at: float | None
) -> None:
    sim = await make_sim(_with_presser(digits="1", digits_after=digits_after))
    server = App(clock_now=sim.clock.now)
    await server.start()
    try:
        server.on("/answer", _confirm(timeout=8))
        server.on("/confirmed", "<Response><Pause length='60'/><Hangup/></Response>")
        async with aiohttp.ClientSession() as session:
            call = await _call(Rest(sim, session), server.url("/answer"), PRESSER)
        await sim.advance(2 + 80)
        hits = server.received("/confirmed")
        leg = sim.call(call)
        if confirmed_at is None:
            assert hits == []
            assert leg.duration == 3 + 8 + 1  # timeout, "goodbye", <Hangup/>
        else:
            [hit] = hits
            assert hit.params["Digits"] == "1"
            assert hit.at == 2 + confirmed_at
            assert leg.duration == confirmed_at + 60
    finally:
        await server.stop()


# ----------------------------------------------------------------------------- whispers


def _dial(whisper: str, to: str = B, attrs: str = "") -> str:
    return (
        f"<Response><Dial action='/dial-done' {attrs}><Number url='{whisper}'>{to}</Number>"
        "</Dial></Response>"
    )


async def test_a_whisper_that_hangs_up_is_not_bridged(sim: Simulator, rest: Rest, app: App) -> None:
    """B's leg: answered, hears the prompt, presses nothing, hears goodbye, hangs up."""
    app.on("/answer", _dial("/whisper"))
    app.on("/whisper", _confirm(timeout=5))
    app.on("/dial-done", "<Response><Say>sorry</Say><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"), A)  # A answers after 3 s
    await sim.advance(3 + 4 + 1)  # B answers 4 s later; its whisper is playing
    [child] = sim.children(parent)
    assert child.status == "in-progress"
    assert sim.call(parent).bridged_to is None  # A hears ringing meanwhile
    await sim.advance(3 + 5 + 1)  # prompt, timeout, "goodbye": B's leg hangs up
    [done] = app.received("/dial-done")
    assert done.params["CallSid"] == parent
    assert done.params["DialCallSid"] == child.sid
    assert done.params["DialCallStatus"] == "completed"  # B answered ...
    assert done.params["DialBridged"] == "false"  # ... but was never connected to A
    assert done.params["DialCallDuration"] == str(3 + 5 + 1)
    assert app.received("/confirmed") == []
    await sim.advance(2)
    statuses = [status for _, status in child.timeline]
    assert "whisper" in statuses
    assert "bridged" not in statuses
    a, b = await rest.fetch(parent), await rest.fetch(child.sid)
    assert (b["status"], b["duration"], b["price"]) == ("completed", "9", _price(9))
    assert (a["status"], a["duration"]) == ("completed", str(4 + 9 + 1))  # + "sorry"
    assert a["price"] == _price(14)


@pytest.mark.parametrize("scenario", [_with_presser(digits="1", digits_after=2)], ids=["b"])
async def test_a_whisper_whose_gather_gets_the_key_goes_on_to_the_bridge(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _dial("/whisper", to=PRESSER, attrs="timeLimit='60'"))
    app.on("/whisper", _confirm(timeout=5))
    app.on("/confirmed", "<Response><Say>connecting</Say></Response>")  # then the bridge
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"), A)
    await sim.advance(3 + 2 + 2)  # B answers 2 s after the dial, presses 1 two seconds later
    [child] = sim.children(parent)
    [confirmed] = app.received("/confirmed")
    assert confirmed.params["CallSid"] == child.sid
    assert confirmed.params["ParentCallSid"] == parent
    assert confirmed.params["Digits"] == "1"
    assert sim.call(parent).bridged_to is None  # "connecting" is still said to B
    await sim.advance(1)
    assert sim.call(parent).bridged_to == child.sid
    await sim.advance(60)  # the <Dial timeLimit> ends the bridge
    [done] = app.received("/dial-done")
    assert (done.params["DialCallStatus"], done.params["DialBridged"]) == ("completed", "true")
    assert done.params["DialCallDuration"] == str(2 + 1 + 60)
    statuses = [status for _, status in child.timeline]
    assert statuses.index("whisper") < statuses.index("bridged")
    a, b = await rest.fetch(parent), await rest.fetch(child.sid)
    assert (b["duration"], b["price"]) == ("63", _price(63))  # two started minutes
    assert (a["duration"], a["price"]) == ("65", _price(65))
