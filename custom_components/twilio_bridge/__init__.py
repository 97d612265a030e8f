"""twilio_bridge: anonymous two-party calls through one Twilio number (a "V-call").

This module holds the YAML schema and the setup wiring only; calls live in manager.py,
Twilio's protocol in core/.
"""

from __future__ import annotations

import logging

import voluptuous as vol
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_ACCOUNT_SID,
    CONF_ALLOWED_PREFIXES,
    CONF_ANNOUNCE,
    CONF_API_BASE_URL,
    CONF_AUTH_TOKEN,
    CONF_BLOCKED_PREFIXES,
    CONF_CALL_LOG_SIZE,
    CONF_CALLBACK,
    CONF_CALLBACK_WINDOW,
    CONF_CONFIRM,
    CONF_CONFIRM_TIMEOUT,
    CONF_CONTACTS,
    CONF_COUNTRY_CODE,
    CONF_EDGE,
    CONF_GREETING,
    CONF_LANGUAGE,
    CONF_MANAGE_NUMBER,
    CONF_MASK_NUMBERS,
    CONF_MAX_CONCURRENT_CALLS,
    CONF_MODE,
    CONF_MONTHLY_BUDGET,
    CONF_PHONE_NUMBER,
    CONF_RATES,
    CONF_RING_TIMEOUT,
    CONF_TIME_LIMIT,
    CONF_WARN_BEFORE,
    CONF_WARNING_MESSAGE,
    CONF_WEBHOOK_BASE_URL,
    DEFAULT_CALL_LOG_SIZE,
    DEFAULT_CALLBACK_WINDOW,
    DEFAULT_CONFIRM_TIMEOUT,
    DEFAULT_COUNTRY_CODE,
    DEFAULT_LANGUAGE,
    DEFAULT_MAX_CONCURRENT_CALLS,
    DEFAULT_RING_TIMEOUT,
    DEFAULT_TIME_LIMIT,
    DEFAULT_WARN_BEFORE,
    DOMAIN,
    MODE_BRIDGE,
    MODE_CONFERENCE,
)
from .core.calls import Confirm
from .core.contacts import ContactError
from .core.numbers import InvalidNumberError, parse_number
from .core.texts import MAX_SPOKEN_TEXT
from .data import BridgeConfig
from .manager import CallManager
from .runtime import DATA_KEY, TwilioBridgeData
from .services import (
    CONFIRM_TIMEOUT_MAX,
    CONFIRM_TIMEOUT_MIN,
    async_register_services,
    free_text,
)
from .store import CallLogStore
from .twilio_client import TwilioApi
from .views import VIEWS
from .voice_url import async_sync_voice_url

_LOGGER = logging.getLogger(__name__)

PLATFORMS = (Platform.SENSOR, Platform.BINARY_SENSOR)
ISSUE_NO_EXTERNAL_URL = "no_external_url"

RATE_VALUE = vol.All(vol.Coerce(float), vol.Range(min=0))
RATES_SCHEMA = vol.Schema(
    {
        vol.Optional("currency", default="JPY"): vol.All(cv.string, vol.Length(min=3, max=3)),
        vol.Optional("mobile", default=16.2): RATE_VALUE,
        vol.Optional("landline", default=5.4): RATE_VALUE,
        vol.Optional("ip_phone", default=5.4): RATE_VALUE,
        vol.Optional("toll_free", default=0.0): RATE_VALUE,
        vol.Optional("conference_participant", default=0.3): RATE_VALUE,
    }
)


def _not_both_api_base_url_and_edge(conf: dict[str, object]) -> dict[str, object]:
    if conf.get(CONF_API_BASE_URL) and conf.get(CONF_EDGE):
        # The path makes Home Assistant print only this key, not the whole block (and token).
        raise vol.Invalid(
            f"{CONF_EDGE} cannot be combined with {CONF_API_BASE_URL}", path=[CONF_EDGE]
        )
    return conf


def _prefix(value: object) -> str:
    text = cv.string(value).replace(" ", "").replace("-", "")
    if not text.lstrip("+").isdigit():
        raise vol.Invalid(f"{value!r} is not a phone number prefix")
    return text if text.startswith("+") else f"+{text}"


CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.All(
            vol.Schema(
                {
                    vol.Required(CONF_ACCOUNT_SID): vol.All(cv.string, vol.Match(r"^AC\w{32}$")),
                    vol.Required(CONF_AUTH_TOKEN): cv.string,
                    vol.Required(CONF_PHONE_NUMBER): cv.string,
                    vol.Optional(CONF_WEBHOOK_BASE_URL): cv.url,
                    vol.Optional(CONF_API_BASE_URL): cv.url,
                    vol.Optional(CONF_EDGE): cv.string,
                    vol.Optional(CONF_MODE, default=MODE_BRIDGE): vol.In(
                        [MODE_BRIDGE, MODE_CONFERENCE]
                    ),
                    vol.Optional(CONF_RING_TIMEOUT, default=DEFAULT_RING_TIMEOUT): vol.All(
                        vol.Coerce(int), vol.Range(min=5, max=600)
                    ),
                    vol.Optional(CONF_TIME_LIMIT, default=DEFAULT_TIME_LIMIT): vol.All(
                        vol.Coerce(int), vol.Range(min=10, max=14400)
                    ),
                    vol.Optional(CONF_WARN_BEFORE, default=DEFAULT_WARN_BEFORE): vol.All(
                        vol.Coerce(int), vol.Range(min=5, max=3600)
                    ),
                    vol.Optional(CONF_WARNING_MESSAGE): free_text(MAX_SPOKEN_TEXT),
                    vol.Optional(CONF_GREETING): free_text(MAX_SPOKEN_TEXT),
                    vol.Optional(CONF_LANGUAGE, default=DEFAULT_LANGUAGE): cv.string,
                    vol.Optional(CONF_COUNTRY_CODE, default=DEFAULT_COUNTRY_CODE): vol.All(
                        vol.Coerce(str), vol.Match(r"^\+?\d{1,3}$")
                    ),
                    vol.Optional(CONF_ALLOWED_PREFIXES, default=["+81"]): vol.All(
                        cv.ensure_list, [_prefix]
                    ),
                    vol.Optional(CONF_BLOCKED_PREFIXES, default=[]): vol.All(
                        cv.ensure_list, [_prefix]
                    ),
                    vol.Optional(
                        CONF_MAX_CONCURRENT_CALLS, default=DEFAULT_MAX_CONCURRENT_CALLS
                    ): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
                    vol.Optional(CONF_MONTHLY_BUDGET): vol.All(vol.Coerce(float), vol.Range(min=0)),
                    vol.Optional(CONF_MASK_NUMBERS, default=True): cv.boolean,
                    vol.Optional(CONF_CALL_LOG_SIZE, default=DEFAULT_CALL_LOG_SIZE): vol.All(
                        vol.Coerce(int), vol.Range(min=1, max=100000)
                    ),
                    vol.Optional(CONF_RATES, default={}): RATES_SCHEMA,
                    vol.Optional(CONF_CONFIRM, default=Confirm.NONE.value): vol.In(
                        [option.value for option in Confirm]
                    ),
                    vol.Optional(CONF_CONFIRM_TIMEOUT, default=DEFAULT_CONFIRM_TIMEOUT): vol.All(
                        vol.Coerce(int), vol.Range(min=CONFIRM_TIMEOUT_MIN, max=CONFIRM_TIMEOUT_MAX)
                    ),
                    vol.Optional(CONF_ANNOUNCE): free_text(MAX_SPOKEN_TEXT),
                    vol.Optional(CONF_CALLBACK, default=False): cv.boolean,
                    vol.Optional(CONF_CALLBACK_WINDOW, default=DEFAULT_CALLBACK_WINDOW): vol.All(
                        vol.Coerce(int), vol.Range(min=60, max=90 * 24 * 3600)
                    ),
                    vol.Optional(CONF_MANAGE_NUMBER, default=False): cv.boolean,
                    # Names and numbers are checked at setup (ContactBook), where the log
                    # line can name the contact without printing its number.
                    vol.Optional(CONF_CONTACTS, default={}): vol.Schema({cv.string: cv.string}),
                }
            ),
            _not_both_api_base_url_and_edge,
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up twilio_bridge from configuration.yaml."""
    async_register_services(hass)
    if DOMAIN not in config:
        return True
    conf = config[DOMAIN]
    try:
        phone_number = parse_number(conf[CONF_PHONE_NUMBER], conf[CONF_COUNTRY_CODE])
    except InvalidNumberError:
        _LOGGER.error(
            "%s is not a valid Twilio number: use E.164 (+815012345678) or 050-1234-5678",
            CONF_PHONE_NUMBER,
        )
        return False
    base_url = conf.get(CONF_WEBHOOK_BASE_URL)
    if base_url is None:
        try:
            base_url = get_url(hass, allow_internal=False, prefer_external=True)
        except NoURLAvailableError:
            ir.async_create_issue(
                hass,
                DOMAIN,
                ISSUE_NO_EXTERNAL_URL,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_NO_EXTERNAL_URL,
            )
            _LOGGER.error(
                "Twilio must reach Home Assistant from the internet, but there is no "
                "external URL: set %s, or set an external URL under Settings > System > "
                "Network (or use Home Assistant Cloud)",
                CONF_WEBHOOK_BASE_URL,
            )
            return False
    ir.async_delete_issue(hass, DOMAIN, ISSUE_NO_EXTERNAL_URL)
    try:
        bridge_config = BridgeConfig.from_yaml(conf, phone_number, base_url)
    except ContactError as err:
        _LOGGER.error("%s", err)
        return False
    api = TwilioApi(
        bridge_config.account_sid,
        bridge_config.auth_token,
        async_get_clientsession(hass),
        api_base_url=bridge_config.api_base_url,
        edge=bridge_config.edge,
    )
    manager = CallManager(hass, bridge_config, api, CallLogStore(hass))
    hass.data[DATA_KEY] = TwilioBridgeData(config=bridge_config, manager=manager)
    await manager.async_start()
    await async_sync_voice_url(hass, bridge_config, api)

    async def _stop(_event: Event) -> None:
        manager.async_stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)
    for view in VIEWS:
        hass.http.register_view(view())
    for platform in PLATFORMS:
        hass.async_create_task(
            async_load_platform(hass, platform, DOMAIN, {}, config),
            f"twilio_bridge load {platform}",
        )
    return True
