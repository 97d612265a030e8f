"""Host names resolve in the pinned tree, so `api_base_url: http://localhost:8765` works.

Home Assistant 2025.4 pins aiodns 3.2.0, which asks for any pycares >= 4; with pycares 5 every
lookup, even of `localhost`, raises TypeError. Every other test names hosts by IP address,
which aiohttp never resolves, so only these would notice a broken pair.
"""

from __future__ import annotations

import pytest
from aiohttp.resolver import DefaultResolver
from homeassistant.core import HomeAssistant

from simulator.harness import Simulator

from .conftest import PARTY_A, PARTY_B, Bridge, loaded_entry

LOOPBACK = {"127.0.0.1", "::1"}


async def test_aiohttp_default_resolver_resolves_localhost(hass: HomeAssistant) -> None:
    resolver = DefaultResolver()
    try:
        hosts = await resolver.resolve("localhost", 8765)
    finally:
        await resolver.close()
    addresses = {host["host"] for host in hosts}
    assert addresses
    assert addresses <= LOOPBACK
    assert {host["port"] for host in hosts} == {8765}


@pytest.fixture
def bridge_overrides(sim: Simulator) -> dict[str, str]:
    return {"api_base_url": sim.url.replace("127.0.0.1", "localhost")}


async def test_a_simulator_named_localhost_places_a_call(bridge: Bridge) -> None:
    assert loaded_entry(bridge.hass).data["api_base_url"].startswith("http://localhost:")
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["call_id"] == placed["call_id"]
    assert (call["outcome"], call["duration"]) == ("completed", 93)
