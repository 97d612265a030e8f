"""Diagnostics: the settings, active calls, recent records and webhook counters, redacted.

No secret and no full number leaves Home Assistant this way: the auth token, the account
SID and the public URL are redacted, and every number is masked, whatever mask_numbers says.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ACCOUNT_SID,
    CONF_AUTH_TOKEN,
    CONF_CONTACTS,
    CONF_PHONE_NUMBER,
    CONF_WEBHOOK_BASE_URL,
)
from .core.numbers import mask_number
from .core.record_view import record_view
from .runtime import TwilioBridgeConfigEntry

TO_REDACT = {CONF_ACCOUNT_SID, CONF_AUTH_TOKEN, CONF_WEBHOOK_BASE_URL}
RECENT_RECORDS = 20


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TwilioBridgeConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for the config entry."""
    runtime = entry.runtime_data
    manager = runtime.manager
    data = dict(entry.data)
    data[CONF_PHONE_NUMBER] = mask_number(runtime.config.phone_number.e164)
    options = dict(entry.options)
    if CONF_CONTACTS in options:
        # The names stay (they help to read the records); their numbers are masked.
        options[CONF_CONTACTS] = {
            name: mask_number(number.e164) for name, number in runtime.config.contacts.items()
        }
    return {
        "entry": {
            "source": entry.source,
            "data": async_redact_data(data, TO_REDACT),
            "options": options,
        },
        "active_calls": [record_view(r, mask_number) for r in manager.active_records()],
        "recent_calls": [record_view(r, mask_number) for r in manager.records(RECENT_RECORDS)],
        "webhooks": {
            "received": dict(runtime.webhooks),
            "refused": runtime.rejections.total,
        },
        "month": manager.totals.to_dict(),
    }
