"""The virtual clock: simulated time that tests advance by hand or that runs N times real time.

Timers fire strictly in time order, one at a time, and each is awaited, so a run on the
manual clock is deterministic. Work that Twilio does in parallel with the call (status
callbacks) is tracked as background work that `advance` waits for before it returns.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

TimerCallback = Callable[[], Awaitable[None]]

_LOGGER = logging.getLogger(__name__)


def _wall_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Timer:
    """A scheduled callback; cancel() before it fires and it never runs."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: TimerCallback) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Simulated seconds since `epoch`, advanced only by `advance` (or `run_realtime`)."""

    def __init__(self, epoch: datetime | None = None) -> None:
        # Simulated time starts at the real time, so timestamps read naturally beside the
        # client's own clock; only its pace differs.
        self.epoch = epoch or _wall_now()
        self._now = 0.0
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._settlers: list[Callable[[], Awaitable[None]]] = []
        # Exceptions raised by timer callbacks: logged and kept, so one faulty event cannot
        # stop the clock (in speed mode the ticker task would die silently).
        self.errors: list[str] = []

    def now(self) -> float:
        return self._now

    def wall(self, at: float | None = None) -> datetime:
        """The wall-clock time of simulated second `at` (default: now)."""
        return self.epoch + timedelta(seconds=self._now if at is None else at)

    def call_later(self, delay: float, callback: TimerCallback) -> Timer:
        timer = Timer(self._now + max(0.0, delay), callback)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def add_settler(self, settle: Callable[[], Awaitable[None]]) -> None:
        """Register work that `advance` must wait for (e.g. callback queues draining)."""
        self._settlers.append(settle)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, firing every timer due on the way."""
        async with self._lock:
            target = self._now + max(0.0, seconds)
            await self._settle()
            while (due := self.next_due()) is not None and due <= target:
                _, _, timer = heapq.heappop(self._heap)
                self._now = max(self._now, timer.when)
                try:
                    await timer.callback()
                except Exception as err:  # keep the clock running whatever one event does
                    _LOGGER.exception("timer at %.3f s failed", timer.when)
                    self.errors.append(f"{timer.when:.3f}: {type(err).__name__}: {err}")
                await self._settle()
            self._now = target

    def clear(self) -> None:
        """Cancel every pending timer (a reset of the simulated account)."""
        for _, _, timer in self._heap:
            timer.cancel()
        self._heap.clear()

    async def _settle(self) -> None:
        for settle in self._settlers:
            await settle()

    async def run_realtime(self, speed: float, tick: float = 0.01) -> None:
        """Advance `speed` simulated seconds per real second until cancelled."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            await self.advance((now - last) * speed)
            last = now
