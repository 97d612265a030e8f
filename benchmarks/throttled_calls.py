"""5. Home Assistant held to a quarter of one CPU (a Raspberry Pi-class budget): 50 calls at once.

A fresh `hass` starts at full speed (start-up is not what this part measures), then is held
to SHARE of one CPU (benchmarks/throttle.py: a cgroup v1 CPU quota, or a SIGSTOP/SIGCONT
duty cycle where no cgroup can be made). Inside that budget, two rounds of CALLS calls:

played   part 2's burst: every call placed at once through `twilio_bridge.connect` and
         played for real by the simulator (speed SPEED); `twilio_bridge_call_ended` counted
         per call, every record checked. The simulator plays one call event at a time (its
         timers are awaited in turn), so the answer webhooks reach Home Assistant one after
         another even though every party A answers at the same simulated instant.
at once  what the simulator cannot play: CALLS more calls placed through `connect`, then
         every answer webhook sent at the same moment (part 3's driver: the simulator's own
         parameters, signed and sent by its own WebhookSender), then each call finished
         (leg B's end, the <Dial action>, leg A's end) and its record checked the same way.

Each webhook is timed around the simulator's own `WebhookSender.send`: from the moment the
simulator starts the request to the moment it has read Home Assistant's answer — the span
Twilio's 15 s timeout counts (the simulator enforces that timeout too: 11205).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from simulator.harness import Simulator
from simulator.models import Exchange
from simulator.webhooks import WebhookResponse

from . import burst, memory
from .common import Hass, percentile
from .throttle import throttled

CALLS = 50
SHARE = 0.25  # of one CPU
SPEED = 10.0
TIMEOUT = 180.0  # real seconds to wait for the last call of a round to end


@contextlib.contextmanager
def timed_webhooks(sim: Simulator) -> Iterator[dict[str, list[float]]]:
    """Seconds each webhook the simulator sends takes, by kind (voice = the answer)."""
    sender = sim.sender
    send = sender.send
    seconds: dict[str, list[float]] = defaultdict(list)

    async def timed(exchange: Exchange, idempotency_token: str) -> WebhookResponse:
        started = time.monotonic()
        try:
            return await send(exchange, idempotency_token)
        finally:
            seconds[exchange.kind].append(time.monotonic() - started)

    sender.send = timed  # type: ignore[method-assign]
    try:
        yield seconds
    finally:
        del sender.send  # the class's own method again


def latency(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else None,
    }


async def answers_at_once(hass: Hass, sim: Simulator, calls: int) -> dict[str, Any]:
    """Place `calls` calls, send all their answer webhooks at once, then finish each."""
    assert hass.ws is not None
    ended: Counter[str] = Counter()
    await hass.ws.subscribe(
        "twilio_bridge_call_ended", lambda event: ended.update([event["data"]["call_id"]])
    )
    driver = memory.Driver(hass, sim)
    call_ids = await asyncio.gather(*(driver.place(i) for i in range(calls)))
    with timed_webhooks(sim) as seconds:
        answered = await asyncio.gather(*(driver.answer(c) for c in call_ids))
    await asyncio.gather(*(driver.finish(leg, dial) for leg, dial in answered))
    deadline = time.monotonic() + TIMEOUT
    while True:  # call_ended, then the price fetch, come after leg A's last callback
        records = (await hass.ws.service("get_calls", {"limit": calls}))["calls"]
        mine = [r for r in records if r["call_id"] in call_ids]
        done = len(ended.keys() & set(call_ids)) == calls and all(r["cost_final"] for r in mine)
        if done or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    return {
        "calls": calls,
        "answer": latency(seconds["voice"]),
        "ended_events": len(ended.keys() & set(call_ids)),
        "lost_events": calls - len(ended.keys() & set(call_ids)),
        "duplicate_events": sum(ended[c] - 1 for c in call_ids if ended[c] > 1),
        "records_complete": sum(1 for r in mine if burst.complete(r)),
    }


async def run(calls: int = CALLS, method: str = "auto") -> dict[str, Any]:
    async with Simulator({**memory.scenario(), "phones": burst.phones(calls)}) as sim:
        hass = Hass(sim.url, max_concurrent_calls=max(100, calls), call_log_size=None)
        try:
            await hass.start()
            with throttled(hass.pid, SHARE, method) as throttle:
                with timed_webhooks(sim) as seconds:
                    result = await burst.run(hass, sim, calls=calls, speed=SPEED, limit=TIMEOUT)
                at_once = await answers_at_once(hass, sim, calls)
                throttle_stats = throttle.stats()
        finally:
            await hass.stop()
    failed = [e for e in sim.exchanges() if e.error is not None]
    return {
        **result,
        "share": SHARE,
        "throttle": throttle.method,
        "throttle_detail": throttle.description,
        "throttle_stats": throttle_stats,
        "webhooks": {kind: latency(values) for kind, values in sorted(seconds.items())},
        "at_once": at_once,
        "webhooks_failed": len(failed),
        "webhook_errors": sorted({str(e.error) for e in failed})[:3],
    }
