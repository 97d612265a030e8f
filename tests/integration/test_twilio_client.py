"""The SDK wrapper: edge/region handling, the shared session, and failures of the transport."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from custom_components.twilio_bridge.twilio_client import TwilioApi, TwilioApiError
from simulator.harness import Simulator

SID = "AC" + "0" * 32


async def test_tokyo_edge_for_real_twilio(monkeypatch: pytest.MonkeyPatch) -> None:
    async with aiohttp.ClientSession() as session:
        api = TwilioApi(SID, "token", session, edge="tokyo")
        client = api._client
        assert (client.edge, client.region) == ("tokyo", "jp1")
        assert (
            client.get_hostname("https://api.twilio.com/x") == "https://api.tokyo.jp1.twilio.com/x"
        )


async def test_environment_edge_never_mangles_a_simulator_url(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    async with Simulator() as sim, aiohttp.ClientSession() as session:
        api = TwilioApi(
            sim.scenario.account_sid, sim.scenario.auth_token, session, api_base_url=sim.url + "/"
        )
        with pytest.raises(TwilioApiError) as raised:
            await api.fetch_call("CA" + "0" * 32)
        # The request reached the simulator (Twilio's 20404), not a rewritten host.
        assert raised.value.code == 20404
        assert raised.value.status == 404
        assert not session.closed  # the shared session is never closed by the SDK


class BrokenResolver(AbstractResolver):
    """Fails every lookup the way aiodns 3.2.0 did on pycares 5: with a TypeError."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise TypeError("Channel.getaddrinfo() takes 3 positional arguments")

    async def close(self) -> None:
        pass


async def test_any_transport_failure_is_a_twilio_api_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.twilio_bridge")
    connector = aiohttp.TCPConnector(resolver=BrokenResolver())
    async with aiohttp.ClientSession(connector=connector) as session:
        # A host name, not an address: aiohttp asks the resolver only for names.
        api = TwilioApi(SID, "token", session, api_base_url="http://simulator.test:8765")
        with pytest.raises(TwilioApiError, match=r"^Calls\.fetch failed: TypeError$") as raised:
            await api.fetch_call("CA" + "0" * 32)
    assert isinstance(raised.value.__cause__, TypeError)
    assert (raised.value.code, raised.value.status) == (None, None)
    (logged,) = [r for r in caplog.records if r.name.startswith("custom_components.twilio_bridge")]
    assert (logged.levelno, logged.getMessage()) == (logging.DEBUG, "Calls.fetch failed")
    assert logged.exc_info is not None
    assert logged.exc_info[0] is TypeError
