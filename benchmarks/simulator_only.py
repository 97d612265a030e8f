"""4. The simulator alone: simulated V-calls per second on the manual clock.

An in-process `Simulator` (manual clock) plays CALLS two-leg calls, created at once over
its REST API (Calls.json, HTTP basic auth, from an aiohttp client in the same process),
then `run_until_idle()` plays them out. Two flavours:

webhooks  Url= a minimal aiohttp TwiML application in another process (benchmarks.bare_server
          --mode twiml): the voice URL answers <Dial action><Number statusCallback>B</Number>
          </Dial>, the action answers <Hangup/>, status callbacks answer 204. Both legs
          subscribe to initiated/ringing/answered/completed: 10 signed webhooks per call
          (6 on leg A, 4 on leg B).
twiml     Twiml=<Dial><Number>B</Number></Dial> and no status callback: no webhook at all,
          the engine, clock and TwiML interpreter alone.

Party A answers after 1 s and stays; party B answers after 1 s and talks 10 s.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from typing import Any

import aiohttp

from simulator.harness import Simulator

from .bare_server import DIAL_TO
from .common import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PYTHON,
    ROOT,
    TWILIO_NUMBER,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    own_cpu_seconds,
    server_command,
    sim_scenario,
    stop_process,
    wait_for_quiet,
)

CALLS = 2_000
CREATE_CONCURRENCY = 50


def party_a(i: int) -> str:
    return f"+8190{50000000 + i}"


def scenario(calls: int) -> dict[str, Any]:
    phones: dict[str, Any] = {
        party_a(i): {"answer_after": 1, "hangup_after": None} for i in range(calls)
    }
    phones["default"] = {"answer_after": 1, "hangup_after": 10}
    return sim_scenario(phones)


def start_app() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        server_command(
            [PYTHON, "-m", "benchmarks.bare_server", "--port", str(port), "--mode", "twiml"]
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        stop_process(process)
        raise RuntimeError("TwiML application did not start")
    return process, f"http://127.0.0.1:{port}"


async def play(calls: int, app_url: str | None, app_pid: int | None) -> dict[str, Any]:
    async with Simulator(scenario(calls)) as sim:
        url = f"{sim.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
        auth = aiohttp.BasicAuth(ACCOUNT_SID, AUTH_TOKEN)
        statuses: dict[int, int] = {}
        gate = asyncio.Semaphore(CREATE_CONCURRENCY)

        def form(i: int) -> list[tuple[str, str]]:
            fields = [("To", party_a(i)), ("From", TWILIO_NUMBER), ("Timeout", "20")]
            if app_url is None:
                return [
                    *fields,
                    ("Twiml", f"<Response><Dial><Number>{DIAL_TO}</Number></Dial></Response>"),
                ]
            events = [
                ("StatusCallbackEvent", e)
                for e in ("initiated", "ringing", "answered", "completed")
            ]
            return [
                *fields,
                ("Url", f"{app_url}/voice"),
                ("StatusCallback", f"{app_url}/status"),
                *events,
            ]

        async with aiohttp.ClientSession(auth=auth) as session:

            async def create(i: int) -> None:
                async with gate, session.post(url, data=form(i)) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1

            quiet = await wait_for_quiet([app_pid] if app_pid else [])
            own, busy = own_cpu_seconds(), machine_busy_seconds()
            app = cpu_seconds(app_pid) if app_pid else 0.0
            started = time.monotonic()
            await asyncio.gather(*(create(i) for i in range(calls)))
            created = time.monotonic()
            await sim.run_until_idle(limit=600)
            finished = time.monotonic()
            own = own_cpu_seconds() - own
            app = (cpu_seconds(app_pid) - app) if app_pid else 0.0
            busy = machine_busy_seconds() - busy
        legs = sim.calls
        completed = sum(1 for leg in legs if leg.status == "completed")
        webhooks = sum(len(leg.exchanges) for leg in legs)
        failed_webhooks = sum(
            1 for leg in legs for e in leg.exchanges if e.status not in (200, 204)
        )
        wall = finished - started
        return {
            "quiet": quiet,
            "calls": calls,
            "create_statuses": statuses,
            "create_s": created - started,
            "play_s": finished - created,
            "wall_s": wall,
            "calls_per_s": calls / wall,
            "legs": len(legs),
            "legs_completed": completed,
            "webhooks": webhooks,
            "webhooks_failed": failed_webhooks,
            "webhooks_per_s": webhooks / wall,
            "clock_errors": len(sim.clock.errors),
            "simulator_cpu_s": own,
            "app_cpu_s": app,
            "other_cpu_s": max(0.0, busy - own - app),
        }


async def run(calls: int = CALLS) -> dict[str, Any]:
    process, app_url = start_app()
    try:
        with_webhooks = await play(calls, app_url, process.pid)
    finally:
        stop_process(process)
    return {"webhooks": with_webhooks, "twiml": await play(calls, None, None)}
