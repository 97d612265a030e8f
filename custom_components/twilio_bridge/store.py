"""The call log and month totals, kept in Home Assistant's Store (written off the loop)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .core.calls import CallRecord
from .core.totals import MonthTotals

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
STORAGE_KEY = f"{DOMAIN}.calls"
SAVE_DELAY = 1.0  # seconds: coalesce the burst of callbacks of one call into one write


class CallLogStore:
    """Loads and saves call records (newest last) and the month's totals."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._records: Iterable[CallRecord] = ()
        self._totals: MonthTotals | None = None
        self._pending = False

    async def async_load(self) -> tuple[list[CallRecord], MonthTotals | None]:
        data = await self._store.async_load() or {}
        records = []
        for raw in data.get("calls", []):
            try:
                records.append(CallRecord.from_dict(raw))
            except (KeyError, ValueError, TypeError) as err:
                _LOGGER.warning("Skipping an unreadable call record: %s", err)
        totals = MonthTotals.from_dict(data["month"]) if data.get("month") else None
        return records, totals

    def schedule_save(self, records: Iterable[CallRecord], totals: MonthTotals) -> None:
        """Save within SAVE_DELAY of the first unsaved change; later ones ride along.

        Store.async_delay_save restarts its delay on every call, so a steady stream of
        callbacks would put the write off until a quiet moment: schedule it only once.
        """
        self._records = records
        self._totals = totals
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_save_now(self, records: Iterable[CallRecord], totals: MonthTotals) -> None:
        """Write at once (unload): a pending delayed write is replaced by this one."""
        self._records, self._totals = records, totals
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        self._pending = False  # what changes from now on needs another write
        return {
            "calls": [record.to_dict() for record in self._records],
            "month": None if self._totals is None else self._totals.to_dict(),
        }
