"""What a *signed* request may carry, and what a service call may ask: the defects once found.

Each test sends what was found to break the integration (through real Home Assistant, with
requests signed like Twilio's) and checks the call still ends right, and nothing answers 500.
"""

from __future__ import annotations

import logging
from typing import Any
from xml.etree import ElementTree

import pytest
import voluptuous as vol
from homeassistant.exceptions import ServiceValidationError

from custom_components.twilio_bridge.core.calls import CallRecord
from custom_components.twilio_bridge.runtime import loaded_runtime
from simulator.signing import signature

from .conftest import PARTY_A, PARTY_B, TWILIO_NUMBER, Bridge
from .test_webhook_attacks import post, signed


def record_of(bridge: Bridge, call_id: str) -> CallRecord:
    record = loaded_runtime(bridge.hass).manager.record(call_id)
    assert record is not None
    return record


async def send(bridge: Bridge, path: str, params: Any) -> tuple[int, str]:
    """POST a form signed with the account's token (as Twilio would sign it)."""
    url = f"{bridge.base_url}/api/twilio_bridge/{path}"
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    headers = {"X-Twilio-Signature": signature(bridge.sim.scenario.auth_token, url, pairs)}
    status, body = await post(url, pairs, headers)
    await bridge.hass.async_block_till_done()
    return status, body


async def placed_call(bridge: Bridge) -> tuple[str, str]:
    """A call whose leg A Twilio has created (and not yet rung): (call id, leg A's SID)."""
    call_id = (await bridge.connect(PARTY_A, PARTY_B))["call_id"]
    sid = record_of(bridge, call_id).legs["a"].sid
    assert sid is not None
    return call_id, sid


async def test_the_own_number_is_refused_and_nothing_is_placed(bridge: Bridge) -> None:
    for party_a, party_b in ((TWILIO_NUMBER, PARTY_B), (PARTY_A, "050-1234-5678")):
        with pytest.raises(ServiceValidationError) as raised:
            await bridge.connect(party_a, party_b)
        assert raised.value.translation_key == "own_number"
    assert bridge.sim.calls == []


async def test_a_greeting_with_control_characters_still_gives_valid_twiml(
    bridge: Bridge,
) -> None:
    await bridge.connect(PARTY_A, PARTY_B, greeting="Hello\x07 from\x00 the desk\x1b")
    await bridge.play_out()
    answer = next(e for e in bridge.sim.exchanges("voice") if "/answer/" in e.url)
    say = ElementTree.fromstring(answer.body).find("Say")
    assert say is not None
    assert say.text == "Hello from the desk"
    (call,) = await bridge.calls()
    assert (call["outcome"], call["duration"]) == ("completed", 93)


async def test_overlong_texts_are_refused_and_nothing_is_placed(bridge: Bridge) -> None:
    for field, size in (("greeting", 100_000), ("greeting", 501), ("label", 201)):
        with pytest.raises(vol.Invalid, match="at most"):
            await bridge.connect(PARTY_A, PARTY_B, **{field: "x" * size})
    assert bridge.sim.calls == []


@pytest.mark.parametrize(
    "timestamp",
    [
        "Sun, 29 Nov 2026 10:00:00 -0000",  # no zone: a naive datetime once raised
        "Sun, 29 Nov 2026 10:00:00 +99999999999999999999",  # OverflowError in Python
        "Wed, 25 Mar 2015 09:53:19 +0000",  # a replay from 2015
    ],
)
async def test_odd_timestamps_still_finish_the_call(bridge: Bridge, timestamp: str) -> None:
    call_id, sid = await placed_call(bridge)
    status, _ = await send(
        bridge,
        f"status/{call_id}/a",
        {"CallSid": sid, "CallStatus": "busy", "CallDuration": "0", "Timestamp": timestamp},
    )
    assert status == 204
    record = record_of(bridge, call_id)
    assert (record.active, record.outcome) == (False, "busy")
    assert record.ended_at is not None
    assert 0 <= (record.ended_at - record.created_at).total_seconds() < 3600
    assert bridge.hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == "off"
    assert len(bridge.events["twilio_bridge_call_ended"]) == 1


