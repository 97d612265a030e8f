"""The virtual clock: manual advance, speed mode, long calls in no time."""

from __future__ import annotations

import asyncio

import pytest
from twilio.rest import Client

from simulator.harness import Simulator

from .conftest import SimFactory
from .support import (
    ALL_EVENTS,
    NUMBER,
    SHORT,
    A,
    App,
    CheckedAsyncHttpClient,
    Rest,
    base_scenario,
    rfc2822_seconds,
)

HOLD = "<Response><Pause length='3600'/></Response>"
TEN_MINUTES = "+819088889999"


async def test_nothing_happens_until_the_clock_moves(sim: Simulator, rest: Rest, app: App) -> None:
    sid = (
        await rest.create(
            data=[
                ("To", A),
                ("From", NUMBER),
                ("Twiml", HOLD),
                ("StatusCallback", app.url("/s")),
                *[("StatusCallbackEvent", e) for e in ALL_EVENTS],
            ]
        )
    )["sid"]
    await asyncio.sleep(0.05)
    assert sim.call(sid).status == "queued"
    assert app.hits == []
    await sim.advance(0)  # "now" events fire: dialing starts
    assert sim.call(sid).status == "ringing"
    assert app.statuses("/s") == ["initiated", "ringing"]
    await sim.advance(2.9)
    assert sim.call(sid).status == "ringing"
    await sim.advance(0.1)
    assert sim.call(sid).status == "in-progress"
    assert sim.clock.now() == pytest.approx(3.0)
    # The callbacks have all been answered by the time advance() returns.
    assert app.statuses("/s") == ["initiated", "ringing", "in-progress"]


async def test_clock_time_maps_to_wall_time(sim: Simulator, rest: Rest, app: App) -> None:
    start = sim.clock.wall()
    await sim.advance(1000)
    await rest.create(To=A, From=NUMBER, Twiml=HOLD, StatusCallback=app.url("/s"))
    await sim.advance(3600 + 10)
    [completed] = app.callbacks("/s")
    stamp = rfc2822_seconds(completed["Timestamp"])
    assert stamp - start.timestamp() == pytest.approx(1000 + 3 + 3600, abs=1)


async def test_run_until_idle(sim: Simulator, rest: Rest) -> None:
    sid = (await rest.create(To=SHORT, From=NUMBER, Twiml=HOLD))["sid"]
    await sim.run_until_idle()
    assert sim.call(sid).status == "completed"
    assert sim.clock.now() == pytest.approx(1 + 10, abs=1)


async def test_speed_mode_runs_on_its_own(make_sim: SimFactory, app: App) -> None:
    sim = await make_sim(base_scenario(), speed=200)
    app.clock_now = sim.clock.now
    http = CheckedAsyncHttpClient(pool_connections=False)
    client = Client(sim.scenario.account_sid, sim.scenario.auth_token, http_client=http)
    client.api.base_url = sim.url
    call = await client.calls.create_async(
        to=SHORT, from_=NUMBER, twiml=HOLD, status_callback=app.url("/s")
    )
    for _ in range(500):  # at 200x, the 11 s call takes about 55 ms
        if sim.call(call.sid).ended:
            break
        await asyncio.sleep(0.01)
    done = await client.calls(call.sid).fetch_async()
    assert done.status == "completed"
    assert done.duration == "10"
    for _ in range(200):  # the completed callback goes out beside the call
        if app.hits:
            break
        await asyncio.sleep(0.01)
    assert app.statuses("/s") == ["completed"]


@pytest.mark.parametrize(
    "scenario",
    [
        {
            **base_scenario(),
            "phones": {TEN_MINUTES: {"answer_after": 5, "hangup_after": 600}},
        }
    ],
)
async def test_a_ten_minute_call_takes_no_real_time(sim: Simulator, rest: Rest, app: App) -> None:
    sid = (
        await rest.create(
            To=TEN_MINUTES,
            From=NUMBER,
            Url=app.on("/answer", "<Response><Say>hello</Say><Pause length='3600'/></Response>"),
            StatusCallback=app.url("/s"),
        )
    )["sid"]
    await sim.advance(5 + 600)
    call = await rest.fetch(sid)
    assert (call["status"], call["duration"]) == ("completed", "600")
    [completed] = app.callbacks("/s")
    assert (completed["CallDuration"], completed["Duration"]) == ("600", "10")
