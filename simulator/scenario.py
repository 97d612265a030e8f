"""Scenario files: the account, its numbers, the rate table, the virtual phones and faults."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEFAULT_AUTH_TOKEN = "simulator-auth-token"  # noqa: S105 - a public, fake credential

BEHAVIORS = ("answer", "busy", "no-answer", "reject", "fail", "voicemail")


class ScenarioError(ValueError):
    """A scenario file or mapping that cannot be used."""


# Values come from YAML files and from POST /_sim/faults: anything at all. Each reader
# either returns a usable value or raises ScenarioError (never TypeError and friends, which
# the server would turn into a 500).


def _mapping(raw: Any, what: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{what} must be a mapping, got {raw!r}")
    return {str(key): value for key, value in raw.items()}


def _only(data: dict[str, Any], known: set[str], what: str) -> None:
    """Refuse keys a mapping should not have (a typo would otherwise be ignored)."""
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"unknown {what}: {sorted(unknown)}")


def _seconds(raw: Any, key: str) -> float:
    """A finite, non-negative number."""
    if isinstance(raw, bool):
        raise ScenarioError(f"{key} must be a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"{key} must be a number, got {raw!r}") from err
    if not (math.isfinite(value) and value >= 0):
        raise ScenarioError(f"{key} must be a finite number >= 0, got {raw!r}")
    return value


def _probability(raw: Any, key: str) -> float:
    value = _seconds(raw, key)
    if value > 1:
        raise ScenarioError(f"{key} is a probability from 0 to 1, got {raw!r}")
    return value


def _flag(raw: Any, key: str) -> bool:
    if isinstance(raw, bool) or raw in (0, 1):
        return bool(raw)
    raise ScenarioError(f"{key} must be true or false, got {raw!r}")


def _integer(raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ScenarioError(f"{key} must be an integer, got {raw!r}")
    try:
        return int(raw)
    except ValueError as err:
        raise ScenarioError(f"{key} must be an integer, got {raw!r}") from err


def _http_error(raw: Any, operation: str) -> int:
    status = _integer(raw, f"api_errors.{operation}")
    if not 400 <= status <= 599:
        raise ScenarioError(f"api_errors.{operation} must be an HTTP error status, got {raw!r}")
    return status


@dataclass(frozen=True)
class PhoneScript:
    """How one virtual phone behaves when it is called (or calls an owned number)."""

    behavior: str = "answer"
    answer_after: float = 2.0  # seconds of ringing before it answers
    hangup_after: float | None = 60.0  # seconds after answering; None: never hangs up itself
    digits: str = ""  # pressed into every <Gather> the phone hears
    # Seconds after a <Gather> starts (its prompt starts) before the first key; None: as
    # soon as the prompt has ended. Keys pressed after prompt + timeout are too late.
    digits_after: float | None = None

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PhoneScript:
        data = _mapping(data, "a phone")
        known = {"behavior", "answer_after", "hangup_after", "digits", "digits_after"}
        _only(data, known, "phone keys")
        behavior = str(data.get("behavior", "answer"))
        if behavior not in BEHAVIORS:
            raise ScenarioError(f"unknown behavior {behavior!r}; use one of {BEHAVIORS}")
        hangup = data.get("hangup_after", 60.0)
        digits = data.get("digits", "")
        if not isinstance(digits, str | int) or isinstance(digits, bool):
            raise ScenarioError(f"digits must be a string of keys, got {digits!r}")
        if behavior == "voicemail" and str(digits):
            raise ScenarioError("a voicemail presses no keys: drop its digits")
        after = data.get("digits_after")
        return cls(
            behavior=behavior,
            answer_after=_seconds(data.get("answer_after", 2.0), "answer_after"),
            hangup_after=None if hangup is None else _seconds(hangup, "hangup_after"),
            digits=str(digits),
            digits_after=None if after is None else _seconds(after, "digits_after"),
        )


def _method(raw: Any, key: str) -> str:
    method = str(raw).upper()
    if method not in {"GET", "POST"}:
        raise ScenarioError(f"{key} must be GET or POST, got {raw!r}")
    return method


def _url(raw: Any, key: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.startswith(("http://", "https://")):
        raise ScenarioError(f"{key} must be an http(s) URL, got {raw!r}")
    return raw


@dataclass(frozen=True)
class NumberSettings:
    """An owned number's voice settings: where Twilio asks what to do with a call to it."""

    voice_url: str | None = None
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"

    @classmethod
    def from_mapping(cls, data: Any, number: str) -> NumberSettings:
        data = _mapping(data, f"number {number}")
        known = {"voice_url", "voice_method", "status_callback", "status_callback_method"}
        _only(data, known, f"keys of number {number}")
        return cls(
            voice_url=_url(data.get("voice_url"), "voice_url"),
            voice_method=_method(data.get("voice_method", "POST"), "voice_method"),
            status_callback=_url(data.get("status_callback"), "status_callback"),
            status_callback_method=_method(
                data.get("status_callback_method", "POST"), "status_callback_method"
            ),
        )


