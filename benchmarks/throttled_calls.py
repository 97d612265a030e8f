"""5. Home Assistant held to a quarter of one CPU (a Raspberry Pi-class budget): 50 calls at once.

A fresh `hass` starts at full speed (start-up is not what this part measures), then is held
to SHARE of one CPU (benchmarks/throttle.py: a cgroup v1 CPU quota, or a SIGSTOP/SIGCONT
duty cycle where no cgroup can be made). Inside that budget, part 2's burst runs with
CALLS calls: every call placed at once through `twilio_bridge.connect`, played for real by
the simulator (speed SPEED), `twilio_bridge_call_ended` counted per call, every record
checked. Each webhook the simulator sends is timed around its own `WebhookSender.send`: from
the moment the simulator starts the request to the moment it has read Home Assistant's
answer — the span Twilio's 15 s timeout counts (the simulator enforces it too: 11205).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
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
TIMEOUT = 180.0  # real seconds to wait for the last call to end


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


async def run(calls: int = CALLS, method: str = "auto") -> dict[str, Any]:
    async with Simulator({**memory.scenario(), "phones": burst.phones(calls)}) as sim:
        hass = Hass(sim.url, max_concurrent_calls=max(100, calls), call_log_size=None)
        try:
            await hass.start()
            with (
                throttled(hass.pid, SHARE, method) as throttle,
                timed_webhooks(sim) as seconds,
            ):
                result = await burst.run(hass, sim, calls=calls, speed=SPEED, limit=TIMEOUT)
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
        "webhooks_failed": len(failed),
        "webhook_errors": sorted({str(e.error) for e in failed})[:3],
    }
