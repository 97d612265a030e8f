"""Set up from the UI (or import the YAML block), checked against Twilio before anything is kept.

The forms are built from options.py: the connection fields in the config, reauthentication
and reconfigure steps, every other option in the options flow. While configuration.yaml has
a `twilio_bridge:` block, it owns the settings, and the UI only says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .checks import Problem, SetupProblemError, async_check_account
from .const import (
    CONF_ACCOUNT_SID,
    CONF_API_BASE_URL,
    CONF_AUTH_TOKEN,
    CONF_CONTACTS,
    CONF_COUNTRY_CODE,
    CONF_EDGE,
    CONF_PHONE_NUMBER,
    CONF_WEBHOOK_BASE_URL,
    DEFAULT_COUNTRY_CODE,
    DOMAIN,
)
from .core.contacts import ContactError
from .core.numbers import InvalidNumberError, mask_number, parse_number
from .data import BridgeConfig
from .options import (
    ADVANCED,
    AUTH_TOKEN,
    CONNECTION,
    CONNECTION_SCHEMA,
    CREDENTIALS,
    OPTIONS,
    OPTIONS_SCHEMA,
    PHONE_NUMBER,
    Option,
    form_schema,
    split_yaml,
)
from .runtime import YAML_PRESENT, TwilioBridgeConfigEntry
from .twilio_client import TwilioApi

# Where each problem is shown in the form: beside its field, or above the form.
FIELD_OF_PROBLEM = {
    Problem.INVALID_AUTH: "base",
    Problem.CANNOT_CONNECT: "base",
    Problem.NUMBER_NOT_ON_ACCOUNT: CONF_PHONE_NUMBER,
    Problem.NUMBER_NOT_VOICE_CAPABLE: CONF_PHONE_NUMBER,
    Problem.INVALID_PHONE_NUMBER: CONF_PHONE_NUMBER,
}


def entry_title(phone_number: str) -> str:
    """The entry's name in the UI: the number, masked (E.164 in)."""
    return f"Twilio {mask_number(phone_number)}"


