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
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType, StateType
from homeassistant.util import dt as dt_util

from .core.calls import Outcome
from .entity import TwilioBridgeEntity
from .manager import CallManager
from .runtime import DATA_KEY

PARALLEL_UPDATES = 0

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
    value_fn: Callable[[CallManager], StateType]
    last_call: bool = False  # carries the last finished call's record as attributes
    monetary: bool = False


def _last(manager: CallManager, field: str) -> Any:
    record = manager.last_finished()
    if record is None:
        return None
    return manager.view(record)[field]


SENSORS: tuple[BridgeSensorDescription, ...] = (
    BridgeSensorDescription(
        key="last_call_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.SECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda m: _last(m, "duration"),
        last_call=True,
    ),
    BridgeSensorDescription(
        key="last_call_status",
        device_class=SensorDeviceClass.ENUM,
        options=[str(outcome) for outcome in Outcome],
        value_fn=lambda m: _last(m, "outcome"),
        last_call=True,
    ),
    BridgeSensorDescription(
        key="last_call_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=1,
        value_fn=lambda m: _last(m, "cost"),
        last_call=True,
        monetary=True,
    ),
    BridgeSensorDescription(
        key="active_calls",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda m: len(m.active_records()),
    ),
    BridgeSensorDescription(
        key="calls_this_month",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda m: m.totals.calls,
    ),
    BridgeSensorDescription(
        key="talk_time_this_month",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=2,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda m: m.totals.talk_seconds,
    ),
    BridgeSensorDescription(
        key="cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=1,
        value_fn=lambda m: float(m.totals.cost),
        monetary=True,
    ),
)


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Set up the sensors (loaded by discovery from the integration's YAML)."""
    if discovery_info is None:
        return
    manager = hass.data[DATA_KEY].manager
    async_add_entities(BridgeSensor(manager, description) for description in SENSORS)


class BridgeSensor(TwilioBridgeEntity, SensorEntity):
    """A sensor computed from the call manager's state."""

    entity_description: BridgeSensorDescription
    _unrecorded_attributes = UNRECORDED

    def __init__(self, manager: CallManager, description: BridgeSensorDescription) -> None:
        super().__init__(manager, description, "sensor")
        if description.monetary:
            self._attr_native_unit_of_measurement = manager.config.rates.currency

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.manager)

    @property
    def last_reset(self) -> datetime | None:
        if self.entity_description.state_class is not SensorStateClass.TOTAL:
            return None
        # Month totals restart on the first of the month, in Home Assistant's time zone.
        return dt_util.start_of_local_day(dt_util.now().replace(day=1))

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        if not self.entity_description.last_call:
            return None
        record = self.manager.last_finished()
        if record is None:
            return None
        view = self.manager.view(record)
        return {
            key: view[key]
            for key in (
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
        }
