"""200 randomised calls through real Home Assistant under every kind of callback fault.

Each party's behaviour is drawn at random (answers after a while, talks for a while, is busy,
never answers, declines, fails, hangs up early), the simulator duplicates, reorders, delays
and drops status callbacks, and some API requests fail. Afterwards every record must exist,
have the outcome the simulator's legs imply, and a talk time within 1 s of the truth.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator.models import Leg

from .conftest import Bridge

CALLS = 200
BATCH = 25
SEED = 20261126


def random_phone(rng: random.Random) -> dict[str, Any]:
    behavior = rng.choices(
        ["answer", "busy", "no-answer", "reject", "fail"], weights=[70, 8, 8, 7, 7]
    )[0]
    return {
        "behavior": behavior,
        "answer_after": rng.choice([1, 2, 5, 12, 25]),  # 25 s > ring_timeout: no answer
        "hangup_after": rng.choice([3, 30, 59, 60, 61, 125, None]),
    }


def build_scenario() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    rng = random.Random(SEED)
    phones: dict[str, Any] = {}
    pairs = []
    for index in range(CALLS):
        party_a = f"+8190{1000_0000 + 2 * index:08d}"
        party_b = f"+8180{1000_0000 + 2 * index + 1:08d}"
        phones[party_a] = random_phone(rng)
        phones[party_b] = random_phone(rng)
        pairs.append((party_a, party_b))
    scenario = {
        "numbers": ["+815012345678"],
        "phones": phones,
        "faults": {"duplicate": 0.3, "reorder": True, "drop": 0.15, "delay": 0, "seed": SEED},
    }
    return scenario, pairs


SCENARIO, PAIRS = build_scenario()


def declined(leg: Leg) -> bool:
    """Declined (SIP 603), as far as the client can know: only the final callback says so.

    Neither the Call resource nor the <Dial action> carries the SIP code, so when that
    callback is lost a decline can only be reported as no answer.
    """
    return leg.sip_response_code == 603 and any(
        e.kind == "status" and e.status is not None and "SipResponseCode" in e.params
        for e in leg.exchanges
    )


def unreached(leg: Leg) -> str:
    if leg.status == "no-answer":
        return "rejected" if declined(leg) else "no_answer"
    return leg.status


def expected(leg_a: Leg, leg_b: Leg | None) -> tuple[str, str | None, int]:
    """The outcome, failed party and talk seconds that Twilio's own legs imply."""
    if leg_a.answered_at is None:
        return unreached(leg_a), "a", 0
    if leg_b is None or leg_b.status == "canceled":
        return "canceled", "a", 0
    if leg_b.answered_at is not None and leg_b.bridged_to is not None:
        return "completed", None, leg_b.duration or 0
    if leg_b.answered_at is not None:
        return "no_answer", "b", 0
    return unreached(leg_b), "b", 0


@pytest.mark.parametrize("scenario", [SCENARIO])
@pytest.mark.parametrize(
    "bridge_overrides", [{"max_concurrent_calls": BATCH, "call_log_size": CALLS}]
)
async def test_randomised_calls_under_faults(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    rng = random.Random(SEED + 1)
    placed: dict[str, tuple[str, str]] = {}
    refused = 0
    for start in range(0, CALLS, BATCH):
        for party_a, party_b in PAIRS[start : start + BATCH]:
            if rng.random() < 0.05:
                bridge.sim.inject_api_error("calls.create", rng.choice([429, 500, 503]))
            if rng.random() < 0.05:
                bridge.sim.inject_api_error("calls.fetch", 500)  # reconciliation must retry
            try:
                response = await bridge.connect(party_a, party_b)
            except HomeAssistantError:
                refused += 1
                continue
            placed[response["call_id"]] = (party_a, party_b)
        await bridge.play_out()
        # Let reconciliation (lost callbacks) and price retries run on Home Assistant's clock.
        for _ in range(4):
            freezer.tick(timedelta(seconds=121))
            async_fire_time_changed(bridge.hass)
            await bridge.hass.async_block_till_done()

    assert 0 < refused < CALLS // 5
    assert bridge.sim.dispatcher.dropped > 0
    calls = {call["call_id"]: call for call in await bridge.calls()}
    assert set(calls) == set(placed)  # no record lost, none invented
    legs_a = {leg.to: leg for leg in bridge.sim.calls if leg.parent_sid is None}
    mismatches = []
    for call_id, (party_a, _) in placed.items():
        leg_a = legs_a[party_a]
        children = bridge.sim.children(leg_a.sid)
        want = expected(leg_a, children[0] if children else None)
        call = calls[call_id]
        got = (call["outcome"], call["failed_party"], call["duration"])
        if got[:2] != want[:2] or abs((got[2] or 0) - want[2]) > 1:
            mismatches.append((call_id, got, want))
    assert mismatches == []
    assert len(bridge.events["twilio_bridge_call_ended"]) == len(placed)
    outcomes = {call["outcome"] for call in calls.values()}
    assert {"completed", "busy", "no_answer", "failed"} <= outcomes
