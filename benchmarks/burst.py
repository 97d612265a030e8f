"""2. A burst of concurrent V-calls end to end: real Home Assistant + the simulator (speed mode).

Every call is placed at once through `twilio_bridge.connect` over the websocket API (one
connection, all requests sent before any answer is read). The simulator then plays each
call for real: leg A rings 2 s and answers; the answer webhook's <Dial> rings party B 2 s;
B talks 30 s and hangs up; the <Dial action> answers <Hangup/>; Home Assistant fetches
both legs' prices. `twilio_bridge_call_ended` events are counted over `subscribe_events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections import Counter
from typing import Any

from simulator.harness import Simulator

from .common import Hass, cpu_seconds, machine_busy_seconds, wait_for_quiet

CALLS = 500
SPEED = 100.0
TALK = 30  # seconds party B talks
TIMEOUT = 240.0  # real seconds to wait for the last call to end


def party_a(i: int) -> str:
    return f"+8190{10000000 + i}"


def party_b(i: int) -> str:
    return f"+8180{20000000 + i}"


def phones(calls: int) -> dict[str, Any]:
    """Party A answers after 2 s and stays; party B answers after 2 s and talks 30 s."""
    scripts: dict[str, Any] = {
        party_a(i): {"answer_after": 2, "hangup_after": None} for i in range(calls)
    }
    scripts["default"] = {"answer_after": 2, "hangup_after": TALK}
    return scripts


def complete(record: dict[str, Any]) -> bool:
    """A record of a call played as `phones` scripts it, with nothing missing."""
    return (
        record["outcome"] == "completed"
        and record["status"] == "ended"
        and record["connected_at"] is not None
        and record["ended_at"] is not None
        and record["duration"] == TALK
        and all(seconds for seconds in record["billed_seconds"].values())
        and record["cost"] is not None
        and record["cost_final"]
    )


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(
    hass: Hass, sim: Simulator, calls: int = CALLS, speed: float = SPEED, limit: float = TIMEOUT
) -> dict[str, Any]:
    ws = hass.ws
    assert ws is not None
    ended: dict[str, float] = {}
    ended_count: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    placed: set[str] = set()
    all_ended = asyncio.Event()

    def check_all_ended() -> None:
        if placed and placed <= ended.keys():
            all_ended.set()

    def on_ended(event: dict[str, Any]) -> None:
        call_id = event["data"]["call_id"]
        ended.setdefault(call_id, time.monotonic())
        ended_count[call_id] += 1
        outcomes[event["data"]["outcome"]] += 1
        check_all_ended()

    await ws.subscribe("twilio_bridge_call_ended", on_ended)
    quiet = await wait_for_quiet([hass.pid])
    ticker = asyncio.create_task(sim.clock.run_realtime(speed))
    hass_cpu, own_cpu, busy = cpu_seconds(hass.pid), _cpu_self(), machine_busy_seconds()
    started = time.monotonic()
    refused: Counter[str] = Counter()
    try:
        replies = await asyncio.gather(
            *(
                ws.service(
                    "connect", {"party_a": party_a(i), "party_b": party_b(i), "label": f"burst {i}"}
                )
                for i in range(calls)
            ),
            return_exceptions=True,
        )
        all_placed = time.monotonic()
        for reply in replies:
            if isinstance(reply, BaseException):
                refused[str(reply)[:80]] += 1
            else:
                placed.add(str(reply["call_id"]))
        check_all_ended()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_ended.wait(), started + limit - time.monotonic())
        last = max((ended[c] for c in placed if c in ended), default=time.monotonic())
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    hass_cpu = cpu_seconds(hass.pid) - hass_cpu
    own_cpu = _cpu_self() - own_cpu
    other_cpu = max(0.0, machine_busy_seconds() - busy - hass_cpu - own_cpu)
    received = len(placed & ended.keys())
    wall = last - started
    # Prices are fetched just after each call ends: give the last ones a moment.
    deadline = time.monotonic() + 15
    while True:
        records = (await ws.service("get_calls", {"limit": calls + 10}))["calls"]
        burst_records = [r for r in records if r["call_id"] in placed]
        if all(r["cost_final"] for r in burst_records) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    return {
        "quiet": quiet,
        "calls": calls,
        "speed": speed,
        "placed": len(placed),
        "refused": dict(refused),
        "connect_phase_s": all_placed - started,
        "wall_s": wall,
        "calls_per_s": len(placed) / wall if wall > 0 else 0.0,
        "ended_events": received,
        "lost_events": len(placed) - received,
        "duplicate_events": sum(ended_count[c] - 1 for c in placed if ended_count[c] > 1),
        "outcomes": dict(outcomes),
        "records_finished": sum(1 for r in burst_records if r["outcome"] is not None),
        "records_completed": sum(1 for r in burst_records if r["outcome"] == "completed"),
        "records_cost_final": sum(1 for r in burst_records if r["cost_final"]),
        "records_complete": sum(1 for r in burst_records if complete(r)),
        "hass_cpu_s": hass_cpu,
        "hass_cpu_share": hass_cpu / wall if wall > 0 else 0.0,
        "driver_and_simulator_cpu_s": own_cpu,
        "other_cpu_s": other_cpu,
        "simulator_clock_errors": len(sim.clock.errors),
        "simulator_notifications": len(sim.engine.notifications),
    }
