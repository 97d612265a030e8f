"""Real Home Assistant + the simulator over real HTTP + the real twilio SDK."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp.resolver import AsyncResolver
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import (
    DOMAIN,
    EVENT_CALL_CONNECTED,
    EVENT_CALL_ENDED,
    EVENT_CALL_PROGRESS,
    EVENT_CALL_STARTED,
    EVENT_CALLBACK,
    EVENT_CALLBACK_REFUSED,
)
from simulator.harness import Simulator

TWILIO_NUMBER = "+815012345678"
PARTY_A = "+819011112222"  # answers after 3 s, never hangs up itself
PARTY_B = "+819033334444"  # answers after 4 s, hangs up after 93 s of talk
BUSY = "+81311112222"
NO_ANSWER = "+818011112222"

SCENARIO: dict[str, Any] = {
    "numbers": [TWILIO_NUMBER],
    "rates": {"currency": "JPY", "mobile": 16.2, "landline": 5.4, "ip_phone": 5.4},
    "phones": {
        PARTY_A: {"answer_after": 3, "hangup_after": None},
        PARTY_B: {"answer_after": 4, "hangup_after": 93},
        BUSY: {"behavior": "busy"},
        NO_ANSWER: {"behavior": "no-answer"},
        "default": {"answer_after": 2, "hangup_after": 60},
    },
}


# An account whose second number can send SMS but not make voice calls.
SMS_ONLY = "+815033334444"
WITH_SMS_ONLY: dict[str, Any] = {
    **SCENARIO,
    "numbers": [TWILIO_NUMBER, {"number": SMS_ONLY, "capabilities": {"voice": False, "sms": True}}],
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/twilio_bridge."""


@pytest.fixture(autouse=True)
def resolver_on_the_test_loop() -> Iterator[None]:
    """Home Assistant's shared session resolves names on the loop it runs on, as it does live.

    pytest-homeassistant-custom-component gives it one resolver made on the session's loop: a
    lookup that waits for a DNS answer (any name not in /etc/hosts) then fails with "attached
    to a different loop". (With the pycares that broke every lookup, nothing waited.)
    """
    with patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        side_effect=lambda _hass: _resolver(),
    ):
        yield


def _resolver() -> AsyncResolver:
    resolver = AsyncResolver()
    # Newer Home Assistant closes its resolver at shutdown through real_close(), as the
    # harness's own resolver provides.
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    return resolver


@dataclass
class Bridge:
    """A running Home Assistant with twilio_bridge pointed at a running simulator."""

    hass: HomeAssistant
    sim: Simulator
    base_url: str
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def connect(self, party_a: str, party_b: str, **extra: Any) -> dict[str, Any]:
        response = await self.hass.services.async_call(
            DOMAIN,
            "connect",
            {"party_a": party_a, "party_b": party_b, **extra},
            blocking=True,
            return_response=True,
        )
        assert isinstance(response, dict)
        return response

    async def play_out(self, seconds: float = 3600) -> None:
        """Run the simulator until every call is over, then let Home Assistant settle."""
        await self.sim.run_until_idle(limit=seconds)
        await self.hass.async_block_till_done()

    async def calls(self) -> list[dict[str, Any]]:
        response = await self.hass.services.async_call(
            DOMAIN, "get_calls", {}, blocking=True, return_response=True
        )
        assert isinstance(response, dict)
        return list(response["calls"])


def bridge_config(sim: Simulator, base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        DOMAIN: {
            "account_sid": sim.scenario.account_sid,
            "auth_token": sim.scenario.auth_token,
            "phone_number": TWILIO_NUMBER,
            "api_base_url": sim.url,
            "webhook_base_url": base_url,
            **overrides,
        }
    }


@pytest.fixture
def scenario() -> dict[str, Any]:
    return SCENARIO


@pytest.fixture
def bridge_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def sim(scenario: dict[str, Any]) -> AsyncIterator[Simulator]:
    async with Simulator(scenario) as simulator:
        yield simulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(
    hass: HomeAssistant, aiohttp_client: ClientSessionGenerator, port: int
) -> TestClient:
    """Serve Home Assistant's HTTP app on `port`, as its own server would.

    Like Home Assistant's server, the router stays open: views registered later (the
    integration's, at setup) still answer.
    """
    assert await async_setup_component(hass, "http", {})
    hass.http.app._router.freeze = lambda: None  # type: ignore[method-assign]
    return await aiohttp_client(hass.http.app, server_kwargs={"port": port})


def loaded_entry(hass: HomeAssistant) -> ConfigEntry:
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def bridge(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    bridge_overrides: dict[str, Any],
) -> Bridge:
    # The public URL must be known before setup (webhooks are signed over it), and the
    # server must answer at setup (the webhook self-test): so serve on a chosen port first.
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    await serve(hass, aiohttp_client, port)
    config = bridge_config(sim, base_url, **bridge_overrides)
    assert await async_setup_component(hass, DOMAIN, config)
    await hass.async_block_till_done()
    loaded_entry(hass)
    harness = Bridge(hass=hass, sim=sim, base_url=base_url)
    for event_type in (
        EVENT_CALL_STARTED,
        EVENT_CALL_CONNECTED,
        EVENT_CALL_ENDED,
        EVENT_CALL_PROGRESS,
        EVENT_CALLBACK,
        EVENT_CALLBACK_REFUSED,
    ):
        bucket = harness.events.setdefault(event_type, [])

        def record(event: Event, bucket: list[dict[str, Any]] = bucket) -> None:
            bucket.append(dict(event.data))

        hass.bus.async_listen(event_type, record)
    return harness
