"""The call record and the state machine that builds it from Twilio's callbacks.

Twilio's callbacks arrive out of order and more than once. Every update here is therefore
idempotent: a leg's status only moves forward (ordered by SequenceNumber), a terminal
status sticks, and the record is finished only when both legs are known to be over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from .numbers import RateClass
from .pricing import RateTable, conference_fee, leg_cost

type LegName = Literal["a", "b"]
LEGS: tuple[LegName, LegName] = ("a", "b")

TERMINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# Before answer: ending such a leg is a cancel (completed would not stop a ringing call).
RINGING_STATUSES = frozenset({"queued", "initiated", "ringing"})
# Rank of each status within a leg's life, for callbacks without a usable SequenceNumber.
_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}
SIP_DECLINE = 603


class Outcome(StrEnum):
    """How a call ended."""

    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"
    REJECTED = "rejected"
    NOT_CONFIRMED = "not_confirmed"
    WEBHOOK_UNREACHABLE = "webhook_unreachable"  # Twilio could not fetch the answer webhook


class Confirm(StrEnum):
    """Who must press 1 before the call goes on."""

    NONE = "none"
    A = "a"
    B = "b"
    BOTH = "both"

    def requires(self, leg: LegName) -> bool:
        return self is Confirm.BOTH or self.value == leg


# The key a party presses to confirm.
CONFIRM_KEY = "1"


@dataclass(frozen=True, slots=True)
class CallOptions:
    """How one call is placed: the configured defaults, with a service call's overrides."""

    mode: str
    time_limit: int
    greeting: str | None = None
    label: str | None = None
    confirm: Confirm = Confirm.NONE
    confirm_timeout: int | None = None
    announce: str | None = None
    callback_of: str | None = None  # the call this one calls back


_OUTCOME_OF_STATUS = {
    "completed": Outcome.COMPLETED,
    "busy": Outcome.BUSY,
    "no-answer": Outcome.NO_ANSWER,
    "failed": Outcome.FAILED,
    "canceled": Outcome.CANCELED,
}


def outcome_of(status: str, sip_code: int | None = None) -> Outcome:
    """Map a terminal Twilio status to an outcome; SIP 603 (Decline) means rejected."""
    if status == "no-answer" and sip_code == SIP_DECLINE:
        return Outcome.REJECTED
    return _OUTCOME_OF_STATUS.get(status, Outcome.FAILED)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass
