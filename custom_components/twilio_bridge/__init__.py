"""twilio_bridge: anonymous two-party calls through one Twilio number (a "V-call").

This module holds the YAML schema and the setup wiring only: a `twilio_bridge:` YAML block is
imported into the (single) config entry, and the entry is set up once Twilio confirmed the
credentials and the number. Calls live in manager.py, Twilio's protocol in core/.
"""

from __future__ import annotations

import logging
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import SOURCE_IMPORT
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .callbacks import CallBacks
from .checks import (
    Problem,
    SetupProblemError,
    async_check_account,
    clear_setup_problems,
    report_problem,
)
from .config_flow import entry_title
from .const import (
    CONF_ACCOUNT_SID,
    CONF_COUNTRY_CODE,
    CONF_PHONE_NUMBER,
    CONF_WEBHOOK_BASE_URL,
    DOMAIN,
    SIGNAL_UPDATED,
)
from .coordinator import BridgeCoordinator
from .core.contacts import ContactError
from .core.numbers import InvalidNumberError, PhoneNumber, parse_number
from .data import BridgeConfig
from .manager import CallManager
from .options import OPTIONS_SCHEMA, YAML_SCHEMA, split_yaml
from .runtime import YAML_PRESENT, TwilioBridgeConfigEntry, TwilioBridgeData
from .selftest import SelfTestView, async_self_test
from .services import async_register_services
from .store import CallLogStore
from .twilio_client import TwilioApi
from .views import VIEWS
from .voice_url import async_sync_voice_url

_LOGGER = logging.getLogger(__name__)

PLATFORMS = (Platform.SENSOR, Platform.BINARY_SENSOR)

CONFIG_SCHEMA = vol.Schema({DOMAIN: YAML_SCHEMA}, extra=vol.ALLOW_EXTRA)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register services and webhooks; import a YAML block into the config entry."""
    async_register_services(hass)
    # Views live as long as Home Assistant: they answer safely while no entry is loaded.
    for view in (*VIEWS, SelfTestView):
        hass.http.register_view(view())
    hass.data[YAML_PRESENT] = DOMAIN in config
    if DOMAIN not in config:
        return True
    if entries := hass.config_entries.async_entries(DOMAIN):
        # The YAML is the source of truth: it replaces what the entry holds, before the
        # entry is set up (entries are set up after this returns).
        data, options = split_yaml(config[DOMAIN])
        try:
            number = parse_number(data[CONF_PHONE_NUMBER], options[CONF_COUNTRY_CODE])
            title = entry_title(number.e164)
        except InvalidNumberError:
            title = entries[0].title  # setup reports the number
        hass.config_entries.async_update_entry(
            entries[0], title=title, unique_id=data[CONF_ACCOUNT_SID], data=data, options=options
        )
    else:
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data=config[DOMAIN]
            ),
            "twilio_bridge import",
        )
    return True


def _phone_number(conf: dict[str, Any]) -> PhoneNumber:
    try:
        return parse_number(conf[CONF_PHONE_NUMBER], conf[CONF_COUNTRY_CODE])
    except InvalidNumberError as err:
        raise SetupProblemError(
            Problem.INVALID_PHONE_NUMBER, country_code=conf[CONF_COUNTRY_CODE]
        ) from err


def _webhook_base_url(hass: HomeAssistant, conf: dict[str, Any]) -> str:
    base_url: str | None = conf.get(CONF_WEBHOOK_BASE_URL)
    if base_url:
        return base_url
    try:
        return get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError as err:
        _LOGGER.error(
            "Twilio must reach Home Assistant from the internet, but there is no "
            "external URL: set %s, or set an external URL under Settings > System > "
            "Network (or use Home Assistant Cloud)",
            CONF_WEBHOOK_BASE_URL,
        )
        raise SetupProblemError(Problem.NO_EXTERNAL_URL) from err


def _entry_error(
    hass: HomeAssistant, entry: TwilioBridgeConfigEntry, err: SetupProblemError
) -> Exception:
    """The exception that tells Home Assistant what to do about a setup problem."""
    report_problem(hass, err)
    placeholders = err.placeholders
    kwargs: dict[str, Any] = {
        "translation_domain": DOMAIN,
        "translation_key": err.problem.value,
        "translation_placeholders": placeholders,
    }
    if err.problem in (Problem.CANNOT_CONNECT, Problem.NO_EXTERNAL_URL):
        # Home Assistant retries with a back-off: fixed outside (the network, an external
        # URL set under Settings > System > Network), the entry comes up by itself.
        return ConfigEntryNotReady(**kwargs)
    if err.problem is Problem.INVALID_AUTH and not hass.data.get(YAML_PRESENT):
        return ConfigEntryAuthFailed(**kwargs)  # starts reauthentication
    # From YAML the fix is in configuration.yaml, so no reauthentication is offered.
    return ConfigEntryError(**kwargs)


async def async_setup_entry(hass: HomeAssistant, entry: TwilioBridgeConfigEntry) -> bool:
    """Check the account with Twilio, then start the call manager and the entities."""
    conf = {**entry.data, **OPTIONS_SCHEMA(dict(entry.options))}
    try:
        phone_number = _phone_number(conf)
        base_url = _webhook_base_url(hass, conf)
        try:
            config = BridgeConfig.from_yaml(conf, phone_number, base_url)
        except ContactError as err:
            _LOGGER.error("%s", err)  # names the contact; its number is masked
            raise SetupProblemError(Problem.INVALID_CONTACT, error=str(err)) from err
        api = TwilioApi(
            config.account_sid,
            config.auth_token,
            async_get_clientsession(hass),
            api_base_url=config.api_base_url,
            edge=config.edge,
        )
        number = await async_check_account(api, phone_number.e164)
    except SetupProblemError as err:
        raise _entry_error(hass, entry, err) from err
    clear_setup_problems(hass)

    store = CallLogStore(hass)
    manager = CallManager(hass, config, api, store)
    await manager.async_start()
    await async_sync_voice_url(hass, config, api, number)
    coordinator = BridgeCoordinator(hass, entry, manager)
    entry.runtime_data = TwilioBridgeData(
        config=config, manager=manager, coordinator=coordinator, callbacks=CallBacks(manager)
    )
    entry.async_on_unload(async_dispatcher_connect(hass, SIGNAL_UPDATED, coordinator.async_publish))

    async def _stop(_event: Event) -> None:
        manager.async_stop()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))

    async def _self_test(_hass: HomeAssistant) -> None:
        # Only once Home Assistant's HTTP server is up can it reach itself.
        entry.async_create_background_task(
            hass, async_self_test(hass, config.webhook_base_url), "twilio_bridge self-test"
        )

    entry.async_on_unload(async_at_started(hass, _self_test))
    return True


async def _async_options_updated(hass: HomeAssistant, entry: TwilioBridgeConfigEntry) -> None:
    """Options are applied by a reload: calls in progress carry over through the store."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: TwilioBridgeConfigEntry) -> bool:
    """Stop timers and write the log now: the next setup picks calls in progress up."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        manager = entry.runtime_data.manager
        manager.async_stop()
        await manager.async_save_now()
    return unloaded
