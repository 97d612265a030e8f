"""Virtual phones from the scenario, and billing per leg, per started minute, by class."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from simulator.harness import Simulator

from .support import (
    BUSY,
    DEFAULT_ANSWER_AFTER,
    DEFAULT_HANGUP_AFTER,
    DIGITS,
    FAIL,
    IP_PHONE,
    LANDLINE,
    NO_ANSWER,
    NUMBER,
    RATES,
    REJECT,
    TOLL_FREE,
    VOICEMAIL,
    A,
    App,
    B,
    Rest,
    base_scenario,
    rfc2822_seconds,
)

HOLD = "<Response><Pause length='3600'/></Response>"


async def _call(rest: Rest, app: App, to: str, **extra: Any) -> str:
    body = await rest.create(
        To=to, From=NUMBER, Twiml=HOLD, StatusCallback=app.url("/status"), **extra
    )
    return str(body["sid"])


def _answered_at(app: App, sid: str) -> float | None:
    for params in app.callbacks("/status", sid):
        if params["CallStatus"] == "in-progress":
            return rfc2822_seconds(params["Timestamp"])
    return None


async def test_answer_after_and_hangup_after(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app, B, StatusCallbackEvent="initiated answered completed")
    await sim.advance(3.9)
    assert sim.call(sid).status == "ringing"
    await sim.advance(0.1)
    assert sim.call(sid).status == "in-progress"
    await sim.advance(92.9)
    assert sim.call(sid).status == "in-progress"
    await sim.advance(0.1)
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"]) == ("completed", "93")
    callbacks = app.callbacks("/status", sid)
    initiated = rfc2822_seconds(callbacks[0]["Timestamp"])
    answered = rfc2822_seconds(callbacks[1]["Timestamp"])
    completed = rfc2822_seconds(callbacks[2]["Timestamp"])
    assert (answered - initiated, completed - answered) == (4, 93)


async def test_default_phone(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app, LANDLINE)
    await sim.advance(DEFAULT_ANSWER_AFTER + DEFAULT_HANGUP_AFTER)
    call = await rest.fetch(sid)
    assert call["status"] == "completed"
    assert call["duration"] == str(DEFAULT_HANGUP_AFTER)


@pytest.mark.parametrize(
    ("to", "status", "ended_after", "sip"),
    [
        (BUSY, "busy", 1, "486"),
        (NO_ANSWER, "no-answer", 25, "487"),  # rings until Timeout
        (REJECT, "no-answer", 5, "603"),  # declined after 5 s of ringing
        (FAIL, "failed", 0, "404"),
    ],
)
async def test_unanswered_outcomes(
    sim: Simulator, rest: Rest, app: App, *, to: str, status: str, ended_after: float, sip: str
) -> None:
    sid = await _call(rest, app, to, Timeout="25")
    await sim.advance(30)
    call = await rest.fetch(sid)
    assert call["status"] == status
    assert call["duration"] is None
    assert call["price"] in {None, "0.00000"}  # an unanswered leg costs nothing
    assert call["answered_by"] is None
    assert rfc2822_seconds(call["end_time"]) - rfc2822_seconds(call["start_time"]) == ended_after
    [completed] = app.callbacks("/status", sid)
    assert completed["CallStatus"] == status
    assert completed["SipResponseCode"] == sip
    assert (completed["CallDuration"], completed["Duration"]) == ("0", "0")


async def test_answer_after_past_timeout_is_no_answer(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app, B, Timeout="3")  # B would answer after 4 s
    await sim.advance(10)
    assert sim.call(sid).status == "no-answer"


@pytest.mark.parametrize(
    ("detection", "answered_by"),
    [("Enable", "machine_start"), ("DetectMessageEnd", "machine_end_beep"), (None, None)],
)
async def test_voicemail(
    sim: Simulator,
    rest: Rest,
    app: App,
    detection: str | None,
    answered_by: str | None,
) -> None:
    extra = {"MachineDetection": detection} if detection else {}
    url = app.on("/answer", HOLD)
    sid = (
        await rest.create(
            To=VOICEMAIL, From=NUMBER, Url=url, StatusCallback=app.url("/status"), **extra
        )
    )["sid"]
    await sim.advance(2 + 30)
    call = await rest.fetch(sid)
    assert call["status"] == "completed"  # a machine answers: the call is billed
    assert call["duration"] == "30"
    assert call["answered_by"] == answered_by
    [voice] = app.received("/answer")
    assert voice.params.get("AnsweredBy") == answered_by
    [completed] = app.callbacks("/status", sid)
    assert completed.get("AnsweredBy") == answered_by


async def test_digits_are_pressed_into_gather(sim: Simulator, rest: Rest, app: App) -> None:
    app.on("/answer", "<Response><Gather action='/g' finishOnKey=''/></Response>")
    await rest.create(To=DIGITS, From=NUMBER, Url=app.url("/answer"))
    await sim.advance(10)
    [gathered] = app.received("/g")
    assert gathered.params["Digits"] == "1234#"  # finishOnKey='' takes every key


# ----------------------------------------------------------------------------- billing


def _expected_price(seconds: int, rate: str) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{-(minutes * Decimal(rate)):.5f}"


def _patient_phones() -> dict[str, Any]:
    """The base scenario, where these destinations never hang up by themselves."""
    scenario = base_scenario()
    for number in (LANDLINE, IP_PHONE, TOLL_FREE):
        scenario["phones"][number] = {"answer_after": 2, "hangup_after": None}
    return scenario


@pytest.mark.parametrize("scenario", [_patient_phones()], ids=["patient"])
@pytest.mark.parametrize(
    ("to", "rate_class"),
    [(A, "mobile"), (LANDLINE, "landline"), (IP_PHONE, "ip_phone"), (TOLL_FREE, "toll_free")],
)
@pytest.mark.parametrize("seconds", [1, 60, 61, 179])
async def test_price_per_started_minute_by_destination_class(
    sim: Simulator, rest: Rest, app: App, *, to: str, rate_class: str, seconds: int
) -> None:
    twiml = f"<Response><Pause length='{seconds}'/></Response>"
    sid = (await rest.create(To=to, From=NUMBER, Twiml=twiml))["sid"]
    await sim.advance(5 + seconds)
    call = await rest.fetch(sid)
    assert call["duration"] == str(seconds)
    assert call["price"] == _expected_price(seconds, RATES[rate_class])
    assert call["price"].startswith("-")
    assert call["price_unit"] == "JPY"


@pytest.mark.parametrize(
    "scenario",
    [{**base_scenario(), "rates": {"currency": "USD", "mobile": 0.185, "landline": 0.0746}}],
)
async def test_currency_and_rates_come_from_the_scenario(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Twiml="<Response><Pause length='90'/></Response>"))[
        "sid"
    ]
    await sim.advance(3 + 90)
    call = await rest.fetch(sid)
    assert call["price_unit"] == "USD"
    assert call["price"] == _expected_price(90, "0.185")


async def test_each_leg_of_a_bridge_is_billed_on_its_own(
    sim: Simulator, rest: Rest, app: App
) -> None:
    app.on(
        "/answer",
        f"<Response><Dial action='/done'><Number>{LANDLINE}</Number></Dial></Response>",
    )
    app.on("/done", "<Response><Hangup/></Response>")
    parent = (await rest.create(To=A, From=NUMBER, Url=app.url("/answer")))["sid"]
    await sim.advance(3 + DEFAULT_ANSWER_AFTER + DEFAULT_HANGUP_AFTER + 1)
    [child] = sim.children(parent)
    a = await rest.fetch(parent)
    b = await rest.fetch(child.sid)
    # A: 2 s ringing B + 60 s talk = 62 s -> 2 minutes mobile; B: 60 s -> 1 minute landline.
    assert a["duration"] == str(DEFAULT_ANSWER_AFTER + DEFAULT_HANGUP_AFTER)
    assert a["price"] == _expected_price(
        DEFAULT_ANSWER_AFTER + DEFAULT_HANGUP_AFTER, RATES["mobile"]
    )
    assert b["duration"] == str(DEFAULT_HANGUP_AFTER)
    assert b["price"] == _expected_price(DEFAULT_HANGUP_AFTER, RATES["landline"])
    assert b["parent_call_sid"] == parent
    inspected = {c["sid"]: c for c in sim.inspect()["calls"]}
    assert inspected[parent]["billed_minutes"] == 2
    assert inspected[child.sid]["billed_minutes"] == 1
