"""The simulator as one object: start it in-process (tests) or serve it (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from .clock import VirtualClock
from .conference import Conferences
from .conference_routes import ConferenceRoutes
from .engine import Engine
from .models import Exchange, Leg
from .resources import call_json, inspect_conferences
from .scenario import Faults, Scenario
from .server import build_app
from .webhooks import CallbackDispatcher, WebhookSender


class Simulator:
    """An offline Twilio on a local port.

    `async with Simulator(scenario) as sim:` starts it on a free port; point the SDK's
    `client.api.base_url` at `sim.url`, then `await sim.advance(seconds)` plays calls out on
    the manual clock. With `speed=N` the clock runs N simulated seconds per real second.
    """

    def __init__(
        self,
        scenario: Scenario | dict[str, Any] | str | Path | None = None,
        *,
        speed: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if scenario is None:
            scenario = Scenario()
        elif isinstance(scenario, dict):
            scenario = Scenario.from_mapping(scenario)
        elif isinstance(scenario, str | Path):
            scenario = Scenario.load(scenario)
        self.scenario = scenario
        self.speed = speed
        self.host = host
        self.port = port
        self.clock = VirtualClock()
        self._session: aiohttp.ClientSession | None = None
        self._faults = scenario.faults
        self._api_errors: dict[str, list[int]] = {}
        self.sender = WebhookSender(
            self._client_session,
            self.clock,
            lambda: self.scenario.auth_token,
            lambda: self._faults,
            lambda: self.scenario.webhook_timeout,
        )
        self.dispatcher = CallbackDispatcher(self.sender, self.clock, lambda: self._faults)
        self.clock.add_settler(self.dispatcher.settle)
        self.engine = Engine(scenario, self.clock, self.sender, self.dispatcher)
        self.dispatcher.failure_listeners.append(self.engine.callback_failed)
        self.conferences = Conferences(self.engine)
        self.route_extensions: list[Callable[[web.Application, str], None]] = [
            ConferenceRoutes(self.conferences).register
        ]
        self.inspect_extensions: list[Callable[[], dict[str, Any]]] = [
            lambda: inspect_conferences(self.conferences)
        ]
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- lifecycle

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, force_close=False),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def start(self) -> None:
        app = build_app(self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        for address in self._runner.addresses:  # the port the OS chose for port 0
            self.port = int(address[1])
            break
        if self.speed:
            self._ticker = asyncio.create_task(self.clock.run_realtime(self.speed))

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.dispatcher.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---------------------------------------------------------------- the test API

    async def advance(self, seconds: float) -> None:
        """Advance the virtual clock, running every call event due on the way."""
        await self.clock.advance(seconds)

    async def run_until_idle(self, limit: float = 86400.0, step: float = 1.0) -> None:
        """Advance until no call is active (or `limit` simulated seconds pass)."""
        waited = 0.0
        while waited < limit and any(not leg.ended for leg in self.engine.legs.values()):
            await self.advance(step)
            waited += step
        await self.advance(0)

    @property
    def calls(self) -> list[Leg]:
        return list(self.engine.legs.values())

    def call(self, sid: str) -> Leg:
        return self.engine.get(sid)

    def children(self, sid: str) -> list[Leg]:
        return [leg for leg in self.engine.legs.values() if leg.parent_sid == sid]

    def exchanges(self, kind: str | None = None) -> list[Exchange]:
        found = [e for leg in self.engine.legs.values() for e in leg.exchanges]
        found.sort(key=lambda e: e.at)
        return [e for e in found if kind is None or e.kind == kind]

    async def dial(self, from_: str, to: str, *, caller_id: str | None = None) -> str:
        """An inbound call: the virtual phone `from_` calls the owned number `to` (like
        POST /_sim/dial); returns the new call's SID. Its Voice URL is requested on the
        clock. `caller_id` is what Twilio reports as From, e.g. "anonymous"."""
        return self.engine.dial_inbound(from_, to, caller_id).sid

    def inject_api_error(self, operation: str, status: int, times: int = 1) -> None:
        """Make the next `times` requests of `operation` (e.g. "calls.create") fail."""
        self._api_errors.setdefault(operation, []).extend([status] * times)

    def take_api_error(self, operation: str) -> int | None:
        queued = self._api_errors.get(operation)
        if queued:
            return queued.pop(0)
        return self._faults.api_errors.get(operation)

    def set_faults(self, data: dict[str, Any]) -> None:
        self._faults = Faults.from_mapping(data)
        self.dispatcher.reseed()

    @property
    def faults(self) -> Faults:
        return self._faults

    async def reset(self) -> None:
        """Forget every call, pending event, injected error and run-time fault; the numbers
        get the scenario's voice settings back."""
        await self.dispatcher.settle()
        # Not only the legs' own timers: <Dial> time limits and delayed callbacks sit on the
        # clock too, and would fire into legs that no longer exist.
        self.clock.clear()
        for leg in self.engine.legs.values():
            leg.cancel_timers()
        self.engine.legs.clear()
        self.engine.joiners.clear()
        self.engine.numbers.reset()
        self.conferences.reset()
        self.engine.notifications.clear()
        self._api_errors.clear()
        self._faults = self.scenario.faults
        self.dispatcher.reset()

    def inspect(self) -> dict[str, Any]:
        """Every leg with its status timeline, webhook exchanges and price."""
        clock = self.clock
        calls = []
        for leg in self.engine.legs.values():
            record = call_json(leg, clock)
            record["timeline"] = [{"at": at, "status": status} for at, status in leg.timeline]
            record["exchanges"] = [e.to_dict() for e in leg.exchanges]
            record["errors"] = [notification.to_dict() for notification in leg.errors]
            record["billed_minutes"] = 0 if leg.duration is None else -(-leg.duration // 60)
            calls.append(record)
        data: dict[str, Any] = {
            "now": clock.now(),
            "time": clock.wall().isoformat(),
            "calls": calls,
            "notifications": [n.to_dict() for n in self.engine.notifications],
            "faults": dataclasses.asdict(self._faults),
            "dropped_callbacks": self.dispatcher.dropped,
        }
        for extension in self.inspect_extensions:
            data.update(extension())
        return data
