"""Conferences (reference §3): <Dial><Conference>, conference status callbacks,
announcements, the Conference and Participant REST resources, and participant-minute fees.

Every REST body these tests receive (raw or through either SDK client) is validated against
the spec by the fixtures; the assertions here check what the values mean.
"""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.conference import Room
from simulator.harness import Simulator

from .openapi import operation_for
from .support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CHECKED,
    NUMBER,
    STANDARD_PARAMS,
    A,
    App,
    Hit,
    Rest,
    base_scenario,
)

ROOM = "room-1"
ALL = "start end join leave mute hold announcement"
HANGUP = "<Response><Hangup/></Response>"

HOST = A  # answers after 3 s, never hangs up by itself
GUEST = "+819012345601"  # answers after 5 s, never hangs up by itself
QUITTER = "+819012345602"  # answers after 5 s, hangs up after 30 s
LATE = "+819012345603"  # answers after 8 s, never hangs up by itself
RINGS_OUT = "+819012345604"  # never answers

# Callback parameter sets (reference §3.2).
COMMON = frozenset(
    {
        "ConferenceSid",
        "FriendlyName",
        "AccountSid",
        "SequenceNumber",
        "Timestamp",
        "StatusCallbackEvent",
    }
)
PARTICIPANT = COMMON | {
    "CallSid",
    "Muted",
    "Hold",
    "Coaching",
    "EndConferenceOnExit",
    "StartConferenceOnEnter",
}
LEAVE = PARTICIPANT | {"ParticipantCallStatus", "ReasonParticipantLeft"}
END = COMMON | {
    "CallSidEndingConference",
    "ParticipantLabelEndingConference",
    "ReasonConferenceEnded",
    "Reason",
}
ANNOUNCEMENT_END = COMMON | {"AnnounceUrl"}
ANNOUNCEMENT_FAIL = ANNOUNCEMENT_END | {"ReasonAnnouncementFailed"}
ANNOUNCE_REQUEST = {"AccountSid", "ConferenceSid", "FriendlyName", "ApiVersion"}

# A minute-long text: Say takes about a second per 12 characters (simulator/twiml.py).
SPEECH = "Your call will end in one minute. Thank you for calling us."
SPEECH_SECONDS = round(len(SPEECH) / 12)


def conference_scenario(participant_rate: float = 0.3) -> dict[str, Any]:
    data = base_scenario()
    data["phones"] = {
        **data["phones"],
        GUEST: {"answer_after": 5, "hangup_after": None},
        QUITTER: {"answer_after": 5, "hangup_after": 30},
        LATE: {"answer_after": 8, "hangup_after": None},
        RINGS_OUT: {"behavior": "no-answer"},
    }
    data["rates"] = {**data["rates"], "conference_participant": participant_rate}
    return data


@pytest.fixture
def scenario() -> dict[str, Any]:
    return conference_scenario()


# ----------------------------------------------------------------------------- helpers


def conference(
    app: App,
    *,
    room: str = ROOM,
    action: str | None = "/dial-done",
    callback: str | None = "/conf",
    events: str | None = ALL,
    start: bool = True,
    end: bool = True,
    label: str | None = None,
    time_limit: int | None = None,
    absolute: bool = True,
) -> str:
    """<Dial><Conference> TwiML; `callback` is made absolute on the app unless told not to."""
    dial = ["<Dial"]
    if action:
        dial.append(f' action="{action}"')
    if time_limit:
        dial.append(f' timeLimit="{time_limit}"')
    attrs = {
        "startConferenceOnEnter": str(start).lower(),
        "endConferenceOnExit": str(end).lower(),
    }
    if callback is not None:
        attrs["statusCallback"] = app.url(callback) if absolute else callback
    if events is not None:
        attrs["statusCallbackEvent"] = events
    if label is not None:
        attrs["participantLabel"] = label
    noun = " ".join(f'{key}="{value}"' for key, value in attrs.items())
    return f"<Response>{''.join(dial)}><Conference {noun}>{room}</Conference></Dial></Response>"


async def dial_in(rest: Rest, app: App, to: str, twiml: str) -> str:
    """A REST-created call to `to` whose answer webhook returns `twiml`."""
    url = app.on(f"/join-{to[1:]}", twiml)
    if "/dial-done" not in app.routes:
        app.on("/dial-done", HANGUP)  # the <Dial action>: hang up once out of the room
    body = await rest.create(To=to, From=NUMBER, Url=url)
    return str(body["sid"])


async def two_in_a_room(
    sim: Simulator, rest: Rest, app: App, second: str = GUEST, **kwargs: Any
) -> tuple[str, str, Room]:
    """HOST (joins at 3 s) and `second` (joins at 5 s) in ROOM; the clock at 6 s."""
    host = await dial_in(rest, app, HOST, conference(app, label="host", **kwargs))
    other = await dial_in(rest, app, second, conference(app, **kwargs))
    await sim.advance(6)
    return host, other, only_room(sim)


def only_room(sim: Simulator) -> Room:
    (room,) = sim.conferences.rooms.values()
    return room


def events(app: App, path: str = "/conf") -> list[str]:
    return [params["StatusCallbackEvent"] for params in app.callbacks(path)]


def event(app: App, name: str, path: str = "/conf") -> list[Hit]:
    return [hit for hit in app.received(path) if hit.params["StatusCallbackEvent"] == name]


def conference_path(sid: str) -> str:
    return f"/Conferences/{sid}.json"


def participant_path(room: str, call: str) -> str:
    return f"/Conferences/{room}/Participants/{call}.json"


async def sim_get(sim: Simulator, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(sim.url + path) as response:
        return response.status, await response.text()


# ----------------------------------------------------------------------------- joining


async def test_room_is_created_on_first_join_and_starts_with_the_second(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, label="host"))
    guest = await dial_in(rest, app, GUEST, conference(app))
    await sim.advance(2.9)
    assert sim.conferences.rooms == {}  # nobody has answered yet
    await sim.advance(0.1)
    room = only_room(sim)
    assert re.fullmatch(r"CF[0-9a-f]{32}", room.sid)
    assert (room.friendly_name, room.status, room.started_at) == (ROOM, "init", None)
    assert [p.call_sid for p in room.present()] == [host]
    assert sim.call(host).conference == room.sid
    status, body = await rest.request("GET", conference_path(room.sid))
    assert status == 200
    assert body is not None
    assert (body["status"], body["friendly_name"], body["sid"]) == ("init", ROOM, room.sid)
    assert events(app) == ["participant-join"]

    await sim.advance(2)
    assert room.status == "in-progress"
    assert room.started_at == 5
    assert [at for at, _ in room.timeline] == [3, 5]
    assert [status for _, status in room.timeline] == ["init", "in-progress"]
    assert events(app) == ["participant-join", "participant-join", "conference-start"]
    joins = event(app, "participant-join")
    assert [hit.params["CallSid"] for hit in joins] == [host, guest]
    assert [hit.at for hit in joins] == [3, 5]
    assert event(app, "conference-start")[0].at == 5
    status, body = await rest.request("GET", conference_path(room.sid))
    assert body is not None
    assert body["status"] == "in-progress"
    # Joining does not run the rest of the document: no <Dial action> yet.
    assert app.received("/dial-done") == []
    assert sim.call(host).status == sim.call(guest).status == "in-progress"


