"""The spec checker itself, and every REST operation through both SDK clients, checked."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from twilio.rest import Client

from simulator.harness import Simulator

from .openapi import ConformanceError, check_response, operation_for, spec
from .support import CHECKED, NUMBER, OTHER_NUMBER, A, App

CALLS = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Calls.json"
CALL = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Calls/CA" + "a" * 32 + ".json"
CONFERENCES = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Conferences.json"
CONFERENCE = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Conferences/CF" + "a" * 32 + ".json"
PARTICIPANTS = CONFERENCE.removesuffix(".json") + "/Participants.json"
PARTICIPANT = CONFERENCE.removesuffix(".json") + "/Participants/CA" + "a" * 32 + ".json"


def _example(method: str, path: str, status: int, name: str) -> dict[str, Any]:
    operation = operation_for(method, path)
    content = operation["responses"][str(status)]["content"]["application/json"]
    return copy.deepcopy(content["examples"][name]["value"])


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("POST", CALLS, 201, "create"),
        ("GET", CALLS, 200, "readFullPage1"),
        ("GET", CALL, 200, "fetch"),
        ("POST", CALL, 200, "update"),
        ("GET", CONFERENCES, 200, "readFull"),
        ("GET", CONFERENCE, 200, "fetchValidRegionInProgress"),  # reason_conference_ended null
        ("GET", CONFERENCE, 200, "fetchValidMixerZone"),
        ("POST", CONFERENCE, 200, "updateEndConference"),
        ("GET", PARTICIPANTS, 200, "readFull"),
        ("POST", PARTICIPANTS, 201, "createWithFriendlyName"),
        ("GET", PARTICIPANT, 200, "fetch"),
    ],
)
def test_the_specs_own_examples_pass(method: str, path: str, status: int, name: str) -> None:
    body = _example(method, path, status, name)
    assert check_response(method, path, status, json.dumps(body)) == body


BROKEN_CALLS = [
    ("status", "answered", "not one of"),  # not a Call status
    ("sid", "CA123", "shorter than"),
    ("sid", "XX" + "a" * 32, "does not match"),
    ("date_created", "2026-01-02T03:04:05Z", "RFC 2822"),
    ("date_created", "Tue, 31 Aug 2010 20:36:28 +0900", "UTC"),
    ("duration", 15, "not of type string"),
    ("status", None, "not nullable"),
    ("subresource_uris", "x", "not of type object"),
]


@pytest.mark.parametrize(("key", "value", "message"), BROKEN_CALLS)
def test_broken_resources_are_refused(key: str, value: Any, message: str) -> None:
    body = _example("GET", CALL, 200, "fetch")
    body[key] = value
    with pytest.raises(ConformanceError, match=message):
        check_response("GET", CALL, 200, json.dumps(body))


def test_only_the_listed_enum_refs_may_be_null() -> None:
    body = _example("GET", CONFERENCE, 200, "fetchValidMixerZone")
    body["reason_conference_ended"] = "ended-somehow"
    with pytest.raises(ConformanceError, match="not one of"):
        check_response("GET", CONFERENCE, 200, json.dumps(body))
    body["reason_conference_ended"] = None
    body["status"] = None  # a conference always has a status
    with pytest.raises(ConformanceError, match="not nullable"):
        check_response("GET", CONFERENCE, 200, json.dumps(body))


def test_missing_and_unknown_properties_are_refused() -> None:
    body = _example("GET", CALL, 200, "fetch")
    del body["price_unit"]
    with pytest.raises(ConformanceError, match="missing"):
        check_response("GET", CALL, 200, json.dumps(body))
    body = _example("GET", CALL, 200, "fetch")
    body["form"] = body["from"]
    with pytest.raises(ConformanceError, match="not in the spec"):
        check_response("GET", CALL, 200, json.dumps(body))


def test_pages_need_one_records_key_and_the_meta_keys() -> None:
    page = _example("GET", CALLS, 200, "readFullPage1")
    page["total"] = 3
    with pytest.raises(ConformanceError, match="unexpected page keys"):
        check_response("GET", CALLS, 200, json.dumps(page))
    page = _example("GET", CALLS, 200, "readFullPage1")
    del page["next_page_uri"]
    with pytest.raises(ConformanceError, match="page misses"):
        check_response("GET", CALLS, 200, json.dumps(page))
    page = _example("GET", CALLS, 200, "readFullPage1")
    page["calls"][0]["status"] = "answered"
    with pytest.raises(ConformanceError, match="not one of"):
        check_response("GET", CALLS, 200, json.dumps(page))


def test_statuses_and_error_bodies() -> None:
    with pytest.raises(ConformanceError, match="spec allows"):
        check_response("POST", CALLS, 200, json.dumps(_example("POST", CALLS, 201, "create")))
    with pytest.raises(ConformanceError, match="must have no body"):
        check_response("DELETE", CALL, 204, "{}")
    assert check_response("DELETE", CALL, 204, "") is None
    error = {"code": 20404, "message": "nope", "more_info": "x", "status": 404}
    with pytest.raises(ConformanceError, match="does not match"):
        check_response("GET", CALL, 404, json.dumps(error))
    error["more_info"] = "https://www.twilio.com/docs/errors/20404"
    assert check_response("GET", CALL, 404, json.dumps(error)) == error
    # type/title would make twilio-python raise TwilioServiceException instead.
    with pytest.raises(ConformanceError, match="not in the spec"):
        check_response("GET", CALL, 404, json.dumps({**error, "type": "x", "title": "y"}))
    with pytest.raises(ConformanceError, match="HTTP 400"):
        check_response("GET", CALL, 400, json.dumps(error))


def test_spec_is_loaded_once() -> None:
    assert spec() is spec()


async def test_every_operation_through_both_sdk_clients_conforms(
    sim: Simulator, app: App, client: Client, aclient: Client
) -> None:
    """Both clients, every operation the issue lists; each response checked against the spec."""
    start = len(CHECKED)
    twiml = "<Response><Pause length='30'/></Response>"
    url = app.on("/answer", "<Response><Pause length='600'/></Response>")

    one = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=twiml)
    two = await asyncio.to_thread(client.calls.create, to=A, from_=NUMBER, url=url)
    await sim.advance(5)
    await aclient.calls(one.sid).fetch_async()
    await asyncio.to_thread(client.calls(two.sid).fetch)
    await aclient.calls.list_async(to=A, limit=5)
    await asyncio.to_thread(client.calls.list, status="in-progress")
    await aclient.calls(two.sid).update_async(twiml=twiml)
    await asyncio.to_thread(client.calls(two.sid).update, time_limit=100)
    await aclient.calls(one.sid).update_async(status="completed")
    await asyncio.to_thread(client.calls(two.sid).update, status="completed")
    assert await aclient.calls(one.sid).delete_async() is True
    assert await asyncio.to_thread(client.calls(two.sid).delete) is True
    await aclient.incoming_phone_numbers.list_async(phone_number=OTHER_NUMBER)
    await asyncio.to_thread(client.incoming_phone_numbers.list)

    seen = {(c.method, operation_for(c.method, c.path)["operationId"]) for c in CHECKED[start:]}
    assert {name for _, name in seen} == {
        "CreateCall",
        "FetchCall",
        "ListCall",
        "UpdateCall",
        "DeleteCall",
        "ListIncomingPhoneNumber",
    }
    assert len(CHECKED) - start == 14