async def test_negative_durations_are_not_taken(bridge: Bridge) -> None:
    call_id, sid = await placed_call(bridge)
    await send(bridge, f"status/{call_id}/a", {"CallSid": sid, "CallStatus": "in-progress"})
    child = "CA" + "b" * 32
    status, body = await send(
        bridge,
        f"dial_done/{call_id}",
        {
            "CallSid": sid,
            "DialCallSid": child,
            "DialCallStatus": "completed",
            "DialBridged": "true",
            "DialCallDuration": "-50",
        },
    )
    assert status == 200
    assert "<Hangup" in body
    for leg, leg_sid in (("b", child), ("a", sid)):
        status, _ = await send(
            bridge,
            f"status/{call_id}/{leg}",
            {"CallSid": leg_sid, "CallStatus": "completed", "CallDuration": "-5"},
        )
        assert status == 204
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert ended["outcome"] == "completed"
    assert ended["duration"] == 0
    assert ended["cost"] >= 0
    assert record_of(bridge, call_id).cost is not None


async def test_an_unknown_status_is_neither_stored_nor_announced(bridge: Bridge) -> None:
    call_id, sid = await placed_call(bridge)
    status, _ = await send(bridge, f"status/{call_id}/a", {"CallSid": sid, "CallStatus": "fried"})
    assert status == 204
    assert record_of(bridge, call_id).legs["a"].status is None
    assert bridge.events["twilio_bridge_call_progress"] == []


async def test_a_dial_action_without_dial_bridged_after_talking_is_a_completed_call(
    bridge: Bridge,
) -> None:
    call_id, sid = await placed_call(bridge)
    await send(bridge, f"status/{call_id}/a", {"CallSid": sid, "CallStatus": "in-progress"})
    child = "CA" + "c" * 32
    await send(
        bridge,
        f"status/{call_id}/b",
        {"CallSid": child, "ParentCallSid": sid, "CallStatus": "in-progress"},
    )
    # An older Twilio request: DialCallStatus and DialCallDuration, no DialBridged.
    status, body = await send(
        bridge,
        f"dial_done/{call_id}",
        {
            "CallSid": sid,
            "DialCallSid": child,
            "DialCallStatus": "completed",
            "DialCallDuration": "40",
        },
    )
    assert status == 200
    assert "<Say" not in body  # A is not told "could not be reached"
    for leg, leg_sid, seconds in (("b", child, "40"), ("a", sid, "45")):
        await send(
            bridge,
            f"status/{call_id}/{leg}",
            {"CallSid": leg_sid, "CallStatus": "completed", "CallDuration": seconds},
        )
    record = record_of(bridge, call_id)
    assert (record.outcome, record.failed_party, record.duration) == ("completed", None, 40)


async def test_a_signed_request_with_a_repeated_parameter_is_accepted(bridge: Bridge) -> None:
    call_id, sid = await placed_call(bridge)
    status, _ = await send(
        bridge,
        f"status/{call_id}/a",
        [
            ("CallSid", sid),
            ("CallStatus", "ringing"),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "ringing"),
        ],
    )
    assert status == 204
    assert record_of(bridge, call_id).legs["a"].status == "ringing"


async def test_forged_requests_are_logged_once_a_minute_with_a_count(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    call_id, _ = await placed_call(bridge)
    caplog.set_level(logging.WARNING, logger="custom_components.twilio_bridge")
    url = f"{bridge.base_url}/api/twilio_bridge/status/{call_id}/a"
    for _ in range(200):
        assert (await post(url, {"CallSid": "CA" + "0" * 32}, {"X-Twilio-Signature": "x"}))[
            0
        ] == 403
    refusals = [r for r in caplog.records if "Refused" in r.getMessage()]
    assert len(refusals) == 1
    assert loaded_runtime(bridge.hass).rejections.total == 200


async def test_a_genuine_request_signed_over_another_url_is_still_refused(
    bridge: Bridge,
) -> None:
    call_id, sid = await placed_call(bridge)
    params = {"CallSid": sid, "CallStatus": "busy"}
    other = f"{bridge.base_url}/api/twilio_bridge/status/{call_id}/b"
    url = f"{bridge.base_url}/api/twilio_bridge/status/{call_id}/a"
    assert (await post(url, params, signed(bridge, other, params)))[0] == 403
    assert record_of(bridge, call_id).active
