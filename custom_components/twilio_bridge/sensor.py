"""Sensors: the last call (duration, outcome, cost), active calls and month totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .coordinator import BridgeCoordinator, BridgeSnapshot
from .core.calls import Outcome
from .entity import TwilioBridgeEntity
from .runtime import TwilioBridgeConfigEntry

PARALLEL_UPDATES = 0

# The last call's record, shown as attributes of the "last call" sensors.
LAST_CALL_ATTRIBUTES = (
    "call_id",
    "started_at",
    "connected_at",
    "ended_at",
    "party_a",
    "party_b",
    "party_a_name",
    "party_b_name",
    "outcome",
    "failed_party",
    "mode",
    "label",
    "cost",
    "currency",
)
# Attributes that change with every call and would bloat the recorder's database.
UNRECORDED = frozenset(
    {
        "call_id",
        "party_a",
        "party_b",
        "party_a_name",
        "party_b_name",
        "started_at",
        "connected_at",
        "ended_at",
        "label",
    }
)


@dataclass(frozen=True, kw_only=True)
class BridgeSensorDescription(SensorEntityDescription):
    value_fn: Callable[[BridgeSnapshot], StateType]
    last_call: bool = False  # carries the last finished call's record as attributes
    monetary: bool = False


def _last(snapshot: BridgeSnapshot, field: str) -> Any:
    return None if snapshot.last_call is None else snapshot.last_call[field]


SENSORS: tuple[BridgeSensorDescription, ...] = (
    BridgeSensorDescription(
        key="last_call_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.SECONDS,
        # No state class on purpose: with one, the history shows long-term statistics
        # (5-minute and hourly means of a value held between calls), which hides the calls.
        # Without it the history shows each call's duration as it was recorded.
        value_fn=lambda s: _last(s, "duration"),
        last_call=True,
    ),
    BridgeSensorDescription(
        key="last_call_status",
        device_class=SensorDeviceClass.ENUM,
        options=[str(outcome) for outcome in Outcome],
        value_fn=lambda s: _last(s, "outcome"),
        last_call=True,
    ),
    BridgeSensorDescription(
        key="last_call_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=1,
        value_fn=lambda s: _last(s, "cost"),
        last_call=True,
        monetary=True,
    ),
    BridgeSensorDescription(
        key="active_calls",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: s.active_calls,
    ),
    BridgeSensorDescription(
        key="calls_this_month",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda s: s.calls_this_month,
    ),
    BridgeSensorDescription(
        key="talk_time_this_month",
        device_class=SensorDeviceClass.DURATION,
        # Whole seconds, shown as seconds: a suggested unit of minutes stored 2.55 min for
        # 153 s, which the frontend then showed as 2m32s. The user may still pick a unit.
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda s: s.talk_seconds_this_month,
    ),
    BridgeSensorDescription(
        key="cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=1,
        value_fn=lambda s: s.cost_this_month,
        monetary=True,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(BridgeSensor(coordinator, description) for description in SENSORS)


class BridgeSensor(TwilioBridgeEntity, SensorEntity):
    """A sensor computed from the coordinator's snapshot."""

    entity_description: BridgeSensorDescription
    _unrecorded_attributes = UNRECORDED

    def __init__(
        self, coordinator: BridgeCoordinator, description: BridgeSensorDescription
    ) -> None:
        super().__init__(coordinator, description, "sensor")
        if description.monetary:
            self._attr_native_unit_of_measurement = coordinator.data.currency

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def last_reset(self) -> datetime | None:
        if self.entity_description.state_class is not SensorStateClass.TOTAL:
            return None
        # Month totals restart on the first of the month, in Home Assistant's time zone.
        return dt_util.start_of_local_day(dt_util.now().replace(day=1))

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        last_call = self.coordinator.data.last_call
        if not self.entity_description.last_call or last_call is None:
            return None
        return {key: last_call[key] for key in LAST_CALL_ATTRIBUTES}
