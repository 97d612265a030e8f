"""The base entity: named by translation, reading the coordinator's snapshot, on one device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import BridgeCoordinator


def device_info(coordinator: BridgeCoordinator) -> DeviceInfo:
    """One service device per entry: Twilio, named by the (masked) number."""
    config = coordinator.manager.config
    return DeviceInfo(
        identifiers={(DOMAIN, coordinator.config_entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Twilio",
        model="Programmable Voice",
        name=f"Twilio {config.phone_number.masked}",
    )


class TwilioBridgeEntity(CoordinatorEntity[BridgeCoordinator]):
    """Push-updated from the coordinator's snapshot; never polled."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: BridgeCoordinator, description: EntityDescription, platform: str
    ) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_translation_key = description.translation_key or description.key
        self._attr_unique_id = f"{coordinator.manager.config.account_sid}_{description.key}"
        self._attr_device_info = device_info(coordinator)
        # Entity ids are part of the contract: not prefixed with the device's name.
        self.entity_id = f"{platform}.{DOMAIN}_{description.key}"
