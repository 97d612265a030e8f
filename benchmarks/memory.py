"""3. Memory of the hass process per 10 000 logged calls, with call_log_size at its default (500).

Playing 20 000 calls end to end through the simulator would take longer than the whole
benchmark may (see BENCHMARKS.md: about 17 ms of hass CPU and ten webhooks per call, and
the simulator plays them one timer at a time). So this driver replays each call's complete
life more cheaply, through the integration's real code paths all the same:

1. `twilio_bridge.connect` over the websocket API: the integration validates the numbers,
   creates the record and places leg A with the SDK's Calls.create against the simulator
   (whose manual clock is never advanced, so the simulator itself sends nothing);
2. the answer webhook, exactly as the simulator would send it (its own parameter set,
   signed by its own WebhookSender); the <Dial> in Home Assistant's TwiML gives the leg-B
   status URL and the <Dial action> URL, which are used as Twilio would use them;
3. leg B's `completed` status callback (CallDuration 30), the <Dial action> (completed,
   bridged, 30 s), then leg A's `completed` callback (CallDuration 34): the record ends,
   `twilio_bridge_call_ended` fires, and Home Assistant fetches both legs' prices from
   the simulator, whose Call resources were set to the finished legs beforehand (leg B is
   added as the <Dial> child it would have created).

So per call the record goes through connect, answer, the status state machine, the dial
result, the end, the cost estimate, the price fetch, events, entities and the store.
RSS (VmRSS in /proc/PID/status) is read after every CHECKPOINT calls, once hass is idle.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from simulator.harness import Simulator
from simulator.models import Leg, new_sid
from simulator.twiml import Dial, parse

from .common import (
    Hass,
    cpu_seconds,
    machine_busy_seconds,
    memory_mb,
    own_cpu_seconds,
    sim_scenario,
    wait_for_quiet,
)

CALLS = 20_000
CHECKPOINT = 2_500
WORKERS = 16
NUMBERS = 1_000  # distinct parties, reused round robin
TALK = 30
SETTLE = 3.0  # seconds of quiet before each RSS reading (prices, the delayed store write)
READINGS = 5  # RSS readings, 0.5 s apart, after SETTLE: their median is the sample


def party_a(i: int) -> str:
    return f"+8190{30000000 + i % NUMBERS}"


def party_b(i: int) -> str:
    return f"+8180{40000000 + i % NUMBERS}"


def scenario() -> dict[str, Any]:
    return sim_scenario()


async def settled_memory(pid: int) -> dict[str, float]:
    """hass's memory once it is idle: the reading with the median VmRSS of READINGS
    readings taken 0.5 s apart after SETTLE seconds."""
    await asyncio.sleep(SETTLE)
    readings = []
    for _ in range(READINGS):
        readings.append(memory_mb(pid))
        await asyncio.sleep(0.5)
    readings.sort(key=lambda reading: reading["VmRSS"])
    middle = readings[len(readings) // 2]
    return {
        "rss_mb": middle["VmRSS"],
        "rss_anon_mb": middle.get("RssAnon", 0.0),
        "rss_file_mb": middle.get("RssFile", 0.0),
    }


def database_mb(config: Path) -> float:
    """Size of the recorder's SQLite database with its write-ahead log."""
    return sum(f.stat().st_size for f in config.glob("home-assistant_v2.db*")) / 2**20


def slope_per_10k(samples: list[dict[str, float]]) -> float | None:
    """Least-squares MB per 10 000 calls over the given samples (less noisy than 2 points)."""
    if len(samples) < 3:
        return None
    calls = [s["calls"] for s in samples]
    rss = [s["rss_mb"] for s in samples]
    return statistics.linear_regression(calls, rss).slope * 10_000


