"""Call-backs on the one number: a recent party who calls is rejected busy, then called back.

The rejection costs nothing (Twilio never answers, so neither Twilio nor the caller's
carrier bills the call); the call-back is a V-call like any other, placed by the manager
with the usual guards. Who may call back, and to whom, is core/callbacks.py's rule.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from homeassistant.util import dt as dt_util

from .const import EVENT_CALLBACK, EVENT_CALLBACK_REFUSED
from .core import twiml
from .core.callbacks import CallBack, find_callback
from .core.guards import CallRefusedError
from .core.numbers import InvalidNumberError, parse_number
from .core.record_view import callback_event
from .core.webhooks import IncomingCall
from .manager import CallManager
from .twilio_client import TwilioApiError

_LOGGER = logging.getLogger(__name__)

# A caller who was just refused with a busy tone is still busy for a moment: wait, then call.
CALLBACK_DELAY = 5.0
# Repeated calls from one caller within this interval place one call-back, not several.
CALLBACK_REPEAT_INTERVAL = 120.0


class CallBacks:
    """Answers the number's Voice URL and places the call-backs through the manager."""

    def __init__(self, manager: CallManager) -> None:
        self._manager = manager
        # Loop time of the last call-back per caller (E.164), against repeated dialing.
        self._called_back: dict[str, float] = {}

    def incoming(self, event: IncomingCall) -> str:
        """A call to the number: a recent party is refused busy (free) and called back."""
        callback = self._callback_for(event.caller)
        if callback is None:
            return twiml.reject(busy=False)  # a stranger learns nothing
        key = callback.caller
        now = self._manager.hass.loop.time()
        last = self._called_back.get(key)
        if last is None or now - last >= CALLBACK_REPEAT_INTERVAL:
            self._called_back[key] = now
            self._manager.timers.later(
                key, "callback", CALLBACK_DELAY, lambda: self._async_call_back(callback)
            )
        return twiml.reject(busy=True)

    def _callback_for(self, caller: str | None) -> CallBack | None:
        if not self._manager.config.callback or caller is None:
            return None
        try:
            number = parse_number(caller, self._manager.config.country_code)
        except InvalidNumberError:
            return None
        window = timedelta(seconds=self._manager.config.callback_window)
        return find_callback(self._manager.records(), number.e164, dt_util.utcnow(), window)

    async def _async_call_back(self, callback: CallBack) -> None:
        """Place the call-back with the usual guards; say why in the logbook if refused."""
        config = self._manager.config
        try:
            party_a, party_b = self._manager.check_parties(callback.caller, callback.other)
            # The names of the call called back (the contact book may not hold them).
            record = await self._manager.async_connect(
                replace(party_a, name=party_a.name or callback.caller_name),
                replace(party_b, name=party_b.name or callback.other_name),
                replace(config.call_options, callback_of=callback.callback_of),
            )
        except CallRefusedError as err:
            self._callback_refused(callback, err.key)
            return
        except TwilioApiError as err:
            _LOGGER.warning("Call-back of call %s not placed: %s", callback.callback_of, err)
            self._callback_refused(callback, "twilio_error")
            return
        _LOGGER.info("Call %s calls back call %s", record.call_id, callback.callback_of)
        self._manager.fire(EVENT_CALLBACK, callback_event(record, self._manager.mask))

    def _callback_refused(self, callback: CallBack, reason: str) -> None:
        _LOGGER.info(
            "Not calling %s back (call %s): %s",
            self._manager.mask(callback.caller),
            callback.callback_of,
            reason,
        )
        self._manager.fire(
            EVENT_CALLBACK_REFUSED,
            {
                "caller": self._manager.mask(callback.caller),
                "callback_of": callback.callback_of,
                "reason": reason,
            },
        )
