"""Service actions: connect, hangup, extend, get_calls."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from functools import wraps
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import (
    ATTR_ANNOUNCE,
    ATTR_CALL_ID,
    ATTR_CONFIRM,
    ATTR_CONFIRM_TIMEOUT,
    ATTR_GREETING,
    ATTR_LABEL,
    ATTR_LIMIT,
    ATTR_MODE,
    ATTR_PARTY_A,
    ATTR_PARTY_B,
    ATTR_SECONDS,
    ATTR_TIME_LIMIT,
    DOMAIN,
    MODE_BRIDGE,
    MODE_CONFERENCE,
    SERVICE_CONNECT,
    SERVICE_EXTEND,
    SERVICE_GET_CALLS,
    SERVICE_HANGUP,
)
from .core.calls import Confirm
from .core.guards import CallRefusedError
from .core.texts import MAX_LABEL, MAX_SPOKEN_TEXT, TextTooLongError, clean_text
from .runtime import TwilioBridgeData, loaded_runtime
from .twilio_client import TwilioApiError

# Seconds a party has to press 1: long enough to find the key, short enough that a
# voicemail (which presses nothing) costs one started minute.
CONFIRM_TIMEOUT_MIN = 3
CONFIRM_TIMEOUT_MAX = 30


def free_text(limit: int) -> Callable[[Any], str]:
    """A schema validator: text made XML-safe, refused (clearly) when longer than `limit`."""

    def validate(value: Any) -> str:
        try:
            return clean_text(cv.string(value), limit)
        except TextTooLongError as err:
            raise vol.Invalid(f"must be at most {err.limit} characters") from err

    return validate


CONNECT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_PARTY_A): cv.string,
        vol.Required(ATTR_PARTY_B): cv.string,
        vol.Optional(ATTR_MODE): vol.In([MODE_BRIDGE, MODE_CONFERENCE]),
        vol.Optional(ATTR_TIME_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=14400)),
        vol.Optional(ATTR_GREETING): free_text(MAX_SPOKEN_TEXT),
        vol.Optional(ATTR_LABEL): free_text(MAX_LABEL),
        vol.Optional(ATTR_CONFIRM): vol.All(
            vol.In([option.value for option in Confirm]), vol.Coerce(Confirm)
        ),
        vol.Optional(ATTR_CONFIRM_TIMEOUT): vol.All(
            vol.Coerce(int), vol.Range(min=CONFIRM_TIMEOUT_MIN, max=CONFIRM_TIMEOUT_MAX)
        ),
        vol.Optional(ATTR_ANNOUNCE): free_text(MAX_SPOKEN_TEXT),
    }
)
# The connect fields that override a configured option of the same name.
OPTION_FIELDS = (
    ATTR_MODE,
    ATTR_TIME_LIMIT,
    ATTR_GREETING,
    ATTR_LABEL,
    ATTR_CONFIRM,
    ATTR_CONFIRM_TIMEOUT,
    ATTR_ANNOUNCE,
)
HANGUP_SCHEMA = vol.Schema({vol.Optional(ATTR_CALL_ID): cv.string})
EXTEND_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CALL_ID): cv.string,
        vol.Required(ATTR_SECONDS): vol.All(vol.Coerce(int), vol.Range(min=1, max=14400)),
    }
)
GET_CALLS_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=10000))}
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


def _reports_twilio_errors(handler: Handler) -> Handler:
    """Twilio's refusals reach the user as one translated error naming Twilio's code."""

    @wraps(handler)
    async def wrapper(call: ServiceCall) -> ServiceResponse:
        try:
            return await handler(call)
        except TwilioApiError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="twilio_error",
                translation_placeholders={"code": str(err.code or "-"), "message": str(err)},
            ) from err

    return wrapper


def _data(call: ServiceCall) -> TwilioBridgeData:
    """The runtime data; a clear error when the integration is not set up."""
    data = loaded_runtime(call.hass)
    if data is None:
        raise _invalid("not_configured")
    return data


@_reports_twilio_errors
async def _connect(call: ServiceCall) -> ServiceResponse:
    data = _data(call)
    config, manager = data.config, data.manager
    try:
        party_a, party_b = manager.check_parties(call.data[ATTR_PARTY_A], call.data[ATTR_PARTY_B])
    except CallRefusedError as err:
        raise _invalid(err.key, **err.placeholders) from err
    # The fields are named as the options they override (the schema checked them).
    options = replace(
        config.call_options, **{key: call.data[key] for key in OPTION_FIELDS if key in call.data}
    )
    # A call may lower the configured time limit, not raise it.
    options = replace(options, time_limit=min(options.time_limit, config.time_limit))
    record = await manager.async_connect(party_a, party_b, options)
    return {"call_id": record.call_id, "status": manager.status(record)}


@_reports_twilio_errors
async def _hangup(call: ServiceCall) -> ServiceResponse:
    manager = _data(call).manager
    call_id = call.data.get(ATTR_CALL_ID)
    if call_id is not None:
        record = manager.record(call_id)
        if record is None:
            raise _invalid("unknown_call", call_id=call_id)
        if not record.active:
            raise _invalid("call_not_active", call_id=call_id)
    ended, failed = await manager.async_hangup(call_id)
    call_ids: list[Any] = list(ended)
    not_ended: list[Any] = list(failed)
    return {"call_ids": call_ids, "failed_call_ids": not_ended}


@_reports_twilio_errors
async def _extend(call: ServiceCall) -> ServiceResponse:
    manager = _data(call).manager
    call_id = call.data[ATTR_CALL_ID]
    record = manager.record(call_id)
    if record is None:
        raise _invalid("unknown_call", call_id=call_id)
    if not record.active:
        raise _invalid("call_not_active", call_id=call_id)
    if not record.conference:
        raise _invalid("extend_needs_conference", call_id=call_id)
    limit = await manager.async_extend(record, call.data[ATTR_SECONDS])
    return {"call_id": call_id, "time_limit": limit}


async def _get_calls(call: ServiceCall) -> ServiceResponse:
    manager = _data(call).manager
    calls: list[Any] = [manager.view(r) for r in manager.records(call.data.get(ATTR_LIMIT))]
    return {"calls": calls}


def async_register_services(hass: HomeAssistant) -> None:
    """Register the services (in async_setup, so they exist even if setup fails later)."""
    hass.services.async_register(
        DOMAIN, SERVICE_CONNECT, _connect, CONNECT_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_HANGUP, _hangup, HANGUP_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_EXTEND, _extend, EXTEND_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_GET_CALLS, _get_calls, GET_CALLS_SCHEMA, SupportsResponse.ONLY
    )
