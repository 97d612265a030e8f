"""Status callbacks and voice requests: exact parameter sets (reference §1-2) and signatures."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from simulator.harness import Simulator

from .support import (
    ALL_EVENTS,
    AUTH_TOKEN,
    BUSY,
    COMPLETED_PARAMS,
    NUMBER,
    PROGRESS_PARAMS,
    STANDARD_PARAMS,
    A,
    App,
    B,
    Rest,
)

GEO_EMPTY = [
    f"{p}{g}" for p in ("Called", "To", "Caller", "From") for g in ("City", "State", "Zip")
]


def _dial_b(app: App) -> str:
    events = " ".join(ALL_EVENTS)
    return app.on(
        "/answer",
        f"<Response><Dial action='{app.url('/dial-done')}'>"
        f"<Number statusCallback='{app.url('/status-b')}' statusCallbackEvent='{events}'>{B}"
        "</Number></Dial></Response>",
    )


async def _v_call(sim: Simulator, rest: Rest, app: App) -> str:
    app.on("/dial-done", "<Response><Hangup/></Response>")
    body = await rest.create(
        data=[
            ("To", A),
            ("From", NUMBER),
            ("Url", _dial_b(app)),
            ("StatusCallback", app.url("/status-a")),
            *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
        ]
    )
    await sim.advance(3 + 4 + 93 + 1)
    return str(body["sid"])


async def test_parent_status_callbacks_have_exactly_the_reference_parameters(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sid = await _v_call(sim, rest, app)
    callbacks = app.callbacks("/status-a")
    assert [c["CallStatus"] for c in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    for index, params in enumerate(callbacks):
        expected = STANDARD_PARAMS | PROGRESS_PARAMS
        if params["CallStatus"] == "completed":
            expected |= COMPLETED_PARAMS
        assert set(params) == expected, params["CallStatus"]
        assert params["CallSid"] == sid
        assert params["AccountSid"] == sim.scenario.account_sid
        assert params["ApiVersion"] == "2010-04-01"
        assert params["Direction"] == "outbound-api"
        assert (params["From"], params["Caller"]) == (NUMBER, NUMBER)
        assert (params["To"], params["Called"]) == (A, A)
        assert all(params[key] == "" for key in GEO_EMPTY)  # present and empty
        assert params["ToCountry"] == params["FromCountry"] == "JP"
        assert params["CallbackSource"] == "call-progress-events"
        assert params["SequenceNumber"] == str(index)
        assert params["Timestamp"].endswith("+0000")
    completed = callbacks[-1]
    leg = sim.call(sid)
    assert completed["CallDuration"] == str(leg.duration) == str(4 + 93)
    assert completed["Duration"] == "2"  # minutes, rounded up
    assert completed["SipResponseCode"] == "200"
    # Timestamps are the simulated times the events fired.
    fired = {status: at for at, status in leg.timeline}
    for params in callbacks:
        stamp = parsedate_to_datetime(params["Timestamp"])
        assert stamp == sim.clock.wall(fired[params["CallStatus"]]).replace(microsecond=0)


async def test_child_status_callbacks_add_parent_call_sid(
    sim: Simulator, rest: Rest, app: App
) -> None:
    parent = await _v_call(sim, rest, app)
    [child] = sim.children(parent)
    callbacks = app.callbacks("/status-b")
    assert [c["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    for params in callbacks:
        expected = STANDARD_PARAMS | PROGRESS_PARAMS | {"ParentCallSid"}
        if params["CallStatus"] == "completed":
            expected |= COMPLETED_PARAMS
        assert set(params) == expected
        assert params["CallSid"] == child.sid
        assert params["ParentCallSid"] == parent
        assert params["Direction"] == "outbound-dial"
    assert callbacks[-1]["CallDuration"] == "93"
    assert callbacks[-1]["Duration"] == "2"


async def test_voice_request_has_no_progress_parameters(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await _v_call(sim, rest, app)
    [voice] = app.received("/answer")
    assert set(voice.params) == STANDARD_PARAMS
    assert voice.params["CallStatus"] == "in-progress"
    [action] = app.received("/dial-done")
    assert set(action.params) == STANDARD_PARAMS | {
        "DialCallStatus",
        "DialCallSid",
        "DialCallDuration",
        "DialBridged",
    }


async def test_answered_by_only_with_machine_detection(
    sim: Simulator, rest: Rest, app: App
) -> None:
    url = app.on("/answer", "<Response><Hangup/></Response>")
    await rest.create(
        To=A, From=NUMBER, Url=url, StatusCallback=app.url("/amd"), MachineDetection="Enable"
    )
    await rest.create(To=A, From=NUMBER, Url=url, StatusCallback=app.url("/plain"))
    await sim.advance(5)
    [amd] = app.callbacks("/amd")
    assert amd["AnsweredBy"] == "human"
    assert set(amd) == STANDARD_PARAMS | PROGRESS_PARAMS | COMPLETED_PARAMS | {"AnsweredBy"}
    [plain] = app.callbacks("/plain")
    assert "AnsweredBy" not in plain


async def test_only_completed_when_no_event_is_given(sim: Simulator, rest: Rest, app: App) -> None:
    await rest.create(To=BUSY, From=NUMBER, Twiml="<Response/>", StatusCallback=app.url("/s"))
    await sim.advance(5)
    [params] = app.callbacks("/s")
    assert params["CallStatus"] == "busy"
    assert params["SequenceNumber"] == "2"  # initiated and ringing fired, unsubscribed
    assert (params["CallDuration"], params["Duration"]) == ("0", "0")
    assert params["SipResponseCode"] == "486"


async def test_every_request_is_signed_over_the_exact_url(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await _v_call(sim, rest, app)
    assert len(app.hits) == 1 + 4 + 4 + 1  # voice, A's and B's callbacks, action
    for hit in app.hits:
        assert hit.signed(), hit.url
        assert not hit.signed("another-token")
        assert hit.headers["User-Agent"] == "TwilioProxy/1.1"
        assert hit.headers["I-Twilio-Idempotency-Token"]
    # A changed parameter breaks the signature.
    hit = app.hits[0]
    hit.form["To"] = "+819000000000"
    assert not hit.signed()


async def test_status_callback_with_get_and_a_query_string(
    sim: Simulator, rest: Rest, app: App
) -> None:
    callback = app.url("/status?leg=a&call=x%2By")
    sid = (
        await rest.create(
            data=[
                ("To", A),
                ("From", NUMBER),
                ("Twiml", "<Response><Pause length='61'/></Response>"),
                ("StatusCallback", callback),
                ("StatusCallbackMethod", "GET"),
                *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
            ]
        )
    )["sid"]
    await sim.advance(3 + 61)
    hits = app.received("/status")
    assert [hit.method for hit in hits] == ["GET"] * 4
    for hit in hits:
        assert hit.form == {}
        assert hit.query["leg"] == "a"
        assert hit.query["call"] == "x+y"
        assert hit.query["CallSid"] == sid
        # The parameters are in the URL, so the signature covers them through the URL.
        assert hit.url.startswith(callback + "&")
        assert hit.signed(AUTH_TOKEN)
    completed = hits[-1].params
    assert set(completed) - {"leg", "call"} == STANDARD_PARAMS | PROGRESS_PARAMS | COMPLETED_PARAMS
    assert parsedate_to_datetime(completed["Timestamp"]) is not None
    assert completed["CallDuration"] == "61"
    assert completed["Duration"] == "2"


async def test_post_callback_keeps_the_query_in_the_signed_url(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await rest.create(
        To=A, From=NUMBER, Twiml="<Response><Hangup/></Response>", StatusCallback=app.url("/s?x=1")
    )
    await sim.advance(4)
    [hit] = app.received("/s")
    assert hit.url == app.url("/s?x=1")
    assert hit.query["x"] == "1"
    assert "x" not in hit.form
    assert hit.signed()
