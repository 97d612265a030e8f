"""Faults: duplicated, dropped, reordered and delayed callbacks; API errors; slow webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.harness import Simulator

from .support import ALL_EVENTS, NUMBER, A, App, Rest, base_scenario, rfc2822_seconds

CALL = "<Response><Pause length='30'/></Response>"


def _with_faults(**faults: Any) -> dict[str, Any]:
    return {**base_scenario(), "faults": faults}


async def _call(rest: Rest, app: App) -> str:
    body = await rest.create(
        data=[
            ("To", A),
            ("From", NUMBER),
            ("Twiml", CALL),
            ("StatusCallback", app.url("/s")),
            *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
        ]
    )
    return str(body["sid"])


@pytest.mark.parametrize("scenario", [_with_faults(duplicate=1.0)])
async def test_duplicate_sends_every_callback_twice(sim: Simulator, rest: Rest, app: App) -> None:
    await _call(rest, app)
    await sim.advance(40)
    hits = app.received("/s")
    assert [h.params["SequenceNumber"] for h in hits] == ["0", "0", "1", "1", "2", "2", "3", "3"]
    for first, second in zip(hits[::2], hits[1::2], strict=True):
        assert first.params == second.params
        token = "I-Twilio-Idempotency-Token"
        assert first.headers[token] == second.headers[token]  # a retry, not a new event
        assert first.signed()
        assert second.signed()


@pytest.mark.parametrize("scenario", [_with_faults(drop=1.0)])
async def test_drop_sends_no_callback(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _call(rest, app)
    await sim.advance(40)
    assert app.hits == []
    assert sim.dispatcher.dropped == 4
    assert sim.call(sid).status == "completed"  # the call itself is unaffected
    assert sim.inspect()["dropped_callbacks"] == 4


@pytest.mark.parametrize("scenario", [_with_faults(reorder=True, seed=0)])
async def test_reorder_shuffles_a_legs_callbacks(sim: Simulator, rest: Rest, app: App) -> None:
    await _call(rest, app)
    await sim.advance(40)
    arrived = [int(params["SequenceNumber"]) for params in app.callbacks("/s")]
    assert sorted(arrived) == [0, 1, 2, 3]
    assert arrived != sorted(arrived)  # seed 0 gives an out-of-order delivery
    by_sequence = sorted(app.callbacks("/s"), key=lambda p: int(p["SequenceNumber"]))
    assert [p["CallStatus"] for p in by_sequence] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]


@pytest.mark.parametrize("scenario", [_with_faults(delay=5.0)])
async def test_delay_sends_callbacks_later_on_the_clock(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await _call(rest, app)
    await sim.advance(3 + 1)  # answered at 3 s: its callback is due at 8 s
    assert app.statuses("/s") == []
    await sim.advance(5)
    assert app.statuses("/s") == ["initiated", "ringing", "in-progress"]
    await sim.advance(40)
    epoch = sim.clock.wall(0).timestamp()
    for hit in app.received("/s"):
        fired = rfc2822_seconds(hit.params["Timestamp"]) - epoch
        assert hit.at is not None
        assert hit.at - fired == pytest.approx(5.0, abs=1)


@pytest.mark.parametrize(
    "scenario", [_with_faults(api_errors={"calls.fetch": 500, "calls.list": 503})]
)
async def test_api_errors_per_operation_from_the_scenario(
    sim: Simulator, rest: Rest, aclient: Client
) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=CALL)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls(call.sid).fetch_async()
    assert (caught.value.status, caught.value.code) == (500, 20500)
    status, body = await rest.request("GET", "/Calls.json")
    assert (status, body and body["code"]) == (503, 20503)
    updated = await aclient.calls(call.sid).update_async(status="canceled")
    assert updated.status == "canceled"  # other operations are unaffected


async def test_inject_api_error_per_request(sim: Simulator, aclient: Client) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=CALL)
    sim.inject_api_error("calls.update", 500, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            await aclient.calls(call.sid).update_async(status="canceled")
        assert (caught.value.status, caught.value.code) == (500, 20500)
    assert sim.call(call.sid).status == "queued"  # the failed requests changed nothing
    updated = await aclient.calls(call.sid).update_async(status="canceled")
    assert updated.status == "canceled"
    sim.inject_api_error("calls.delete", 401)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls(call.sid).delete_async()
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert await aclient.calls(call.sid).delete_async() is True


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (404, 20404, "The requested resource was not found"),
        (429, 20429, "Too Many Requests"),
        (502, 20500, "Internal Server Error"),  # no code of its own: Twilio's generic 20500
    ],
)
async def test_an_injected_status_is_twilios_named_error(
    sim: Simulator, rest: Rest, status: int, code: int, message: str
) -> None:
    sim.inject_api_error("calls.list", status)
    answered, body = await rest.request("GET", "/Calls.json")
    assert answered == status
    assert body == {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


async def test_post_sim_faults_changes_faults_at_run_time(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    status, body = await rest.request(
        "POST",
        "/_sim/faults",
        data='{"duplicate": 1.0, "api_errors": {"calls.create": 429}}',
        validate=False,
    )
    assert status == 200, body
    assert sim.faults.duplicate == 1.0
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls.create_async(to=A, from_=NUMBER, twiml=CALL)
    assert (caught.value.status, caught.value.code) == (429, 20429)
    status, _ = await rest.request(
        "POST", "/_sim/faults", data='{"duplicate": 1.0}', validate=False
    )
    assert status == 200
    await _call(rest, app)
    await sim.advance(40)
    assert len(app.received("/s")) == 8
    status, inspected = await rest.request("GET", "/_sim/calls", validate=False)
    assert inspected is not None
    assert inspected["faults"]["duplicate"] == 1.0
    status, body = await rest.request(
        "POST", "/_sim/faults", data='{"duplicate": "often"}', validate=False
    )
    assert status == 400


@pytest.mark.parametrize("scenario", [{**_with_faults(slow_webhook=0.4), "webhook_timeout": 0.2}])
async def test_slow_webhook_fault_times_out(sim: Simulator, rest: Rest, app: App) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Url=app.on("/answer", CALL)))["sid"]
    await sim.advance(3)
    assert sim.call(sid).status == "completed"
    assert [e.code for e in sim.call(sid).errors] == [11205]
