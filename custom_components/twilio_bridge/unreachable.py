"""Calls whose answer webhook Twilio could not reach (Twilio errors 11200 and 11205).

When Twilio cannot fetch the answer webhook, it ends leg A (the party hears "an application
error has occurred") and logs a notification on the call; the status callbacks, sent to the
same host, are lost too. Reconciliation then finds leg A completed although no answer ever
arrived. Twilio's notifications say which URL failed; where they are not available, the
answer URL we gave Twilio is the one it could not reach.
"""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant

from .checks import ISSUE_WEBHOOK_UNREACHABLE, clear, report
from .core.calls import CallRecord
from .twilio_client import TwilioApi, TwilioApiError, WebhookFailure

_LOGGER = logging.getLogger(__name__)

# 11200: HTTP retrieval failure (an error status or an unusable answer);
# 11205: HTTP connection failure (refused, unreachable, timed out).
WEBHOOK_ERRORS = frozenset({11200, 11205})


async def async_answer_failure(
    api: TwilioApi, record: CallRecord, answer_url: str
) -> WebhookFailure | None:
    """Why leg A ended without our answer webhook, or None when it was not that."""
    if not record.answer_never_arrived():
        return None
    sid = record.legs["a"].sid
    try:
        failures = await api.webhook_failures(sid) if sid else []
    except TwilioApiError as err:
        _LOGGER.debug("No notifications for call %s: %s", record.call_id, err)
        failures = []
    for failure in failures:
        if failure.code in WEBHOOK_ERRORS:
            return WebhookFailure(code=failure.code, url=failure.url or answer_url)
    return WebhookFailure(code=None, url=answer_url)


def report_unreachable(hass: HomeAssistant, call_id: str, failure: WebhookFailure) -> None:
    """Log which URL Twilio could not reach and raise the Repairs issue naming it."""
    code = "-" if failure.code is None else str(failure.code)
    _LOGGER.error(
        "Call %s ended: Twilio could not reach the answer webhook %s (Twilio error %s). "
        "Check webhook_base_url: it must be reachable from the internet",
        call_id,
        failure.url,
        code,
    )
    report(hass, ISSUE_WEBHOOK_UNREACHABLE, url=str(failure.url), code=code)


def webhook_reached(hass: HomeAssistant) -> None:
    """Twilio reached the answer webhook: an earlier "unreachable" issue is over."""
    clear(hass, ISSUE_WEBHOOK_UNREACHABLE)
