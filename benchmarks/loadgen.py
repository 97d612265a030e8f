"""The load generator, always run as its own process (never inside the server under test).

    python -m benchmarks.loadgen < SPEC.json

SPEC (JSON on standard input): {"url", "body", "signature", "mode": "open"|"closed",
"rate", "duration", "concurrency", "warmup"}. Prints one JSON object: counts, statuses,
latency percentiles (ms) and the generator's own CPU seconds.

open:   open loop. Request i is sent at start + i/rate whatever happened to earlier ones
        (nothing waits for a response); its latency counts from that scheduled instant, so
        a generator or server that falls behind shows up in the figures (no coordinated
        omission). The timer wake-up lag of the generator's own event loop (about 1 ms:
        epoll waits in whole milliseconds) is part of that, so the latency from the moment
        each request was actually sent is reported too (sent_*).
closed: `concurrency` workers, each sending its next request as soon as its previous one
        is answered, for `duration` seconds after `warmup` seconds that are not counted.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

from .common import percentile

REQUEST_TIMEOUT = 10.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Run:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.url: str = spec["url"]
        self.body = spec["body"].encode()
        self.headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": spec["signature"],
            "User-Agent": "TwilioProxy/1.1",
        }
        self.spec = spec
        self.latencies: list[float] = []
        self.service: list[float] = []  # open loop: from the moment it was actually sent
        self.lags: list[float] = []
        self.statuses: Counter[str] = Counter()

    async def _send(self, session: aiohttp.ClientSession) -> str:
        try:
            async with session.post(self.url, data=self.body, headers=self.headers) as response:
                await response.read()
                return str(response.status)
        except (aiohttp.ClientError, TimeoutError) as err:
            return type(err).__name__

    async def open_loop(self, session: aiohttp.ClientSession) -> float:
        loop = asyncio.get_running_loop()
        rate, count = float(self.spec["rate"]), int(self.spec["rate"] * self.spec["duration"])
        start = loop.time() + 0.05

        async def one(scheduled: float) -> None:
            sent = loop.time()
            self.lags.append(sent - scheduled)
            status = await self._send(session)
            done = loop.time()
            self.latencies.append(done - scheduled)
            self.service.append(done - sent)
            self.statuses[status] += 1

        tasks = []
        for i in range(count):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
        return loop.time() - start

    async def closed_loop(self, session: aiohttp.ClientSession) -> float:
        loop = asyncio.get_running_loop()
        warm_until = loop.time() + float(self.spec["warmup"])
        measure_until = warm_until + float(self.spec["duration"])

        async def worker() -> None:
            while (sent := loop.time()) < measure_until:
                status = await self._send(session)
                if sent >= warm_until:
                    self.latencies.append(loop.time() - sent)
                    self.statuses[status] += 1

        await asyncio.gather(*(worker() for _ in range(int(self.spec["concurrency"]))))
        return float(self.spec["duration"])

    async def run(self) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            cpu_before, wall_before = _cpu(), time.monotonic()
            if self.spec["mode"] == "open":
                elapsed = await self.open_loop(session)
            else:
                elapsed = await self.closed_loop(session)
            cpu = _cpu() - cpu_before
            wall = time.monotonic() - wall_before
        ordered = sorted(self.latencies)
        service = sorted(self.service)
        lags = sorted(self.lags)
        return {
            "mode": self.spec["mode"],
            "requests": len(ordered),
            "statuses": dict(self.statuses),
            "elapsed_s": elapsed,
            "throughput_rps": len(ordered) / elapsed if elapsed > 0 else 0.0,
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p90_ms": percentile(ordered, 0.90) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": (ordered[-1] if ordered else float("nan")) * 1000,
            "sent_p50_ms": percentile(service, 0.50) * 1000 if service else None,
            "sent_p99_ms": percentile(service, 0.99) * 1000 if service else None,
            "send_lag_p50_ms": percentile(lags, 0.50) * 1000 if lags else None,
            "send_lag_p99_ms": percentile(lags, 0.99) * 1000 if lags else None,
            "loadgen_cpu_s": cpu,
            "loadgen_wall_s": wall,
            "loadgen_total_cpu_s": _cpu(),  # including its own start-up
        }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(Run(spec).run())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
