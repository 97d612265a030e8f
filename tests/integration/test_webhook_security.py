"""Webhooks are locked by X-Twilio-Signature over the public URL."""

from __future__ import annotations

import aiohttp

from simulator.signing import signature

from .conftest import PARTY_A, PARTY_B, Bridge


async def _post(url: str, params: dict[str, str], sig: str | None) -> tuple[int, str]:
    headers = {} if sig is None else {"X-Twilio-Signature": sig}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=params, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_forged_or_unsigned_webhooks_get_403_and_change_nothing(bridge: Bridge) -> None:
    response = await bridge.connect(PARTY_A, PARTY_B)
    call_id = response["call_id"]
    await bridge.sim.advance(1)  # leg A is ringing
    await bridge.hass.async_block_till_done()
    before = await bridge.calls()
    url = f"{bridge.base_url}/api/twilio_bridge/status/{call_id}/a"
    params = {
        "CallSid": bridge.sim.calls[0].sid,
        "CallStatus": "completed",
        "CallDuration": "999",
        "SequenceNumber": "9",
    }

    unsigned = await _post(url, params, None)
    wrong_token = await _post(url, params, signature("not-the-token", url, params.items()))
    # Signed with the right token but for another URL (another call's status webhook).
    other_url = f"{bridge.base_url}/api/twilio_bridge/status/another-call/a"
    other = await _post(
        url, params, signature(bridge.sim.scenario.auth_token, other_url, params.items())
    )
    answer_url = f"{bridge.base_url}/api/twilio_bridge/answer/{call_id}"
    forged_answer = await _post(answer_url, params, "bm90IGEgc2lnbmF0dXJl")

    assert [unsigned[0], wrong_token[0], other[0], forged_answer[0]] == [403, 403, 403, 403]
    assert "Dial" not in forged_answer[1]
    await bridge.hass.async_block_till_done()
    assert await bridge.calls() == before
    assert bridge.events["twilio_bridge_call_ended"] == []

    # The genuine call still plays out normally afterwards.
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    assert call["duration"] == 93
