"""State of the simulated account: call legs, their timelines, webhook exchanges and the
notifications Twilio logs on them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .clock import Timer
from .errors import Notice
from .scenario import PhoneScript
from .twiml import Dial, Number, Verb

TERMINAL = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Exchange:
    """One webhook request the simulator sent and what came back."""

    at: float
    kind: str  # voice, status, action, gather, whisper, conference, announce
    url: str
    method: str
    params: dict[str, str]
    signature: str
    status: int | None = None
    body: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "url": self.url,
            "method": self.method,
            "params": self.params,
            "signature": self.signature,
            "status": self.status,
            "body": self.body,
            "error": self.error,
        }


@dataclass(frozen=True)
class Notification:
    """One notification (NO...) Twilio logged on a call: a webhook that failed, TwiML it
    could not run. `url`, `method` and `status` are the request that caused it, when one did,
    and the HTTP status the application answered, when it answered."""

    sid: str
    call_sid: str
    code: Notice
    message: str
    at: float
    url: str | None = None
    method: str | None = None
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "call_sid": self.call_sid,
            "code": int(self.code),
            "log": self.code.log,
            "message": self.message,
            "at": self.at,
            "url": self.url,
            "method": self.method,
            "status": self.status,
        }


@dataclass
class WebhookResponse:
    """What the application answered to a webhook."""

    status: int
    body: str
    content_type: str


@dataclass
class DialState:
    """A <Dial> running on a parent leg."""

    verb: Dial
    children: list[str] = field(default_factory=list)
    bridged_child: str | None = None
    bridged_at: float | None = None
    whispers: dict[str, Number] = field(default_factory=dict)
    done: bool = False
    timers: list[Timer] = field(default_factory=list)


@dataclass
class Leg:
    """One Call resource (CA...): a REST-created leg, a <Dial> child, or an inbound call."""

    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str  # outbound-api | outbound-dial | inbound
    phone: PhoneScript
    created_at: float
    parent_sid: str | None = None
    status: str = "queued"
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset()
    timeout: float = 60.0
    time_limit: float = 14400.0
    machine_detection: str | None = None
    answered_by: str | None = None
    started_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    sip_response_code: int | None = None
    sequence: int = 0
    timeline: list[tuple[float, str]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    errors: list[Notification] = field(default_factory=list)  # oldest first
    price: Decimal | None = None
    price_unit: str = "USD"
    # Runtime state of the TwiML program and its timers.
    program: tuple[Verb, ...] = ()
    pc: int = 0
    document_url: str | None = None
    dial: DialState | None = None
    whisper: bool = False
    timers: list[Timer] = field(default_factory=list)
    # Bumped whenever a new document replaces the running one, so the timers of the old
    # document's verbs (<Pause>, <Say>, <Gather>) become no-ops.
    generation: int = 0
    limit_timer: Timer | None = None  # TimeLimit; rescheduled when a REST update changes it
    bridged_to: str | None = None
    conference: str | None = None
    phone_number_sid: str | None = None  # the owned number an inbound call came in on

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    @property
    def duration(self) -> int | None:
        """Seconds from answer to end; None until the call ends or if never answered."""
        if self.ended_at is None or self.answered_at is None:
            return None
        return round(self.ended_at - self.answered_at)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
