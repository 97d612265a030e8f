"""What setup checks against Twilio, and the Repairs issues for problems the user must fix.

The config flow shows a problem as a form error; setup shows it as a failed entry and a
Repairs issue that names the key and the fix. An issue is removed once the problem is gone.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .core.numbers import mask_number
from .twilio_client import NumberInfo, TwilioApi, TwilioApiError

_LOGGER = logging.getLogger(__name__)

TWILIO_AUTH_FAILED = 20003


class Problem(StrEnum):
    """A lasting setup problem: each is a flow error, an exception and a Repairs issue key."""

    INVALID_AUTH = "invalid_auth"
    NUMBER_NOT_ON_ACCOUNT = "number_not_on_account"
    NUMBER_NOT_VOICE_CAPABLE = "number_not_voice_capable"
    CANNOT_CONNECT = "cannot_connect"
    INVALID_PHONE_NUMBER = "invalid_phone_number"
    NO_EXTERNAL_URL = "no_external_url"
    INVALID_CONTACT = "invalid_contact"


# Problems found at call time; they stay until the webhook is seen working again.
ISSUE_WEBHOOK_UNREACHABLE = "webhook_unreachable"
ISSUE_WEBHOOK_SELF_TEST = "webhook_self_test_failed"


class SetupProblemError(Exception):
    """Setup cannot go on until the user fixes something."""

    def __init__(self, problem: Problem, **placeholders: str) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.placeholders = placeholders


async def async_check_account(api: TwilioApi, phone_number: str) -> NumberInfo:
    """The credentials work and `phone_number` is a voice number of the account: its resource.

    One request (IncomingPhoneNumbers filtered by the number) proves all three.
    """
    try:
        numbers = await api.incoming_numbers(phone_number)
    except TwilioApiError as err:
        if err.code == TWILIO_AUTH_FAILED or err.status == 401:
            raise SetupProblemError(Problem.INVALID_AUTH) from err
        raise SetupProblemError(Problem.CANNOT_CONNECT, error=str(err)) from err
    masked = mask_number(phone_number)
    if not numbers:
        raise SetupProblemError(Problem.NUMBER_NOT_ON_ACCOUNT, phone_number=masked)
    voice = [number for number in numbers if number.voice]
    if not voice:
        raise SetupProblemError(Problem.NUMBER_NOT_VOICE_CAPABLE, phone_number=masked)
    return voice[0]


def report(hass: HomeAssistant, issue_id: str, **placeholders: str) -> None:
    """Raise (or refresh) a Repairs issue of this integration."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=issue_id,
        translation_placeholders=placeholders or None,
    )


def report_problem(hass: HomeAssistant, err: SetupProblemError) -> None:
    """Raise the issue of this problem and drop the other setup problems' (now stale) ones."""
    clear_setup_problems(hass, keep=err.problem)
    report(hass, err.problem.value, **err.placeholders)


def clear_setup_problems(hass: HomeAssistant, keep: Problem | None = None) -> None:
    for problem in Problem:
        if problem is not keep:
            ir.async_delete_issue(hass, DOMAIN, problem.value)


def clear(hass: HomeAssistant, issue_id: str) -> None:
    ir.async_delete_issue(hass, DOMAIN, issue_id)