async def test_the_first_participants_status_callback_and_events_hold_for_the_room(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await dial_in(rest, app, HOST, conference(app, events="start end join"))
    guest = await dial_in(
        rest, app, GUEST, conference(app, callback="/other", events="start end join leave mute")
    )
    await sim.advance(6)
    await rest.request("POST", participant_path(only_room(sim).sid, guest), data={"Muted": "true"})
    await rest.update(guest, Status="completed")
    await sim.advance(1)
    # The second participant's statusCallback never hears anything ...
    assert app.received("/other") == []
    # ... and the first participant's events apply to everyone (no leave, no mute).
    assert events(app) == [
        "participant-join",
        "participant-join",
        "conference-start",
        "conference-end",
    ]
    assert event(app, "participant-join")[1].params["CallSid"] == guest


async def test_start_conference_on_enter_false_alone_does_not_start_it(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await dial_in(rest, app, HOST, conference(app, start=False, end=False))
    await dial_in(rest, app, GUEST, conference(app, start=False, end=False))
    await sim.advance(6)
    room = only_room(sim)
    assert len(room.present()) == 2
    assert room.status == "init"  # two in, neither may start it
    assert "conference-start" not in events(app)
    await dial_in(rest, app, LATE, conference(app, start=True, end=False))
    await sim.advance(8)
    assert room.status == "in-progress"
    assert room.started_at == 6 + 8
    [start] = event(app, "conference-start")
    assert start.at == 6 + 8


async def test_a_single_participant_does_not_start_the_room(
    sim: Simulator, rest: Rest, app: App
) -> None:
    await dial_in(rest, app, HOST, conference(app))
    await sim.advance(60)
    room = only_room(sim)
    assert room.status == "init"
    assert events(app) == ["participant-join"]


async def test_default_events_are_start_and_end(sim: Simulator, rest: Rest, app: App) -> None:
    _host, guest, room = await two_in_a_room(sim, rest, app, events=None)
    await rest.update(guest, Status="completed")
    await sim.advance(1)
    assert events(app) == ["conference-start", "conference-end"]
    # Unsent events still count: sequence numbers have gaps where joins and leaves fired.
    start, end = app.callbacks("/conf")
    assert int(start["SequenceNumber"]) == 2
    assert int(end["SequenceNumber"]) > 3
    assert room.status == "completed"


async def test_no_status_callback_sends_nothing(sim: Simulator, rest: Rest, app: App) -> None:
    host, _guest, room = await two_in_a_room(sim, rest, app, callback=None)
    await rest.update(host, Status="completed")
    await sim.advance(1)
    assert room.status == "completed"
    assert app.received("/conf") == []


async def test_relative_status_callback_resolves_against_the_document(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, callback="/conf?x=1", absolute=False))
    await dial_in(rest, app, GUEST, conference(app, callback="/conf?x=1", absolute=False))
    await sim.advance(6)
    await rest.update(host, Status="completed")
    await sim.advance(1)
    # Conference-level events too, not only the participant events.
    assert events(app) == [
        "participant-join",
        "participant-join",
        "conference-start",
        "participant-leave",
        "conference-end",
        "participant-leave",
    ]
    for hit in app.received("/conf"):
        assert hit.url == app.url("/conf?x=1")
        assert hit.query["x"] == "1"
        assert hit.signed()


# ----------------------------------------------------------------------------- parameters


async def test_callback_parameter_sets_are_exactly_the_reference(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, label="host", end=True))
    guest = await dial_in(rest, app, GUEST, conference(app, end=False))
    await sim.advance(10)
    room = only_room(sim)
    participant = aclient.conferences(room.sid).participants(guest)
    await participant.update_async(muted=True)
    await participant.update_async(muted=False)
    await participant.update_async(hold=True)
    await participant.update_async(hold=False)
    app.on("/announce", f"<Response><Say>{SPEECH}</Say></Response>")
    await aclient.conferences(room.sid).update_async(announce_url=app.url("/announce"))
    app.on("/broken", "<Response><Hangup/></Response>")
    await aclient.conferences(room.sid).update_async(announce_url=app.url("/broken"))
    await sim.advance(20)
    assert await participant.delete_async() is True  # kicked: leaves, its action runs
    await sim.advance(5)
    await aclient.calls(host).update_async(status="completed")
    await sim.advance(1)

    hits = app.received("/conf")
    assert [hit.params["StatusCallbackEvent"] for hit in hits] == [
        "participant-join",
        "participant-join",
        "conference-start",
        "participant-mute",
        "participant-unmute",
        "participant-hold",
        "participant-unhold",
        "announcement-fail",
        "announcement-end",
        "participant-leave",
        "participant-leave",
        "conference-end",
    ]
    expected = {
        "participant-join": PARTICIPANT,
        "participant-mute": PARTICIPANT,
        "participant-unmute": PARTICIPANT,
        "participant-hold": PARTICIPANT,
        "participant-unhold": PARTICIPANT,
        "participant-leave": LEAVE,
        "conference-start": COMMON,
        "conference-end": END,
        "announcement-end": ANNOUNCEMENT_END,
        "announcement-fail": ANNOUNCEMENT_FAIL,
    }
    for index, hit in enumerate(hits):
        params = hit.params
        name = params["StatusCallbackEvent"]
        labelled = {"ParticipantLabel"} if params.get("CallSid") == host else set()
        assert set(params) == expected[name] | labelled, name
        assert params["ConferenceSid"] == room.sid
        assert params["FriendlyName"] == ROOM
        assert params["AccountSid"] == ACCOUNT_SID
        assert params["SequenceNumber"] == str(index)  # every event subscribed: no gaps
        # RFC 2822 in UTC, the simulated time the event fired.
        assert params["Timestamp"].endswith("+0000")
        assert hit.at is not None
        stamp = parsedate_to_datetime(params["Timestamp"])
        assert abs((stamp - sim.clock.wall(hit.at)).total_seconds()) < 1
        assert hit.method == "POST"
        assert hit.signed(), name
        assert not hit.signed("another-token")
        assert hit.url == app.url("/conf")
        if "Muted" in params:
            for key in ("Muted", "Hold", "Coaching", "EndConferenceOnExit"):
                assert params[key] in {"true", "false"}

    by_event = {hit.params["StatusCallbackEvent"]: hit.params for hit in hits}
    assert by_event["participant-mute"]["Muted"] == "true"
    assert by_event["participant-unmute"]["Muted"] == "false"
    assert by_event["participant-hold"]["Hold"] == "true"
    assert by_event["participant-unhold"]["Hold"] == "false"
    assert by_event["participant-join"]["StartConferenceOnEnter"] == "true"
    assert event(app, "participant-join")[0].params["ParticipantLabel"] == "host"
    assert event(app, "participant-join")[0].params["EndConferenceOnExit"] == "true"
    assert event(app, "participant-join")[1].params["EndConferenceOnExit"] == "false"
    assert by_event["announcement-end"]["AnnounceUrl"] == app.url("/announce")
    assert by_event["announcement-fail"]["AnnounceUrl"] == app.url("/broken")
    assert by_event["announcement-fail"]["ReasonAnnouncementFailed"]
    kicked, hung_up = (hit.params for hit in event(app, "participant-leave"))
    assert (kicked["CallSid"], kicked["ReasonParticipantLeft"]) == (
        guest,
        "participant_updated_via_api",
    )
    assert (hung_up["CallSid"], hung_up["ReasonParticipantLeft"]) == (host, "participant_hung_up")
    assert hung_up["ParticipantCallStatus"] == "completed"
    assert kicked["ParticipantCallStatus"] in {"in-progress", "completed"}
    end = by_event["conference-end"]
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert end["CallSidEndingConference"] == host
    assert end["ParticipantLabelEndingConference"] == "host"
    assert end["Reason"]


