"""Binary sensor: on while any call is in progress."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .entity import TwilioBridgeEntity
from .manager import CallManager
from .runtime import DATA_KEY

PARALLEL_UPDATES = 0

CALL_IN_PROGRESS = BinarySensorEntityDescription(key="call_in_progress")


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Set up the binary sensor (loaded by discovery from the integration's YAML)."""
    if discovery_info is None:
        return
    manager = hass.data[DATA_KEY].manager
    async_add_entities([CallInProgressSensor(manager)])


class CallInProgressSensor(TwilioBridgeEntity, BinarySensorEntity):
    """On while any call placed by twilio_bridge is active."""

    def __init__(self, manager: CallManager) -> None:
        super().__init__(manager, CALL_IN_PROGRESS, "binary_sensor")

    @property
    def is_on(self) -> bool:
        return bool(self.manager.active_records())