class Driver:
    def __init__(self, hass: Hass, sim: Simulator) -> None:
        self.hass = hass
        self.sim = sim
        self.engine = sim.engine
        self.failures: list[str] = []

    def _leg_a(self, call_id: str) -> Leg:
        for leg in reversed(self.engine.legs.values()):
            if leg.status_callback and call_id in leg.status_callback:
                return leg
        raise RuntimeError(f"the simulator has no leg for call {call_id}")

    async def _send(self, kind: str, url: str, params: dict[str, str], token: str) -> str:
        exchange = self.sim.sender.build(kind, url, "POST", params)
        response = await self.sim.sender.send(exchange, token)
        return response.body

    def _status(self, leg: Leg, status: str, sequence: int, duration: int) -> dict[str, str]:
        params = self.engine.params(leg, status)
        params.update(
            {
                "Timestamp": format_datetime(self.sim.clock.wall()),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(sequence),
                "CallDuration": str(duration),
                "Duration": str(-(-duration // 60)),
                "SipResponseCode": "200",
            }
        )
        return params

    async def call(self, i: int) -> None:
        leg_a, dial = await self.answer(await self.place(i))
        await self.finish(leg_a, dial)

    async def place(self, i: int) -> str:
        """1. connect: the record, and leg A created through the SDK (never played)."""
        assert self.hass.ws is not None
        reply = await self.hass.ws.service(
            "connect", {"party_a": party_a(i), "party_b": party_b(i), "label": f"memory {i}"}
        )
        return str(reply["call_id"])

    async def answer(self, call_id: str) -> tuple[Leg, Dial]:
        """2. leg A answers: the answer webhook, and the <Dial> Home Assistant answers."""
        leg_a = self._leg_a(call_id)
        assert leg_a.url is not None
        # Home Assistant's TwiML says where leg B's callbacks and the action go.
        leg_a.status, leg_a.started_at, leg_a.answered_at = "in-progress", 0.0, 0.0
        document = parse(
            await self._send("voice", leg_a.url, self.engine.params(leg_a), f"{leg_a.sid}-v")
        )
        dial = next(verb for verb in document.verbs if isinstance(verb, Dial))
        return leg_a, dial

    async def finish(self, leg_a: Leg, dial: Dial) -> None:
        """3. leg B ends, the <Dial action>, then leg A ends (and the record with it)."""
        assert leg_a.status_callback is not None
        number = dial.numbers[0]
        assert number.status_callback is not None
        assert dial.action is not None
        leg_b = Leg(
            sid=new_sid("CA"),
            account_sid=leg_a.account_sid,
            to=number.number,
            from_=dial.caller_id or leg_a.from_,
            direction="outbound-dial",
            phone=self.sim.scenario.phone(number.number),
            created_at=0.0,
            parent_sid=leg_a.sid,
            status="completed",
            started_at=0.0,
            answered_at=4.0,
            ended_at=4.0 + TALK,
            price_unit=leg_a.price_unit,
        )
        leg_b.price = self.engine.price(leg_b, TALK)
        self.engine.legs[leg_b.sid] = leg_b
        await self._send(
            "status",
            number.status_callback,
            self._status(leg_b, "completed", 3, TALK),
            f"{leg_b.sid}-3",
        )
        action = self.engine.params(leg_a)
        action.update(
            {
                "DialCallStatus": "completed",
                "DialBridged": "true",
                "DialCallSid": leg_b.sid,
                "DialCallDuration": str(TALK),
            }
        )
        await self._send("action", dial.action, action, f"{leg_a.sid}-a")
        leg_a.status, leg_a.ended_at = "completed", 4.0 + TALK
        leg_a.price = self.engine.price(leg_a, 4 + TALK)
        await self._send(
            "status",
            leg_a.status_callback,
            self._status(leg_a, "completed", 3, 4 + TALK),
            f"{leg_a.sid}-3",
        )

    async def batch(self, start: int, count: int) -> None:
        queue = iter(range(start, start + count))

        async def worker() -> None:
            for i in queue:
                try:
                    await self.call(i)
                except Exception as err:
                    self.failures.append(f"call {i}: {type(err).__name__}: {err}"[:200])

        await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def run(
    calls: int = CALLS, checkpoint: int = CHECKPOINT, *, recorder: bool = True
) -> dict[str, Any]:
    async with Simulator(scenario()) as sim:
        hass = Hass(sim.url, max_concurrent_calls=1000, call_log_size=None, recorder=recorder)
        try:
            await hass.start()
            assert hass.ws is not None
            ended: list[str] = []
            await hass.ws.subscribe("twilio_bridge_call_ended", lambda e: ended.append(""))
            driver = Driver(hass, sim)
            quiet = await wait_for_quiet([hass.pid])

            async def sample(calls_done: int, elapsed: float) -> dict[str, float]:
                memory = await settled_memory(hass.pid)
                assert hass.ws is not None
                probe = await hass.ws.command({"type": "bench_probe/stats"})
                return {
                    "calls": calls_done,
                    "elapsed_s": elapsed,
                    **memory,
                    "db_mb": database_mb(hass.config),
                    **probe,
                }

            samples: list[dict[str, float]] = [await sample(0, 0.0)]
            started = time.monotonic()
            hass_cpu, busy, own = cpu_seconds(hass.pid), machine_busy_seconds(), own_cpu_seconds()
            done, driving = 0, 0.0
            while done < calls:
                count = min(checkpoint, calls - done)
                batch_started = time.monotonic()
                await driver.batch(done, count)
                driving += time.monotonic() - batch_started
                done += count
                samples.append(await sample(done, time.monotonic() - started))
                print(
                    f"    {done:>6} calls  RSS {samples[-1]['rss_mb']:.1f} MB  "
                    f"{samples[-1]['gc_objects']} objects",
                    flush=True,
                )
            elapsed = time.monotonic() - started
            hass_cpu = cpu_seconds(hass.pid) - hass_cpu
            own = own_cpu_seconds() - own
            busy = machine_busy_seconds() - busy
            records = (await hass.ws.service("get_calls", {}))["calls"]
        finally:
            await hass.stop()
    by_calls = {int(s["calls"]): s for s in samples}
    half = calls // 2
    middle = by_calls.get(half)

    def grown(key: str) -> float | None:
        return None if middle is None else samples[-1][key] - middle[key]

    return {
        "quiet": quiet,
        "recorder": recorder,
        "calls": calls,
        "workers": WORKERS,
        "samples": samples,
        "rss_start_mb": samples[0]["rss_mb"],
        "rss_half_mb": None if middle is None else middle["rss_mb"],
        "rss_end_mb": samples[-1]["rss_mb"],
        "growth_second_half_mb": grown("rss_mb"),
        "objects_growth_second_half": grown("gc_objects"),
        "blocks_growth_second_half": grown("allocated_blocks"),
        "slope_second_half_mb_per_10k": slope_per_10k([s for s in samples if s["calls"] >= half]),
        "elapsed_s": elapsed,
        "driving_s": driving,
        "calls_per_s": calls / driving,
        "hass_cpu_s": hass_cpu,
        "hass_cpu_ms_per_call": hass_cpu / calls * 1000,
        "driver_cpu_s": own,
        "other_cpu_s": max(0.0, busy - hass_cpu - own),
        "ended_events": len(ended),
        "failures": len(driver.failures),
        "failure_examples": driver.failures[:3],
        "records_kept": len(records),
        "records_completed": sum(1 for r in records if r["outcome"] == "completed"),
        "records_cost_final": sum(1 for r in records if r["cost_final"]),
    }