async def test_duplicated_conference_callbacks_keep_their_idempotency_token(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sim.set_faults({"duplicate": 1.0})
    _host, _guest, _room = await two_in_a_room(sim, rest, app)
    hits = app.received("/conf")
    assert [hit.params["SequenceNumber"] for hit in hits] == ["0", "0", "1", "1", "2", "2"]
    tokens = [hit.headers["I-Twilio-Idempotency-Token"] for hit in hits]
    assert tokens[0] == tokens[1] != tokens[2] == tokens[3]


async def test_reordered_conference_callbacks_arrive_once_the_room_ends(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sim.set_faults({"reorder": True, "seed": 7})
    host, _guest, _room = await two_in_a_room(sim, rest, app)
    assert app.received("/conf") == []  # held until the room's last callback
    await rest.update(host, Status="completed")
    await sim.advance(1)
    numbers = [int(params["SequenceNumber"]) for params in app.callbacks("/conf")]
    assert sorted(numbers) == list(range(6))  # join, join, start, leave, end, leave
    assert numbers != sorted(numbers)  # shuffled (seeded)


async def test_dropped_conference_callbacks(sim: Simulator, rest: Rest, app: App) -> None:
    sim.set_faults({"drop": 1.0})
    await two_in_a_room(sim, rest, app)
    assert app.received("/conf") == []
    assert sim.dispatcher.dropped == 3  # join, join, start


async def test_delayed_conference_callbacks(sim: Simulator, rest: Rest, app: App) -> None:
    sim.set_faults({"delay": 4.0})
    await two_in_a_room(sim, rest, app)
    assert app.received("/conf") == []  # HOST's join fired at 3 s, is due at 7 s
    await sim.advance(4)
    joins = event(app, "participant-join")
    assert [hit.at for hit in joins] == [7, 9]
    # Stamped when they fired, not when they were delivered.
    stamps = [parsedate_to_datetime(hit.params["Timestamp"]) for hit in joins]
    assert stamps == [sim.clock.wall(3), sim.clock.wall(5)]


# ----------------------------------------------------------------------------- ending


def _dial_results(app: App) -> dict[str, dict[str, str]]:
    return {hit.params["CallSid"]: hit.params for hit in app.received("/dial-done")}


async def test_hang_up_with_end_conference_on_exit_ends_the_room(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, label="host", end=False))
    quitter = await dial_in(rest, app, QUITTER, conference(app, label="quitter", end=True))
    await sim.advance(5 + 30 - 0.5)
    room = only_room(sim)
    assert room.status == "in-progress"
    await sim.advance(1)
    assert room.status == "completed"
    assert (room.ended_at, room.reason_ended, room.call_sid_ending) == (
        35,
        "participant-with-end-conference-on-exit-left",
        quitter,
    )
    end = event(app, "conference-end")[0].params
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert end["CallSidEndingConference"] == quitter
    assert end["ParticipantLabelEndingConference"] == "quitter"
    leaves = {hit.params["CallSid"]: hit.params for hit in event(app, "participant-leave")}
    assert set(leaves) == {host, quitter}
    assert leaves[quitter]["ReasonParticipantLeft"] == "participant_hung_up"
    assert leaves[quitter]["ParticipantCallStatus"] == "completed"
    assert leaves[host]["ReasonParticipantLeft"] == "moderator_ended_conference"
    assert all(hit.at == 35 for hit in event(app, "participant-leave"))

    # Each participant's <Dial action>: answered, with no DialCallSid or DialCallDuration.
    results = _dial_results(app)
    assert set(results) == {host, quitter}
    for params in results.values():
        assert params["DialCallStatus"] == "answered"
        assert "DialCallSid" not in params
        assert "DialCallDuration" not in params
        assert set(params) - STANDARD_PARAMS <= {"DialCallStatus", "DialBridged"}
    assert results[quitter]["CallStatus"] == "completed"  # it hung up: TwiML ignored
    assert results[host]["CallStatus"] == "in-progress"
    # HOST's action answered <Hangup/>: no leg is left open.
    assert sim.call(host).status == "completed"
    assert sim.call(host).ended_at == 35
    status, body = await rest.request("GET", conference_path(room.sid))
    assert status == 200
    assert body is not None
    assert body["status"] == "completed"
    assert body["reason_conference_ended"] == "participant-with-end-conference-on-exit-left"
    assert body["call_sid_ending_conference"] == quitter


async def test_the_last_participant_leaving_ends_the_room(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, end=False))
    quitter = await dial_in(rest, app, QUITTER, conference(app, end=False))
    await sim.advance(5 + 30 + 1)
    room = only_room(sim)
    assert room.status == "in-progress"  # one left, one is still in
    assert [p.call_sid for p in room.present()] == [host]
    assert _dial_results(app)[quitter]["DialCallStatus"] == "answered"
    assert sim.call(host).status == "in-progress"
    await rest.update(host, Status="completed")
    await sim.advance(1)
    assert (room.status, room.reason_ended, room.call_sid_ending) == (
        "completed",
        "last-participant-left",
        host,
    )
    [end] = event(app, "conference-end")
    assert end.params["ReasonConferenceEnded"] == "last-participant-left"
    assert end.params["CallSidEndingConference"] == host
    assert end.params["ParticipantLabelEndingConference"] == ""
    assert events(app)[-2:] == ["participant-leave", "conference-end"]


async def test_kicking_the_last_participant(sim: Simulator, rest: Rest, app: App) -> None:
    host = await dial_in(rest, app, HOST, conference(app, end=False))
    await sim.advance(4)
    room = only_room(sim)
    status, _ = await rest.request("DELETE", participant_path(room.sid, host))
    assert status == 204
    await sim.advance(0)
    assert room.reason_ended == "last-participant-kicked"
    [leave] = event(app, "participant-leave")
    assert leave.params["ReasonParticipantLeft"] == "participant_updated_via_api"
    [end] = event(app, "conference-end")
    assert end.params["ReasonConferenceEnded"] == "last-participant-kicked"