async def async_validate_connection(
    hass: HomeAssistant, user_input: Mapping[str, Any], country_code: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The connection fields, checked by schema and against Twilio: (data, errors)."""
    try:
        data: dict[str, Any] = CONNECTION_SCHEMA(
            {key: value for key, value in user_input.items() if value not in ("", None)}
        )
    except vol.Invalid as err:
        field = str(err.path[0]) if err.path else "base"
        return dict(user_input), {field: "invalid_value"}
    try:
        number = parse_number(data[CONF_PHONE_NUMBER], country_code).e164
    except InvalidNumberError:
        return data, {CONF_PHONE_NUMBER: Problem.INVALID_PHONE_NUMBER.value}
    data[CONF_PHONE_NUMBER] = number
    if not data.get(CONF_WEBHOOK_BASE_URL) and not _has_public_url(hass):
        # Twilio could never report a call: say so now, not after "Success!".
        return data, {CONF_WEBHOOK_BASE_URL: Problem.NO_EXTERNAL_URL.value}
    api = TwilioApi(
        data[CONF_ACCOUNT_SID],
        data[CONF_AUTH_TOKEN],
        async_get_clientsession(hass),
        api_base_url=data.get(CONF_API_BASE_URL),
        edge=data.get(CONF_EDGE),
    )
    try:
        await async_check_account(api, number)
    except SetupProblemError as err:
        return data, {FIELD_OF_PROBLEM.get(err.problem, "base"): err.problem.value}
    return data, {}


def _has_public_url(hass: HomeAssistant) -> bool:
    try:
        get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError:
        return False
    return True


class TwilioBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """One entry per Home Assistant (single_config_entry), keyed by the Account SID."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: TwilioBridgeConfigEntry) -> OptionsFlow:
        return TwilioBridgeOptionsFlow()

    def _connection_form(self) -> tuple[Option, ...]:
        advanced = self.show_advanced_options
        return tuple(o for o in CONNECTION if advanced or o not in ADVANCED)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account, the number and (optionally) the public URL."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await async_validate_connection(
                self.hass, user_input, DEFAULT_COUNTRY_CODE
            )
            if not errors:
                await self.async_set_unique_id(data[CONF_ACCOUNT_SID])
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=entry_title(data[CONF_PHONE_NUMBER]), data=data, options={}
                )
        schema = form_schema(self._connection_form(), required=(*CREDENTIALS, PHONE_NUMBER))
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """The YAML block, at start. Setup (not the import) checks it with Twilio."""
        data, options = split_yaml(import_data)
        await self.async_set_unique_id(data[CONF_ACCOUNT_SID])
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=entry_title(data[CONF_PHONE_NUMBER]), data=data, options=options
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Twilio refused the credentials (error 20003)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new auth token of the same account."""
        entry = self._get_reauth_entry()
        if self.hass.data.get(YAML_PRESENT):
            return self.async_abort(reason="yaml_managed")
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await async_validate_connection(
                self.hass, {**entry.data, **user_input}, self._country_code(entry)
            )
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_AUTH_TOKEN: data[CONF_AUTH_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=form_schema((AUTH_TOKEN,), required=(AUTH_TOKEN,)),
            description_placeholders={CONF_ACCOUNT_SID: entry.data[CONF_ACCOUNT_SID]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the number or the URLs of the same account."""
        entry = self._get_reconfigure_entry()
        if self.hass.data.get(YAML_PRESENT):
            return self.async_abort(reason="yaml_managed")
        errors: dict[str, str] = {}
        fields = tuple(o for o in self._connection_form() if o not in CREDENTIALS)
        if user_input is not None:
            # A cleared field is left out of the answer, and so removed; fields not shown
            # (the credentials, and the advanced ones outside advanced mode) are kept.
            kept = {
                o.key: entry.data[o.key]
                for o in CONNECTION
                if o not in fields and o.key in entry.data
            }
            data, errors = await async_validate_connection(
                self.hass, {**kept, **user_input}, self._country_code(entry)
            )
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, title=entry_title(data[CONF_PHONE_NUMBER]), data=data
                )
        schema = form_schema(fields, required=(PHONE_NUMBER,))
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or entry.data),
            errors=errors,
        )

    @staticmethod
    def _country_code(entry: TwilioBridgeConfigEntry) -> str:
        return str(OPTIONS_SCHEMA(dict(entry.options))[CONF_COUNTRY_CODE])


class TwilioBridgeOptionsFlow(OptionsFlow):
    """Every option but the connection; saving reloads the entry (no restart)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if self.hass.data.get(YAML_PRESENT):
            return self.async_abort(reason="yaml_managed")
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            try:
                options = OPTIONS_SCHEMA(_without_blanks(user_input))
            except vol.Invalid as err:
                errors[str(err.path[0]) if err.path else "base"] = "invalid_value"
            else:
                # Contacts are checked like destinations: a bad one would fail the setup
                # that saving starts, so it is refused here, where it can be corrected.
                problem = _contacts_problem(self.config_entry, options)
                if problem is None:
                    return self.async_create_entry(data=options)
                errors[CONF_CONTACTS] = "invalid_contact"
                placeholders["error"] = problem
        current = OPTIONS_SCHEMA(dict(self.config_entry.options))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                form_schema(OPTIONS), user_input or current
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _contacts_problem(entry: TwilioBridgeConfigEntry, options: Mapping[str, Any]) -> str | None:
    """Why the contacts cannot be used with these options (None: they can)."""
    try:
        own = parse_number(entry.data[CONF_PHONE_NUMBER], options[CONF_COUNTRY_CODE])
    except InvalidNumberError:
        return None  # setup reports the number itself
    conf = {**entry.data, **options}
    try:
        BridgeConfig.from_yaml(conf, own, conf.get(CONF_WEBHOOK_BASE_URL) or "http://unused")
    except ContactError as err:
        return str(err)
    return None


def _without_blanks(values: Mapping[str, Any]) -> dict[str, Any]:
    """Empty fields mean "not set" (the default applies), at any depth (sections)."""
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        value = _without_blanks(raw) if isinstance(raw, Mapping) else raw
        if value not in ("", None):
            cleaned[key] = value
    return cleaned
