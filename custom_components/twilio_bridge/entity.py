"""The base entity: named by translation, updated when the call manager changes."""

from __future__ import annotations

from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN, SIGNAL_UPDATED
from .manager import CallManager


class TwilioBridgeEntity(Entity):
    """Push-updated from the call manager; never polled."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, manager: CallManager, description: EntityDescription, platform: str):
        self.manager = manager
        self.entity_description = description
        self._attr_translation_key = description.translation_key or description.key
        self._attr_unique_id = f"{manager.config.account_sid}_{description.key}"
        # Entity ids are part of the contract (no device to prefix the name with).
        self.entity_id = f"{platform}.{DOMAIN}_{description.key}"

    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_UPDATED, self.async_write_ha_state)
        )
