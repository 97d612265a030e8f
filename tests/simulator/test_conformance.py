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
NOTIFICATIONS = CALL.removesuffix(".json") + "/Notifications.json"


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
        ("GET", NOTIFICATIONS, 200, "readFull"),  # request_method null: a nullable enum
        ("GET", NOTIFICATIONS, 200, "readEmpty"),
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
    ("GET", NOTIFICATIONS, 200, "readFull", "notifications"),
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


def _drop_a_property(resource: dict[str, Any]) -> None:
    del resource["date_created"]


def _add_a_property(resource: dict[str, Any]) -> None:
    resource["form"] = "+815012345678"  # as a typo of "from" would


def _write_an_iso_date(resource: dict[str, Any]) -> None:
    resource["date_created"] = "2010-08-31T20:36:28+00:00"  # ISO 8601, not RFC 2822


# The faults the checker exists to catch: what each does, what it says, the rule it breaks.
FAULTS = {
    "dropped property": (_drop_a_property, "'date_created' is a required property", "required"),
    "undeclared property": (_add_a_property, "'form' was unexpected", "additionalProperties"),
    "malformed date": (_write_an_iso_date, "is not a 'date-time-rfc-2822'", "format"),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    "example", RESOURCES, ids=lambda e: operation_for(e[0], e[1])["operationId"]
)
def test_each_fault_is_refused_in_each_resource(
    example: tuple[str, str, int, str, str | None], fault: str
) -> None:
    method, path, status, name, records = example
    break_it, message, keyword = FAULTS[fault]
    body = _example(method, path, status, name)
    break_it(_resource(body, records))
    with pytest.raises(ConformanceError, match=re.escape(message)) as raised:
        check_response(method, path, status, json.dumps(body))
    assert raised.value.keyword == keyword


@pytest.mark.parametrize("fault", FAULTS)
async def test_each_fault_is_refused_in_a_body_the_simulator_sent(
    rest: Rest, app: App, fault: str
) -> None:
    status, created = await rest.request(
        "POST", "/Calls.json", data={"To": A, "From": NUMBER, "Url": app.url("/a")}, validate=False
    )
    assert status == 201
    assert created is not None
    path = f"{rest.base}/Calls.json"
    assert check_response("POST", path, 201, json.dumps(created)) == created
    break_it, message, keyword = FAULTS[fault]
    break_it(created)
    with pytest.raises(ConformanceError, match=re.escape(message)) as raised:
        check_response("POST", path, 201, json.dumps(created))
    assert raised.value.keyword == keyword


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


def test_a_nullable_inline_enum_takes_null_but_no_other_value() -> None:
    body = _example("GET", NOTIFICATIONS, 200, "readFull")
    assert body["notifications"][0]["request_method"] is None  # the spec's own example
    body["notifications"][0]["request_method"] = "PUT"
    with pytest.raises(ConformanceError, match=re.escape("['request_method']")) as raised:
        check_response("GET", NOTIFICATIONS, 200, json.dumps(body))
    assert raised.value.keyword == "enum"


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
    await aclient.calls(one.sid).notifications.list_async(log=0)
    await asyncio.to_thread(client.calls(two.sid).notifications.list)
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
        "ListCallNotification",
    }
    assert len(CHECKED) - start == 16
