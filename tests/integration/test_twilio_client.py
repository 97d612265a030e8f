"""The SDK wrapper: edge/region handling and the shared session."""

from __future__ import annotations

import aiohttp
import pytest

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
