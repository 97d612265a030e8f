"""The snapshot entities read: published by the call manager whenever what they show changes.

A push coordinator (no polling): the manager signals a change, the coordinator takes a
snapshot of it and hands it to every entity. Entities never reach into the manager.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN
from .manager import CallManager

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class BridgeSnapshot:
    """What the entities show, at one moment."""

    active_calls: int
    last_call: dict[str, Any] | None  # the last finished call, as get_calls shows it
    calls_this_month: int
    talk_seconds_this_month: int
    cost_this_month: float
    currency: str


def take_snapshot(manager: CallManager) -> BridgeSnapshot:
    last = manager.last_finished()
    totals = manager.totals
    return BridgeSnapshot(
        active_calls=len(manager.active_records()),
        last_call=None if last is None else manager.view(last),
        calls_this_month=totals.calls,
        talk_seconds_this_month=totals.talk_seconds,
        cost_this_month=float(totals.cost),
        currency=manager.config.rates.currency,
    )


class BridgeCoordinator(DataUpdateCoordinator[BridgeSnapshot]):
    """Holds the latest snapshot; never polls (update_interval is None)."""

    # The entry is typed loosely here: runtime.py (which types it) holds this coordinator.
    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, manager: CallManager) -> None:
        super().__init__(hass, _LOGGER, config_entry=entry, name=DOMAIN, update_interval=None)
        self.manager = manager
        self.data = take_snapshot(manager)

    @callback
    def async_publish(self) -> None:
        """The manager changed something entities show."""
        self.async_set_updated_data(take_snapshot(self.manager))
