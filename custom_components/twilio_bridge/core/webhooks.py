"""Twilio's webhook requests as typed events: each form is a valid event or a refusal.

Everything Twilio sends is text in a form; a signed request may still carry values no
Twilio release would send (a replay from 2015, a status from the future, a negative
duration). Parsing happens once, here: the shell never reads a Twilio field name, and
nothing downstream meets a naive datetime, a negative count or an unknown status.
Parsing never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

# The first value of each field: views hand over a multi-valued form, whose Mapping view
# gives the first value of a repeated key (Twilio never repeats the fields read here).
type Form = Mapping[str, str]

# A Timestamp further than this from the moment the request arrived is not believed:
# Twilio sends callbacks within seconds (retries within minutes); anything else is a replay
# or a broken clock, and the receive time is the better guess.
MAX_CLOCK_SKEW = timedelta(hours=12)
# Twilio caps a call at 24 hours; any count of seconds above this is nonsense.
MAX_SECONDS = 86_400
MAX_SEQUENCE = 10_000

_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_CONFERENCE_SID = re.compile(r"CF[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9*#]{0,32}")


class LegStatus(StrEnum):
    """Twilio's CallStatus values (call resource `status` enumeration)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


class DialStatus(StrEnum):
    """Twilio's DialCallStatus values on the <Dial action>."""

    COMPLETED = "completed"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


