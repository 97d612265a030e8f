"""Real people on the line: confirmation of A, the whisper to B, and never paying for voicemail.

Every row of issue 11, end to end: real Home Assistant, the simulator's virtual phones
pressing keys (or not), the official SDK, signed webhooks.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from custom_components.twilio_bridge.core.texts import (
    confirm_prompt,
    unavailable_text,
)

from .conftest import SCENARIO, Bridge

A_PRESSES_1 = "+819010000001"
A_VOICEMAIL = "+819010000002"
A_WRONG_KEY = "+819010000003"
B_PRESSES_1 = "+819020000001"
B_VOICEMAIL = "+819020000002"
B_SILENT = "+819020000003"
B_TALKS = "+819020000004"
A_SLOW = "+819010000004"
A_TOO_SLOW = "+819010000005"

PHONES: dict[str, Any] = {
    A_PRESSES_1: {"answer_after": 3, "hangup_after": None, "digits": "1"},
    # A voicemail answers, records whatever it hears and presses nothing.
    A_VOICEMAIL: {"behavior": "voicemail", "answer_after": 10, "hangup_after": 120},
    A_WRONG_KEY: {"answer_after": 3, "hangup_after": None, "digits": "5"},
    # Keys pressed this many seconds after the question starts (prompt ~5 s + timeout 8 s).
    A_SLOW: {"answer_after": 3, "hangup_after": None, "digits": "1", "digits_after": 10},
    A_TOO_SLOW: {"answer_after": 3, "hangup_after": None, "digits": "1", "digits_after": 40},
    B_PRESSES_1: {"answer_after": 4, "hangup_after": 93, "digits": "1"},
    B_VOICEMAIL: {"behavior": "voicemail", "answer_after": 15, "hangup_after": 120},
    B_SILENT: {"answer_after": 4, "hangup_after": None},
    B_TALKS: {"answer_after": 4, "hangup_after": 93},
}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return {**SCENARIO, "phones": {**SCENARIO["phones"], **PHONES}}


def says(document: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(document).iter("Say")]


async def one_call(bridge: Bridge, party_a: str, party_b: str, **extra: Any) -> dict[str, Any]:
    await bridge.connect(party_a, party_b, **extra)
    await bridge.play_out()
    (call,) = await bridge.calls()
    return call


def progress(bridge: Bridge, status: str) -> list[str]:
    return [e["leg"] for e in bridge.events["twilio_bridge_call_progress"] if e["status"] == status]


async def test_a_confirms_then_b_is_dialed(bridge: Bridge) -> None:
    call = await one_call(bridge, A_PRESSES_1, B_TALKS, confirm="a", greeting="Hello.")
    assert (call["outcome"], call["failed_party"], call["duration"]) == ("completed", None, 93)
    assert call["confirmed_at"]["a"] is not None
    assert call["confirmed_at"]["b"] is None
    assert progress(bridge, "confirmed") == ["a"]
    answer = next(e for e in bridge.sim.exchanges("voice") if "/answer/" in e.url)
    gather = ElementTree.fromstring(answer.body).find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("timeout")) == ("1", "8")
    assert says(answer.body)[:2] == ["Hello.", confirm_prompt("ja-JP")]
    # The dial comes only after the key, from the <Gather action>.
    (pressed,) = bridge.sim.exchanges("gather")
    assert pressed.params["Digits"] == "1"
    assert "<Dial" in pressed.body


async def test_a_voicemail_costs_one_minute_of_leg_a_and_b_is_never_dialed(
    bridge: Bridge,
) -> None:
    call = await one_call(bridge, A_VOICEMAIL, B_TALKS, confirm="a")
    assert (call["outcome"], call["failed_party"], call["duration"]) == ("not_confirmed", "a", 0)
    legs = bridge.sim.calls
    assert [leg.to for leg in legs] == [A_VOICEMAIL]  # B never dialed
    assert call["billed_seconds"]["a"] <= 60
    assert call["billed_seconds"]["b"] is None
    assert call["cost"] == pytest.approx(16.2)  # one started minute of a mobile leg
    (ended,) = bridge.events["twilio_bridge_call_ended"]
    assert (ended["outcome"], ended["failed_party"]) == ("not_confirmed", "a")
    assert progress(bridge, "confirmed") == []


async def test_a_wrong_key_is_no_confirmation(bridge: Bridge) -> None:
    call = await one_call(bridge, A_WRONG_KEY, B_TALKS, confirm="a")
    assert (call["outcome"], call["failed_party"]) == ("not_confirmed", "a")
    assert [leg.to for leg in bridge.sim.calls] == [A_WRONG_KEY]
    (pressed,) = bridge.sim.exchanges("gather")
    assert "<Hangup" in pressed.body
    assert "<Dial" not in pressed.body


async def test_b_hears_who_calls_confirms_and_talks(bridge: Bridge) -> None:
    announce = "A call from the Tanaka household about tomorrow's delivery."
    call = await one_call(bridge, A_PRESSES_1, B_PRESSES_1, confirm="b", announce=announce)
    assert (call["outcome"], call["failed_party"]) == ("completed", None)
    # Twilio's DialCallDuration: B's time on the line, the whisper included.
    assert call["duration"] == 93
    assert call["confirmed_at"]["b"] is not None
    assert progress(bridge, "confirmed") == ["b"]
    assert call["cost"] == pytest.approx(64.8)  # 2 + 2 started minutes, as without the gate
    (whisper,) = bridge.sim.exchanges("whisper")
    assert whisper.params["ParentCallSid"] == bridge.sim.calls[0].sid
    assert says(whisper.body)[:2] == [announce, confirm_prompt("ja-JP")]
    assert len(bridge.events["twilio_bridge_call_connected"]) == 1


@pytest.mark.parametrize("party_b", [B_VOICEMAIL, B_SILENT])
async def test_b_who_does_not_confirm_is_not_bridged_and_both_legs_end(
    bridge: Bridge, party_b: str
) -> None:
    call = await one_call(bridge, A_PRESSES_1, party_b, confirm="b")
    assert (call["outcome"], call["failed_party"], call["duration"]) == ("not_confirmed", "b", 0)
    assert bridge.events["twilio_bridge_call_connected"] == []
    (dial_done,) = bridge.sim.exchanges("action")
    assert dial_done.params["DialBridged"] == "false"
    assert says(dial_done.body) == [unavailable_text("ja-JP")]
    leg_a, leg_b = bridge.sim.calls
    # Both legs end right after B's silence: a minute each at most, nothing held open.
    assert leg_a.duration is not None
    assert leg_a.duration <= 60
    assert leg_b.duration is not None
    assert leg_b.duration <= 60
    assert call["cost"] == pytest.approx(32.4)


async def test_announce_alone_is_said_to_b_before_the_bridge(bridge: Bridge) -> None:
    call = await one_call(bridge, A_PRESSES_1, B_TALKS, announce="About your parcel.")
    assert (call["outcome"], call["duration"] > 0) == ("completed", True)
    (whisper,) = bridge.sim.exchanges("whisper")
    assert says(whisper.body) == ["About your parcel."]
    assert "<Gather" not in whisper.body
    assert bridge.sim.exchanges("gather") == []


async def test_both_confirm_in_conference_mode(bridge: Bridge) -> None:
    call = await one_call(bridge, A_PRESSES_1, B_PRESSES_1, confirm="both", mode="conference")
    assert (call["outcome"], call["failed_party"]) == ("completed", None)
    assert call["duration"] > 0
    assert sorted(progress(bridge, "confirmed")) == ["a", "b"]
    answers = [e for e in bridge.sim.exchanges("voice") if "/answer/" in e.url]
    assert all("<Gather" in e.body and "<Conference" not in e.body for e in answers)
    joined = bridge.sim.exchanges("gather")
    assert len(joined) == 2
    assert all("<Conference" in e.body for e in joined)


async def test_conference_mode_never_dials_b_before_a_confirms(bridge: Bridge) -> None:
    call = await one_call(bridge, A_VOICEMAIL, B_TALKS, confirm="a", mode="conference")
    assert (call["outcome"], call["failed_party"]) == ("not_confirmed", "a")
    assert [leg.to for leg in bridge.sim.calls] == [A_VOICEMAIL]


async def test_conference_mode_releases_a_when_b_does_not_confirm(bridge: Bridge) -> None:
    call = await one_call(bridge, A_PRESSES_1, B_VOICEMAIL, confirm="b", mode="conference")
    assert (call["outcome"], call["failed_party"]) == ("not_confirmed", "b")
    leg_a = bridge.sim.calls[0]
    assert leg_a.duration is not None
    assert leg_a.duration <= 60  # A is let go at once, not kept waiting in the room


@pytest.mark.parametrize("bridge_overrides", [{"confirm": "a", "confirm_timeout": 5}])
async def test_confirmation_from_the_configuration(bridge: Bridge) -> None:
    call = await one_call(bridge, A_VOICEMAIL, B_TALKS)
    assert (call["outcome"], call["confirm"]) == ("not_confirmed", "a")
    answer = next(e for e in bridge.sim.exchanges("voice") if "/answer/" in e.url)
    gather = ElementTree.fromstring(answer.body).find("Gather")
    assert gather is not None
    assert gather.get("timeout") == "5"
    # A call can still opt out of the configured confirmation.
    await bridge.connect(A_PRESSES_1, B_TALKS, confirm="none")
    await bridge.play_out()
    assert (await bridge.calls())[0]["outcome"] == "completed"


async def test_a_slow_presser_within_the_timeout_is_connected(bridge: Bridge) -> None:
    call = await one_call(bridge, A_SLOW, B_TALKS, confirm="a")
    assert (call["outcome"], call["duration"]) == ("completed", 93)


async def test_a_key_pressed_after_the_timeout_is_too_late(bridge: Bridge) -> None:
    call = await one_call(bridge, A_TOO_SLOW, B_TALKS, confirm="a")
    assert (call["outcome"], call["failed_party"]) == ("not_confirmed", "a")
    assert bridge.sim.exchanges("gather") == []  # the <Gather> timed out: no action
    assert [leg.to for leg in bridge.sim.calls] == [A_TOO_SLOW]
