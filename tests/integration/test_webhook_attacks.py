"""Attacks on the webhooks: wrong signatures, other calls, replays, garbage, fuzzing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import pytest
import voluptuous as vol
from homeassistant.exceptions import HomeAssistantError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.twilio_bridge.core.calls import Outcome
from simulator.signing import signature

from .conftest import PARTY_A, PARTY_B, Bridge

KEYS = [
    "CallSid",
    "CallStatus",
    "SequenceNumber",
    "CallDuration",
    "Timestamp",
    "SipResponseCode",
    "DialCallStatus",
    "DialCallDuration",
    "DialCallSid",
    "DialBridged",
    "ParentCallSid",
    "AccountSid",
    "From",
    "To",
    "Direction",
]


async def post(url: str, data: Any, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=headers or {}) as response,
    ):
        return response.status, await response.text()


def signed(bridge: Bridge, url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": signature(bridge.sim.scenario.auth_token, url, params.items())}


async def test_another_calls_genuine_request_is_refused(bridge: Bridge) -> None:
    first = await bridge.connect(PARTY_A, PARTY_B)
    second = await bridge.connect("090-5555-6666", "090-7777-8888")
    await bridge.sim.advance(2)
    await bridge.hass.async_block_till_done()
    before = await bridge.calls()
    # A genuine callback of the first call's leg A, replayed at the second call's URL...
    genuine = next(e for e in bridge.sim.exchanges("status") if first["call_id"] in e.url)
    url = f"{bridge.base_url}/api/twilio_bridge/status/{second['call_id']}/a"
    assert (await post(url, genuine.params, {"X-Twilio-Signature": genuine.signature}))[0] == 403
    # ...and even correctly signed for that URL (a leaked token), it names another leg.
    assert (await post(url, genuine.params, signed(bridge, url, genuine.params)))[0] == 403
    await bridge.hass.async_block_till_done()
    assert await bridge.calls() == before


async def test_replayed_genuine_requests_are_absorbed(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    before = await bridge.calls()
    events = {kind: len(found) for kind, found in bridge.events.items()}
    for exchange in bridge.sim.exchanges():
        status, _ = await post(
            exchange.url, exchange.params, {"X-Twilio-Signature": exchange.signature}
        )
        assert status in (200, 204)
    await bridge.hass.async_block_till_done()
    assert await bridge.calls() == before
    assert {kind: len(found) for kind, found in bridge.events.items()} == events


async def test_oversized_and_malformed_requests(bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    url = f"{bridge.base_url}/api/twilio_bridge/status/{placed['call_id']}/a"
    assert (await post(url, {"CallSid": "x" * 40000}))[0] == 413
    json_body = {"Content-Type": "application/json"}
    assert (await post(url, b'{"CallSid": "CA1"}', json_body))[0] == 400
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await post(url, b"CallSid=%ff%fe", form))[0] == 400
    assert (await post(f"{bridge.base_url}/api/twilio_bridge/status/x/c", {}))[0] == 404
    assert len(await bridge.calls()) == 1


async def test_the_auth_token_never_reaches_the_logs(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await bridge.connect(PARTY_A, PARTY_B)
    await post(f"{bridge.base_url}/api/twilio_bridge/answer/x", {"a": "b"})
    bridge.sim.inject_api_error("calls.create", 401)
    with pytest.raises(HomeAssistantError):
        await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    assert bridge.sim.scenario.auth_token not in caplog.text
    assert "9033334444" not in caplog.text  # numbers are masked in logs too


def _fuzz_in_thread(bridge: Bridge, loop: asyncio.AbstractEventLoop, urls: list[str]) -> None:
    """Run hypothesis in a worker thread; each example is sent on Home Assistant's loop."""
    values = st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "in-progress",
                "completed",
                "busy",
                "-1",
                "99999999999999999999",
                "true",
                "",
                "Thu, 26 Nov 2026 00:00:00 +0000",
                "not a date",
                "CA" + "0" * 32,
            ]
        ),
    )

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )
    @given(
        url=st.sampled_from(urls),
        params=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), values, max_size=8),
        sign=st.booleans(),
    )
    def example(url: str, params: dict[str, str], sign: bool) -> None:
        headers = signed(bridge, url, params) if sign else {}
        status, _ = asyncio.run_coroutine_threadsafe(post(url, params, headers), loop).result()
        assert status in (200, 204, 400, 403), (status, params)
        if not sign:
            assert status == 403

    example()


async def test_fuzzed_webhooks_never_fail(bridge: Bridge) -> None:
    placed = await bridge.connect(PARTY_A, PARTY_B)
    call_id = placed["call_id"]
    urls = [
        f"{bridge.base_url}/api/twilio_bridge/{path}"
        for path in (
            f"answer/{call_id}",
            f"status/{call_id}/a",
            f"status/{call_id}/b",
            f"dial_done/{call_id}",
            "answer/unknown",
            "dial_done/unknown",
            "status/unknown/a",
        )
    ]
    await bridge.hass.async_add_executor_job(
        _fuzz_in_thread, bridge, asyncio.get_running_loop(), urls
    )
    await bridge.hass.async_block_till_done()
    for call in await bridge.calls():
        assert call["outcome"] is None or call["outcome"] in set(Outcome)
        assert call["duration"] is None or call["duration"] >= 0


def _fuzz_services(bridge: Bridge, loop: asyncio.AbstractEventLoop) -> None:
    field = st.one_of(st.text(max_size=30), st.integers(), st.none(), st.floats())

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(
        service=st.sampled_from(["connect", "hangup", "extend", "get_calls"]),
        data=st.dictionaries(
            st.sampled_from(
                [
                    "party_a",
                    "party_b",
                    "mode",
                    "time_limit",
                    "greeting",
                    "label",
                    "call_id",
                    "seconds",
                    "limit",
                ]
            ),
            field,
            max_size=5,
        ),
    )
    def example(service: str, data: dict[str, Any]) -> None:
        call = bridge.hass.services.async_call(
            "twilio_bridge",
            service,
            data,
            blocking=True,
            return_response=True,
        )
        # A clear, expected refusal is fine; any other exception fails the test.
        with contextlib.suppress(HomeAssistantError, vol.Invalid):
            asyncio.run_coroutine_threadsafe(call, loop).result()

    example()


async def test_fuzzed_service_calls_only_raise_clear_errors(bridge: Bridge) -> None:
    await bridge.hass.async_add_executor_job(_fuzz_services, bridge, asyncio.get_running_loop())
    await bridge.hass.async_block_till_done()
