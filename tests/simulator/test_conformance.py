"""The spec checker itself (openapi-schema-validator, tightened), and every REST operation
through both SDK clients, checked."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from typing import Any

import pytest
from twilio.rest import Client

from simulator.harness import Simulator

from .openapi import (
    FORMATS,
    UNCHECKED_FORMATS,
    ConformanceError,
    check_response,
    operation_for,
    spec,
    strict,
)
from .spec.subset import PATHS, SUBSET_PATH, dump, subset
from .support import CHECKED, NUMBER, OTHER_NUMBER, A, App, Rest

CALLS = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Calls.json"
CALL = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Calls/CA" + "a" * 32 + ".json"
CONFERENCES = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Conferences.json"
CONFERENCE = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Conferences/CF" + "a" * 32 + ".json"
PARTICIPANTS = CONFERENCE.removesuffix(".json") + "/Participants.json"
PARTICIPANT = CONFERENCE.removesuffix(".json") + "/Participants/CA" + "a" * 32 + ".json"
NUMBERS = "/2010-04-01/Accounts/AC" + "a" * 32 + "/IncomingPhoneNumbers.json"


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
    ("status", "answered", "enum"),  # not a Call status
    ("sid", "CA123", "minLength"),
    ("sid", "XX" + "a" * 32, "pattern"),
    ("date_created", "2026-01-02T03:04:05Z", "format"),  # ISO 8601, not RFC 2822
    ("date_created", "Tue, 31 Aug 2010 20:36:28 +0900", "format"),  # not UTC
    ("date_created", "Tue, 31 Foo 2010 20:36:28 +0000", "format"),  # no such month
    ("price_unit", "jpy", "format"),  # not an ISO 4217 code
    ("duration", 15, "type"),  # Twilio sends durations as strings
    ("status", None, "type"),  # not nullable
    ("subresource_uris", "x", "type"),
]


@pytest.mark.parametrize(("key", "value", "keyword"), BROKEN_CALLS)
def test_broken_resources_are_refused(key: str, value: Any, keyword: str) -> None:
    body = _example("GET", CALL, 200, "fetch")
    body[key] = value
    with pytest.raises(ConformanceError, match=re.escape(f"[{key!r}]")) as raised:
        check_response("GET", CALL, 200, json.dumps(body))
    assert raised.value.keyword == keyword


# One example of each resource the simulator serves, and where its records sit in a page.
RESOURCES = [
    ("GET", CALL, 200, "fetch", None),
    ("GET", CALLS, 200, "readFullPage1", "calls"),
    ("GET", CONFERENCE, 200, "fetchValidMixerZone", None),
    ("GET", CONFERENCES, 200, "readFull", "conferences"),
    ("GET", PARTICIPANT, 200, "fetch", None),
    ("GET", PARTICIPANTS, 200, "readFull", "participants"),
    ("GET", NUMBERS, 200, "readFull", "incoming_phone_numbers"),
]


def _resource(body: dict[str, Any], records: str | None) -> dict[str, Any]:
    resource = body if records is None else body[records][0]
    for key in ("voice_application_sid", "sms_application_sid"):
        # The spec's number example has "" here, which its own schema (34 characters or
        # null) refuses; the simulator sends null.
        if resource.get(key) == "":
            resource[key] = None
    return resource


@pytest.mark.parametrize(("method", "path", "status", "name", "records"), RESOURCES)
def test_each_resource_example_passes(
    method: str, path: str, status: int, name: str, records: str | None
) -> None:
    body = _example(method, path, status, name)
    _resource(body, records)
    assert check_response(method, path, status, json.dumps(body)) == body


@pytest.mark.parametrize(("method", "path", "status", "name", "records"), RESOURCES)
def test_a_dropped_property_is_refused(
    method: str, path: str, status: int, name: str, records: str | None
) -> None:
    body = _example(method, path, status, name)
    resource = _resource(body, records)
    assert "date_created" in resource
    del resource["date_created"]
    with pytest.raises(ConformanceError, match="'date_created' is a required property") as raised:
        check_response(method, path, status, json.dumps(body))
    assert raised.value.keyword == "required"


@pytest.mark.parametrize(("method", "path", "status", "name", "records"), RESOURCES)
def test_an_undeclared_property_is_refused(
    method: str, path: str, status: int, name: str, records: str | None
) -> None:
    body = _example(method, path, status, name)
    _resource(body, records)["form"] = "+815012345678"  # a typo of "from"
    with pytest.raises(ConformanceError, match="'form' was unexpected") as raised:
        check_response(method, path, status, json.dumps(body))
    assert raised.value.keyword == "additionalProperties"


@pytest.mark.parametrize(("method", "path", "status", "name", "records"), RESOURCES)
def test_a_malformed_date_is_refused(
    method: str, path: str, status: int, name: str, records: str | None
) -> None:
    body = _example(method, path, status, name)
    _resource(body, records)["date_created"] = "2010-08-31T20:36:28+00:00"
    with pytest.raises(ConformanceError, match="date-time-rfc-2822") as raised:
        check_response(method, path, status, json.dumps(body))
    assert raised.value.keyword == "format"


async def test_the_simulators_own_responses_pass_and_their_breakages_do_not(
    rest: Rest, app: App
) -> None:
    """The same three faults, in a body the simulator really sent."""
    status, created = await rest.request(
        "POST", "/Calls.json", data={"To": A, "From": NUMBER, "Url": app.url("/a")}, validate=False
    )
    assert status == 201
    assert created is not None
    path = f"{rest.base}/Calls.json"
    assert check_response("POST", path, 201, json.dumps(created)) == created
    broken = [
        {key: value for key, value in created.items() if key != "price_unit"},
        {**created, "duration_seconds": None},
        {**created, "date_updated": "Thu, 01 Jan 2026 09:00:00 +0900"},
    ]
    keywords = []
    for body in broken:
        with pytest.raises(ConformanceError) as raised:
            check_response("POST", path, 201, json.dumps(body))
        keywords.append(raised.value.keyword)
    assert keywords == ["required", "additionalProperties", "format"]


def test_the_file_is_not_tightened_the_check_is() -> None:
    """Strictness is added when checking; the vendored schemas stay as Twilio wrote them."""
    call = spec()["components"]["schemas"]["api.v2010.account.call"]
    assert "additionalProperties" not in call
    assert "required" not in call
    tightened = strict(call)
    assert tightened["additionalProperties"] is False
    assert tightened["required"] == sorted(call["properties"])
    explicit = {"type": "object", "properties": {"a": {}}, "additionalProperties": True}
    assert strict(explicit)["additionalProperties"] is True  # the spec's own word stands


def test_only_the_listed_enum_refs_may_be_null() -> None:
    body = _example("GET", CONFERENCE, 200, "fetchValidMixerZone")
    body["reason_conference_ended"] = "ended-somehow"
    with pytest.raises(ConformanceError) as raised:
        check_response("GET", CONFERENCE, 200, json.dumps(body))
    assert raised.value.keyword == "enum"
    body["reason_conference_ended"] = None
    body["status"] = None  # a conference always has a status
    with pytest.raises(ConformanceError, match=re.escape("['status']")) as raised:
        check_response("GET", CONFERENCE, 200, json.dumps(body))
    assert raised.value.keyword == "type"


def test_pages_need_one_records_key_and_the_meta_keys() -> None:
    page = _example("GET", CALLS, 200, "readFullPage1")
    page["total"] = 3
    with pytest.raises(ConformanceError, match="'total' was unexpected"):
        check_response("GET", CALLS, 200, json.dumps(page))
    page = _example("GET", CALLS, 200, "readFullPage1")
    del page["next_page_uri"]
    with pytest.raises(ConformanceError, match="'next_page_uri' is a required property"):
        check_response("GET", CALLS, 200, json.dumps(page))
    page = _example("GET", CALLS, 200, "readFullPage1")
    page["calls"][0]["status"] = "answered"
    with pytest.raises(ConformanceError, match=re.escape("['calls'][0]['status']")):
        check_response("GET", CALLS, 200, json.dumps(page))


def test_statuses_and_error_bodies() -> None:
    with pytest.raises(ConformanceError, match="allows only"):
        check_response("POST", CALLS, 200, json.dumps(_example("POST", CALLS, 201, "create")))
    with pytest.raises(ConformanceError, match="must have no body"):
        check_response("DELETE", CALL, 204, "{}")
    assert check_response("DELETE", CALL, 204, "") is None
    error = {"code": 20404, "message": "nope", "more_info": "x", "status": 404}
    with pytest.raises(ConformanceError) as raised:
        check_response("GET", CALL, 404, json.dumps(error))
    assert raised.value.keyword == "pattern"
    error["more_info"] = "https://www.twilio.com/docs/errors/20404"
    assert check_response("GET", CALL, 404, json.dumps(error)) == error
    # type/title would make twilio-python raise TwilioServiceException instead.
    with pytest.raises(ConformanceError) as raised:
        check_response("GET", CALL, 404, json.dumps({**error, "type": "x", "title": "y"}))
    assert raised.value.keyword == "additionalProperties"
    with pytest.raises(ConformanceError, match="'code' is a required property"):
        check_response(
            "GET", CALL, 404, json.dumps({k: v for k, v in error.items() if k != "code"})
        )
    with pytest.raises(ConformanceError, match="HTTP 400"):
        check_response("GET", CALL, 400, json.dumps(error))


def test_unknown_operations_are_refused() -> None:
    with pytest.raises(ConformanceError, match="no operation in the spec"):
        operation_for("GET", "/2010-04-01/Accounts/AC" + "a" * 32 + "/Queues.json")
    with pytest.raises(ConformanceError, match="no operation in the spec"):
        operation_for("DELETE", CALLS)


def test_spec_is_loaded_once() -> None:
    assert spec() is spec()


def test_every_format_in_the_responses_is_checked_or_named() -> None:
    """jsonschema ignores formats it has no checker for: none may slip through unnoticed."""
    used: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                used.add(node["format"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(spec()["components"]["schemas"])
    for item in spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                collect(operation.get("responses", {}))
    assert "date-time-rfc-2822" in used
    checked = set(FORMATS.checkers)
    assert used - checked == set(UNCHECKED_FORMATS)
    assert not checked & set(UNCHECKED_FORMATS)


def test_the_vendored_subset_is_closed_and_regenerates_to_itself() -> None:
    """The subset holds every path the simulator serves, and every $ref in it resolves."""
    vendored = spec()
    assert subset(vendored) == vendored  # raises KeyError on a dangling $ref
    assert dump(vendored) == SUBSET_PATH.read_text(encoding="utf-8")
    assert set(vendored["paths"]) == set(PATHS)
    assert "twilio-oai" in vendored["info"]["x-twilio-bridge-subset"]
    assert vendored["info"]["license"]["name"] == "Apache 2.0"


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
