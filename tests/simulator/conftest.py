"""Fixtures: a running simulator, a tiny TwiML application, and the official SDK clients.

Every REST response the SDK clients or the raw `rest` helper receive is validated against
the Twilio v2010 OpenAPI spec (tests/simulator/openapi.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from twilio.rest import Client

from simulator.harness import Simulator

from .support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    App,
    CheckedAsyncHttpClient,
    CheckedHttpClient,
    Rest,
    base_scenario,
)

SimFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the HA test plugin blocks them; connects stay limited to 127.0.0.1."""


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A region or edge from the environment would mangle the localhost base URL (§6.3).
    for name in ("TWILIO_REGION", "TWILIO_EDGE", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def scenario() -> dict[str, Any]:
    """The scenario mapping; override with @pytest.mark.parametrize("scenario", [...])."""
    return base_scenario()


@pytest.fixture
async def make_sim() -> AsyncIterator[SimFactory]:
    """Start simulators (another scenario, a speed); stopped at teardown."""
    started: list[Simulator] = []

    async def factory(scenario: dict[str, Any] | None = None, **kwargs: Any) -> Simulator:
        sim = Simulator(scenario if scenario is not None else base_scenario(), **kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        await sim.stop()
    for sim in started:
        assert not sim.clock.errors, f"timer callbacks raised: {sim.clock.errors}"


@pytest.fixture
async def sim(make_sim: SimFactory, scenario: dict[str, Any]) -> Simulator:
    """A simulator on the manual clock, with the scenario fixture."""
    return await make_sim(scenario)


@pytest.fixture
async def app(sim: Simulator) -> AsyncIterator[App]:
    """The application the simulator's webhooks go to."""
    server = App(clock_now=sim.clock.now)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def client(sim: Simulator) -> Iterator[Client]:
    """The sync SDK client (requests); call it through asyncio.to_thread in async tests."""
    http = CheckedHttpClient()
    twilio = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    twilio.api.base_url = sim.url
    yield twilio
    if http.session is not None:
        http.session.close()


@pytest.fixture
async def aclient(sim: Simulator) -> AsyncIterator[Client]:
    """The async SDK client on its own aiohttp session, as the integration builds it."""
    http = CheckedAsyncHttpClient(pool_connections=False)
    http.session = aiohttp.ClientSession()
    twilio = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    twilio.api.base_url = sim.url
    yield twilio
    await http.session.close()


@pytest.fixture
async def rest(sim: Simulator) -> AsyncIterator[Rest]:
    """Raw REST requests to the simulator."""
    async with aiohttp.ClientSession() as session:
        yield Rest(sim, session)
