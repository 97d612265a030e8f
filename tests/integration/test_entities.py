"""Entities: ids, classes, units, attributes, each Japanese number class, month rollover."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import PARTY_A, PARTY_B, SCENARIO, Bridge

LANDLINE = "+81312345678"
IP_PHONE = "+815011112222"
TOLL_FREE = "+81120123456"
MOBILE_060 = "+816012345678"

ALL_ANSWER = {
    **SCENARIO,
    "phones": {
        **SCENARIO["phones"],
        "default": {"answer_after": 2, "hangup_after": 61},
    },
}

EXPECTED = {
    # No state class: the history shows each call, not 5-minute means of the last one.
    "sensor.twilio_bridge_last_call_duration": ("duration", "s", None),
    "sensor.twilio_bridge_last_call_status": ("enum", None, None),
    "sensor.twilio_bridge_last_call_cost": ("monetary", "JPY", None),
    "sensor.twilio_bridge_active_calls": (None, None, "measurement"),
    "sensor.twilio_bridge_calls_this_month": (None, None, "total"),
    "sensor.twilio_bridge_talk_time_this_month": ("duration", "s", "total"),
    "sensor.twilio_bridge_cost_this_month": ("monetary", "JPY", "total"),
    "binary_sensor.twilio_bridge_call_in_progress": (None, None, None),
}


async def test_every_entity_has_its_id_class_unit_and_unique_id(
    bridge: Bridge, entity_registry: er.EntityRegistry
) -> None:
    for entity_id, (device_class, unit, state_class) in EXPECTED.items():
        state = bridge.hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.attributes.get("device_class") == device_class, entity_id
        assert state.attributes.get("unit_of_measurement") == unit, entity_id
        assert state.attributes.get("state_class") == state_class, entity_id
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.unique_id.startswith(bridge.sim.scenario.account_sid)
        assert entry.translation_key == entity_id.split(".")[1].removeprefix("twilio_bridge_")
    assert bridge.hass.states.get("sensor.twilio_bridge_last_call_duration").state == "unknown"
    status = bridge.hass.states.get("sensor.twilio_bridge_last_call_status")
    assert status.attributes["options"] == [
        "completed",
        "no_answer",
        "busy",
        "failed",
        "canceled",
        "rejected",
        "not_confirmed",
        "webhook_unreachable",
    ]
    # Named by the device (Twilio and the masked number), then the entity's own name.
    assert status.attributes["friendly_name"] == "Twilio +81 50-****-5678 Last call status"


async def test_states_follow_a_call(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.sim.advance(20)
    await bridge.hass.async_block_till_done()
    assert bridge.hass.states.get("sensor.twilio_bridge_active_calls").state == "1"
    assert bridge.hass.states.get("binary_sensor.twilio_bridge_call_in_progress").state == "on"
    await bridge.play_out()
    assert bridge.hass.states.get("sensor.twilio_bridge_active_calls").state == "0"
    assert bridge.hass.states.get("sensor.twilio_bridge_last_call_status").state == "completed"
    cost = bridge.hass.states.get("sensor.twilio_bridge_last_call_cost")
    assert float(cost.state) == 64.8
    assert cost.attributes["currency"] == "JPY"
    assert cost.attributes["party_a"] == "+81 90-****-2222"
    assert bridge.hass.states.get("sensor.twilio_bridge_calls_this_month").state == "1"


@pytest.mark.parametrize("scenario", [ALL_ANSWER])
@pytest.mark.parametrize(
    ("party_b", "rate"),
    [(LANDLINE, 5.4), (IP_PHONE, 5.4), (TOLL_FREE, 0.0), (MOBILE_060, 16.2), (PARTY_B, 16.2)],
    ids=["landline", "ip_phone", "toll_free", "mobile_060", "mobile_090"],
)
async def test_each_japanese_number_class_is_priced_by_its_rate(
    bridge: Bridge, party_b: str, rate: float
) -> None:
    await bridge.connect(PARTY_A, party_b)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["outcome"] == "completed"
    # B talks 61 s: two started minutes at B's rate; A is a mobile leg.
    leg_a = next(leg for leg in bridge.sim.calls if not leg.parent_sid)
    minutes_a = -(-leg_a.duration // 60)
    assert call["cost"] == pytest.approx(minutes_a * 16.2 + 2 * rate)


async def test_month_totals_restart_on_the_first_in_local_time(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    tz = dt_util.get_default_time_zone()
    freezer.move_to(datetime(2026, 11, 30, 22, 0, tzinfo=tz))
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    assert bridge.hass.states.get("sensor.twilio_bridge_calls_this_month").state == "1"
    cost = bridge.hass.states.get("sensor.twilio_bridge_cost_this_month")
    assert float(cost.state) == 64.8
    assert cost.attributes["last_reset"] == datetime(2026, 11, 1, tzinfo=tz).isoformat()

    freezer.move_to(datetime(2026, 12, 1, 0, 0, 1, tzinfo=tz))
    async_fire_time_changed(bridge.hass)
    await bridge.hass.async_block_till_done()
    assert bridge.hass.states.get("sensor.twilio_bridge_calls_this_month").state == "0"
    assert float(bridge.hass.states.get("sensor.twilio_bridge_cost_this_month").state) == 0
    assert (
        bridge.hass.states.get("sensor.twilio_bridge_cost_this_month").attributes["last_reset"]
        == datetime(2026, 12, 1, tzinfo=tz).isoformat()
    )
    # The last call is still the last call.
    assert float(bridge.hass.states.get("sensor.twilio_bridge_last_call_duration").state) == 93
    freezer.tick(timedelta(seconds=1))


@pytest.mark.parametrize("bridge_overrides", [{"mask_numbers": False}])
async def test_numbers_shown_in_full_when_masking_is_off(bridge: Bridge) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert (call["party_a"], call["party_b"]) == (PARTY_A, PARTY_B)
    assert bridge.events["twilio_bridge_call_started"][0]["party_b"] == PARTY_B


@pytest.mark.parametrize("scenario", [{**SCENARIO, "rates": {"currency": "USD", "mobile": 0.185}}])
async def test_prices_in_another_currency_keep_the_estimate(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["currency"] == "JPY"
    assert call["cost"] == 64.8  # the JPY estimate, not a USD price labelled JPY
    assert call["cost_final"] is False
    assert "bills this account in USD but rates.currency is JPY" in caplog.text


@pytest.mark.parametrize("scenario", [{**SCENARIO, "price_delay": 90}])
async def test_late_prices_replace_the_estimate_when_they_arrive(
    bridge: Bridge, freezer: FrozenDateTimeFactory
) -> None:
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    (call,) = await bridge.calls()
    assert call["cost"] == 64.8  # the estimate from the rate table
    assert call["cost_final"] is False
    assert all(leg.price is None for leg in bridge.sim.calls)

    await bridge.sim.advance(90)  # Twilio settles the prices
    freezer.tick(timedelta(seconds=31))  # the integration asks again
    async_fire_time_changed(bridge.hass)
    await bridge.hass.async_block_till_done()
    (call,) = await bridge.calls()
    assert call["cost_final"] is True
    assert call["cost"] == float(sum(leg.price for leg in bridge.sim.calls))
    assert float(bridge.hass.states.get("sensor.twilio_bridge_cost_this_month").state) == 64.8