@dataclass(frozen=True)
class Capabilities:
    """What an owned number can do (IncomingPhoneNumber `capabilities`). Fixed for a number:
    no REST update changes them. A number that is not voice-capable places and takes no
    calls."""

    voice: bool = True
    sms: bool = False
    mms: bool = False
    fax: bool = False

    @classmethod
    def from_mapping(cls, data: Any, number: str) -> Capabilities:
        data = _mapping(data, f"capabilities of number {number}")
        _only(data, {"voice", "sms", "mms", "fax"}, f"capabilities of number {number}")
        return cls(
            voice=_flag(data.get("voice", True), "capabilities.voice"),
            sms=_flag(data.get("sms", False), "capabilities.sms"),
            mms=_flag(data.get("mms", False), "capabilities.mms"),
            fax=_flag(data.get("fax", False), "capabilities.fax"),
        )


@dataclass(frozen=True)
class OwnedNumber:
    """An owned number as the scenario gives it: its voice settings and capabilities."""

    settings: NumberSettings = field(default_factory=NumberSettings)
    capabilities: Capabilities = field(default_factory=Capabilities)

    @classmethod
    def from_mapping(cls, data: Any, number: str) -> OwnedNumber:
        data = _mapping(data, f"number {number}")
        capabilities = data.pop("capabilities", None)
        return cls(
            settings=NumberSettings.from_mapping(data, number),
            capabilities=Capabilities.from_mapping(capabilities, number),
        )


def _numbers(raw: Any) -> dict[str, OwnedNumber]:
    """The owned numbers: a list of numbers (or of {number: ..., voice_url: ...}), or a
    mapping of number to its settings (or null)."""
    if isinstance(raw, Mapping):
        return {str(n): OwnedNumber.from_mapping(v, str(n)) for n, v in raw.items()}
    if not isinstance(raw, list | tuple):
        raise ScenarioError(f"numbers must be a list or a mapping, got {raw!r}")
    numbers: dict[str, OwnedNumber] = {}
    for item in raw:
        if isinstance(item, Mapping):
            settings = dict(item)
            number = str(settings.pop("number", "") or "")
            if not number:
                raise ScenarioError(f"a number without its number: {item!r}")
            numbers[number] = OwnedNumber.from_mapping(settings, number)
        else:
            numbers[str(item)] = OwnedNumber()
    return numbers


@dataclass(frozen=True)
class Faults:
    """Callback and API faults applied to a whole run (see also per-request faults)."""

    duplicate: float = 0.0  # probability that a callback is sent twice
    reorder: bool = False  # deliver each leg's status callbacks in a shuffled order
    drop: float = 0.0  # probability that a status callback is never sent
    delay: float = 0.0  # extra simulated seconds before a status callback is sent
    api_errors: dict[str, int] = field(default_factory=dict)  # operation -> HTTP status
    slow_webhook: float = 0.0  # real seconds added before each webhook request
    seed: int = 0

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Faults:
        data = _mapping(data, "faults")
        known = {"duplicate", "reorder", "drop", "delay", "api_errors", "slow_webhook", "seed"}
        _only(data, known, "fault keys")
        api_errors = _mapping(data.get("api_errors"), "api_errors")
        return cls(
            duplicate=_probability(data.get("duplicate", 0.0), "duplicate"),
            reorder=_flag(data.get("reorder", False), "reorder"),
            drop=_probability(data.get("drop", 0.0), "drop"),
            delay=_seconds(data.get("delay", 0.0), "delay"),
            api_errors={op: _http_error(status, op) for op, status in api_errors.items()},
            slow_webhook=_seconds(data.get("slow_webhook", 0.0), "slow_webhook"),
            seed=_integer(data.get("seed", 0), "seed"),
        )