async def test_kicking_a_participant_with_end_conference_on_exit(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    status, _ = await rest.request("DELETE", participant_path(room.sid, host))
    assert status == 204
    await sim.advance(0)
    assert room.reason_ended == "participant-with-end-conference-on-exit-kicked"
    assert room.call_sid_ending == host
    assert set(_dial_results(app)) == {host, guest}


async def test_status_completed_through_the_api_ends_the_room(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    await sim.advance(14)
    ended = await aclient.conferences(room.sid).update_async(status="completed")
    assert ended.status == "completed"
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert ended.call_sid_ending_conference is None
    await sim.advance(0)
    [end] = event(app, "conference-end")
    assert end.params["ReasonConferenceEnded"] == "conference-ended-via-api"
    assert end.params["CallSidEndingConference"] == ""
    leaves = event(app, "participant-leave")
    assert {hit.params["CallSid"] for hit in leaves} == {host, guest}
    assert {hit.params["ReasonParticipantLeft"] for hit in leaves} == {"conference_ended_via_api"}
    results = _dial_results(app)
    assert {params["DialCallStatus"] for params in results.values()} == {"answered"}
    assert sim.call(host).status == sim.call(guest).status == "completed"
    assert sim.call(host).ended_at == sim.call(guest).ended_at == 20
    # Ending it again changes nothing; it can no longer be announced into.
    again = await aclient.conferences(room.sid).update_async(status="completed")
    assert again.status == "completed"
    assert len(event(app, "conference-end")) == 1
    with pytest.raises(TwilioRestException) as caught:
        await aclient.conferences(room.sid).update_async(announce_url=app.url("/announce"))
    assert caught.value.status == 400


async def test_a_new_room_of_the_same_name_after_the_end(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host, _guest, first = await two_in_a_room(sim, rest, app)
    await rest.update(host, Status="completed")
    await sim.advance(1)
    assert first.status == "completed"
    await dial_in(rest, app, LATE, conference(app))
    await sim.advance(9)
    second = sim.conferences.active(ROOM)
    assert second is not None
    assert second.sid != first.sid
    assert second.status == "init"
    joins = event(app, "participant-join")
    assert joins[-1].params["ConferenceSid"] == second.sid


async def test_dial_time_limit_takes_a_participant_out(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, end=False, time_limit=20))
    guest = await dial_in(rest, app, GUEST, conference(app, end=False))
    app.on("/dial-done", "<Response><Say>Time is up.</Say><Hangup/></Response>")
    await sim.advance(3 + 20 - 0.5)
    room = only_room(sim)
    assert [p.call_sid for p in room.present()] == [host, guest]
    await sim.advance(0.5)
    [leave] = event(app, "participant-leave")
    assert leave.params["CallSid"] == host
    assert leave.at == 23
    [result] = app.received("/dial-done")
    assert result.params["CallSid"] == host
    assert result.params["DialCallStatus"] == "answered"
    assert "DialCallSid" not in result.params
    assert room.status == "in-progress"  # GUEST is still in the room
    await sim.advance(5)
    assert sim.call(host).status == "completed"
    assert sim.call(host).duration == 20 + 1  # the action's <Say> played first
    assert sim.call(guest).status == "in-progress"


async def test_dial_without_action_falls_through_after_the_room(
    sim: Simulator, rest: Rest, app: App
) -> None:
    twiml = conference(app, action=None).replace(
        "</Dial>", "</Dial><Say>The conference is over.</Say>"
    )
    host = await dial_in(rest, app, HOST, twiml)
    guest = await dial_in(rest, app, GUEST, conference(app, action=None))
    await sim.advance(10)
    await rest.update(guest, Status="completed")
    await sim.advance(0)
    assert sim.call(host).status == "in-progress"  # saying the next verb
    await sim.advance(5)
    assert sim.call(host).status == "completed"
    assert sim.call(host).ended_at == 10 + 2
    assert app.received("/dial-done") == []


# ----------------------------------------------------------------------------- redirects


async def test_rest_redirect_takes_a_participant_out_without_its_action(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app, end=False)
    status, body = await rest.update(guest, Twiml="<Response><Pause length='7'/></Response>")
    assert status == 200
    assert body is not None
    assert body["status"] == "in-progress"
    await sim.advance(0)
    [leave] = event(app, "participant-leave")
    assert leave.params["CallSid"] == guest
    assert leave.params["ReasonParticipantLeft"] == "participant_updated_via_api"
    assert [p.call_sid for p in room.present()] == [host]
    assert room.status == "in-progress"
    assert app.received("/dial-done") == []  # a redirect replaces the <Dial>: no action
    await sim.advance(7)
    assert sim.call(guest).status == "completed"
    assert sim.call(guest).duration == 6 - 5 + 7
    assert app.received("/dial-done") == []


async def test_rest_redirect_of_the_moderator_ends_the_room(
    sim: Simulator, rest: Rest, app: App, client: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    url = app.on("/elsewhere", "<Response><Say>Goodbye.</Say></Response>")
    await asyncio.to_thread(client.calls(host).update, url=url)
    await sim.advance(0)
    assert room.status == "completed"
    assert room.reason_ended == "participant-with-end-conference-on-exit-kicked"
    # Only the participant that stayed has its <Dial action> requested.
    assert set(_dial_results(app)) == {guest}
    assert len(app.received("/elsewhere")) == 1


async def test_rejoining_the_room_is_a_new_stay(sim: Simulator, rest: Rest, app: App) -> None:
    host = await dial_in(rest, app, HOST, conference(app, end=False, time_limit=20))
    guest = await dial_in(rest, app, GUEST, conference(app, end=False))
    await sim.advance(10)
    # Redirected out of the room and straight back in, this time with no time limit.
    await rest.update(host, Twiml=conference(app, end=False))
    await sim.advance(30)
    room = only_room(sim)
    assert [p.call_sid for p in room.present()] == [host, guest]
    assert sim.call(host).status == "in-progress"
    assert [hit.params["CallSid"] for hit in event(app, "participant-leave")] == [host]
    assert [hit.params["CallSid"] for hit in event(app, "participant-join")] == [
        host,
        guest,
        host,
    ]
    # Both stays are billed: HOST 7 s then 30 s, GUEST 35 s, a started minute each.
    assert sim.conferences.fee(room) == Decimal("0.3") * 3


# ----------------------------------------------------------------------------- announcements


async def test_announcement_through_the_async_client(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    app.on("/announce", f"<Response><Say>{SPEECH}</Say></Response>")
    url = app.url("/announce?lang=en")
    await sim.advance(4)
    updated = await aclient.conferences(room.sid).update_async(announce_url=url)
    assert updated.status == "in-progress"
    [fetch] = app.received("/announce")
    assert fetch.method == "POST"
    assert fetch.url == url  # the query string stays in the signed URL
    assert fetch.signed()
    assert set(fetch.params) == ANNOUNCE_REQUEST
    assert (fetch.params["ConferenceSid"], fetch.params["FriendlyName"]) == (room.sid, ROOM)
    assert fetch.at == 10
    [announcement] = room.announcements
    assert announcement["heard_by"] == [host, guest]
    assert announcement["said"] == [SPEECH]
    assert announcement["seconds"] == SPEECH_SECONDS
    # announcement-end fires once the speech has played, on the virtual clock.
    await sim.advance(SPEECH_SECONDS - 0.5)
    assert event(app, "announcement-end") == []
    await sim.advance(0.5)
    [end] = event(app, "announcement-end")
    assert end.at == 10 + SPEECH_SECONDS
    assert end.params["AnnounceUrl"] == url
    assert announcement["ended_at"] == 10 + SPEECH_SECONDS
    # Announcing does not disturb the participants.
    assert [p.call_sid for p in room.present()] == [host, guest]


async def test_announcement_through_the_sync_client_with_get(
    sim: Simulator, rest: Rest, app: App, client: Client
) -> None:
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    url = app.on(
        "/announce",
        "<Response><Say>Hello</Say><Pause length='3'/><Play>https://x/b.mp3</Play></Response>",
    )
    updated = await asyncio.to_thread(
        client.conferences(room.sid).update, announce_url=url, announce_method="GET"
    )
    assert updated.sid == room.sid
    [fetch] = app.received("/announce")
    assert fetch.method == "GET"
    assert set(fetch.params) == ANNOUNCE_REQUEST
    assert fetch.url.startswith(url + "?")
    assert fetch.signed()
    seconds = 1 + 3 + 5  # Say, Pause, Play
    [announcement] = room.announcements
    assert announcement["seconds"] == seconds
    await sim.advance(seconds)
    [end] = event(app, "announcement-end")
    assert end.at == 6 + seconds


async def test_conferences_are_named_by_sid_in_rest_paths(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    """Only Participants create takes a friendly name (reference §3.3; the spec's path
    patterns are ^CF...): a name elsewhere is a 404, as Twilio answers it."""
    _host, guest, room = await two_in_a_room(sim, rest, app)
    url = app.on("/announce", "<Response><Say>Hi</Say></Response>")
    with pytest.raises(TwilioRestException) as caught:
        await aclient.conferences(ROOM).update_async(announce_url=url)
    assert (caught.value.status, caught.value.code) == (404, 20404)
    for method, path in (
        ("GET", conference_path(ROOM)),
        ("GET", f"/Conferences/{ROOM}/Participants.json"),
        ("GET", participant_path(ROOM, guest)),
        ("DELETE", participant_path(ROOM, guest)),
    ):
        status, body = await rest.request(method, path)
        assert (status, body and body["code"]) == (404, 20404), (method, path)
    assert room.announcements == []
    assert len(room.present()) == 2


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(("<Response><Hangup/></Response>", 200), id="hangup"),
        pytest.param(("<Response><Dial>+819011112222</Dial></Response>", 200), id="dial"),
        pytest.param(("<Response><Gather><Say>x</Say></Gather></Response>", 200), id="gather"),
        pytest.param(("this is not XML", 200), id="not-xml"),
        pytest.param(("<Response><Say>x</Say></Response>", 500), id="http-500"),
    ],
)
async def test_announcement_fail(
    sim: Simulator, rest: Rest, app: App, aclient: Client, reply: tuple[str, int]
) -> None:
    """Only <Say>, <Play> and <Pause> may be announced; anything else fails, as does a
    webhook error; the room carries on."""
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    url = app.on("/announce", reply[0], status=reply[1])
    updated = await aclient.conferences(room.sid).update_async(announce_url=url)
    assert updated.status == "in-progress"  # the request itself is fine
    await sim.advance(30)
    [fail] = event(app, "announcement-fail")
    assert set(fail.params) == ANNOUNCEMENT_FAIL
    assert fail.params["AnnounceUrl"] == url
    assert fail.params["ReasonAnnouncementFailed"]
    assert event(app, "announcement-end") == []
    [announcement] = room.announcements
    assert announcement["error"]
    # The room and its participants carry on.
    assert room.status == "in-progress"
    assert len(room.present()) == 2


async def test_participant_announcement_is_heard_by_that_participant_only(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    _host, guest, room = await two_in_a_room(sim, rest, app)
    url = app.on("/announce", "<Response><Say>Only for you</Say></Response>")
    await aclient.conferences(room.sid).participants(guest).update_async(announce_url=url)
    [announcement] = room.announcements
    assert announcement["heard_by"] == [guest]
    await sim.advance(5)
    [end] = event(app, "announcement-end")
    # A participant announcement carries the participant's parameters (reference §3.2).
    assert set(end.params) == PARTICIPANT | {"AnnounceUrl"}
    assert end.params["CallSid"] == guest


async def test_announcements_in_the_inspector(sim: Simulator, rest: Rest, app: App) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    url = app.on("/announce", f"<Response><Say>{SPEECH}</Say></Response>")
    status, _ = await rest.request(
        "POST", conference_path(room.sid), data={"AnnounceUrl": url, "AnnounceMethod": "POST"}
    )
    assert status == 200
    await sim.advance(SPEECH_SECONDS + 1)
    status, text = await sim_get(sim, "/_sim/calls")
    assert status == 200
    [data] = json.loads(text)["conferences"]
    assert (data["sid"], data["friendly_name"], data["status"]) == (room.sid, ROOM, "in-progress")
    [announcement] = data["announcements"]
    assert announcement["url"] == url
    assert announcement["heard_by"] == [host, guest]
    assert announcement["said"] == [SPEECH]
    assert announcement["at"] == 6
    assert announcement["ended_at"] == 6 + SPEECH_SECONDS
    kinds = [exchange["kind"] for exchange in data["exchanges"]]
    assert kinds.count("announce") == 1
    assert kinds.count("conference") == len(app.received("/conf"))
    assert [p["call_sid"] for p in data["participants"]] == [host, guest]
    assert [p["joined_at"] for p in data["participants"]] == [3, 5]
    assert [point["status"] for point in data["timeline"]] == ["init", "in-progress"]


# ----------------------------------------------------------------------------- billing


async def test_fee_is_per_participant_per_started_minute(
    sim: Simulator, rest: Rest, app: App
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, end=False))
    quitter = await dial_in(rest, app, QUITTER, conference(app, end=False))
    await sim.advance(5 + 30)  # QUITTER hangs up after 30 s in the room
    room = only_room(sim)
    assert sim.conferences.fee(room) == Decimal("0.3") * 2  # 32 s and 30 s so far: 1 + 1
    await sim.advance(64 - 35)
    status, _ = await rest.request("POST", conference_path(room.sid), data={"Status": "completed"})
    assert status == 200
    await sim.advance(1)
    seconds = {p.call_sid: p.seconds(sim.clock.now()) for p in room.participants.values()}
    assert seconds == {host: 61, quitter: 30}
    assert sim.conferences.fee(room) == Decimal("0.3") * (2 + 1)
    # The legs' own prices stay per leg, per started minute, with no fee in them.
    host_leg, quitter_leg = sim.call(host), sim.call(quitter)
    assert (host_leg.duration, quitter_leg.duration) == (61, 30)
    assert (await rest.fetch(host))["price"] == "-32.40000"  # 2 minutes of mobile
    assert (await rest.fetch(quitter))["price"] == "-16.20000"  # 1 minute
    # The fee no longer grows once everyone has left.
    await sim.advance(600)
    assert sim.conferences.fee(room) == Decimal("0.9")
    status, text = await sim_get(sim, "/_sim/calls")
    [data] = json.loads(text)["conferences"]
    assert Decimal(data["fee"]) == Decimal("0.9")
    assert data["fee_unit"] == "JPY"


@pytest.mark.parametrize("scenario", [conference_scenario(participant_rate=1.5)])
async def test_fee_uses_the_scenario_rate(sim: Simulator, rest: Rest, app: App) -> None:
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    await sim.advance(60)
    # HOST in for 63 s, GUEST for 61 s: two started minutes each.
    assert sim.conferences.fee(room) == Decimal("1.5") * 4


# ----------------------------------------------------------------------------- REST


async def _list_rooms(rest: Rest, **query: str) -> list[str]:
    status, body = await rest.request("GET", "/Conferences.json", params=query)
    assert status == 200, body
    assert body is not None
    return [room["sid"] for room in body["conferences"]]


async def test_conference_list_filters(
    sim: Simulator, rest: Rest, app: App, aclient: Client, client: Client
) -> None:
    host, _guest, first = await two_in_a_room(sim, rest, app)
    await rest.update(host, Status="completed")
    await dial_in(rest, app, LATE, conference(app, room="room-2", callback=None))
    await sim.advance(9)
    second = sim.conferences.active("room-2")
    assert second is not None
    assert await _list_rooms(rest) == [second.sid, first.sid]  # newest first
    assert await _list_rooms(rest, FriendlyName=ROOM) == [first.sid]
    assert await _list_rooms(rest, Status="completed") == [first.sid]
    assert await _list_rooms(rest, Status="init") == [second.sid]
    assert await _list_rooms(rest, Status="in-progress") == []
    assert await _list_rooms(rest, FriendlyName="room-2", Status="completed") == []
    found = await aclient.conferences.list_async(friendly_name="room-2", status="init")
    assert [room.sid for room in found] == [second.sid]
    done = await asyncio.to_thread(client.conferences.list, status="completed")
    assert [room.sid for room in done] == [first.sid]
    assert done[0].friendly_name == ROOM
    assert done[0].date_created is not None  # the SDK parsed the RFC 2822 dates


async def test_conference_json(sim: Simulator, rest: Rest, app: App) -> None:
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    status, body = await rest.request("GET", conference_path(room.sid))
    assert status == 200
    assert body is not None
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences/{room.sid}"
    assert body["uri"] == f"{base}.json"
    assert body["subresource_uris"]["participants"] == f"{base}/Participants.json"
    assert body["account_sid"] == ACCOUNT_SID
    assert body["api_version"] == "2010-04-01"
    assert body["reason_conference_ended"] is None
    assert body["call_sid_ending_conference"] is None
    created = parsedate_to_datetime(body["date_created"])
    assert created == sim.clock.wall(3)


async def test_participants_list_fetch_and_update(
    sim: Simulator, rest: Rest, app: App, aclient: Client, client: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app)
    status, body = await rest.request("GET", f"/Conferences/{room.sid}/Participants.json")
    assert status == 200
    assert body is not None
    records = body["participants"]
    assert [p["call_sid"] for p in records] == [host, guest]
    assert records[0]["label"] == "host"
    assert records[0]["status"] == "connected"
    assert records[0]["conference_sid"] == room.sid
    assert records[0]["uri"] == (
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences/{room.sid}/Participants/{host}.json"
    )
    fetched = await aclient.conferences(room.sid).participants(guest).fetch_async()
    assert (fetched.call_sid, fetched.muted, fetched.hold) == (guest, False, False)
    by_label = await aclient.conferences(room.sid).participants("host").fetch_async()
    assert by_label.call_sid == host  # the label identifies a participant too

    muted = await asyncio.to_thread(
        client.conferences(room.sid).participants(guest).update, muted=True
    )
    assert muted.muted is True
    held = await aclient.conferences(room.sid).participants(host).update_async(hold=True)
    assert held.hold is True
    await sim.advance(0)
    assert events(app)[-2:] == ["participant-mute", "participant-hold"]
    listed = await aclient.conferences(room.sid).participants.list_async(muted=True)
    assert [p.call_sid for p in listed] == [guest]
    listed = await asyncio.to_thread(client.conferences(room.sid).participants.list, hold=True)
    assert [p.call_sid for p in listed] == [host]
    # Setting the same value again sends nothing.
    await aclient.conferences(room.sid).participants(guest).update_async(muted=True)
    await sim.advance(0)
    assert events(app).count("participant-mute") == 1
    await aclient.conferences(room.sid).participants(guest).update_async(muted=False)
    await aclient.conferences(room.sid).participants(host).update_async(hold=False)
    await sim.advance(0)
    assert events(app)[-2:] == ["participant-unmute", "participant-unhold"]


async def test_participant_update_end_conference_on_exit(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app, end=False)
    updated = (
        await aclient.conferences(room.sid)
        .participants(guest)
        .update_async(end_conference_on_exit=True)
    )
    assert updated.end_conference_on_exit is True
    await rest.update(guest, Status="completed")
    await sim.advance(0)
    # GUEST now ends the room when it leaves, and HOST goes with it.
    assert room.reason_ended == "participant-with-end-conference-on-exit-left"
    assert room.call_sid_ending == guest
    assert sim.call(host).status == "completed"


async def test_participant_delete_kicks_and_its_action_runs(
    sim: Simulator, rest: Rest, app: App, client: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app, end=False)
    assert await asyncio.to_thread(client.conferences(room.sid).participants(guest).delete)
    await sim.advance(0)
    [leave] = event(app, "participant-leave")
    assert leave.params["CallSid"] == guest
    assert leave.params["ReasonParticipantLeft"] == "participant_updated_via_api"
    assert _dial_results(app)[guest]["DialCallStatus"] == "answered"
    assert sim.call(guest).status == "completed"  # its action answered <Hangup/>
    assert room.status == "in-progress"
    # Gone from the room: listed no more, and unknown to fetch, update and delete.
    listed = await asyncio.to_thread(client.conferences(room.sid).participants.list)
    assert [p.call_sid for p in listed] == [host]
    for method, data in (("GET", None), ("POST", {"Muted": "true"}), ("DELETE", None)):
        status, body = await rest.request(method, participant_path(room.sid, guest), data=data)
        assert (status, body and body["code"]) == (404, 20404), method
    assert "participant-mute" not in events(app)


async def test_participant_create_dials_out_into_a_room(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host = await dial_in(rest, app, HOST, conference(app, label="host", events="start end join"))
    await sim.advance(4)
    room = only_room(sim)
    participant = await aclient.conferences(ROOM).participants.create_async(
        from_=NUMBER,
        to=GUEST,
        label="guest",
        start_conference_on_enter=True,
        end_conference_on_exit=True,
        status_callback=app.url("/guest-status"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        conference_status_callback=app.url("/ignored"),
        conference_status_callback_event=["leave"],
        timeout=30,
    )
    assert re.fullmatch(r"CA[0-9a-f]{32}", participant.call_sid)
    assert participant.status == "queued"
    assert participant.label == "guest"
    assert participant.conference_sid == room.sid
    assert (participant.start_conference_on_enter, participant.end_conference_on_exit) == (
        True,
        True,
    )
    leg = sim.call(participant.call_sid)
    assert (leg.to, leg.from_, leg.direction) == (GUEST, NUMBER, "outbound-api")
    await sim.advance(4.9)
    assert room.status == "init"  # still ringing
    await sim.advance(0.1)
    assert room.status == "in-progress"
    [_, join] = event(app, "participant-join")
    assert join.params["CallSid"] == participant.call_sid
    assert join.params["ParticipantLabel"] == "guest"
    assert join.params["EndConferenceOnExit"] == "true"
    assert join.at == 4 + 5
    # The room's callback is the first participant's: nothing reaches the later one's.
    assert app.received("/ignored") == []
    # The new leg's own call-progress callbacks.
    assert app.statuses("/guest-status") == ["initiated", "ringing", "in-progress"]
    # No answer webhook: the leg went straight into the room.
    assert {hit.path for hit in app.hits if hit.params.get("CallSid") == leg.sid} == {
        "/guest-status",
        "/conf",
    }
    # The added participant has endConferenceOnExit: hanging it up ends the room, and the
    # leg (which has no <Dial> to return to) is hung up when it leaves.
    await aclient.calls(leg.sid).update_async(status="completed")
    await sim.advance(1)
    assert room.reason_ended == "participant-with-end-conference-on-exit-left"
    assert app.statuses("/guest-status")[-1] == "completed"
    assert _dial_results(app)[host]["DialCallStatus"] == "answered"


async def test_participant_create_into_a_new_room_by_name(
    sim: Simulator, rest: Rest, app: App, client: Client
) -> None:
    created = await asyncio.to_thread(
        client.conferences("fresh").participants.create,
        from_=NUMBER,
        to=GUEST,
        conference_status_callback=app.url("/fresh"),
        conference_status_callback_event=["start", "end", "join", "leave"],
        conference_status_callback_method="GET",
    )
    assert created.conference_sid is None  # the room exists once someone is in it
    assert sim.conferences.rooms == {}
    second = await asyncio.to_thread(
        client.conferences("fresh").participants.create, from_=NUMBER, to=LATE, muted=True
    )
    await sim.advance(8)
    room = only_room(sim)
    assert room.friendly_name == "fresh"
    assert room.status == "in-progress"
    hits = app.received("/fresh")
    assert [hit.params["StatusCallbackEvent"] for hit in hits] == [
        "participant-join",
        "participant-join",
        "conference-start",
    ]
    assert {hit.method for hit in hits} == {"GET"}  # ConferenceStatusCallbackMethod
    assert all(hit.signed() for hit in hits)
    assert hits[1].params["CallSid"] == second.call_sid
    assert hits[1].params["Muted"] == "true"
    # Kicking an added participant hangs its call up.
    await asyncio.to_thread(client.conferences(room.sid).participants(second.call_sid).delete)
    await sim.advance(0)
    assert sim.call(second.call_sid).status == "completed"
    assert sim.call(second.call_sid).duration == 0


async def test_participant_create_with_start_conference_on_enter_false(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    await dial_in(rest, app, HOST, conference(app, start=False))
    await sim.advance(4)
    room = only_room(sim)
    created = await aclient.conferences(ROOM).participants.create_async(
        from_=NUMBER, to=GUEST, start_conference_on_enter=False, label="waiting"
    )
    assert created.start_conference_on_enter is False
    await sim.advance(10)
    assert len(room.present()) == 2
    assert room.status == "init"  # neither may start it
    fetched = await aclient.conferences(room.sid).participants("waiting").fetch_async()
    assert (fetched.call_sid, fetched.start_conference_on_enter) == (created.call_sid, False)
    assert event(app, "participant-join")[1].params["StartConferenceOnEnter"] == "false"


async def test_participant_create_that_is_never_answered(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    host = await dial_in(rest, app, HOST, conference(app))
    created = await aclient.conferences(ROOM).participants.create_async(
        from_=NUMBER, to=RINGS_OUT, timeout=10
    )
    await sim.advance(20)
    room = only_room(sim)
    assert [p.call_sid for p in room.present()] == [host]
    assert sim.call(created.call_sid).status == "no-answer"
    assert room.status == "init"
    assert sim.engine.joiners == {}  # nothing left waiting for an answer


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param({"From": NUMBER}, 21201, id="no-to"),
        pytest.param({"To": GUEST}, 21213, id="no-from"),
        pytest.param({"To": GUEST, "From": "+819099998888"}, 21210, id="not-our-number"),
        pytest.param(
            {"To": GUEST, "From": NUMBER, "StatusCallbackEvent": "hungup"}, 21626, id="bad-event"
        ),
    ],
)
async def test_participant_create_errors(
    sim: Simulator, rest: Rest, data: dict[str, str], code: int
) -> None:
    status, body = await rest.request("POST", f"/Conferences/{ROOM}/Participants.json", data=data)
    assert status == 400
    assert body is not None
    assert body["code"] == code
    assert sim.calls == []


async def test_unknown_conferences_and_participants_are_20404(
    sim: Simulator, rest: Rest, app: App, aclient: Client, client: Client
) -> None:
    missing = "CF" + "0" * 32
    host, _guest, room = await two_in_a_room(sim, rest, app)
    requests: list[tuple[str, str, dict[str, str] | None]] = [
        ("GET", conference_path(missing), None),
        ("POST", conference_path(missing), {"Status": "completed"}),
        ("GET", conference_path("no-such-room"), None),
        ("GET", f"/Conferences/{missing}/Participants.json", None),
        ("POST", f"/Conferences/{missing}/Participants.json", {"From": NUMBER, "To": GUEST}),
        ("GET", participant_path(room.sid, "CA" + "0" * 32), None),
        ("POST", participant_path(room.sid, "CA" + "0" * 32), {"Muted": "true"}),
        ("DELETE", participant_path(room.sid, "CA" + "0" * 32), None),
        ("GET", participant_path(missing, host), None),
    ]
    for method, path, data in requests:
        status, body = await rest.request(method, path, data=data)
        assert status == 404, (method, path)
        assert body is not None
        assert body["code"] == 20404
        assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"
    with pytest.raises(TwilioRestException) as caught:
        await aclient.conferences(missing).fetch_async()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as caught:
        await asyncio.to_thread(client.conferences(room.sid).participants("CA" + "1" * 32).fetch)
    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert len(sim.calls) == 2  # the 404 create dialed nobody


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param({"Status": "in-progress"}, 20001, id="status-in-progress"),
        pytest.param({"Status": "bogus"}, 20001, id="status-bogus"),
        pytest.param({"AnnounceUrl": "ftp://example.com/a.xml"}, 21205, id="announce-ftp"),
        pytest.param({"AnnounceUrl": "not a url"}, 21205, id="announce-garbage"),
    ],
)
async def test_bad_conference_updates_are_4xx(
    sim: Simulator, rest: Rest, app: App, data: dict[str, str], code: int
) -> None:
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    status, body = await rest.request("POST", conference_path(room.sid), data=data)
    assert status == 400
    assert body is not None
    assert body["code"] == code
    assert room.status == "in-progress"
    assert room.announcements == []


@pytest.mark.parametrize(
    "data",
    [
        {"Muted": "maybe"},
        {"Hold": "2"},
        {"AnnounceUrl": "ftp://example.com/a.xml"},
        {"EndConferenceOnExit": "sometimes"},
    ],
)
async def test_bad_participant_updates_are_4xx(
    sim: Simulator, rest: Rest, app: App, data: dict[str, str]
) -> None:
    _host, guest, room = await two_in_a_room(sim, rest, app)
    status, body = await rest.request("POST", participant_path(room.sid, guest), data=data)
    assert 400 <= status < 500
    assert body is not None
    assert body["status"] == status
    participant = room.participants[guest]
    assert (participant.muted, participant.hold, participant.end_on_exit) == (False, False, True)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# (method, path under the account, with {room} and {call} filled in, headers, body)
GARBAGE: list[tuple[str, str, dict[str, str], bytes]] = [
    ("POST", "/Conferences/{room}.json", FORM, b"\xff\xfe=\xff"),
    ("POST", "/Conferences/{room}.json", {"Content-Type": "multipart/form-data"}, b"--x"),
    ("POST", "/Conferences/{room}.json", FORM, b"Status=&AnnounceUrl="),
    ("POST", "/Conferences/{room}.json", FORM, b"AnnounceUrl=http%3A%2F%2F"),
    ("GET", "/Conferences.json?PageSize=abc", {}, b""),
    ("GET", "/Conferences.json?Page=99999999999999999999999", {}, b""),
    ("GET", "/Conferences.json?Status=exploded", {}, b""),
    ("GET", "/Conferences/{room}/Participants.json?Muted=perhaps", {}, b""),
    ("POST", "/Conferences/{room}/Participants.json", FORM, b"%%%&&&==="),
    ("POST", "/Conferences/{room}/Participants.json", FORM, b"From=x&To=y&Timeout=nan"),
    ("POST", "/Conferences/{room}/Participants.json", FORM, b"StartConferenceOnEnter=yes"),
    ("POST", "/Conferences/{room}/Participants/{call}.json", FORM, b"Muted=%ff"),
    ("POST", "/Conferences/{room}/Participants/{call}.json", FORM, b"AnnounceUrl=%00"),
    ("PUT", "/Conferences/{room}.json", {}, b""),
    ("DELETE", "/Conferences/{room}.json", {}, b""),
    ("GET", "/Conferences/{room}/Participants/" + "Z" * 5000 + ".json", {}, b""),
    ("GET", "/Conferences/..%2F..%2Fetc/Participants.json", {}, b""),
]


@pytest.mark.parametrize(
    "garbage", GARBAGE, ids=[f"{i}-{m}-{p[-28:]}" for i, (m, p, _, _) in enumerate(GARBAGE)]
)
async def test_garbage_conference_requests_never_give_500(
    sim: Simulator, rest: Rest, app: App, garbage: tuple[str, str, dict[str, str], bytes]
) -> None:
    method, path, headers, body = garbage
    host, guest, room = await two_in_a_room(sim, rest, app)
    url = sim.url + rest.base + path.format(room=room.sid, call=guest)
    auth = aiohttp.BasicAuth(ACCOUNT_SID, AUTH_TOKEN)
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            aiohttp.client.URL(url, encoded=True),
            data=body or None,
            headers=headers,
            auth=auth,
        ) as response,
    ):
        assert response.status < 500, await response.text()
        if response.status >= 400:
            error = await response.json()
            assert set(error) == {"code", "message", "more_info", "status"}
            assert error["status"] == response.status
    # Nothing garbage changed the room or dialed anyone.
    assert len(sim.calls) == 2
    assert room.status == "in-progress"
    assert [p.call_sid for p in room.present()] == [host, guest]
    assert not room.participants[guest].muted


async def test_every_conference_operation_through_both_clients_conforms(
    sim: Simulator, rest: Rest, app: App, client: Client, aclient: Client
) -> None:
    host, guest, room = await two_in_a_room(sim, rest, app, end=False)
    url = app.on("/announce", "<Response><Say>Hi</Say></Response>")
    start = len(CHECKED)

    await aclient.conferences.list_async(friendly_name=ROOM)
    await asyncio.to_thread(client.conferences.list, status="in-progress")
    await aclient.conferences(room.sid).fetch_async()
    await asyncio.to_thread(client.conferences(room.sid).fetch)
    await aclient.conferences(room.sid).update_async(announce_url=url)
    await asyncio.to_thread(client.conferences(room.sid).update, announce_url=url)
    await aclient.conferences(room.sid).participants.list_async()
    await asyncio.to_thread(client.conferences(room.sid).participants.list)
    await aclient.conferences(room.sid).participants(host).fetch_async()
    await asyncio.to_thread(client.conferences(room.sid).participants(guest).fetch)
    await aclient.conferences(room.sid).participants(host).update_async(muted=True)
    await asyncio.to_thread(client.conferences(room.sid).participants(guest).update, hold=True)
    one = await aclient.conferences(room.sid).participants.create_async(from_=NUMBER, to=LATE)
    two = await asyncio.to_thread(
        client.conferences(room.sid).participants.create, from_=NUMBER, to=GUEST
    )
    await sim.advance(9)
    assert await aclient.conferences(room.sid).participants(one.call_sid).delete_async()
    assert await asyncio.to_thread(client.conferences(room.sid).participants(two.call_sid).delete)
    await asyncio.to_thread(client.conferences(room.sid).update, status="completed")
    await aclient.conferences(room.sid).update_async(status="completed")

    seen = [operation_for(c.method, c.path)["operationId"] for c in CHECKED[start:]]
    assert sorted(set(seen)) == [
        "CreateParticipant",
        "DeleteParticipant",
        "FetchConference",
        "FetchParticipant",
        "ListConference",
        "ListParticipant",
        "UpdateConference",
        "UpdateParticipant",
    ]
    assert len(seen) == 18
    statuses = {(name, c.status) for name, c in zip(seen, CHECKED[start:], strict=True)}
    assert ("CreateParticipant", 201) in statuses
    assert ("DeleteParticipant", 204) in statuses
    assert {status for _, status in statuses} == {200, 201, 204}


async def test_reset_forgets_rooms(sim: Simulator, rest: Rest, app: App) -> None:
    _host, _guest, room = await two_in_a_room(sim, rest, app)
    app.on("/announce", f"<Response><Say>{SPEECH}</Say></Response>")
    await rest.request(
        "POST", conference_path(room.sid), data={"AnnounceUrl": app.url("/announce")}
    )
    await sim.reset()
    assert sim.conferences.rooms == {}
    heard = len(app.hits)
    await sim.advance(600)
    assert len(app.hits) == heard  # the announcement's end died with the reset
    assert await _list_rooms(rest) == []


# ----------------------------------------------------------------------------- inspector page


async def test_html_page_shows_each_room(sim: Simulator, rest: Rest, app: App) -> None:
    status, page = await sim_get(sim, "/_sim/")
    assert status == 200
    assert "Conferences" not in page  # no rooms, no section
    host, guest, room = await two_in_a_room(sim, rest, app, end=False)
    app.on("/announce", "<Response><Say>Hello &lt;there&gt;</Say></Response>")
    app.on("/broken", HANGUP)
    for path in ("/announce", "/broken"):
        await rest.request("POST", conference_path(room.sid), data={"AnnounceUrl": app.url(path)})
    await sim.advance(10)
    await rest.request("POST", participant_path(room.sid, guest), data={"Muted": "true"})
    await rest.request("POST", conference_path(room.sid), data={"Status": "completed"})
    await sim.advance(1)
    status, page = await sim_get(sim, "/_sim/")
    assert status == 200
    section = page[page.index("<h2>Conferences</h2>") :]
    [room_html] = section.split('<div class="conference">')[1:]
    # The room: SID, name, status and why it ended, its fee (two participants, a minute each).
    assert f"{room.sid} · {ROOM} · completed (conference-ended-via-api) · fee 0.6 JPY" in room_html
    assert ">init<" in room_html
    assert ">in-progress<" in room_html
    # Each participant's time in the room, with its label and state.
    assert f"{host} (host) · 13 s in the room" in room_html
    assert f"{guest} · 11 s in the room · muted" in room_html
    assert room_html.count(">in-room<") == 2
    # The announcements: who heard what (escaped, as said), and the one that failed.
    assert f"to {host}, {guest}: “Hello &lt;there&gt;”" in room_html
    assert "failed: an announcement may only &lt;Say&gt;" in room_html
    assert room_html.count('class="tick say"') == 2
    assert room_html.count('class="tick"') == len(room.exchanges)
