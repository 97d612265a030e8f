"""Binary sensor: on while any call is in progress."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import BridgeCoordinator
from .entity import TwilioBridgeEntity
from .runtime import TwilioBridgeConfigEntry

PARALLEL_UPDATES = 0

CALL_IN_PROGRESS = BinarySensorEntityDescription(key="call_in_progress")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensor."""
    async_add_entities([CallInProgressSensor(entry.runtime_data.coordinator)])


class CallInProgressSensor(TwilioBridgeEntity, BinarySensorEntity):
    """On while any call placed by twilio_bridge is active."""

    def __init__(self, coordinator: BridgeCoordinator) -> None:
        super().__init__(coordinator, CALL_IN_PROGRESS, "binary_sensor")

    @property
    def is_on(self) -> bool:
        return self.coordinator.data.active_calls > 0
