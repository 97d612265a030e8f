"""Named one-shot timers on Home Assistant's clock: one per (call, purpose) at a time.

Re-arming a name replaces its timer, so a reconcile or a conference end is never
scheduled twice; stopping cancels them all (unload, shutdown).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_point_in_time

type Job = Callable[[], Coroutine[Any, Any, None]]
type TimerName = tuple[str, str]  # (call id, purpose)


class Timers:
    """The integration's pending timers."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._pending: dict[TimerName, CALLBACK_TYPE] = {}

    def cancel(self, call_id: str, purpose: str) -> None:
        cancel = self._pending.pop((call_id, purpose), None)
        if cancel is not None:
            cancel()

    def later(self, call_id: str, purpose: str, delay: float, job: Job) -> None:
        """Run `job` in `delay` seconds (replacing the timer of the same name)."""
        self._arm(
            (call_id, purpose),
            job,
            lambda fire: async_call_later(self._hass, timedelta(seconds=delay), fire),
        )

    def at(self, call_id: str, purpose: str, when: datetime, job: Job) -> None:
        """Run `job` at `when` (replacing the timer of the same name)."""
        self._arm(
            (call_id, purpose), job, lambda fire: async_track_point_in_time(self._hass, fire, when)
        )

    def _arm(
        self,
        name: TimerName,
        job: Job,
        schedule: Callable[[Callable[[datetime], None]], CALLBACK_TYPE],
    ) -> None:
        self.cancel(*name)

        @callback
        def fire(_now: datetime) -> None:
            self._pending.pop(name, None)
            self._hass.async_create_task(job(), f"twilio_bridge {name[1]} {name[0]}")

        self._pending[name] = schedule(fire)

    def now(self, call_id: str, purpose: str, job: Job) -> None:
        """Run `job` as a task now (no timer to cancel)."""
        self._hass.async_create_task(job(), f"twilio_bridge {purpose} {call_id}")

    @callback
    def stop(self) -> None:
        for cancel in self._pending.values():
            cancel()
        self._pending.clear()
