"""Constants of the twilio_bridge integration: names that are part of its public contract."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "twilio_bridge"

CONF_ACCOUNT_SID: Final = "account_sid"
CONF_AUTH_TOKEN: Final = "auth_token"  # noqa: S105 - the YAML key, not a secret
CONF_PHONE_NUMBER: Final = "phone_number"
CONF_WEBHOOK_BASE_URL: Final = "webhook_base_url"
CONF_API_BASE_URL: Final = "api_base_url"
CONF_EDGE: Final = "edge"
CONF_MODE: Final = "mode"
CONF_RING_TIMEOUT: Final = "ring_timeout"
CONF_TIME_LIMIT: Final = "time_limit"
CONF_WARN_BEFORE: Final = "warn_before"
CONF_GREETING: Final = "greeting"
CONF_LANGUAGE: Final = "language"
CONF_COUNTRY_CODE: Final = "country_code"
CONF_ALLOWED_PREFIXES: Final = "allowed_prefixes"
CONF_BLOCKED_PREFIXES: Final = "blocked_prefixes"
CONF_MAX_CONCURRENT_CALLS: Final = "max_concurrent_calls"
CONF_MONTHLY_BUDGET: Final = "monthly_budget"
CONF_MASK_NUMBERS: Final = "mask_numbers"
CONF_CALL_LOG_SIZE: Final = "call_log_size"
CONF_RATES: Final = "rates"
CONF_CONFIRM: Final = "confirm"
CONF_CONFIRM_TIMEOUT: Final = "confirm_timeout"
CONF_ANNOUNCE: Final = "announce"
CONF_CALLBACK: Final = "callback"
CONF_CALLBACK_WINDOW: Final = "callback_window"
CONF_MANAGE_NUMBER: Final = "manage_number"

MODE_BRIDGE: Final = "bridge"
MODE_CONFERENCE: Final = "conference"

DEFAULT_RING_TIMEOUT: Final = 20
DEFAULT_TIME_LIMIT: Final = 3600
DEFAULT_WARN_BEFORE: Final = 60
DEFAULT_LANGUAGE: Final = "ja-JP"
DEFAULT_COUNTRY_CODE: Final = "81"
DEFAULT_MAX_CONCURRENT_CALLS: Final = 5
DEFAULT_CALL_LOG_SIZE: Final = 500
DEFAULT_CONFIRM_TIMEOUT: Final = 8
DEFAULT_CALLBACK_WINDOW: Final = 7 * 24 * 3600

# Leg A's REST TimeLimit is a safety cap only: talk is capped by <Dial timeLimit>; the cap
# adds room for the greeting and for B's ringing.
LEG_A_TIME_LIMIT_MARGIN: Final = 180

ATTR_CALL_ID: Final = "call_id"
ATTR_PARTY_A: Final = "party_a"
ATTR_PARTY_B: Final = "party_b"
ATTR_MODE: Final = "mode"
ATTR_TIME_LIMIT: Final = "time_limit"
ATTR_GREETING: Final = "greeting"
ATTR_LABEL: Final = "label"
ATTR_LIMIT: Final = "limit"
ATTR_SECONDS: Final = "seconds"
ATTR_CONFIRM: Final = "confirm"
ATTR_CONFIRM_TIMEOUT: Final = "confirm_timeout"
ATTR_ANNOUNCE: Final = "announce"

SERVICE_CONNECT: Final = "connect"
SERVICE_HANGUP: Final = "hangup"
SERVICE_EXTEND: Final = "extend"
SERVICE_GET_CALLS: Final = "get_calls"

EVENT_CALL_STARTED: Final = "twilio_bridge_call_started"
EVENT_CALL_CONNECTED: Final = "twilio_bridge_call_connected"
EVENT_CALL_ENDED: Final = "twilio_bridge_call_ended"
EVENT_CALL_PROGRESS: Final = "twilio_bridge_call_progress"
EVENT_CALLBACK: Final = "twilio_bridge_callback"
EVENT_CALLBACK_REFUSED: Final = "twilio_bridge_callback_refused"

SIGNAL_UPDATED: Final = f"{DOMAIN}_updated"

URL_BASE: Final = "/api/twilio_bridge"
URL_ANSWER: Final = URL_BASE + "/answer/{call_id}"
URL_ANSWER_LEG: Final = URL_BASE + "/answer/{call_id}/{leg}"
URL_STATUS: Final = URL_BASE + "/status/{call_id}/{leg}"
URL_DIAL_DONE: Final = URL_BASE + "/dial_done/{call_id}"
URL_DIAL_DONE_LEG: Final = URL_BASE + "/dial_done/{call_id}/{leg}"
URL_CONFERENCE: Final = URL_BASE + "/conference/{call_id}"
URL_ANNOUNCE: Final = URL_BASE + "/announce/{call_id}"
URL_GATHER: Final = URL_BASE + "/gather/{call_id}/{leg}"
URL_WHISPER: Final = URL_BASE + "/whisper/{call_id}"
URL_INCOMING: Final = URL_BASE + "/incoming"

CONF_WARNING_MESSAGE: Final = "warning_message"
CONF_CONTACTS: Final = "contacts"
