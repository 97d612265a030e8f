"""The inspector: /_sim/calls, /_sim/clock/advance, /_sim/reset and the HTML page."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

from simulator.harness import Simulator

from .support import ALL_EVENTS, BUSY, NUMBER, A, App, B, Rest, base_scenario


async def _sim_get(sim: Simulator, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(sim.url + path) as response:
        return response.status, await response.text()


async def _sim_post(sim: Simulator, path: str, body: str | None) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.url + path, data=body) as response,
    ):
        return response.status, await response.text()


async def _v_call(rest: Rest, app: App, to_b: str = B) -> str:
    app.on(
        "/answer",
        f"<Response><Dial action='/done'><Number statusCallback='{app.url('/sb')}'>{to_b}"
        "</Number></Dial></Response>",
    )
    app.on("/done", "<Response><Hangup/></Response>")
    body = await rest.create(
        data=[
            ("To", A),
            ("From", NUMBER),
            ("Url", app.url("/answer")),
            ("StatusCallback", app.url("/sa")),
            *[("StatusCallbackEvent", e) for e in ALL_EVENTS],
        ]
    )
    return str(body["sid"])


async def test_sim_calls_shape(sim: Simulator, rest: Rest, app: App) -> None:
    parent = await _v_call(rest, app)
    await sim.advance(3 + 4 + 93 + 1)
    status, text = await _sim_get(sim, "/_sim/calls")
    assert status == 200
    data = json.loads(text)
    assert data["now"] == pytest.approx(sim.clock.now())
    assert data["notifications"] == []
    assert data["dropped_callbacks"] == 0
    assert set(data["faults"]) >= {"duplicate", "drop", "reorder", "delay", "api_errors"}
    calls = {call["sid"]: call for call in data["calls"]}
    [child] = sim.children(parent)
    assert set(calls) == {parent, child.sid}
    a = calls[parent]
    assert [p["status"] for p in a["timeline"]] == [
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [p["at"] for p in a["timeline"]] == sorted(p["at"] for p in a["timeline"])
    kinds = [e["kind"] for e in a["exchanges"]]
    assert kinds.count("voice") == 1
    assert kinds.count("action") == 1
    assert kinds.count("status") == 4
    for exchange in a["exchanges"]:
        assert {"at", "kind", "url", "method", "params", "status", "body", "error"} <= set(exchange)
        assert exchange["status"] in {200, 204}
    voice = next(e for e in a["exchanges"] if e["kind"] == "voice")
    assert voice["body"].startswith("<Response><Dial")
    assert a["price"] == "-32.40000"  # 97 s: 2 minutes of mobile at 16.2
    assert a["price_unit"] == "JPY"
    assert a["billed_minutes"] == 2
    assert calls[child.sid]["parent_call_sid"] == parent
    assert "bridged" in [p["status"] for p in calls[child.sid]["timeline"]]


async def test_clock_advance_endpoint(sim: Simulator, rest: Rest, app: App) -> None:
    sid = await _v_call(rest, app, BUSY)
    status, text = await _sim_post(sim, "/_sim/clock/advance", '{"seconds": 3.5}')
    assert status == 200
    assert json.loads(text)["now"] == pytest.approx(3.5)
    assert sim.call(sid).status == "in-progress"
    status, _ = await _sim_post(sim, "/_sim/clock/advance", '{"seconds": 10}')
    assert status == 200
    assert sim.call(sid).status == "completed"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "nonsense",
        "[]",
        '{"seconds": "soon"}',
        '{"seconds": null}',
        '{"seconds": Infinity}',
        '{"seconds": NaN}',
        '{"seconds": -5}',
        '{"seconds": 1e300}',
    ],
)
async def test_clock_advance_refuses_bad_bodies(sim: Simulator, body: str) -> None:
    status, text = await _sim_post(sim, "/_sim/clock/advance", body)
    assert status == 400
    assert "seconds" in json.loads(text)["error"]
    assert sim.clock.now() == 0
    status, _ = await _sim_get(sim, "/_sim/calls")  # and the simulator still works
    assert status == 200


@pytest.mark.parametrize("scenario", [{**base_scenario(), "faults": {"delay": 5.0}}])
async def test_reset_forgets_calls_and_their_pending_events(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await _v_call(rest, app)
    await sim.advance(3 + 4 + 10)  # bridged, with delayed callbacks and a time limit pending
    sim.inject_api_error("calls.list", 500)
    status, text = await _sim_post(sim, "/_sim/reset", None)
    assert status == 200
    assert sim.calls == []
    heard = len(app.hits)
    await sim.advance(20000)  # nothing of the old calls may fire any more
    assert len(app.hits) == heard
    status, body = await rest.request("GET", "/Calls.json")
    assert status == 200  # the injected error went with the reset
    assert body is not None
    assert body["calls"] == []
    status, text = await _sim_get(sim, "/_sim/calls")
    assert json.loads(text)["calls"] == []


async def test_html_page_draws_each_call(sim: Simulator, rest: Rest, app: App) -> None:
    status, page = await _sim_get(sim, "/_sim/")
    assert status == 200
    assert "No calls yet" in page
    parent = await _v_call(rest, app)
    await sim.advance(3 + 4 + 93 + 1)
    status, page = await _sim_get(sim, "/_sim/")
    assert status == 200
    assert page.startswith("<!doctype html>")
    for leg in sim.calls:
        assert leg.sid in page
    assert parent in page
    assert 'class="seg"' in page  # the timeline segments
    status, same = await _sim_get(sim, "/_sim")
    assert status == 200
    assert all(leg.sid in same for leg in sim.calls)


async def test_a_call_after_a_long_quiet_run_fills_the_timeline(
    sim: Simulator, rest: Rest, app: App
) -> None:
    """The bars span the calls shown, not the clock since start: no sliver at the edge."""
    await sim.advance(86_400)  # a day of nothing
    await _v_call(rest, app)
    await sim.advance(3 + 4 + 93 + 1)
    _, page = await _sim_get(sim, "/_sim/")
    lefts = [float(x) for x in re.findall(r'class="seg" style="left:([\d.]+)%', page)]
    widths = [
        float(x) for x in re.findall(r'class="seg" style="left:[\d.]+%;width:([\d.]+)%', page)
    ]
    assert min(lefts) == 0.0  # the first leg starts at the bar's left edge
    assert max(widths) > 50  # its talk is drawn across most of the bar, not as a sliver
    assert "86400 s" in page  # the scale still reads the clock's own seconds
