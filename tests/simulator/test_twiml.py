"""The TwiML engine: verbs, <Dial> with child legs and whispers, and webhook failures."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest

from simulator.harness import Simulator
from simulator.models import Leg

from .support import (
    ALL_EVENTS,
    BUSY,
    DIGITS,
    FAIL,
    NO_ANSWER,
    NUMBER,
    A,
    App,
    B,
    Hit,
    Rest,
    base_scenario,
)

CALLER_ID = "+815011112222"


async def _call(rest: Rest, url: str, to: str = A, **extra: Any) -> str:
    body = await rest.create(To=to, From=NUMBER, Url=url, **extra)
    return str(body["sid"])


def _leg(sim: Simulator, sid: str) -> Leg:
    return sim.call(sid)


# ----------------------------------------------------------------------------- simple verbs


async def test_say_play_pause_take_time_on_the_clock(sim: Simulator, rest: Rest, app: App) -> None:
    text = "x" * 36  # about 12 characters a second: 3 s
    twiml = f"<Response><Say>{text}</Say><Play>https://a/b.mp3</Play><Pause length='7'/></Response>"
    sid = await _call(rest, app.on("/answer", twiml))
    await sim.advance(3)  # A answers at 3 s
    expected = 3 + 5 + 7  # Say 3 s, Play 5 s, Pause 7 s
    await sim.advance(expected - 0.5)
    assert _leg(sim, sid).status == "in-progress"
    await sim.advance(0.5)
    assert _leg(sim, sid).status == "completed"
    assert _leg(sim, sid).duration == expected


async def test_say_loop_and_pause_default(sim: Simulator, rest: Rest, app: App) -> None:
    twiml = "<Response><Say loop='3'>hello there</Say><Pause/></Response>"  # 3 x 1 s + 1 s
    sid = await _call(rest, app.on("/answer", twiml))
    await sim.advance(3 + 4)
    assert _leg(sim, sid).duration == 4


async def test_hangup_stops_the_document(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app.on("/answer", "<Response><Hangup/><Say>never</Say></Response>"))
    await sim.advance(3)
    leg = _leg(sim, sid)
    assert (leg.status, leg.duration) == ("completed", 0)


async def test_reject_ends_the_call(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app.on("/answer", "<Response><Reject/><Pause/></Response>"))
    await sim.advance(3)
    assert _leg(sim, sid).ended


async def test_redirect_resolves_relative_urls_and_uses_its_method(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", "<Response><Redirect method='GET'>next?step=2</Redirect></Response>")
    app.on("/next", "<Response><Pause length='4'/></Response>")
    sid = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4)
    [hit] = app.received("/next")
    assert hit.method == "GET"
    assert hit.query["step"] == "2"
    assert hit.params["CallSid"] == sid
    assert hit.signed()
    assert _leg(sim, sid).duration == 4


# ----------------------------------------------------------------------------- <Gather>


async def test_gather_posts_the_phones_digits_to_action(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on(
        "/answer",
        "<Response><Gather action='/gathered' timeout='5'><Say>press</Say></Gather>"
        "<Say>no input</Say></Response>",
    )
    app.on("/gathered", "<Response><Hangup/></Response>")
    sid = await _call(rest, app.url("/answer"), to=DIGITS)
    await sim.advance(30)
    [hit] = app.received("/gathered")
    assert hit.method == "POST"
    assert hit.params["Digits"] == "1234"  # pressed 1234#, # finishes
    assert hit.params["FinishedOnKey"] == "#"
    assert hit.params["CallSid"] == sid
    assert hit.signed()
    assert _leg(sim, sid).status == "completed"


async def test_gather_num_digits_and_default_action(sim: Simulator, rest: Rest, app: App) -> None:
    answer = app.on(
        "/answer",
        lambda hit: (
            "<Response><Hangup/></Response>"
            if "Digits" in hit.params
            else "<Response><Gather numDigits='2' method='GET'/></Response>"
        ),
    )
    await _call(rest, answer, to=DIGITS)
    await sim.advance(30)
    hits = app.received("/answer")
    assert [hit.method for hit in hits] == ["POST", "GET"]  # no action: the document URL
    assert hits[1].params["Digits"] == "12"
    assert hits[1].params["FinishedOnKey"] == ""


async def test_gather_without_digits_falls_through(sim: Simulator, rest: Rest, app: App) -> None:
    app.on(
        "/answer",
        "<Response><Gather action='/gathered' timeout='6'><Pause length='2'/></Gather>"
        "<Pause length='10'/></Response>",
    )
    sid = await _call(rest, app.url("/answer"))  # A presses nothing
    await sim.advance(3 + 2 + 6 + 10)
    assert app.received("/gathered") == []
    leg = _leg(sim, sid)
    assert (leg.status, leg.duration) == ("completed", 2 + 6 + 10)


# ----------------------------------------------------------------------------- <Dial>


def _dial(
    number: str = B,
    *,
    whisper: str | None = None,
    attrs: str = "",
    number_attrs: str = "",
    after: str = "",
) -> str:
    url = f" url='{whisper}'" if whisper else ""
    return (
        f"<Response><Dial {attrs}><Number{url} {number_attrs}>{number}</Number></Dial>"
        f"{after}</Response>"
    )


async def test_dial_bridges_and_reports_to_action(sim: Simulator, rest: Rest, app: App) -> None:
    status_b = app.url("/status-b")
    app.on(
        "/answer",
        _dial(
            attrs=f"action='/dial-done' method='POST' timeout='20' timeLimit='600' "
            f"callerId='{CALLER_ID}'",
            number_attrs=f"statusCallback='{status_b}' "
            f"statusCallbackEvent='{' '.join(ALL_EVENTS)}'",
        ),
    )
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4 + 93 + 1)  # A answers, B answers after 4 s and talks 93 s

    [child] = sim.children(parent)
    assert child.direction == "outbound-dial"
    assert child.parent_sid == parent
    assert child.from_ == CALLER_ID  # callerId
    assert child.to == B
    callbacks = app.callbacks("/status-b")
    assert [c["CallStatus"] for c in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    for params in callbacks:
        assert params["CallSid"] == child.sid
        assert params["ParentCallSid"] == parent
        assert params["Direction"] == "outbound-dial"
        assert params["From"] == CALLER_ID
    [done] = app.received("/dial-done")
    assert done.params["CallSid"] == parent
    assert done.params["CallStatus"] == "in-progress"
    assert done.params["DialCallStatus"] == "completed"
    assert done.params["DialCallSid"] == child.sid
    assert done.params["DialCallDuration"] == "93"
    assert done.params["DialBridged"] == "true"
    assert done.signed()
    leg = _leg(sim, parent)
    assert leg.status == "completed"
    assert leg.duration == 4 + 93  # the action's <Hangup/> ends A at once


async def test_dial_action_with_get(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(BUSY, attrs="action='/dial-done?leg=a' method='GET'"))
    app.on("/dial-done", "<Response><Hangup/></Response>")
    await _call(rest, app.url("/answer"))
    await sim.advance(3 + 5)
    [done] = app.received("/dial-done")
    assert done.method == "GET"
    assert done.query["leg"] == "a"
    assert done.params["DialCallStatus"] == "busy"
    assert done.params["DialBridged"] == "false"
    assert done.params["DialCallDuration"] == "0"
    assert done.signed()


async def test_dial_timeout_gives_no_answer(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(NO_ANSWER, attrs="action='/dial-done' timeout='12'"))
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 11)
    assert app.received("/dial-done") == []
    await sim.advance(1)
    [done] = app.received("/dial-done")
    assert done.params["DialCallStatus"] == "no-answer"
    [child] = sim.children(parent)
    assert child.status == "no-answer"


async def test_dial_time_limit_ends_the_bridge(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(attrs="action='/dial-done' timeLimit='30'"))
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4 + 31)
    [done] = app.received("/dial-done")
    assert done.params["DialCallDuration"] == "30"
    assert done.params["DialBridged"] == "true"
    assert sim.children(parent)[0].status == "completed"


async def test_dial_without_action_falls_through(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(BUSY, after="<Pause length='6'/>"))
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 1 + 5)
    assert _leg(sim, parent).status == "in-progress"
    await sim.advance(1)
    leg = _leg(sim, parent)
    assert (leg.status, leg.duration) == ("completed", 1 + 6)


async def test_whisper_runs_on_the_callee_before_the_bridge(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _dial(whisper="/whisper", attrs="action='/dial-done'"))
    app.on("/whisper", "<Response><Say>a call for you</Say></Response>")
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4)
    [whisper] = app.received("/whisper")
    [child] = sim.children(parent)
    assert whisper.params["CallSid"] == child.sid
    assert whisper.params["ParentCallSid"] == parent
    assert whisper.signed()
    assert child.bridged_to is None  # not yet: the whisper is playing
    await sim.advance(2)
    assert child.bridged_to == parent
    await sim.advance(100)
    [done] = app.received("/dial-done")
    assert done.params["DialBridged"] == "true"


async def test_whisper_hangup_means_not_bridged(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(whisper="/whisper", attrs="action='/dial-done'"))
    app.on("/whisper", "<Response><Say>press nothing</Say><Hangup/></Response>")
    app.on("/dial-done", "<Response><Say>sorry</Say><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4 + 1)
    [done] = app.received("/dial-done")
    assert done.params["DialCallStatus"] == "completed"
    assert done.params["DialBridged"] == "false"
    [child] = sim.children(parent)
    assert child.status == "completed"
    assert child.bridged_to is None
    await sim.advance(5)
    assert _leg(sim, parent).status == "completed"


async def test_dial_two_numbers_first_fails_second_bridges(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on(
        "/answer",
        f"<Response><Dial action='/dial-done'><Number>{FAIL}</Number><Number>{B}</Number>"
        "</Dial></Response>",
    )
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4 + 1)
    children = {leg.to: leg for leg in sim.children(parent)}
    assert children[FAIL].status == "failed"
    assert children[B].bridged_to == parent
    assert app.received("/dial-done") == []
    await sim.advance(93)
    [done] = app.received("/dial-done")
    assert done.params["DialCallSid"] == children[B].sid
    assert done.params["DialBridged"] == "true"


async def test_dial_two_numbers_first_to_answer_wins(sim: Simulator, rest: Rest, app: App) -> None:
    app.on(
        "/answer",
        f"<Response><Dial><Number>{B}</Number><Number>{DIGITS}</Number></Dial></Response>",
    )
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 2)
    children = {leg.to: leg for leg in sim.children(parent)}
    assert children[DIGITS].bridged_to == parent  # answers after 1 s
    assert children[B].status == "canceled"


# ----------------------------------------------------------------------------- failures


def _errors(sim: Simulator, sid: str) -> list[int]:
    return [error.code for error in _leg(sim, sid).errors]


@pytest.mark.parametrize(
    "body",
    [
        "this is not XML",
        "<Dial>no Response root</Dial>",
        "<Response><Dance/></Response>",
        "<Response><Pause length='soon'/></Response>",
        "<Response><Say loop='1e999'>x</Say></Response>",
        "<Response><Gather numDigits='²'/></Response>",
        "",
    ],
)
async def test_invalid_twiml_ends_the_call_with_12100(
    sim: Simulator, rest: Rest, app: App, body: str
) -> None:
    sid = await _call(rest, app.on("/answer", body))
    await sim.advance(3)
    assert _leg(sim, sid).status == "completed"
    assert _errors(sim, sid) == [12100]
    assert [n.code for n in sim.engine.notifications] == [12100]


async def test_unreachable_webhook_ends_the_call_with_11205(sim: Simulator, rest: Rest) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sid = await _call(rest, f"http://127.0.0.1:{port}/answer")
    await sim.advance(3)
    assert _leg(sim, sid).status == "completed"
    assert _errors(sim, sid) == [11205]


async def test_webhook_answering_500_ends_the_call_with_11200(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sid = await _call(rest, app.on("/answer", "<Response/>", status=500))
    await sim.advance(3)
    assert _leg(sim, sid).status == "completed"
    assert _errors(sim, sid) == [11200]
    [exchange] = sim.exchanges("voice")
    assert exchange.status == 500


@pytest.mark.parametrize("scenario", [{**base_scenario(), "webhook_timeout": 0.2}])
async def test_slow_webhook_ends_the_call_with_11205(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app.on("/answer", "<Response><Pause/></Response>", delay=0.6))
    await sim.advance(3)
    assert _leg(sim, sid).status == "completed"
    assert _errors(sim, sid) == [11205]


async def test_failing_dial_action_ends_the_parent(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(BUSY, attrs="action='/dial-done'"))
    app.on("/dial-done", "oops", status=404)
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 2)
    assert _leg(sim, parent).status == "completed"
    assert _errors(sim, parent) == [11200]


async def test_failing_whisper_is_not_bridged(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(whisper="/whisper", attrs="action='/dial-done'"))
    app.on("/whisper", "<Response><Dial>+819011112222</Dial></Response>")  # no <Dial> here
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4)
    [done] = app.received("/dial-done")
    assert done.params["DialBridged"] == "false"
    [child] = sim.children(parent)
    assert _errors(sim, child.sid) == [12100]


async def test_callback_hits_are_recorded(sim: Simulator, rest: Rest, app: App) -> None:
    """The application fixture sees what the simulator recorded, request for request."""
    sid = await _call(
        rest, app.on("/answer", "<Response><Hangup/></Response>"), StatusCallback=app.url("/s")
    )
    await sim.advance(4)
    sent = [(e.kind, e.url) for e in sim.exchanges()]
    got = [("voice" if h.path == "/answer" else "status", h.url) for h in app.hits]
    assert sent == got
    assert all(isinstance(h, Hit) and h.params["CallSid"] == sid for h in app.hits)
    async with aiohttp.ClientSession() as session, session.get(sim.url + "/_sim/calls") as r:
        assert r.status == 200


async def test_ending_the_parent_by_rest_ends_the_bridge(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on("/answer", _dial(attrs="action='/dial-done'"))
    app.on("/dial-done", "<Response><Say>ignored: the caller is gone</Say></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 4 + 20)
    status, body = await rest.update(parent, Status="completed")
    assert status == 200
    assert body is not None
    assert body["status"] == "completed"
    [child] = sim.children(parent)
    assert (child.status, child.duration) == ("completed", 20)
    [done] = app.received("/dial-done")  # still requested, with the parent's final status
    assert done.params["CallStatus"] == "completed"
    assert done.params["DialCallStatus"] == "completed"
    assert done.params["DialCallDuration"] == "20"
    await sim.advance(10)
    assert _leg(sim, parent).duration == 4 + 20


@pytest.mark.parametrize(
    "scenario",
    [
        {
            **base_scenario(),
            "phones": {**base_scenario()["phones"], A: {"answer_after": 3, "hangup_after": 30}},
        }
    ],
)
async def test_the_caller_hanging_up_ends_the_bridge(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", _dial(attrs="action='/dial-done'"))
    app.on("/dial-done", "<Response><Hangup/></Response>")
    parent = await _call(rest, app.url("/answer"))
    await sim.advance(3 + 30 + 1)
    [child] = sim.children(parent)
    assert (child.status, child.duration) == ("completed", 30 - 4)
    [done] = app.received("/dial-done")
    assert done.params["DialBridged"] == "true"
    assert done.params["DialCallDuration"] == str(30 - 4)
    assert _leg(sim, parent).duration == 30
