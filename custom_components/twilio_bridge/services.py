"""Service actions: connect, hangup, extend, get_calls."""

from __future__ import annotations

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
    ATTR_CALL_ID,
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
from .core.numbers import InvalidNumberError, PhoneNumber, matches_prefix, parse_number
from .data import DATA_KEY, TwilioBridgeData
from .twilio_client import TwilioApiError

CONNECT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_PARTY_A): cv.string,
        vol.Required(ATTR_PARTY_B): cv.string,
        vol.Optional(ATTR_MODE): vol.In([MODE_BRIDGE, MODE_CONFERENCE]),
        vol.Optional(ATTR_TIME_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=14400)),
        vol.Optional(ATTR_GREETING): cv.string,
        vol.Optional(ATTR_LABEL): vol.All(cv.string, vol.Length(max=200)),
    }
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


def _twilio_error(err: TwilioApiError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="twilio_error",
        translation_placeholders={"code": str(err.code or "-"), "message": str(err)},
    )


def _data(call: ServiceCall) -> TwilioBridgeData:
    """The runtime data; a clear error when the integration is not set up."""
    data = call.hass.data.get(DATA_KEY)
    if data is None:
        raise _invalid("not_configured")
    return data


def _destination(data: TwilioBridgeData, raw: str, field: str) -> PhoneNumber:
    """Parse a party's number and apply the toll-fraud guards."""
    config = data.config
    try:
        number = parse_number(raw, config.country_code)
    except InvalidNumberError as err:
        key = "unsupported_number" if err.reason == "unsupported_type" else "invalid_number"
        raise _invalid(key, field=field, number=data.manager.mask(err.number)) from err
    masked = data.manager.mask(number.e164)
    if config.allowed_prefixes and not matches_prefix(number.e164, config.allowed_prefixes):
        raise _invalid("destination_not_allowed", field=field, number=masked)
    if matches_prefix(number.e164, config.blocked_prefixes):
        raise _invalid("destination_blocked", field=field, number=masked)
    return number


async def _connect(call: ServiceCall) -> ServiceResponse:
    data = _data(call)
    config, manager = data.config, data.manager
    mode = call.data.get(ATTR_MODE, config.mode)
    party_a = _destination(data, call.data[ATTR_PARTY_A], ATTR_PARTY_A)
    party_b = _destination(data, call.data[ATTR_PARTY_B], ATTR_PARTY_B)
    if party_a.e164 == party_b.e164:
        raise _invalid("same_number")
    if len(manager.active_records()) >= config.max_concurrent_calls:
        raise _invalid("too_many_calls", limit=str(config.max_concurrent_calls))
    budget = config.monthly_budget
    if budget is not None and manager.totals.cost >= budget:
        amount = format(budget.normalize(), "f")
        raise _invalid("budget_reached", budget=f"{amount} {config.rates.currency}")
    time_limit = min(call.data.get(ATTR_TIME_LIMIT, config.time_limit), config.time_limit)
    try:
        record = await manager.async_connect(
            party_a,
            party_b,
            mode=mode,
            time_limit=time_limit,
            greeting=call.data.get(ATTR_GREETING, config.greeting),
            label=call.data.get(ATTR_LABEL),
        )
    except TwilioApiError as err:
        raise _twilio_error(err) from err
    return {"call_id": record.call_id, "status": manager.status(record)}


async def _hangup(call: ServiceCall) -> ServiceResponse:
    manager = _data(call).manager
    call_id = call.data.get(ATTR_CALL_ID)
    if call_id is not None:
        record = manager.record(call_id)
        if record is None:
            raise _invalid("unknown_call", call_id=call_id)
        if not record.active:
            raise _invalid("call_not_active", call_id=call_id)
    try:
        ended = await manager.async_hangup(call_id)
    except TwilioApiError as err:
        raise _twilio_error(err) from err
    call_ids: list[Any] = list(ended)
    return {"call_ids": call_ids}


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
    try:
        limit = await manager.async_extend(record, call.data[ATTR_SECONDS])
    except TwilioApiError as err:
        raise _twilio_error(err) from err
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
