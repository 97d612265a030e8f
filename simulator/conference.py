"""Conferences: the <Conference> noun, conference callbacks, announcements, REST resources.

A <Dial><Conference> puts the leg into a room (created on first use). The room starts when
two participants are in and one has startConferenceOnEnter; it ends when a participant
with endConferenceOnExit leaves, when the last one leaves, or through the REST API. Each
participant that leaves ends its <Dial>, whose action is then requested as for a <Number>.
Callback URL and events are the first participant's (reference §3.1). Participant time is
billed per started minute at the scenario's conference_participant rate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import urljoin

from aiohttp import web

from .engine import ApiError, Engine, Form, rfc2822
from .models import Exchange, Leg, new_sid
from .resources import account_uri, page
from .server import inject, read_form
from .twiml import Conference as ConferenceNoun
from .twiml import Dial, Pause, Play, Say, TwimlError, parse
from .webhooks import WebhookError

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


def _flag_param(form: Form, key: str) -> bool | None:
    """A boolean REST parameter (true/false, any case); None when absent.

    Anything else is refused with a 400 rather than read as false, which would silently
    unmute, unhold or drop endConferenceOnExit.
    """
    value = form.get(key)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in {"true", "false"}:
        raise ApiError(400, 20001, f"{key} must be true or false, got {value!r}")
    return lowered == "true"


def _announce_url(form: Form) -> str | None:
    url = form.get("AnnounceUrl")
    if url and not url.startswith(("http://", "https://")):
        raise ApiError(400, 21205, f"AnnounceUrl is not a valid URL: {url}")
    return url or None


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
    def clock(self) -> Any:
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
            raise ApiError(
                404, 20404, f"The requested resource /Conferences/{sid}.json was not found"
            )
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

    # ---------------------------------------------------------------- JSON

    def room_json(self, room: Room) -> dict[str, Any]:
        base = f"{account_uri(room.account_sid)}/Conferences/{room.sid}"
        return {
            "account_sid": room.account_sid,
            "date_created": rfc2822(self.clock, room.created_at),
            "date_updated": rfc2822(self.clock, room.updated_at),
            "api_version": "2010-04-01",
            "friendly_name": room.friendly_name,
            "region": "jp1",
            "sid": room.sid,
            "status": room.status,
            "uri": f"{base}.json",
            "subresource_uris": {
                "participants": f"{base}/Participants.json",
                "recordings": f"{base}/Recordings.json",
            },
            "reason_conference_ended": room.reason_ended,
            "call_sid_ending_conference": room.call_sid_ending,
        }

    def participant_json(self, room: Room, participant: Participant) -> dict[str, Any]:
        base = f"{account_uri(room.account_sid)}/Conferences/{room.sid}"
        return {
            "account_sid": room.account_sid,
            "call_sid": participant.call_sid,
            "label": participant.label,
            "call_sid_to_coach": None,
            "coaching": False,
            "conference_sid": room.sid,
            "date_created": rfc2822(self.clock, participant.joined_at),
            "date_updated": rfc2822(self.clock, participant.left_at or participant.joined_at),
            "end_conference_on_exit": participant.end_on_exit,
            "muted": participant.muted,
            "hold": participant.hold,
            "start_conference_on_enter": participant.start_on_enter,
            "status": participant.status,
            "queue_time": "0",
            "uri": f"{base}/Participants/{participant.call_sid}.json",
        }

    def inspect(self) -> dict[str, Any]:
        now = self.clock.now()
        rooms = []
        for room in self.rooms.values():
            data = self.room_json(room)
            data["timeline"] = [{"at": at, "status": status} for at, status in room.timeline]
            data["participants"] = [
                {
                    **self.participant_json(room, p),
                    "joined_at": p.joined_at,
                    "left_at": p.left_at,
                    "seconds": p.seconds(now),
                }
                for p in room.participants.values()
            ]
            data["announcements"] = list(room.announcements)
            data["exchanges"] = [e.to_dict() for e in room.exchanges]
            data["fee"] = str(self.fee(room))
            data["fee_unit"] = self.engine.scenario.rates.currency
            rooms.append(data)
        return {"conferences": rooms}

    # ---------------------------------------------------------------- REST

    def routes(self, app: web.Application, account: str) -> None:
        base = f"{account}/Conferences"
        app.router.add_get(f"{base}.json", self._list)
        app.router.add_get(f"{base}/{{sid}}.json", self._fetch)
        app.router.add_post(f"{base}/{{sid}}.json", self._update)
        app.router.add_get(f"{base}/{{sid}}/Participants.json", self._participants)
        app.router.add_post(f"{base}/{{sid}}/Participants.json", self._add_participant)
        app.router.add_get(f"{base}/{{sid}}/Participants/{{call}}.json", self._participant)
        app.router.add_post(f"{base}/{{sid}}/Participants/{{call}}.json", self._update_participant)
        app.router.add_delete(f"{base}/{{sid}}/Participants/{{call}}.json", self._kick_participant)

    async def _list(self, request: web.Request) -> web.Response:
        rooms = list(reversed(self.rooms.values()))
        if name := request.query.get("FriendlyName"):
            rooms = [r for r in rooms if r.friendly_name == name]
        if status := request.query.get("Status"):
            rooms = [r for r in rooms if r.status == status]
        records = [self.room_json(r) for r in rooms]
        return web.json_response(page("conferences", records, request.path, dict(request.query)))

    async def _fetch(self, request: web.Request) -> web.Response:
        return web.json_response(self.room_json(self.get(request.match_info["sid"])))

    async def _update(self, request: web.Request) -> web.Response:
        inject(request, "conferences.update")
        room = self.get(request.match_info["sid"])
        form = await read_form(request)
        status = form.get("Status")
        if status not in (None, "", "completed"):
            raise ApiError(400, 20001, f"Invalid Status: {status}")
        url = _announce_url(form)
        if url and room.status == "completed":
            raise ApiError(400, 20001, "Conference is not in progress")
        if url:
            await self.announce(room, url, form.get("AnnounceMethod") or "POST")
        if status == "completed":
            await self.end(room, "conference-ended-via-api")
        return web.json_response(self.room_json(room))

    def _participant_of(self, request: web.Request) -> tuple[Room, Participant]:
        """The participant named by Call SID or label. Only those in the room are found, as
        in the list: one that left can be neither fetched nor muted nor kicked again."""
        room = self.get(request.match_info["sid"])
        call = request.match_info["call"]
        for participant in room.present():
            if call in (participant.call_sid, participant.label):
                return room, participant
        path = f"/Conferences/{room.sid}/Participants/{call}.json"
        raise ApiError(404, 20404, f"The requested resource {path} was not found")

    async def _participants(self, request: web.Request) -> web.Response:
        room = self.get(request.match_info["sid"])
        form = await read_form(request)
        present = room.present()
        for key, attribute in (("Muted", "muted"), ("Hold", "hold")):
            wanted = _flag_param(form, key)
            if wanted is not None:
                present = [p for p in present if getattr(p, attribute) == wanted]
        records = [self.participant_json(room, p) for p in present]
        return web.json_response(page("participants", records, request.path, dict(request.query)))

    async def _participant(self, request: web.Request) -> web.Response:
        room, participant = self._participant_of(request)
        return web.json_response(self.participant_json(room, participant))

    async def _update_participant(self, request: web.Request) -> web.Response:
        room, participant = self._participant_of(request)
        form = await read_form(request)
        # Check every parameter before changing anything: a refused request changes nothing.
        changes = {"muted": _flag_param(form, "Muted"), "hold": _flag_param(form, "Hold")}
        end_on_exit = _flag_param(form, "EndConferenceOnExit")
        url = _announce_url(form)
        for attribute, new in changes.items():
            if new is not None and new != getattr(participant, attribute):
                setattr(participant, attribute, new)
                # Named explicitly: "hold" does not inflect like "muted" → "mute".
                self._callback(room, CHANGE_EVENTS[attribute, new], participant)
        if end_on_exit is not None:
            participant.end_on_exit = end_on_exit
        if url:
            await self.announce(room, url, form.get("AnnounceMethod") or "POST", participant)
        return web.json_response(self.participant_json(room, participant))

    async def _kick_participant(self, request: web.Request) -> web.Response:
        room, participant = self._participant_of(request)
        await self.leave(room, participant.call_sid, "participant_updated_via_api")
        return web.Response(status=204)

    async def _add_participant(self, request: web.Request) -> web.Response:
        """Dial out into a room: a new leg that joins it as soon as it answers."""
        name = request.match_info["sid"]
        # A SID names a room that exists; a friendly name joins its active room or makes one.
        room = self.rooms.get(name) or self.active(name)
        if room is None and CONFERENCE_SID.fullmatch(name):
            raise ApiError(
                404, 20404, f"The requested resource /Conferences/{name}.json was not found"
            )
        friendly = room.friendly_name if room is not None else name
        form = await read_form(request)
        events = " ".join(
            e for raw in form.getall("ConferenceStatusCallbackEvent") for e in raw.split()
        )
        start_on_enter = _flag_param(form, "StartConferenceOnEnter")
        noun = ConferenceNoun(
            name=friendly,
            start_on_enter=start_on_enter is not False,
            end_on_exit=_flag_param(form, "EndConferenceOnExit") is True,
            muted=_flag_param(form, "Muted") is True,
            status_callback=form.get("ConferenceStatusCallback"),
            status_callback_method=(form.get("ConferenceStatusCallbackMethod") or "POST").upper(),
            status_callback_events=tuple(events.split()) if events else (),
            participant_label=form.get("Label"),
        )
        call_form = Form(
            [
                ("To", form.get("To") or ""),
                ("From", form.get("From") or ""),
                ("Twiml", "<Response/>"),  # replaced below: the leg joins the room directly
                *[
                    (k, v)
                    for k in ("StatusCallback", "StatusCallbackMethod", "Timeout", "TimeLimit")
                    if (v := form.get(k))
                ],
                *[("StatusCallbackEvent", e) for e in form.getall("StatusCallbackEvent")],
            ]
        )
        leg = self.engine.create_call(call_form)
        self.engine.joiners[leg.sid] = lambda: self.join(leg, noun, None)
        joined = room or Room(
            sid="",
            friendly_name=friendly,
            account_sid=leg.account_sid,
            created_at=0,
            status_callback=None,
            status_callback_method="POST",
            events=frozenset(),
        )
        data = {
            "account_sid": leg.account_sid,
            "call_sid": leg.sid,
            "label": noun.participant_label,
            "call_sid_to_coach": None,
            "coaching": False,
            "conference_sid": joined.sid or None,
            "date_created": rfc2822(self.clock, leg.created_at),
            "date_updated": rfc2822(self.clock, leg.created_at),
            "end_conference_on_exit": noun.end_on_exit,
            "muted": noun.muted,
            "hold": False,
            "start_conference_on_enter": noun.start_on_enter,
            "status": "queued",
            "queue_time": "0",
            "uri": f"{account_uri(leg.account_sid)}/Conferences/{joined.sid or name}"
            f"/Participants/{leg.sid}.json",
        }
        return web.json_response(data, status=201)
