"""REST routes of the Conference and Participant resources: requests in, the room model
(conference.py) called, Twilio's JSON (resources.py) out."""

from __future__ import annotations

from aiohttp import web

from .clock import VirtualClock
from .conference import Conferences
from .errors import InvalidParameter, InvalidUrl
from .forms import Form
from .http import inject, read_form
from .resources import (
    conference_json,
    dialing_participant_json,
    page,
    participant_json,
)
from .twiml import Conference as ConferenceNoun


def _flag(form: Form, key: str) -> bool | None:
    """A boolean REST parameter (true/false, any case); None when absent.

    Anything else is refused with a 400 rather than read as false, which would silently
    unmute, unhold or drop endConferenceOnExit.
    """
    value = form.get(key)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in {"true", "false"}:
        raise InvalidParameter(f"{key} must be true or false, got {value!r}")
    return lowered == "true"


def _announcement(form: Form) -> tuple[str, str] | None:
    """AnnounceUrl and AnnounceMethod, when an announcement is asked for."""
    url = form.get("AnnounceUrl")
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise InvalidUrl(f"AnnounceUrl is not a valid URL: {url}")
    return url, form.get("AnnounceMethod") or "POST"


def _joining(name: str, form: Form) -> ConferenceNoun:
    """How a participant added through the API joins: the <Conference> noun it stands for."""
    events = " ".join(
        e for raw in form.getall("ConferenceStatusCallbackEvent") for e in raw.split()
    )
    return ConferenceNoun(
        name=name,
        start_on_enter=_flag(form, "StartConferenceOnEnter") is not False,
        end_on_exit=_flag(form, "EndConferenceOnExit") is True,
        muted=_flag(form, "Muted") is True,
        status_callback=form.get("ConferenceStatusCallback"),
        status_callback_method=(form.get("ConferenceStatusCallbackMethod") or "POST").upper(),
        status_callback_events=tuple(events.split()) if events else (),
        participant_label=form.get("Label"),
    )


def _call_form(form: Form) -> Form:
    """The participant's leg, as a Calls.json create would make it."""
    return Form(
        [
            ("To", form.get("To") or ""),
            ("From", form.get("From") or ""),
            ("Twiml", "<Response/>"),  # never run: the leg joins the room when it answers
            *[
                (k, v)
                for k in ("StatusCallback", "StatusCallbackMethod", "Timeout", "TimeLimit")
                if (v := form.get(k))
            ],
            *[("StatusCallbackEvent", e) for e in form.getall("StatusCallbackEvent")],
        ]
    )


class ConferenceRoutes:
    """The handlers, bound to the account's rooms."""

    def __init__(self, conferences: Conferences) -> None:
        self.conferences = conferences

    def register(self, app: web.Application, account: str) -> None:
        base = f"{account}/Conferences"
        participant = f"{base}/{{sid}}/Participants/{{call}}.json"
        app.router.add_get(f"{base}.json", self.list)
        app.router.add_get(f"{base}/{{sid}}.json", self.fetch)
        app.router.add_post(f"{base}/{{sid}}.json", self.update)
        app.router.add_get(f"{base}/{{sid}}/Participants.json", self.participants)
        app.router.add_post(f"{base}/{{sid}}/Participants.json", self.add_participant)
        app.router.add_get(participant, self.participant)
        app.router.add_post(participant, self.update_participant)
        app.router.add_delete(participant, self.kick_participant)

    @property
    def clock(self) -> VirtualClock:
        return self.conferences.clock

    async def list(self, request: web.Request) -> web.Response:
        query = request.query
        rooms = self.conferences.listed(query.get("FriendlyName"), query.get("Status"))
        records = [conference_json(r, self.clock) for r in rooms]
        return web.json_response(page("conferences", records, request.path, dict(query)))

    async def fetch(self, request: web.Request) -> web.Response:
        room = self.conferences.get(request.match_info["sid"])
        return web.json_response(conference_json(room, self.clock))

    async def update(self, request: web.Request) -> web.Response:
        inject(request, "conferences.update")
        room = self.conferences.get(request.match_info["sid"])
        form = await read_form(request)
        await self.conferences.update(room, form.get("Status"), _announcement(form))
        return web.json_response(conference_json(room, self.clock))

    async def participants(self, request: web.Request) -> web.Response:
        room = self.conferences.get(request.match_info["sid"])
        form = await read_form(request)
        present = self.conferences.participants(room, _flag(form, "Muted"), _flag(form, "Hold"))
        records = [participant_json(room, p, self.clock) for p in present]
        return web.json_response(page("participants", records, request.path, dict(request.query)))

    async def participant(self, request: web.Request) -> web.Response:
        room = self.conferences.get(request.match_info["sid"])
        participant = self.conferences.participant(room, request.match_info["call"])
        return web.json_response(participant_json(room, participant, self.clock))

    async def update_participant(self, request: web.Request) -> web.Response:
        room = self.conferences.get(request.match_info["sid"])
        participant = self.conferences.participant(room, request.match_info["call"])
        form = await read_form(request)
        # Every parameter is read (and checked) before anything changes: a refused request
        # changes nothing.
        changes = {"muted": _flag(form, "Muted"), "hold": _flag(form, "Hold")}
        end_on_exit = _flag(form, "EndConferenceOnExit")
        announce = _announcement(form)
        await self.conferences.update_participant(room, participant, changes, end_on_exit, announce)
        return web.json_response(participant_json(room, participant, self.clock))

    async def kick_participant(self, request: web.Request) -> web.Response:
        room = self.conferences.get(request.match_info["sid"])
        participant = self.conferences.participant(room, request.match_info["call"])
        await self.conferences.kick(room, participant)
        return web.Response(status=204)

    async def add_participant(self, request: web.Request) -> web.Response:
        name = request.match_info["sid"]
        room = self.conferences.joinable(name)
        form = await read_form(request)
        noun = _joining(room.friendly_name if room is not None else name, form)
        leg = self.conferences.add_participant(noun, _call_form(form))
        body = dialing_participant_json(leg, noun, room, self.clock)
        return web.json_response(body, status=201)
