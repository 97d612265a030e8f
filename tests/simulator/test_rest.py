"""REST API v2010: Calls create/fetch/list/update/delete, IncomingPhoneNumbers, auth, errors.

Every JSON body these tests receive (raw or through the SDK) is validated against the spec
by the fixtures; the assertions here check what the values mean.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.harness import Simulator

from .support import (
    ACCOUNT_SID,
    ALL_EVENTS,
    API_KEY,
    API_SECRET,
    AUTH_TOKEN,
    BUSY,
    CHECKED,
    NO_ANSWER,
    NUMBER,
    OTHER_NUMBER,
    SHORT,
    A,
    App,
    B,
    CheckedAsyncHttpClient,
    Rest,
    base_scenario,
    rfc2822_seconds,
)

SUBRESOURCES = {
    "notifications": "Notifications",
    "recordings": "Recordings",
    "payments": "Payments",
    "events": "Events",
    "siprec": "Siprec",
    "streams": "Streams",
    "transcriptions": "Transcriptions",
    "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
    "user_defined_messages": "UserDefinedMessages",
}
HOLD = "<Response><Pause length='3600'/></Response>"  # keeps an answered call up


# ----------------------------------------------------------------------------- create


async def test_create_answers_201_with_a_queued_call_in_twilio_shape(
    sim: Simulator, rest: Rest, app: App
) -> None:
    body = await rest.create(To=A, From=NUMBER, Url=app.on("/answer", HOLD))
    sid = body["sid"]
    assert re.fullmatch(r"CA[0-9a-f]{32}", sid)
    assert body["status"] == "queued"
    assert body["to"] == A
    assert body["from"] == NUMBER
    assert body["direction"] == "outbound-api"
    assert body["api_version"] == "2010-04-01"
    assert body["account_sid"] == ACCOUNT_SID
    assert body["parent_call_sid"] is None
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}"
    assert body["uri"] == f"{base}.json"
    assert body["subresource_uris"] == {k: f"{base}/{v}.json" for k, v in SUBRESOURCES.items()}
    # Not dialed, not answered, not billed yet.
    for key in ("start_time", "end_time", "duration", "price", "answered_by"):
        assert body[key] is None, key
    assert body["price_unit"] == "JPY"
    created = rfc2822_seconds(body["date_created"])
    assert abs(created - sim.clock.wall().timestamp()) < 1
    # Non-North-American numbers are formatted in E.164 (spec: to_formatted/from_formatted).
    assert body["to_formatted"] == A
    assert body["from_formatted"] == NUMBER


async def test_create_options_take_effect(sim: Simulator, rest: Rest, app: App) -> None:
    answer = app.on("/answer", HOLD)
    data = [
        ("To", A),
        ("From", NUMBER),
        ("Url", answer),
        ("Method", "GET"),
        ("StatusCallback", app.url("/status")),
        *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
        ("StatusCallbackMethod", "GET"),
        ("Timeout", "20"),
        ("TimeLimit", "120"),
        ("MachineDetection", "Enable"),
    ]
    sid = (await rest.create(data))["sid"]
    await sim.advance(3 + 120 + 1)

    voice = app.received("/answer")
    assert [hit.method for hit in voice] == ["GET"]  # Method
    assert voice[0].params["AnsweredBy"] == "human"  # MachineDetection
    status = app.received("/status")
    assert {hit.method for hit in status} == {"GET"}  # StatusCallbackMethod
    # Every requested event (answered arrives as in-progress).
    assert [hit.params["CallStatus"] for hit in status] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    call = await rest.fetch(sid)
    assert call["status"] == "completed"
    assert call["duration"] == "120"  # TimeLimit counts from the answer
    assert call["answered_by"] == "human"

    # Timeout: an unanswered phone rings for Timeout seconds.
    sid = (await rest.create(To=NO_ANSWER, From=NUMBER, Url=answer, Timeout="20"))["sid"]
    await sim.advance(30)
    call = await rest.fetch(sid)
    assert call["status"] == "no-answer"
    assert rfc2822_seconds(call["end_time"]) - rfc2822_seconds(call["start_time"]) == 20


async def test_create_with_twiml_makes_no_request(sim: Simulator, rest: Rest, app: App) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Twiml="<Response><Pause length='5'/></Response>"))[
        "sid"
    ]
    await sim.advance(3 + 5)
    assert app.hits == []
    call = await rest.fetch(sid)
    assert call["status"] == "completed"
    assert call["duration"] == "5"


async def test_create_with_url_and_twiml_uses_url(sim: Simulator, rest: Rest, app: App) -> None:
    url = app.on("/answer", "<Response><Hangup/></Response>")
    sid = (
        await rest.create(
            To=A, From=NUMBER, Url=url, Twiml="<Response><Pause length='50'/></Response>"
        )
    )["sid"]
    await sim.advance(4)
    assert len(app.received("/answer")) == 1
    assert (await rest.fetch(sid))["duration"] == "0"


async def test_sdk_create_and_fetch_sync_and_async(
    sim: Simulator, client: Client, aclient: Client, app: App
) -> None:
    url = app.on("/answer", HOLD)
    created = await aclient.calls.create_async(
        to=A,
        from_=NUMBER,
        url=url,
        status_callback=app.url("/status"),
        status_callback_event=ALL_EVENTS,
        timeout=30,
        time_limit=600,
    )
    assert created.status == "queued"
    assert isinstance(created.date_created, datetime)  # the SDK parsed the RFC 2822 date
    await sim.advance(10)
    fetched = await asyncio.to_thread(client.calls(created.sid).fetch)
    assert fetched.sid == created.sid
    assert fetched.status == "in-progress"
    assert fetched.start_time is not None
    assert (fetched.start_time - created.date_created).total_seconds() == 0
    fetched_async = await aclient.calls(created.sid).fetch_async()
    assert fetched_async.status == "in-progress"
    synced = await asyncio.to_thread(
        client.calls.create, to=SHORT, from_=NUMBER, url=url, method="POST"
    )
    assert synced.status == "queued"
    await sim.advance(12)
    done = await asyncio.to_thread(client.calls(synced.sid).fetch)
    assert done.status == "completed"
    assert done.duration == "10"


# ----------------------------------------------------------------------------- list


async def _finished_calls(sim: Simulator, rest: Rest, app: App) -> dict[str, str]:
    """Three calls: to A (completed), to BUSY (busy), to SHORT (completed); then run out."""
    url = app.on("/answer", "<Response><Pause length='5'/></Response>")
    sids = {
        "a": (await rest.create(To=A, From=NUMBER, Url=url))["sid"],
        "busy": (await rest.create(To=BUSY, From=NUMBER, Url=url))["sid"],
        "short": (await rest.create(To=SHORT, From=OTHER_NUMBER, Url=url))["sid"],
    }
    await sim.run_until_idle()
    return sids


async def _list(rest: Rest, **query: str) -> list[str]:
    status, body = await rest.request("GET", "/Calls.json", params=query)
    assert status == 200, body
    assert body is not None
    return [call["sid"] for call in body["calls"]]


async def test_list_filters(sim: Simulator, rest: Rest, app: App) -> None:
    sids = await _finished_calls(sim, rest, app)
    assert await _list(rest) == [sids["short"], sids["busy"], sids["a"]]  # newest first
    assert await _list(rest, To=A) == [sids["a"]]
    assert await _list(rest, From=OTHER_NUMBER) == [sids["short"]]
    assert await _list(rest, Status="busy") == [sids["busy"]]
    assert set(await _list(rest, Status="completed")) == {sids["a"], sids["short"]}
    today = sim.clock.wall().date()
    assert len(await _list(rest, StartTime=today.isoformat())) == 3
    assert await _list(rest, StartTime=(today + timedelta(days=1)).isoformat()) == []
    assert len(await _list(rest, **{"StartTime>": today.isoformat()})) == 3
    assert await _list(rest, **{"StartTime<": (today - timedelta(days=1)).isoformat()}) == []


async def test_list_parent_call_sid(sim: Simulator, rest: Rest, app: App) -> None:
    url = app.on("/answer", f"<Response><Dial><Number>{B}</Number></Dial></Response>")
    parent = (await rest.create(To=A, From=NUMBER, Url=url))["sid"]
    other = (await rest.create(To=SHORT, From=NUMBER, Url=url))["sid"]
    await sim.advance(5)
    children = [leg.sid for leg in sim.children(parent)]
    assert len(children) == 1
    assert await _list(rest, ParentCallSid=parent) == children
    assert await _list(rest, ParentCallSid=other) == [leg.sid for leg in sim.children(other)]


async def test_sdk_list_filters_with_dates(
    sim: Simulator, rest: Rest, app: App, aclient: Client, client: Client
) -> None:
    sids = await _finished_calls(sim, rest, app)
    now = sim.clock.wall()
    # The SDK sends dates as 2026-01-02T00:00:00Z, whatever was given.
    today = await aclient.calls.list_async(start_time=now.date())
    assert {call.sid for call in today} == set(sids.values())
    by_datetime = await aclient.calls.list_async(start_time=now)
    assert {call.sid for call in by_datetime} == set(sids.values())
    tomorrow = await aclient.calls.list_async(start_time=now + timedelta(days=1))
    assert tomorrow == []
    before = await asyncio.to_thread(client.calls.list, start_time_before=now - timedelta(days=1))
    assert before == []
    after = await asyncio.to_thread(client.calls.list, start_time_after=now, status="busy")
    assert [call.sid for call in after] == [sids["busy"]]
    to_a = await asyncio.to_thread(client.calls.list, to=A, from_=NUMBER)
    assert [call.sid for call in to_a] == [sids["a"]]


async def test_paging_keys_as_twilio_sends_them(sim: Simulator, rest: Rest) -> None:
    for _ in range(7):
        await rest.create(To=A, From=NUMBER, Twiml=HOLD)
    status, first = await rest.request("GET", "/Calls.json", params={"PageSize": "3"})
    assert status == 200
    assert first is not None
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 3, 0, 2)
    assert len(first["calls"]) == 3
    assert first["previous_page_uri"] is None
    for key in ("uri", "first_page_uri", "next_page_uri"):
        assert first[key].startswith(base + "?"), key
    assert parse_qs(urlsplit(first["next_page_uri"]).query)["Page"] == ["1"]
    seen = [call["sid"] for call in first["calls"]]
    page = first
    while page["next_page_uri"]:
        status, page = await rest.request("GET", page["next_page_uri"])
        assert status == 200
        assert page is not None
        seen += [call["sid"] for call in page["calls"]]
        assert page["previous_page_uri"] is not None
    assert (page["page"], page["start"], page["end"], len(page["calls"])) == (2, 6, 6, 1)
    assert len(set(seen)) == 7
    assert seen == [leg.sid for leg in reversed(sim.calls)]


async def test_sdk_follows_next_page_uri(
    sim: Simulator, rest: Rest, aclient: Client, client: Client
) -> None:
    for _ in range(7):
        await rest.create(To=A, From=NUMBER, Twiml=HOLD)
    before = len(CHECKED)
    calls = await aclient.calls.list_async(limit=7, page_size=3)
    assert len({call.sid for call in calls}) == 7
    pages = [c for c in CHECKED[before:] if c.path.endswith("/Calls.json")]
    assert len(pages) == 3  # three pages requested, following next_page_uri
    five = await asyncio.to_thread(client.calls.list, limit=5, page_size=2)
    assert [call.sid for call in five] == [call.sid for call in calls[:5]]


# ----------------------------------------------------------------------------- update


async def test_update_cancel_a_ringing_call(sim: Simulator, rest: Rest, app: App) -> None:
    url = app.on("/answer", HOLD)
    sid = (await rest.create(To=A, From=NUMBER, Url=url))["sid"]
    await sim.advance(1)
    status, body = await rest.update(sid, Status="canceled")
    assert status == 200
    assert body is not None
    assert body["status"] == "canceled"
    await sim.advance(10)
    assert app.received("/answer") == []  # never answered
    assert (await rest.fetch(sid))["duration"] is None


async def test_update_completed_hangs_up_and_canceled_does_not(
    sim: Simulator, rest: Rest, app: App, aclient: Client
) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Url=app.on("/answer", HOLD)))["sid"]
    await sim.advance(3 + 20)
    unchanged = await aclient.calls(sid).update_async(status="canceled")
    assert unchanged.status == "in-progress"  # canceled only affects queued/ringing calls
    ended = await aclient.calls(sid).update_async(status="completed")
    assert ended.status == "completed"
    assert ended.duration == "20"
    assert ended.price == "-16.20000"
    assert ended.price_unit == "JPY"


async def test_update_url_and_method_redirects(
    sim: Simulator, rest: Rest, app: App, client: Client
) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Url=app.on("/answer", HOLD)))["sid"]
    await sim.advance(5)
    url = app.on("/next", "<Response><Pause length='7'/><Hangup/></Response>")
    call = await asyncio.to_thread(client.calls(sid).update, url=url, method="GET")
    assert call.status == "in-progress"
    hits = app.received("/next")
    assert [hit.method for hit in hits] == ["GET"]
    assert hits[0].params["CallSid"] == sid
    await sim.advance(7)
    assert (await rest.fetch(sid))["duration"] == str(5 - 3 + 7)


async def test_update_twiml_replaces_the_running_document(
    sim: Simulator, rest: Rest, app: App
) -> None:
    answer = app.on("/answer", "<Response><Pause length='30'/><Say>never said</Say></Response>")
    sid = (await rest.create(To=A, From=NUMBER, Url=answer))["sid"]
    await sim.advance(3 + 10)
    status, _ = await rest.update(sid, Twiml="<Response><Pause length='40'/></Response>")
    assert status == 200
    # The old <Pause> would have ended at 30 s; the new document runs its full 40 s.
    await sim.advance(25)
    assert (await rest.fetch(sid))["status"] == "in-progress"
    await sim.advance(15)
    assert (await rest.fetch(sid))["duration"] == str(10 + 40)


async def test_update_time_limit_applies_to_a_running_call(
    sim: Simulator, rest: Rest, app: App
) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Url=app.on("/answer", HOLD)))["sid"]
    await sim.advance(3 + 10)
    status, body = await rest.update(sid, TimeLimit="30")
    assert status == 200
    assert body is not None
    assert body["status"] == "in-progress"
    await sim.advance(30)
    assert (await rest.fetch(sid))["duration"] == "30"


async def test_update_errors(sim: Simulator, rest: Rest, app: App, aclient: Client) -> None:
    sid = (await rest.create(To=SHORT, From=NUMBER, Url=app.on("/answer", HOLD)))["sid"]
    await sim.advance(20)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls(sid).update_async(url=app.url("/answer"))
    assert (caught.value.status, caught.value.code) == (400, 21220)
    status, body = await rest.update(sid, Url=app.url("/x"), Twiml="<Response/>")
    assert status == 400
    assert body is not None
    assert body["code"] == 21205
    status, body = await rest.update("CA" + "f" * 32, Status="completed")
    assert (status, body and body["code"]) == (404, 20404)


# ----------------------------------------------------------------------------- delete


async def test_delete(sim: Simulator, rest: Rest, app: App, aclient: Client) -> None:
    sid = (await rest.create(To=A, From=NUMBER, Url=app.on("/answer", HOLD)))["sid"]
    await sim.advance(5)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls(sid).delete_async()
    assert caught.value.status == 400
    assert caught.value.code == 21220
    await rest.update(sid, Status="completed")
    status, body = await rest.request("DELETE", f"/Calls/{sid}.json")
    assert (status, body) == (204, None)
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls(sid).fetch_async()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    other = (await rest.create(To=BUSY, From=NUMBER, Url=app.url("/answer")))["sid"]
    await sim.advance(5)
    assert await aclient.calls(other).delete_async() is True


# ----------------------------------------------------------------------------- numbers


async def test_incoming_phone_numbers(
    sim: Simulator, rest: Rest, aclient: Client, client: Client
) -> None:
    status, body = await rest.request("GET", "/IncomingPhoneNumbers.json")
    assert status == 200
    assert body is not None
    assert [n["phone_number"] for n in body["incoming_phone_numbers"]] == [NUMBER, OTHER_NUMBER]
    for number in body["incoming_phone_numbers"]:
        assert number["account_sid"] == ACCOUNT_SID
        assert number["capabilities"]["voice"] is True
        assert number["uri"] == (
            f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{number['sid']}.json"
        )
    status, body = await rest.request(
        "GET", "/IncomingPhoneNumbers.json", params={"PhoneNumber": OTHER_NUMBER}
    )
    assert body is not None
    assert [n["phone_number"] for n in body["incoming_phone_numbers"]] == [OTHER_NUMBER]
    found = await aclient.incoming_phone_numbers.list_async(phone_number=NUMBER)
    assert [n.phone_number for n in found] == [NUMBER]
    everything = await asyncio.to_thread(client.incoming_phone_numbers.list)
    assert len(everything) == 2
    none = await aclient.incoming_phone_numbers.list_async(phone_number="+819099999999")
    assert none == []


# ----------------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "auth",
    [
        None,
        (ACCOUNT_SID, "wrong-token"),
        (API_KEY, "wrong-secret"),
        ("SK00000000000000000000000000000000", API_SECRET),
        ("AC11111111111111111111111111111111", AUTH_TOKEN),
    ],
)
async def test_bad_credentials_are_refused(sim: Simulator, rest: Rest, auth: Any) -> None:
    status, body = await rest.request("GET", "/Calls.json", auth=auth)
    assert status == 401
    assert body is not None
    assert body["code"] == 20003


async def test_auth_with_account_sid_or_api_key(sim: Simulator, rest: Rest) -> None:
    for auth in ((ACCOUNT_SID, AUTH_TOKEN), (API_KEY, API_SECRET)):
        status, _ = await rest.request("GET", "/Calls.json", auth=auth)
        assert status == 200
    # Credentials of this account on another account's path are refused too.
    status, body = await rest.request(
        "GET", "/2010-04-01/Accounts/AC11111111111111111111111111111111/Calls.json"
    )
    assert (status, body and body["code"]) == (401, 20003)


async def test_sdk_with_an_api_key(sim: Simulator, app: App) -> None:
    http = CheckedAsyncHttpClient(pool_connections=False)
    twilio = Client(API_KEY, API_SECRET, ACCOUNT_SID, http_client=http)
    twilio.api.base_url = sim.url
    call = await twilio.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)
    assert call.account_sid == ACCOUNT_SID
    wrong = Client(API_KEY, "nope", ACCOUNT_SID, http_client=http)
    wrong.api.base_url = sim.url
    with pytest.raises(TwilioRestException) as caught:
        await wrong.calls(call.sid).fetch_async()
    assert (caught.value.status, caught.value.code) == (401, 20003)


# ----------------------------------------------------------------------------- errors

ERRORS = [
    pytest.param({"To": A, "From": NUMBER}, 21205, id="no-url-or-twiml"),
    pytest.param({"To": A, "From": NUMBER, "Url": "ftp://x/y"}, 21205, id="bad-url"),
    pytest.param({"To": A, "From": "+819099998888", "Twiml": HOLD}, 21210, id="not-our-number"),
    pytest.param({"To": A, "From": "abc", "Twiml": HOLD}, 21212, id="invalid-from"),
    pytest.param({"To": "+8100", "From": NUMBER, "Twiml": HOLD}, 21217, id="invalid-to"),
    pytest.param({"To": "hello", "From": NUMBER, "Twiml": HOLD}, 21211, id="malformed-to"),
    pytest.param(
        {"To": A, "From": NUMBER, "Twiml": HOLD, "StatusCallbackEvent": "hungup"},
        21626,
        id="bad-event",
    ),
]


@pytest.mark.parametrize(("data", "code"), ERRORS)
async def test_create_errors_raw(
    sim: Simulator, rest: Rest, data: dict[str, str], code: int
) -> None:
    status, body = await rest.request("POST", "/Calls.json", data=data)
    assert status == 400
    assert body is not None
    assert body["code"] == code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert sim.calls == []


@pytest.mark.parametrize(("data", "code"), ERRORS)
async def test_create_errors_through_the_sdks(
    sim: Simulator, aclient: Client, client: Client, data: dict[str, str], code: int
) -> None:
    kwargs = {
        {"To": "to", "From": "from_", "Url": "url", "Twiml": "twiml"}.get(
            k, "status_callback_event"
        ): v
        for k, v in data.items()
    }
    if "status_callback_event" in kwargs:
        kwargs["status_callback_event"] = [kwargs["status_callback_event"]]
        kwargs["status_callback"] = "https://example.com/status"
    with pytest.raises(TwilioRestException) as async_error:
        await aclient.calls.create_async(**kwargs)
    with pytest.raises(TwilioRestException) as sync_error:
        await asyncio.to_thread(client.calls.create, **kwargs)
    for caught in (async_error.value, sync_error.value):
        assert (caught.status, caught.code) == (400, code)
        assert "Unable to create record" in caught.msg


@pytest.mark.parametrize(
    "scenario", [{**base_scenario(), "allowed_destinations": ["+8190"]}], ids=["geo"]
)
async def test_geo_permissions_21215(sim: Simulator, aclient: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await aclient.calls.create_async(to=B.replace("+8190", "+8180"), from_=NUMBER, twiml=HOLD)
    assert (caught.value.status, caught.value.code) == (400, 21215)
    call = await aclient.calls.create_async(to=B, from_=NUMBER, twiml=HOLD)
    assert call.status == "queued"


async def test_not_found_20404(sim: Simulator, rest: Rest, aclient: Client, client: Client) -> None:
    missing = "CA" + "0" * 32
    for error in (
        await _raises(aclient.calls(missing).fetch_async()),
        await _raises(asyncio.to_thread(client.calls(missing).fetch)),
    ):
        assert (error.status, error.code) == (404, 20404)
    status, body = await rest.request("GET", "/Queues.json", validate=False)
    assert (status, body and body["code"]) == (404, 20404)


async def test_injected_429_20429(sim: Simulator, aclient: Client, client: Client) -> None:
    sim.inject_api_error("calls.create", 429, times=2)
    for error in (
        await _raises(aclient.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)),
        await _raises(asyncio.to_thread(client.calls.create, to=A, from_=NUMBER, twiml=HOLD)),
    ):
        assert (error.status, error.code) == (429, 20429)
    assert sim.calls == []  # a 429 is never processed
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)
    assert call.status == "queued"


async def _raises(awaitable: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        await awaitable
    return caught.value


async def test_dates_are_rfc2822_in_utc(sim: Simulator, rest: Rest, app: App) -> None:
    sid = (await rest.create(To=SHORT, From=NUMBER, Url=app.on("/a", HOLD)))["sid"]
    await sim.advance(20)
    call = await rest.fetch(sid)
    start = datetime.fromtimestamp(rfc2822_seconds(call["start_time"]), UTC)
    end = datetime.fromtimestamp(rfc2822_seconds(call["end_time"]), UTC)
    assert (end - start).total_seconds() == 1 + 10
    assert call["end_time"].endswith("+0000")
    assert call["date_updated"] == call["end_time"]