class Leg:
    """What is known of one leg (A: Twilio → party A; B: the <Dial> child → party B)."""

    sid: str | None = None
    status: str | None = None
    sequence: int = -1
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None  # CallDuration: seconds billed for this leg
    sip_code: int | None = None
    price: Decimal | None = None  # Twilio's price once reported (positive)
    joined_at: datetime | None = None  # conference mode: in the room from...
    left_at: datetime | None = None  # ...until
    confirmed_at: datetime | None = None  # pressed 1 (when the call asks for it)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "status": self.status,
            "sequence": self.sequence,
            "answered_at": _iso(self.answered_at),
            "ended_at": _iso(self.ended_at),
            "duration": self.duration,
            "sip_code": self.sip_code,
            "price": None if self.price is None else str(self.price),
            "joined_at": _iso(self.joined_at),
            "left_at": _iso(self.left_at),
            "confirmed_at": _iso(self.confirmed_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Leg:
        price = data.get("price")
        return cls(
            sid=data.get("sid"),
            status=data.get("status"),
            sequence=int(data.get("sequence", -1)),
            answered_at=_parse(data.get("answered_at")),
            ended_at=_parse(data.get("ended_at")),
            duration=data.get("duration"),
            sip_code=data.get("sip_code"),
            price=None if price is None else Decimal(str(price)),
            joined_at=_parse(data.get("joined_at")),
            left_at=_parse(data.get("left_at")),
            confirmed_at=_parse(data.get("confirmed_at")),
        )


@dataclass
class DialResult:
    """What the <Dial action> reported about leg B."""

    status: str
    bridged: bool
    duration: int


@dataclass
class Change:
    """Something that happened to a record, for events and entities."""

    kind: Literal["progress", "connected", "ended", "conference_started", "conference_ended"]
    leg: LegName | None = None
    status: str | None = None


@dataclass
class CallRecord:
    """One `connect`: both legs, the talk time, the outcome and the cost."""

    call_id: str
    mode: str
    party_a: str
    party_b: str
    class_a: RateClass
    class_b: RateClass
    created_at: datetime
    currency: str
    label: str | None = None
    time_limit: int | None = None
    greeting: str | None = None
    confirm: Confirm = Confirm.NONE
    confirm_timeout: int | None = None
    announce: str | None = None  # said to B before the bridge (the call's context)
    callback_of: str | None = None  # the call this one calls back (a call to the number)
    legs: dict[LegName, Leg] = field(default_factory=lambda: {"a": Leg(), "b": Leg()})
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None  # talk seconds
    outcome: Outcome | None = None
    failed_party: LegName | None = None
    cost: Decimal | None = None
    cost_final: bool = False  # True once Twilio's prices replaced the estimate
    dial: DialResult | None = None
    fees: Decimal = Decimal(0)  # conference participant fees (not in the legs' prices)
    conference_sid: str | None = None
    talk_ended_at: datetime | None = None  # conference mode: when the room closed
    # The contact names the call was placed by (None for a number, or an older log).
    party_a_name: str | None = None
    party_b_name: str | None = None

    @property
    def conference(self) -> bool:
        return self.mode == "conference"

    @property
    def room(self) -> str:
        """The conference room's name: unguessable, like the call id it is made of."""
        return f"twilio_bridge-{self.call_id}"

    @property
    def active(self) -> bool:
        return self.outcome is None

    def awaits_confirmation(self, leg: LegName) -> bool:
        """Whether `leg` must still press 1 before the call goes on."""
        return self.confirm.requires(leg) and self.legs[leg].confirmed_at is None

    def leg_of(self, call_sid: str) -> LegName | None:
        for name in LEGS:
            if self.legs[name].sid == call_sid:
                return name
        return None

    # ------------------------------------------------------------------ updates

    def apply_status(
        self,
        leg_name: LegName,
        *,
        call_sid: str,
        status: str,
        sequence: int | None,
        at: datetime,
        call_duration: int | None = None,
        sip_code: int | None = None,
    ) -> list[Change]:
        """Apply one status callback; stale and repeated ones change nothing."""
        if not self.active:
            return []
        at = self._not_before_creation(at)
        leg = self.legs[leg_name]
        if leg.sid is None:
            leg.sid = call_sid
        elif leg.sid != call_sid:
            return []
        if leg.ended:
            return []  # terminal states stick
        terminal = status in TERMINAL_STATUSES
        if not terminal and not self._is_newer(leg, status, sequence):
            return []
        if status == leg.status:
            # Already known (e.g. the answer webhook came before the "answered" callback).
            if sequence is not None:
                leg.sequence = max(leg.sequence, sequence)
            return []
        changes = [Change("progress", leg_name, status)]
        leg.status = status
        if sequence is not None:
            leg.sequence = max(leg.sequence, sequence)
        # In a conference the talk starts when the room does, not when B answers; when B
        # must confirm, it starts with the confirmation (the whisper comes before the bridge).
        bridged_leg_b = leg_name == "b" and not self.conference and not self.confirm.requires("b")
        if status == "in-progress" and leg.answered_at is None:
            leg.answered_at = at
            if bridged_leg_b:
                changes.extend(self._connect(at))
        if terminal:
            leg.ended_at = at
            leg.sip_code = sip_code
            if call_duration is not None:
                leg.duration = call_duration
            if bridged_leg_b and call_duration:
                # A billed B leg was bridged, even if its "answered" callback was lost.
                changes.extend(self._connect(leg.answered_at or at))
        changes.extend(self._finish_if_over(at))
        return changes

    def _not_before_creation(self, at: datetime) -> datetime:
        # Twilio's clock and ours differ by a little: nothing happens before the call exists.
        return max(at, self.created_at)

    def _connect(self, at: datetime) -> list[Change]:
        if self.connected_at is not None:
            return []
        self.connected_at = at
        return [Change("connected")]

    @staticmethod
    def _is_newer(leg: Leg, status: str, sequence: int | None) -> bool:
        if sequence is not None and leg.sequence >= 0:
            return sequence > leg.sequence
        return _RANK.get(status, 0) > _RANK.get(leg.status or "", -1)

    def apply_dial_result(
        self, *, status: str, bridged: bool, duration: int, dial_call_sid: str | None, at: datetime
    ) -> list[Change]:
        """Apply the <Dial action>: leg A's view of how leg B ended; repeats change nothing."""
        if not self.active or self.dial is not None:
            return []
        self.dial = DialResult(status=status, bridged=bridged, duration=duration)
        leg_b = self.legs["b"]
        if leg_b.sid is None and dial_call_sid:
            leg_b.sid = dial_call_sid
        changes: list[Change] = []
        if bridged:
            changes.extend(self._connect(at))
        # Leg B's own final callback (or, if it is lost, its Call resource) still closes
        # leg B: only it carries the billed CallDuration and the SIP code of a decline.
        changes.extend(self._finish_if_over(at))
        return changes

    def confirm_leg(self, leg_name: LegName, call_sid: str, at: datetime) -> list[Change]:
        """The party pressed the confirmation key; repeats change nothing."""
        leg = self.legs[leg_name]
        if not self.active or leg.confirmed_at is not None:
            return []
        if leg.sid is None:
            leg.sid = call_sid
        leg.confirmed_at = self._not_before_creation(at)
        changes = [Change("progress", leg_name, "confirmed")]
        if leg_name == "b" and not self.conference:
            changes.extend(self._connect(leg.confirmed_at))  # the bridge follows at once
        return changes

    def mark_answered(self, leg_name: LegName, call_sid: str, at: datetime) -> list[Change]:
        """The answer webhook proves leg A is in progress, whatever callbacks say."""
        return self.apply_status(
            leg_name, call_sid=call_sid, status="in-progress", sequence=None, at=at
        )

    def apply_conference_event(
        self, event: str, *, conference_sid: str, call_sid: str | None, at: datetime
    ) -> list[Change]:
        """Apply one conference status callback (conference mode); repeats change nothing."""
        at = self._not_before_creation(at)
        if self.conference_sid is None:
            self.conference_sid = conference_sid
        elif conference_sid != self.conference_sid:
            return []
        leg = self.legs[name] if call_sid and (name := self.leg_of(call_sid)) else None
        if event == "participant-join" and leg is not None and leg.joined_at is None:
            leg.joined_at = at
        elif event == "participant-leave" and leg is not None and leg.left_at is None:
            leg.left_at = at
        elif event == "conference-start" and self.active and self.connected_at is None:
            return [*self._connect(at), Change("conference_started")]
        elif event == "conference-end" and self.talk_ended_at is None:
            self.talk_ended_at = at
            return [Change("conference_ended")]
        return []

    # ------------------------------------------------------------------ the end

    def _finish_if_over(self, at: datetime) -> list[Change]:
        leg_a, leg_b = self.legs["a"], self.legs["b"]
        if not leg_a.ended:
            return []
        if leg_b.sid is not None and not leg_b.ended:
            return []  # leg B still running: its end will finish the record
        if (
            leg_b.sid is None
            and not leg_b.ended
            and self._a_talked()
            and not self.awaits_confirmation("a")
        ):
            # A answered, so B was probably dialed and its callbacks (or the <Dial action>)
            # are still on their way; reconciliation finishes the record if they never come.
            return []
        return self.finish(at)

    def _a_talked(self) -> bool:
        leg_a = self.legs["a"]
        # "completed" is only ever reported for a leg that was answered.
        return leg_a.answered_at is not None or bool(leg_a.duration) or leg_a.status == "completed"

    def answer_never_arrived(self) -> bool:
        """Twilio answered leg A and ended it without ever reaching our answer webhook."""
        leg_a = self.legs["a"]
        return (
            leg_a.status == "completed"
            and leg_a.answered_at is None
            and self.legs["b"].sid is None
            and self.dial is None
        )

    def finish_unreachable(self, at: datetime) -> list[Change]:
        """Close a call that could not go on because Twilio could not reach Home Assistant."""
        if not self.active:
            return []
        self._finish(at)
        self.outcome, self.failed_party, self.duration = Outcome.WEBHOOK_UNREACHABLE, None, 0
        return [Change("ended")]

    def finish(self, at: datetime) -> list[Change]:
        """Close the record from what is known (used when Twilio has nothing more to say)."""
        if not self.active:
            return []
        self._finish(at)
        return [Change("ended")]

    def _finish(self, at: datetime) -> None:
        leg_a, leg_b = self.legs["a"], self.legs["b"]
        self.ended_at = max(filter(None, (leg_a.ended_at, leg_b.ended_at, at)))
        if self.conference:
            talked = self.connected_at is not None  # the room started with both parties
        else:
            # Without the <Dial action>, a billed B leg talked, unless it never confirmed.
            talked = (
                self.dial.bridged
                if self.dial
                else (leg_b.duration or 0) > 0 and not self.awaits_confirmation("b")
            )
        if not self._a_talked():
            self.outcome = outcome_of(leg_a.status or "failed", leg_a.sip_code)
            self.failed_party = "a"
        elif self.awaits_confirmation("a"):
            # A's voicemail (or someone who did not press 1): B was never dialed.
            self.outcome, self.failed_party = Outcome.NOT_CONFIRMED, "a"
        elif talked:
            self.outcome = Outcome.COMPLETED
        else:
            b_status = self.dial.status if self.dial and not self.conference else leg_b.status
            if b_status in (None, "canceled"):
                # A hung up before B was dialed or while B was ringing.
                self.outcome, self.failed_party = Outcome.CANCELED, "a"
            else:
                self.outcome, self.failed_party = self._b_outcome(b_status or "failed"), "b"
        self.duration = self._talk_seconds() if self.outcome is Outcome.COMPLETED else 0
        if not self.connected_at and self.outcome is Outcome.COMPLETED:
            self.connected_at = leg_b.answered_at or self.ended_at

    def _b_outcome(self, status: str) -> Outcome:
        if status in {"completed", "answered"}:
            if self.awaits_confirmation("b"):
                return Outcome.NOT_CONFIRMED  # B (or B's voicemail) did not press 1
            return Outcome.NO_ANSWER  # answered but never bridged (e.g. hung up at once)
        return outcome_of(status, self.legs["b"].sip_code)

    def _talk_seconds(self) -> int:
        if self.conference:
            if self.connected_at and self.talk_ended_at:
                return max(0, round((self.talk_ended_at - self.connected_at).total_seconds()))
            return self.legs["b"].duration or 0
        if self.dial is not None and self.dial.bridged:
            return self.dial.duration
        return self.legs["b"].duration or 0

    def estimate_cost(self, rates: RateTable) -> Decimal:
        """Per started minute per leg, from the rate table; Twilio's price replaces it."""
        total = Decimal(0)
        for leg, rate_class in ((self.legs["a"], self.class_a), (self.legs["b"], self.class_b)):
            if leg.sid is None:
                continue
            # A leg whose final callback is missing billed at least the talk time.
            seconds = leg.duration if leg.duration is not None else self.duration or 0
            total += leg_cost(seconds, rate_class, rates)
        self.fees = self._conference_fees(rates)
        return total + self.fees

    def _conference_fees(self, rates: RateTable) -> Decimal:
        """Per participant, per started minute in the room (conference mode only)."""
        if not self.conference:
            return Decimal(0)
        fees = Decimal(0)
        for leg in self.legs.values():
            if leg.joined_at is None:
                continue
            left = leg.left_at or self.talk_ended_at or leg.ended_at or leg.joined_at
            seconds = max(0, math.ceil((left - leg.joined_at).total_seconds()))
            fees += conference_fee(seconds, rates)
        return fees

    def apply_prices(self, prices: dict[LegName, Decimal | None]) -> bool:
        """Take Twilio's reported prices; True once every billed leg has one."""
        for name, price in prices.items():
            if price is not None:
                self.legs[name].price = abs(price)
        billed = [self.legs[n] for n in LEGS if self.legs[n].sid is not None]
        if billed and all(leg.price is not None for leg in billed):
            legs = sum((leg.price or Decimal(0) for leg in billed), Decimal(0))
            self.cost = legs + self.fees  # Twilio bills conference fees apart from calls
            self.cost_final = True
        return self.cost_final

    # ------------------------------------------------------------------ storage

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "mode": self.mode,
            "party_a": self.party_a,
            "party_b": self.party_b,
            "class_a": str(self.class_a),
            "class_b": str(self.class_b),
            "created_at": _iso(self.created_at),
            "currency": self.currency,
            "label": self.label,
            "time_limit": self.time_limit,
            "greeting": self.greeting,
            "confirm": str(self.confirm),
            "confirm_timeout": self.confirm_timeout,
            "announce": self.announce,
            "callback_of": self.callback_of,
            "legs": {name: self.legs[name].to_dict() for name in LEGS},
            "connected_at": _iso(self.connected_at),
            "ended_at": _iso(self.ended_at),
            "duration": self.duration,
            "outcome": None if self.outcome is None else str(self.outcome),
            "failed_party": self.failed_party,
            "cost": None if self.cost is None else str(self.cost),
            "cost_final": self.cost_final,
            "fees": str(self.fees),
            "conference_sid": self.conference_sid,
            "talk_ended_at": _iso(self.talk_ended_at),
            "party_a_name": self.party_a_name,
            "party_b_name": self.party_b_name,
            "dial": None
            if self.dial is None
            else {
                "status": self.dial.status,
                "bridged": self.dial.bridged,
                "duration": self.dial.duration,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        dial = data.get("dial")
        legs = data.get("legs") or {}
        created = _parse(data.get("created_at"))
        if created is None:
            raise ValueError("record without created_at")
        return cls(
            call_id=str(data["call_id"]),
            mode=str(data.get("mode", "bridge")),
            party_a=str(data["party_a"]),
            party_b=str(data["party_b"]),
            class_a=RateClass(data.get("class_a", "mobile")),
            class_b=RateClass(data.get("class_b", "mobile")),
            created_at=created,
            currency=str(data.get("currency", "JPY")),
            label=data.get("label"),
            time_limit=data.get("time_limit"),
            greeting=data.get("greeting"),
            confirm=Confirm(data.get("confirm", "none")),
            confirm_timeout=data.get("confirm_timeout"),
            announce=data.get("announce"),
            callback_of=data.get("callback_of"),
            legs={name: Leg.from_dict(legs.get(name) or {}) for name in LEGS},
            connected_at=_parse(data.get("connected_at")),
            ended_at=_parse(data.get("ended_at")),
            duration=data.get("duration"),
            outcome=None if data.get("outcome") is None else Outcome(data["outcome"]),
            failed_party=data.get("failed_party"),
            cost=None if data.get("cost") is None else Decimal(str(data["cost"])),
            cost_final=bool(data.get("cost_final", False)),
            fees=Decimal(str(data.get("fees", "0"))),
            conference_sid=data.get("conference_sid"),
            talk_ended_at=_parse(data.get("talk_ended_at")),
            party_a_name=data.get("party_a_name"),
            party_b_name=data.get("party_b_name"),
            dial=None if not dial else DialResult(**dial),
        )
