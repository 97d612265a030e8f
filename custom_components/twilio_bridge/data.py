"""The typed configuration: the validated YAML block, and what is derived from it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

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
    CONF_RATES,
    CONF_RING_TIMEOUT,
    CONF_TIME_LIMIT,
    CONF_WARN_BEFORE,
    CONF_WARNING_MESSAGE,
)
from .core.calls import CallOptions, Confirm
from .core.contacts import ContactBook
from .core.guards import CallPolicy
from .core.numbers import PhoneNumber, mask_number
from .core.pricing import RateTable


@dataclass(frozen=True)
class BridgeConfig:
    """The validated `twilio_bridge:` YAML block."""

    account_sid: str
    auth_token: str
    phone_number: PhoneNumber
    webhook_base_url: str
    api_base_url: str | None
    edge: str | None
    mode: str
    ring_timeout: int
    time_limit: int
    warn_before: int
    warning_message: str | None
    greeting: str | None
    language: str
    country_code: str
    allowed_prefixes: tuple[str, ...]
    blocked_prefixes: tuple[str, ...]
    max_concurrent_calls: int
    monthly_budget: Decimal | None
    mask_numbers: bool
    call_log_size: int
    rates: RateTable
    contacts: ContactBook
    confirm: Confirm = Confirm.NONE
    confirm_timeout: int = 8
    announce: str | None = None
    callback: bool = False
    callback_window: int = 7 * 24 * 3600
    manage_number: bool = False

    @classmethod
    def from_yaml(
        cls, conf: dict[str, Any], phone_number: PhoneNumber, webhook_base_url: str
    ) -> BridgeConfig:
        """Raises ContactError for a contact that cannot be called."""
        budget = conf.get(CONF_MONTHLY_BUDGET)
        config = cls(
            account_sid=conf[CONF_ACCOUNT_SID],
            auth_token=conf[CONF_AUTH_TOKEN],
            phone_number=phone_number,
            webhook_base_url=webhook_base_url.rstrip("/"),
            api_base_url=conf.get(CONF_API_BASE_URL),
            edge=conf.get(CONF_EDGE),
            mode=conf[CONF_MODE],
            ring_timeout=conf[CONF_RING_TIMEOUT],
            time_limit=conf[CONF_TIME_LIMIT],
            warn_before=conf[CONF_WARN_BEFORE],
            warning_message=conf.get(CONF_WARNING_MESSAGE),
            greeting=conf.get(CONF_GREETING),
            language=conf[CONF_LANGUAGE],
            country_code=conf[CONF_COUNTRY_CODE],
            allowed_prefixes=tuple(conf[CONF_ALLOWED_PREFIXES]),
            blocked_prefixes=tuple(conf[CONF_BLOCKED_PREFIXES]),
            max_concurrent_calls=conf[CONF_MAX_CONCURRENT_CALLS],
            monthly_budget=None if budget is None else Decimal(str(budget)),
            mask_numbers=conf[CONF_MASK_NUMBERS],
            call_log_size=conf[CONF_CALL_LOG_SIZE],
            rates=RateTable.from_mapping(conf[CONF_RATES]),
            confirm=Confirm(conf[CONF_CONFIRM]),
            confirm_timeout=conf[CONF_CONFIRM_TIMEOUT],
            announce=conf.get(CONF_ANNOUNCE),
            callback=conf[CONF_CALLBACK],
            callback_window=conf[CONF_CALLBACK_WINDOW],
            manage_number=conf[CONF_MANAGE_NUMBER],
            contacts=ContactBook(),
        )
        # Contacts are checked by the same guards as any destination, so they need the rest.
        contacts = ContactBook.from_config(conf.get(CONF_CONTACTS, {}), config.call_policy)
        return replace(config, contacts=contacts)

    @property
    def call_options(self) -> CallOptions:
        """A call's options when nothing overrides them."""
        return CallOptions(
            mode=self.mode,
            time_limit=self.time_limit,
            greeting=self.greeting,
            confirm=self.confirm,
            confirm_timeout=self.confirm_timeout,
            announce=self.announce,
        )

    def url(self, template: str, **parts: str) -> str:
        """A webhook's public URL: Twilio signs its requests over exactly this."""
        return self.webhook_base_url + template.format(**parts)

    def mask(self, number: str) -> str:
        return mask_number(number) if self.mask_numbers else number

    @property
    def call_policy(self) -> CallPolicy:
        return CallPolicy(
            own_number=self.phone_number.e164,
            country_code=self.country_code,
            allowed_prefixes=self.allowed_prefixes,
            blocked_prefixes=self.blocked_prefixes,
            max_concurrent_calls=self.max_concurrent_calls,
            monthly_budget=self.monthly_budget,
            currency=self.rates.currency,
            mask=self.mask,
        )
