"""The runtime holder kept in the config entry's runtime_data: what services and views use."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .callbacks import CallBacks
from .const import DOMAIN
from .data import BridgeConfig
from .manager import CallManager

if TYPE_CHECKING:
    from .coordinator import BridgeCoordinator

_LOGGER = logging.getLogger(__package__)

# One warning per interval, however many forged requests arrive: an attacker must not be
# able to fill the log (2,000 forged requests once wrote 1,250 lines).
REJECTION_LOG_INTERVAL = 60.0


@dataclass
class RejectionLog:
    """Counts refused webhooks and warns at most once per interval, with the count."""

    interval: float = REJECTION_LOG_INTERVAL
    _since: float | None = None
    _unreported: int = 0
    total: int = 0

    def refused(self, webhook: str, reason: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.total += 1
        self._unreported += 1
        if self._since is not None and now - self._since < self.interval:
            return
        if self._since is None:
            _LOGGER.warning(
                "Refused a %s webhook (%s); more refusals are logged at most once a minute",
                webhook,
                reason,
            )
        else:
            _LOGGER.warning(
                "Refused %d webhooks in the last %d s (the last: %s, %s)",
                self._unreported,
                round(now - self._since),
                webhook,
                reason,
            )
        self._since, self._unreported = now, 0


@dataclass
class TwilioBridgeData:
    """Everything the integration holds at runtime."""

    config: BridgeConfig
    manager: CallManager
    coordinator: BridgeCoordinator
    callbacks: CallBacks
    rejections: RejectionLog = field(default_factory=RejectionLog)
    webhooks: Counter[str] = field(default_factory=Counter)  # genuine requests, by webhook


type TwilioBridgeConfigEntry = ConfigEntry[TwilioBridgeData]

# Set while configuration.yaml has a twilio_bridge: block: it then owns the entry's settings.
YAML_PRESENT: HassKey[bool] = HassKey(f"{DOMAIN}_yaml")


def loaded_runtime(hass: HomeAssistant) -> TwilioBridgeData | None:
    """The runtime of the (single) loaded entry; None when nothing is set up."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        data: TwilioBridgeData = entry.runtime_data
        return data
    return None
