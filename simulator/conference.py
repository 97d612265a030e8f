"""Conferences: the <Conference> noun, the rooms, their callbacks, announcements and fees.

A <Dial><Conference> puts the leg into a room (created on first use). The room starts when
two participants are in and one has startConferenceOnEnter; it ends when a participant
with endConferenceOnExit leaves, when the last one leaves, or through the REST API. Each
participant that leaves ends its <Dial>, whose action is then requested as for a <Number>.
Callback URL and events are the first participant's (reference §3.1). Participant time is
billed per started minute at the scenario's conference_participant rate.

This is the room model; its REST routes are in conference_routes.py, its JSON in resources.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import urljoin

from .clock import VirtualClock
from .engine import Engine
from .errors import ConferenceNotFound, InvalidParameter, ParticipantNotFound, WebhookError
from .forms import Form
from .models import Exchange, Leg, new_sid
from .twiml import Conference as ConferenceNoun
from .twiml import Dial, Pause, Play, Say, TwimlError, parse

# Subscribable names (statusCallbackEvent) → the StatusCallbackEvent values they cover.
EVENTS = {
    "start": {"conference-start"},
    "end": {"conference-end"},
    "join": {"participant-join"},
    "leave": {"participant-leave"},
    "mute": {"participant-mute", "participant-unmute"},
    "hold": {"participant-hold", "participant-unhold"},
    "modify": {"participant-modify"},
    "speaker": {"participant-speech-start", "participant-speech-stop"},
    "announcement": {"announcement-end", "announcement-fail"},
}
DEFAULT_EVENTS = ("start", "end")
# The callback a change of a participant's Muted or Hold sends.
CHANGE_EVENTS = {
    ("muted", True): "participant-mute",
    ("muted", False): "participant-unmute",
    ("hold", True): "participant-hold",
    ("hold", False): "participant-unhold",
}
CONFERENCE_SID = re.compile(r"CF[0-9a-fA-F]{32}")


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class Participant:
    call_sid: str
    label: str | None
    start_on_enter: bool
    end_on_exit: bool
    muted: bool
    joined_at: float
    dial: Dial | None  # the <Dial> that brought the leg in (its action runs on leaving)
    hold: bool = False
    left_at: float | None = None
    status: str = "connected"

    def seconds(self, now: float) -> float:
        return (self.left_at if self.left_at is not None else now) - self.joined_at


@dataclass
class Room:
    """One Conference resource (CF...)."""

    sid: str
    friendly_name: str
    account_sid: str
    created_at: float
    status_callback: str | None
    status_callback_method: str
    events: frozenset[str]
    status: str = "init"
    updated_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    reason_ended: str | None = None
    call_sid_ending: str | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    # Earlier stays of calls that left and joined again: billed too, no longer listed.
    former: list[Participant] = field(default_factory=list)
    sequence: int = 0
    exchanges: list[Exchange] = field(default_factory=list)
    announcements: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)

    def present(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.left_at is None]


class Conferences:
    """Every room of the account, and the engine's hooks that feed them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rooms: dict[str, Room] = {}
        engine.extensions.append(self._dial)
        engine.end_listeners.append(self._leg_ended)
        engine.stop_listeners.append(self._leg_redirected)

    @property
    def clock(self) -> VirtualClock:
        return self.engine.clock

    def reset(self) -> None:
        self.rooms.clear()

    def active(self, name: str) -> Room | None:
        for room in self.rooms.values():
            if room.friendly_name == name and room.status != "completed":
                return room
        return None

    def get(self, sid: str) -> Room:
        """The room a REST path names. Only by SID, as the spec's path patterns say: a
        friendly name works only to add a participant (where a room is made on demand)."""
        room = self.rooms.get(sid)
        if room is None:
            raise ConferenceNotFound(sid)
        return room

    def room_of(self, leg: Leg) -> tuple[Room, Participant] | None:
        room = self.rooms.get(leg.conference or "")
        if room is None:
            return None
        participant = room.participants.get(leg.sid)
        if participant is None or participant.left_at is not None:
            return None
        return room, participant

    # ---------------------------------------------------------------- joining

    async def _dial(self, leg: Leg, verb: Dial) -> bool:
        if verb.conference is None:
            return False
        await self.join(leg, verb.conference, verb)
        return True

    async def join(self, leg: Leg, noun: ConferenceNoun, verb: Dial | None) -> Room:
        now = self.clock.now()
        room = self.active(noun.name)
        if room is None:
            # The first participant's statusCallback and events are the room's for good.
            # A relative URL resolves against that participant's document once, here:
            # conference-level events have no participant whose document could resolve it.
            callback = noun.status_callback
            room = Room(
                sid=new_sid("CF"),
                friendly_name=noun.name,
                account_sid=leg.account_sid,
                created_at=now,
                updated_at=now,
                status_callback=urljoin(leg.document_url or "", callback) if callback else None,
                status_callback_method=noun.status_callback_method,
                events=frozenset(noun.status_callback_events or DEFAULT_EVENTS),
            )
            self.rooms[room.sid] = room
            room.timeline.append((now, "init"))
        participant = Participant(
            call_sid=leg.sid,
            label=noun.participant_label,
            start_on_enter=noun.start_on_enter,
            end_on_exit=noun.end_on_exit,
            muted=noun.muted,
            joined_at=now,
            dial=verb,
        )
        if (earlier := room.participants.get(leg.sid)) is not None:
            room.former.append(earlier)
        room.participants[leg.sid] = participant
        leg.conference = room.sid
        leg.timeline.append((now, "conference"))
        self._callback(room, "participant-join", participant)
        present = room.present()
        if room.status == "init" and len(present) >= 2 and any(p.start_on_enter for p in present):
            room.status, room.started_at, room.updated_at = "in-progress", now, now
            room.timeline.append((now, "in-progress"))
            self._callback(room, "conference-start")
        if verb is not None and verb.time_limit:

            async def time_up() -> None:
                # This stay's limit: after a redirect back into the room it must not end
                # the next stay, which has a <Dial> (and limit) of its own.
                if room.participants.get(leg.sid) is participant:
                    await self.leave(room, leg.sid, "participant_hung_up")

            self.engine.after(leg, verb.time_limit, time_up)
        return room

    # ---------------------------------------------------------------- leaving

    async def _leg_ended(self, leg: Leg) -> None:
        found = self.room_of(leg)
        if found is not None:
            await self.leave(found[0], leg.sid, "participant_hung_up")

    async def _leg_redirected(self, leg: Leg) -> None:
        found = self.room_of(leg)
        if found is not None:
            await self.leave(found[0], leg.sid, "participant_updated_via_api", resume=False)

    async def leave(self, room: Room, call_sid: str, reason: str, *, resume: bool = True) -> None:
        """A participant leaves; the room may end with it; its <Dial> completes."""
        participant = room.participants.get(call_sid)
        if participant is None or participant.left_at is not None:
            return
        now = self.clock.now()
        participant.left_at, participant.status = now, "complete"
        room.updated_at = now
        leg = self.engine.legs.get(call_sid)
        call_status = leg.status if leg is not None and leg.ended else "completed"
        self._callback(
            room,
            "participant-leave",
            participant,
            {"ParticipantCallStatus": call_status, "ReasonParticipantLeft": reason},
        )
        if room.status != "completed":
            why = "kicked" if reason == "participant_updated_via_api" else "left"
            if participant.end_on_exit and room.status == "in-progress":
                await self.end(room, f"participant-with-end-conference-on-exit-{why}", call_sid)
            elif not room.present():
                await self.end(room, f"last-participant-{why}", call_sid)
        if leg is None or not resume:
            return
        if participant.dial is not None:
            # For a conference Twilio reports the <Dial> as answered, without DialCallSid.
            # A participant that hung up still has its action requested, as after a
            # <Dial><Number> (the engine ignores the TwiML of an ended call).
            await self.engine.complete_dial(leg, participant.dial, {"DialCallStatus": "answered"})
        elif not leg.ended:
            await self.engine.hang_up(leg)  # added through the API: nothing else to run

    async def end(self, room: Room, reason: str, call_sid: str | None = None) -> None:
        if room.status == "completed":
            return
        now = self.clock.now()
        room.status, room.ended_at, room.updated_at = "completed", now, now
        room.reason_ended, room.call_sid_ending = reason, call_sid
        room.timeline.append((now, "completed"))
        ending = room.participants.get(call_sid or "")
        self._callback(
            room,
            "conference-end",
            None,
            {
                "ReasonConferenceEnded": reason,
                "Reason": reason.replace("-", " "),
                "CallSidEndingConference": call_sid or "",
                "ParticipantLabelEndingConference": (ending.label if ending else None) or "",
            },
        )
        # Those still in did not hang up: the API or a participant with endConferenceOnExit
        # (a "moderator") ended the room under them.
        why = (
            "conference_ended_via_api"
            if reason == "conference-ended-via-api"
            else "moderator_ended_conference"
        )
        for participant in room.present():
            await self.leave(room, participant.call_sid, why)

    # ---------------------------------------------------------------- announcements

    async def announce(
        self, room: Room, url: str, method: str, participant: Participant | None = None
    ) -> None:
        """Fetch the AnnounceUrl's TwiML and play it to everyone in the room, or to one
        participant (a Participant update); its callbacks then carry that participant."""
        params = {
            "AccountSid": room.account_sid,
            "ConferenceSid": room.sid,
            "FriendlyName": room.friendly_name,
            "ApiVersion": "2010-04-01",
        }
        exchange = self.engine.sender.build("announce", url, method, params)
        room.exchanges.append(exchange)
        heard_by = (
            [p.call_sid for p in room.present()] if participant is None else [participant.call_sid]
        )
        entry: dict[str, Any] = {"at": self.clock.now(), "url": url, "heard_by": heard_by}
        room.announcements.append(entry)
        try:
            response = await self.engine.sender.send(exchange, f"{room.sid}-announce")
            document = parse(response.body)
            if any(not isinstance(v, Say | Play | Pause) for v in document.verbs):
                raise TwimlError("an announcement may only <Say>, <Play> or <Pause>")
        except (WebhookError, TwimlError) as err:
            entry["error"] = str(err)
            self._callback(
                room,
                "announcement-fail",
                participant,
                {"AnnounceUrl": url, "ReasonAnnouncementFailed": str(err)},
            )
            return
        entry["said"] = [v.text for v in document.verbs if isinstance(v, Say)]
        seconds = 0.0
        for verb in document.verbs:
            if isinstance(verb, Pause):
                seconds += verb.length
            elif isinstance(verb, Say | Play):
                seconds += verb.seconds()
        entry["seconds"] = seconds

        async def finished() -> None:
            entry["ended_at"] = self.clock.now()
            self._callback(room, "announcement-end", participant, {"AnnounceUrl": url})

        self.clock.call_later(seconds, finished)

    # ---------------------------------------------------------------- callbacks

    def _callback(
        self,
        room: Room,
        event: str,
        participant: Participant | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        sequence = room.sequence
        room.sequence += 1
        if not room.status_callback or not any(event in EVENTS.get(n, ()) for n in room.events):
            return
        params = {
            "AccountSid": room.account_sid,
            "ConferenceSid": room.sid,
            "FriendlyName": room.friendly_name,
            "SequenceNumber": str(sequence),
            "StatusCallbackEvent": event,
            "Timestamp": format_datetime(self.clock.wall()),
        }
        if participant is not None:
            params.update(
                {
                    "CallSid": participant.call_sid,
                    "Muted": _flag(participant.muted),
                    "Hold": _flag(participant.hold),
                    "Coaching": "false",
                    "EndConferenceOnExit": _flag(participant.end_on_exit),
                    "StartConferenceOnEnter": _flag(participant.start_on_enter),
                }
            )
            if participant.label:
                params["ParticipantLabel"] = participant.label
        params.update(extra or {})
        exchange = self.engine.sender.build(
            "conference", room.status_callback, room.status_callback_method, params
        )
        room.exchanges.append(exchange)
        # With the reorder fault a room's callbacks are held until it ends. Participants
        # leave (and announcements may end) after conference-end: whatever is sent once the
        # room is over is released at once, or it would be held for good.
        final = room.status == "completed"
        self.engine.dispatcher.submit(room.sid, room.sid, exchange, final=final)

    # ---------------------------------------------------------------- billing

    def fee(self, room: Room) -> Decimal:
        """Per participant, per started minute in the room."""
        rate = self.engine.scenario.rates.rate("conference_participant")
        now = self.clock.now()
        stays = [*room.former, *room.participants.values()]
        minutes = sum(math.ceil(max(0.0, p.seconds(now)) / 60) for p in stays)
        return minutes * rate

    # ---------------------------------------------------------------- what the REST API does

    def listed(self, name: str | None, status: str | None) -> list[Room]:
        """Rooms newest first, as Twilio lists them, by friendly name and status."""
        rooms = list(reversed(self.rooms.values()))
        return [
            r
            for r in rooms
            if (not name or r.friendly_name == name) and (not status or r.status == status)
        ]

    async def update(
        self, room: Room, status: str | None, announce: tuple[str, str] | None
    ) -> None:
        """End the room (Status=completed) and/or play an announcement (url, method)."""
        if status not in (None, "", "completed"):
            raise InvalidParameter(f"Invalid Status: {status}")
        if announce and room.status == "completed":
            raise InvalidParameter("Conference is not in progress")
        if announce:
            await self.announce(room, *announce)
        if status == "completed":
            await self.end(room, "conference-ended-via-api")

    def participant(self, room: Room, call: str) -> Participant:
        """The participant named by Call SID or label. Only those in the room are found, as
        in the list: one that left can be neither fetched nor muted nor kicked again."""
        for participant in room.present():
            if call in (participant.call_sid, participant.label):
                return participant
        raise ParticipantNotFound(room.sid, call)

    def participants(self, room: Room, muted: bool | None, hold: bool | None) -> list[Participant]:
        return [
            p
            for p in room.present()
            if (muted is None or p.muted == muted) and (hold is None or p.hold == hold)
        ]

    async def update_participant(
        self,
        room: Room,
        participant: Participant,
        changes: dict[str, bool | None],
        end_on_exit: bool | None,
        announce: tuple[str, str] | None,
    ) -> None:
        """Mute/hold (each change sends its callback), endConferenceOnExit, announce."""
        for attribute, new in changes.items():
            if new is not None and new != getattr(participant, attribute):
                setattr(participant, attribute, new)
                # Named explicitly: "hold" does not inflect like "muted" → "mute".
                self._callback(room, CHANGE_EVENTS[attribute, new], participant)
        if end_on_exit is not None:
            participant.end_on_exit = end_on_exit
        if announce:
            await self.announce(room, *announce, participant)

    async def kick(self, room: Room, participant: Participant) -> None:
        await self.leave(room, participant.call_sid, "participant_updated_via_api")

    def joinable(self, name: str) -> Room | None:
        """The room a participant added through the API joins: a SID names a room that
        exists; a friendly name, its active room or (None) one made when the leg joins."""
        room = self.rooms.get(name) or self.active(name)
        if room is None and CONFERENCE_SID.fullmatch(name):
            raise ConferenceNotFound(name)
        return room

    def add_participant(self, noun: ConferenceNoun, call: Form) -> Leg:
        """Dial out into the room `noun` names: a new leg (`call` is its create form) that
        joins the room as soon as it answers."""
        leg = self.engine.create_call(call)
        self.engine.joiners[leg.sid] = lambda: self.join(leg, noun, None)
        return leg
