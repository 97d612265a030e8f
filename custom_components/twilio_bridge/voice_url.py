"""The number's Voice URL: where Twilio sends calls to the one number (call-backs).

With `manage_number: true` setup points it at the incoming webhook and keeps what it
replaced; with `manage_number: false` again, setup puts that back. With `callback: true`
and an unmanaged number, setup only checks it, and a Repairs issue says what to paste in
the Twilio console when it points elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from .const import DOMAIN, URL_INCOMING
from .data import BridgeConfig
from .twilio_client import NumberInfo, TwilioApi, TwilioApiError

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY = f"{DOMAIN}.number"
ISSUE_VOICE_URL = "voice_url_not_set"


async def async_sync_voice_url(
    hass: HomeAssistant, config: BridgeConfig, api: TwilioApi, number: NumberInfo
) -> None:
    """Set, restore or check the number's Voice URL; never fails setup (calls still work).

    `number` is the resource setup's account check just fetched: no second request.
    """
    store: Store[dict[str, Any]] = Store(hass, 1, STORAGE_KEY)
    saved = await store.async_load()
    incoming = config.url(URL_INCOMING)
    if not (config.manage_number or config.callback or saved):
        return
    try:
        if config.manage_number:
            if number.voice_url != incoming:
                # Keep what we replace (once: a second setup must not save our own URL).
                if not saved:
                    await store.async_save(
                        {
                            "sid": number.sid,
                            "voice_url": number.voice_url,
                            "voice_method": number.voice_method,
                        }
                    )
                await api.set_voice_url(number.sid, incoming)
                _LOGGER.info("The number's Voice URL now points at %s", incoming)
            _delete_issue(hass)
            return
        if saved:
            await api.set_voice_url(saved["sid"], saved.get("voice_url"), saved["voice_method"])
            await store.async_remove()
            _LOGGER.info("manage_number is off: the number's previous Voice URL is restored")
            number = await api.find_number(config.phone_number.e164) or number
    except TwilioApiError as err:
        _LOGGER.warning("Could not check the number's Voice URL: %s", err)
        return
    if config.callback and number.voice_url != incoming:
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_VOICE_URL,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_VOICE_URL,
            translation_placeholders={"url": incoming},
        )
    else:
        _delete_issue(hass)


def _delete_issue(hass: HomeAssistant) -> None:
    ir.async_delete_issue(hass, DOMAIN, ISSUE_VOICE_URL)
