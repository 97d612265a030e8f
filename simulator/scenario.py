"""Scenario files: the account, its numbers, the rate table, the virtual phones and faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEFAULT_AUTH_TOKEN = "simulator-auth-token"  # noqa: S105 - a public, fake credential

BEHAVIORS = ("answer", "busy", "no-answer", "reject", "fail", "voicemail")


class ScenarioError(ValueError):
    """A scenario file or mapping that cannot be used."""


@dataclass(frozen=True)
class PhoneScript:
    """How one virtual phone behaves when it is called."""

    behavior: str = "answer"
    answer_after: float = 2.0  # seconds of ringing before it answers
    hangup_after: float | None = 60.0  # seconds after answering; None: never hangs up itself
    digits: str = ""  # pressed when a <Gather> listens

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PhoneScript:
        unknown = set(data) - {"behavior", "answer_after", "hangup_after", "digits"}
        if unknown:
            raise ScenarioError(f"unknown phone keys: {sorted(unknown)}")
        behavior = str(data.get("behavior", "answer"))
        if behavior not in BEHAVIORS:
            raise ScenarioError(f"unknown behavior {behavior!r}; use one of {BEHAVIORS}")
        hangup = data.get("hangup_after", 60.0)
        return cls(
            behavior=behavior,
            answer_after=float(data.get("answer_after", 2.0)),
            hangup_after=None if hangup is None else float(hangup),
            digits=str(data.get("digits", "")),
        )


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
        known = {"duplicate", "reorder", "drop", "delay", "api_errors", "slow_webhook", "seed"}
        unknown = set(data) - known
        if unknown:
            raise ScenarioError(f"unknown fault keys: {sorted(unknown)}")
        return cls(
            duplicate=float(data.get("duplicate", 0.0)),
            reorder=bool(data.get("reorder", False)),
            drop=float(data.get("drop", 0.0)),
            delay=float(data.get("delay", 0.0)),
            api_errors={str(k): int(v) for k, v in (data.get("api_errors") or {}).items()},
            slow_webhook=float(data.get("slow_webhook", 0.0)),
            seed=int(data.get("seed", 0)),
        )


DEFAULT_RATES: dict[str, Decimal] = {
    "mobile": Decimal("16.2"),
    "landline": Decimal("5.4"),
    "ip_phone": Decimal("5.4"),
    "toll_free": Decimal("0"),
    "special": Decimal("0"),
    "conference_participant": Decimal("0.3"),
}


@dataclass(frozen=True)
class Rates:
    """Per started minute, per leg, by destination class."""

    currency: str = "JPY"
    per_minute: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Rates:
        table = dict(DEFAULT_RATES)
        for key, value in data.items():
            if key != "currency":
                table[str(key)] = Decimal(str(value))
        return cls(currency=str(data.get("currency", "JPY")), per_minute=table)

    def rate(self, rate_class: str) -> Decimal:
        return self.per_minute.get(rate_class, Decimal(0))


@dataclass(frozen=True)
class Scenario:
    """Everything a simulator run is configured with."""

    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    numbers: tuple[str, ...] = ("+815012345678",)
    api_keys: dict[str, str] = field(default_factory=dict)  # SK... -> secret
    rates: Rates = field(default_factory=Rates)
    phones: dict[str, PhoneScript] = field(default_factory=dict)
    default_phone: PhoneScript = field(default_factory=PhoneScript)
    faults: Faults = field(default_factory=Faults)
    allowed_destinations: tuple[str, ...] = ()  # geo permissions; empty: every destination
    webhook_timeout: float = 15.0  # real seconds, as Twilio's 15 s response budget

    def phone(self, number: str) -> PhoneScript:
        return self.phones.get(number, self.default_phone)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Scenario:
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
        }
        unknown = set(data) - known
        if unknown:
            raise ScenarioError(f"unknown scenario keys: {sorted(unknown)}")
        phones_raw = dict(data.get("phones") or {})
        default_raw = phones_raw.pop("default", None)
        return cls(
            account_sid=str(data.get("account_sid", DEFAULT_ACCOUNT_SID)),
            auth_token=str(data.get("auth_token", DEFAULT_AUTH_TOKEN)),
            numbers=tuple(str(n) for n in data.get("numbers", ("+815012345678",))),
            api_keys={str(k): str(v) for k, v in (data.get("api_keys") or {}).items()},
            rates=Rates.from_mapping(dict(data.get("rates") or {})),
            phones={str(k): PhoneScript.from_mapping(dict(v)) for k, v in phones_raw.items()},
            default_phone=PhoneScript.from_mapping(dict(default_raw))
            if default_raw is not None
            else PhoneScript(),
            faults=Faults.from_mapping(dict(data.get("faults") or {})),
            allowed_destinations=tuple(str(p) for p in data.get("allowed_destinations", ())),
            webhook_timeout=float(data.get("webhook_timeout", 15.0)),
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