DEFAULT_RATES: dict[str, Decimal] = {
    "mobile": Decimal("16.2"),
    "landline": Decimal("5.4"),
    "ip_phone": Decimal("5.4"),
    "toll_free": Decimal("0"),
    "special": Decimal("0"),
    "conference_participant": Decimal("0.3"),
    # Per started minute of an answered call to an owned number. Twilio's inbound prices
    # for Japanese numbers were not found (reference §8.2): an assumed figure.
    "inbound": Decimal("1.0"),
}


@dataclass(frozen=True)
class Rates:
    """Per started minute, per leg, by destination class."""

    currency: str = "JPY"
    per_minute: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Rates:
        data = _mapping(data, "rates")
        table = dict(DEFAULT_RATES)
        for key, value in data.items():
            if key == "currency":
                continue
            try:
                rate = Decimal(str(_seconds(value, f"rates.{key}")))
            except InvalidOperation as err:
                raise ScenarioError(f"rates.{key} must be a number, got {value!r}") from err
            table[key] = rate
        return cls(currency=str(data.get("currency", "JPY")), per_minute=table)

    def rate(self, rate_class: str) -> Decimal:
        return self.per_minute.get(rate_class, Decimal(0))


@dataclass(frozen=True)
class Scenario:
    """Everything a simulator run is configured with."""

    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    numbers: tuple[str, ...] = ("+815012345678",)
    number_settings: dict[str, NumberSettings] = field(default_factory=dict)
    number_capabilities: dict[str, Capabilities] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)  # SK... -> secret
    rates: Rates = field(default_factory=Rates)
    phones: dict[str, PhoneScript] = field(default_factory=dict)
    default_phone: PhoneScript = field(default_factory=PhoneScript)
    faults: Faults = field(default_factory=Faults)
    allowed_destinations: tuple[str, ...] = ()  # geo permissions; empty: every destination
    webhook_timeout: float = 15.0  # real seconds, as Twilio's 15 s response budget
    price_delay: float = 0.0  # simulated seconds after a call ends before its price is set

    def phone(self, number: str) -> PhoneScript:
        return self.phones.get(number, self.default_phone)

    def settings(self, number: str) -> NumberSettings:
        return self.number_settings.get(number, NumberSettings())

    def capabilities(self, number: str) -> Capabilities:
        return self.number_capabilities.get(number, Capabilities())

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Scenario:
        data = _mapping(data, "a scenario")
        known = {
            "account_sid",
            "auth_token",
            "numbers",
            "api_keys",
            "rates",
            "phones",
            "faults",
            "allowed_destinations",
            "webhook_timeout",
            "price_delay",
        }
        _only(data, known, "scenario keys")
        phones_raw = _mapping(data.get("phones"), "phones")
        default_raw = phones_raw.pop("default", None)
        numbers = _numbers(data.get("numbers", ["+815012345678"]))
        allowed = data.get("allowed_destinations", ())
        if not isinstance(allowed, list | tuple):
            raise ScenarioError(f"allowed_destinations must be a list, got {allowed!r}")
        return cls(
            account_sid=str(data.get("account_sid", DEFAULT_ACCOUNT_SID)),
            auth_token=str(data.get("auth_token", DEFAULT_AUTH_TOKEN)),
            numbers=tuple(numbers),
            number_settings={
                n: owned.settings
                for n, owned in numbers.items()
                if owned.settings != NumberSettings()
            },
            number_capabilities={
                n: owned.capabilities
                for n, owned in numbers.items()
                if owned.capabilities != Capabilities()
            },
            api_keys={k: str(v) for k, v in _mapping(data.get("api_keys"), "api_keys").items()},
            rates=Rates.from_mapping(data.get("rates") or {}),
            phones={k: PhoneScript.from_mapping(v) for k, v in phones_raw.items()},
            default_phone=PhoneScript.from_mapping(default_raw)
            if default_raw is not None
            else PhoneScript(),
            faults=Faults.from_mapping(data.get("faults") or {}),
            allowed_destinations=tuple(str(p) for p in allowed),
            webhook_timeout=_seconds(data.get("webhook_timeout", 15.0), "webhook_timeout"),
            price_delay=_seconds(data.get("price_delay", 0.0), "price_delay"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ScenarioError(f"cannot read scenario {path}: {err}") from err
        if not isinstance(data, dict):
            raise ScenarioError(f"scenario {path} must be a mapping")
        return cls.from_mapping(data)
