"""The configuration keys, each declared once: its YAML validator, default and UI selector.

The YAML schema, the config flow, the options flow and the YAML import are all built from
these lists, so adding an option is one line in OPTIONS (plus its translations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import voluptuous as vol
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import selector as sel

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
    MODE_BRIDGE,
    MODE_CONFERENCE,
)
from .core.calls import Confirm
from .core.numbers import known_country_code
from .core.texts import MAX_SPOKEN_TEXT
from .services import CONFIRM_TIMEOUT_MAX, CONFIRM_TIMEOUT_MIN, free_text

NO_DEFAULT: Any = vol.UNDEFINED


@dataclass(frozen=True)
class Option:
    """One configuration key: how YAML validates it, its default, how the UI edits it."""

    key: str
    validator: Callable[[Any], Any]
    selector: Any
    default: Any = NO_DEFAULT

    def marker(self, *, required: bool = False) -> vol.Marker:
        if required:
            return vol.Required(self.key)
        return vol.Optional(self.key, default=self.default)


def _number(low: float, high: float | None = None, unit: str | None = None) -> sel.NumberSelector:
    config = sel.NumberSelectorConfig(min=low, mode=sel.NumberSelectorMode.BOX, step="any")
    if high is not None:
        config["max"] = high
    if unit is not None:
        config["unit_of_measurement"] = unit
    return sel.NumberSelector(config)


def _text(
    kind: sel.TextSelectorType = sel.TextSelectorType.TEXT,
    *,
    multiline: bool = False,
    multiple: bool = False,
) -> sel.TextSelector:
    return sel.TextSelector(
        sel.TextSelectorConfig(type=kind, multiline=multiline, multiple=multiple)
    )


def _seconds(low: int, high: int) -> Callable[[Any], int]:
    return vol.All(vol.Coerce(int), vol.Range(min=low, max=high))


def _prefix(value: object) -> str:
    text = cv.string(value).replace(" ", "").replace("-", "")
    if not text.lstrip("+").isdigit():
        raise vol.Invalid(f"{value!r} is not a phone number prefix")
    return text if text.startswith("+") else f"+{text}"


def _country_code(value: object) -> str:
    text = cv.string(value).strip()
    if not known_country_code(text):
        raise vol.Invalid(f'{value!r} is not a country calling code (for Japan: "81")')
    return text


_RATE = vol.All(vol.Coerce(float), vol.Range(min=0))
RATE_KEYS = ("mobile", "landline", "ip_phone", "toll_free", "conference_participant")
RATE_DEFAULTS = {
    "mobile": 16.2,
    "landline": 5.4,
    "ip_phone": 5.4,
    "toll_free": 0.0,
    "conference_participant": 0.3,
}
RATES_SCHEMA = vol.Schema(
    {
        vol.Optional("currency", default="JPY"): vol.All(cv.string, vol.Upper, cv.currency),
        **{vol.Optional(key, default=RATE_DEFAULTS[key]): _RATE for key in RATE_KEYS},
    }
)
RATES_SELECTOR = section(
    vol.Schema(
        {
            vol.Optional("currency"): _text(),
            **{vol.Optional(key): _number(0) for key in RATE_KEYS},
        }
    ),
    {"collapsed": True},
)

# The connection: what the config flow asks for and the Twilio check depends on.
ACCOUNT_SID = Option(
    CONF_ACCOUNT_SID, vol.All(cv.string, vol.Strip, vol.Match(r"^AC\w{32}$")), _text()
)
AUTH_TOKEN = Option(CONF_AUTH_TOKEN, cv.string, _text(sel.TextSelectorType.PASSWORD))
PHONE_NUMBER = Option(CONF_PHONE_NUMBER, cv.string, _text(sel.TextSelectorType.TEL))
WEBHOOK_BASE_URL = Option(CONF_WEBHOOK_BASE_URL, cv.url, _text(sel.TextSelectorType.URL))
API_BASE_URL = Option(CONF_API_BASE_URL, cv.url, _text(sel.TextSelectorType.URL))
EDGE = Option(CONF_EDGE, cv.string, _text())

CREDENTIALS = (ACCOUNT_SID, AUTH_TOKEN)
CONNECTION = (*CREDENTIALS, PHONE_NUMBER, WEBHOOK_BASE_URL, API_BASE_URL, EDGE)
ADVANCED = (API_BASE_URL, EDGE)  # shown in the UI in advanced mode only

# Everything else: how calls are placed. The options flow edits these, reloading the entry.
OPTIONS: tuple[Option, ...] = (
    Option(
        CONF_MODE,
        vol.In([MODE_BRIDGE, MODE_CONFERENCE]),
        sel.SelectSelector(
            sel.SelectSelectorConfig(options=[MODE_BRIDGE, MODE_CONFERENCE], translation_key="mode")
        ),
        MODE_BRIDGE,
    ),
    Option(CONF_RING_TIMEOUT, _seconds(5, 600), _number(5, 600, "s"), DEFAULT_RING_TIMEOUT),
    Option(CONF_TIME_LIMIT, _seconds(10, 14400), _number(10, 14400, "s"), DEFAULT_TIME_LIMIT),
    Option(CONF_WARN_BEFORE, _seconds(5, 3600), _number(5, 3600, "s"), DEFAULT_WARN_BEFORE),
    Option(CONF_WARNING_MESSAGE, free_text(MAX_SPOKEN_TEXT), _text(multiline=True)),
    Option(CONF_GREETING, free_text(MAX_SPOKEN_TEXT), _text(multiline=True)),
    Option(CONF_LANGUAGE, cv.string, _text(), DEFAULT_LANGUAGE),
    Option(CONF_COUNTRY_CODE, _country_code, _text(), DEFAULT_COUNTRY_CODE),
    Option(
        CONF_ALLOWED_PREFIXES,
        vol.All(cv.ensure_list, [_prefix]),
        _text(multiple=True),
        ["+81"],
    ),
    Option(CONF_BLOCKED_PREFIXES, vol.All(cv.ensure_list, [_prefix]), _text(multiple=True), []),
    Option(
        CONF_MAX_CONCURRENT_CALLS,
        _seconds(1, 1000),
        _number(1, 1000),
        DEFAULT_MAX_CONCURRENT_CALLS,
    ),
    Option(CONF_MONTHLY_BUDGET, vol.All(vol.Coerce(float), vol.Range(min=0)), _number(0)),
    Option(CONF_MASK_NUMBERS, cv.boolean, sel.BooleanSelector(), True),
    Option(CONF_CALL_LOG_SIZE, _seconds(1, 100000), _number(1, 100000), DEFAULT_CALL_LOG_SIZE),
    Option(CONF_RATES, RATES_SCHEMA, RATES_SELECTOR, {}),
    Option(
        CONF_CONFIRM,
        vol.In([option.value for option in Confirm]),
        sel.SelectSelector(
            sel.SelectSelectorConfig(
                options=[option.value for option in Confirm], translation_key="confirm"
            )
        ),
        Confirm.NONE.value,
    ),
    Option(
        CONF_CONFIRM_TIMEOUT,
        _seconds(CONFIRM_TIMEOUT_MIN, CONFIRM_TIMEOUT_MAX),
        _number(CONFIRM_TIMEOUT_MIN, CONFIRM_TIMEOUT_MAX, "s"),
        DEFAULT_CONFIRM_TIMEOUT,
    ),
    Option(CONF_ANNOUNCE, free_text(MAX_SPOKEN_TEXT), _text(multiline=True)),
    Option(CONF_CALLBACK, cv.boolean, sel.BooleanSelector(), False),
    Option(
        CONF_CALLBACK_WINDOW,
        _seconds(60, 90 * 24 * 3600),
        _number(60, 90 * 24 * 3600, "s"),
        DEFAULT_CALLBACK_WINDOW,
    ),
    Option(CONF_MANAGE_NUMBER, cv.boolean, sel.BooleanSelector(), False),
    # Names and numbers are checked at setup (ContactBook), where the log line can name
    # the contact without printing its number.
    Option(CONF_CONTACTS, vol.Schema({cv.string: cv.string}), sel.ObjectSelector(), {}),
)

OPTIONS_SCHEMA = vol.Schema({option.marker(): option.validator for option in OPTIONS})


def _not_both_api_base_url_and_edge(conf: dict[str, Any]) -> dict[str, Any]:
    if conf.get(CONF_API_BASE_URL) and conf.get(CONF_EDGE):
        # The path makes Home Assistant print only this key, not the whole block (and token).
        raise vol.Invalid(
            f"{CONF_EDGE} cannot be combined with {CONF_API_BASE_URL}", path=[CONF_EDGE]
        )
    return conf


_CONNECTION_FIELDS = {
    option.marker(required=option in (*CREDENTIALS, PHONE_NUMBER)): option.validator
    for option in CONNECTION
}
CONNECTION_SCHEMA = vol.All(vol.Schema(_CONNECTION_FIELDS), _not_both_api_base_url_and_edge)

# The `twilio_bridge:` YAML block: the connection and every option, flat, as documented.
YAML_SCHEMA = vol.All(
    vol.Schema({**_CONNECTION_FIELDS, **OPTIONS_SCHEMA.schema}), _not_both_api_base_url_and_edge
)

OPTION_KEYS = frozenset(option.key for option in OPTIONS)


def split_yaml(conf: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A validated YAML block as a config entry's (data, options)."""
    data = {key: value for key, value in conf.items() if key not in OPTION_KEYS}
    options = {key: value for key, value in conf.items() if key in OPTION_KEYS}
    return data, options


def form_schema(options: tuple[Option, ...], *, required: tuple[Option, ...] = ()) -> vol.Schema:
    """The UI form of these options (no defaults: suggested values show what is set)."""
    return vol.Schema(
        {
            (vol.Required(o.key) if o in required else vol.Optional(o.key)): o.selector
            for o in options
        }
    )