class ConferenceEventKind(StrEnum):
    """Twilio's conference StatusCallbackEvent values."""

    CONFERENCE_START = "conference-start"
    CONFERENCE_END = "conference-end"
    PARTICIPANT_JOIN = "participant-join"
    PARTICIPANT_LEAVE = "participant-leave"
    PARTICIPANT_MUTE = "participant-mute"
    PARTICIPANT_UNMUTE = "participant-unmute"
    PARTICIPANT_HOLD = "participant-hold"
    PARTICIPANT_UNHOLD = "participant-unhold"
    PARTICIPANT_MODIFY = "participant-modify"
    PARTICIPANT_SPEECH_START = "participant-speech-start"
    PARTICIPANT_SPEECH_STOP = "participant-speech-stop"
    ANNOUNCEMENT_END = "announcement-end"
    ANNOUNCEMENT_FAIL = "announcement-fail"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request that carries no usable event; answered safely and otherwise ignored."""

    reason: str


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """A voice request: Twilio fetches TwiML for a call that was just answered."""

    call_sid: str
    parent_call_sid: str | None


@dataclass(frozen=True, slots=True)
class LegStatusChanged:
    """A status callback of one leg."""

    call_sid: str
    parent_call_sid: str | None
    status: LegStatus
    sequence: int | None
    at: datetime
    call_duration: int | None  # seconds, on the final callback only
    sip_code: int | None


@dataclass(frozen=True, slots=True)
class DialFinished:
    """The <Dial action>: how leg B ended, as seen from leg A."""

    call_sid: str
    status: DialStatus
    bridged: bool
    duration: int
    dial_call_sid: str | None


@dataclass(frozen=True, slots=True)
class ConferenceChanged:
    """A conference status callback."""

    kind: ConferenceEventKind
    conference_sid: str
    friendly_name: str | None
    call_sid: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AnnouncementRequested:
    """The conference AnnounceUrl fetch."""

    conference_sid: str | None


@dataclass(frozen=True, slots=True)
class DigitsGathered:
    """A <Gather action>: the keys pressed (empty when none were)."""

    call_sid: str
    digits: str


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """A call to the Twilio number (its Voice URL); caller None when withheld."""

    call_sid: str
    caller: str | None
    called: str


# How a withheld caller ID reaches Twilio's From (the last is Twilio's "+266696687").
WITHHELD_CALLER_IDS = frozenset({"", "anonymous", "restricted", "unknown", "+266696687"})


# ---------------------------------------------------------------------- fields


def _call_sid(form: Form, key: str = "CallSid") -> str | None:
    value = form.get(key, "")
    return value if _CALL_SID.fullmatch(value) else None


def _count(form: Form, key: str, maximum: int = MAX_SECONDS) -> int | None:
    """A non-negative bounded integer, or None when absent or nonsense."""
    value = form.get(key, "")
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number <= maximum else None


def event_time(form: Form, received_at: datetime) -> datetime:
    """When Twilio says the event fired, aware; the receive time if it said nothing usable."""
    raw = form.get("Timestamp", "")
    try:
        at = parsedate_to_datetime(raw)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)  # RFC 2822's "-0000": UTC, zone not stated
        if abs(at - received_at) > MAX_CLOCK_SKEW:
            return received_at
    except (TypeError, ValueError, OverflowError, IndexError):
        return received_at
    return at


def _enum[E: StrEnum](kind: type[E], value: str) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------- parsers


def parse_answer(form: Form) -> CallAnswered | Refusal:
    call_sid = _call_sid(form)
    if call_sid is None:
        return Refusal("no CallSid")
    return CallAnswered(call_sid=call_sid, parent_call_sid=_call_sid(form, "ParentCallSid"))


def parse_leg_status(form: Form, received_at: datetime) -> LegStatusChanged | Refusal:
    call_sid = _call_sid(form)
    if call_sid is None:
        return Refusal("no CallSid")
    status = _enum(LegStatus, form.get("CallStatus", ""))
    if status is None:
        return Refusal("unknown CallStatus")
    return LegStatusChanged(
        call_sid=call_sid,
        parent_call_sid=_call_sid(form, "ParentCallSid"),
        status=status,
        sequence=_count(form, "SequenceNumber", MAX_SEQUENCE),
        at=event_time(form, received_at),
        call_duration=_count(form, "CallDuration"),
        sip_code=_count(form, "SipResponseCode", 699),
    )


def parse_dial_result(form: Form) -> DialFinished | Refusal:
    call_sid = _call_sid(form)
    if call_sid is None:
        return Refusal("no CallSid")
    # A missing or unknown DialCallStatus says B was not reached.
    status = _enum(DialStatus, form.get("DialCallStatus", "")) or DialStatus.FAILED
    duration = _count(form, "DialCallDuration") or 0
    bridged_field = form.get("DialBridged", "").lower()
    if bridged_field in ("true", "false"):
        bridged = bridged_field == "true"
    else:
        # Older requests carry no DialBridged: a completed dial with talk time was bridged.
        bridged = status is DialStatus.COMPLETED and duration > 0
    return DialFinished(
        call_sid=call_sid,
        status=status,
        bridged=bridged,
        duration=duration,
        dial_call_sid=_call_sid(form, "DialCallSid"),
    )


def parse_conference(form: Form, received_at: datetime) -> ConferenceChanged | Refusal:
    conference_sid = form.get("ConferenceSid", "")
    if not _CONFERENCE_SID.fullmatch(conference_sid):
        return Refusal("no ConferenceSid")
    kind = _enum(ConferenceEventKind, form.get("StatusCallbackEvent", ""))
    if kind is None:
        return Refusal("unknown StatusCallbackEvent")
    return ConferenceChanged(
        kind=kind,
        conference_sid=conference_sid,
        friendly_name=form.get("FriendlyName"),
        call_sid=_call_sid(form),
        at=event_time(form, received_at),
    )


def parse_announcement(form: Form) -> AnnouncementRequested:
    conference_sid = form.get("ConferenceSid", "")
    return AnnouncementRequested(
        conference_sid=conference_sid if _CONFERENCE_SID.fullmatch(conference_sid) else None
    )


def parse_gather(form: Form) -> DigitsGathered | Refusal:
    call_sid = _call_sid(form)
    if call_sid is None:
        return Refusal("no CallSid")
    digits = form.get("Digits", "")
    if not _DIGITS.fullmatch(digits):
        digits = ""  # not keys a phone can press: as good as none
    return DigitsGathered(call_sid=call_sid, digits=digits)


def parse_incoming(form: Form) -> IncomingCall | Refusal:
    call_sid = _call_sid(form)
    if call_sid is None:
        return Refusal("no CallSid")
    caller = form.get("From", "").strip()
    return IncomingCall(
        call_sid=call_sid,
        caller=None if caller.lower() in WITHHELD_CALLER_IDS else caller,
        called=form.get("To", ""),
    )
