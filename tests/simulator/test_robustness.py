"""Garbage in never gives a 500 (or a crash): the simulator answers like Twilio or refuses."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import string
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.harness import Simulator
from simulator.scenario import Scenario, ScenarioError
from simulator.twiml import Document, TwimlError, parse

from .support import ACCOUNT_SID, AUTH_TOKEN, NUMBER, A, App, Rest

AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
CALL = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA{'0' * 32}.json"
FORM = "application/x-www-form-urlencoded"

GARBAGE: list[tuple[str, str, dict[str, str], bytes | str]] = [
    ("POST", CALLS, {"Content-Type": FORM}, b"\xff\xfe\x00garbage=\xff"),
    ("POST", CALLS, {"Content-Type": FORM}, b"%%%%&&&===&To"),
    ("POST", CALLS, {"Content-Type": "multipart/form-data"}, b"--x\r\nnothing"),
    ("POST", CALLS, {"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\nbroken"),
    ("POST", CALLS, {"Content-Type": "application/json"}, b'{"To": "+819011112222"}'),
    ("POST", CALLS, {"Content-Type": FORM}, b"To=" + b"9" * 200_000),
    ("POST", CALLS, {"Content-Type": FORM}, urlencode({"To": A, "From": NUMBER, "Timeout": "nan"})),
    (
        "POST",
        CALLS,
        {"Content-Type": FORM},
        urlencode({"To": A, "From": NUMBER, "Twiml": "x" * 4001}),
    ),
    ("PUT", CALLS, {}, b""),
    ("PATCH", CALLS, {}, b""),
    ("DELETE", CALLS, {}, b""),
    ("GET", CALLS + "?PageSize=abc", {}, b""),
    ("GET", CALLS + "?PageSize=-3&Page=-1", {}, b""),
    ("GET", CALLS + "?Page=99999999999999999999999", {}, b""),
    ("GET", CALLS + "?StartTime=yesterday", {}, b""),
    ("GET", CALLS + "?StartTime%3E=2026-13-45", {}, b""),
    ("GET", CALL, {}, b""),
    ("POST", CALL, {"Content-Type": FORM}, b"Status=exploded"),
    ("POST", CALL, {"Content-Type": FORM}, b"TimeLimit=nan"),
    ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/..%2F..%2Fetc.json", {}, b""),
    ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{'Z' * 5000}.json", {}, b""),
    ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Nothing.json", {}, b""),
    ("GET", "/2010-04-01", {}, b""),
    ("GET", "/", {}, b""),
    ("GET", "/_sim/nothing", {}, b""),
    ("DELETE", "/_sim/calls", {}, b""),
    ("POST", "/_sim/faults", {}, b"[]"),
    ("POST", "/_sim/faults", {}, b'"drop everything"'),
    ("POST", "/_sim/faults", {}, b'{"api_errors": [1, 2]}'),
    ("POST", "/_sim/faults", {}, b'{"api_errors": {"calls.create": "soon"}}'),
    ("POST", "/_sim/faults", {}, b'{"api_errors": {"calls.create": 200}}'),
    ("POST", "/_sim/faults", {}, b'{"delay": NaN}'),
    ("POST", "/_sim/faults", {}, b'{"delay": -4}'),
    ("POST", "/_sim/faults", {}, b'{"duplicate": 7}'),
    ("POST", "/_sim/faults", {}, b'{"seed": "x"}'),
    ("POST", "/_sim/faults", {}, b'{"unknown": 1}'),
    ("POST", "/_sim/faults", {}, b"\xff"),
    ("POST", "/_sim/reset", {}, b"\xff"),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    GARBAGE,
    ids=[f"{i}-{m}-{p[-20:]}" for i, (m, p, _, _) in enumerate(GARBAGE)],
)
async def test_garbage_requests_never_give_500(
    sim: Simulator, method: str, path: str, headers: dict[str, str], body: bytes | str
) -> None:
    async with aiohttp.ClientSession() as session:
        url = aiohttp.client.URL(sim.url + path, encoded=True)
        async with session.request(
            method, url, data=body or None, headers={"Authorization": AUTH, **headers}
        ) as response:
            assert response.status < 500, await response.text()
            if path.startswith("/2010-04-01/Accounts") and response.status >= 400:
                error = await response.json()
                assert set(error) == {"code", "message", "more_info", "status"}
                assert error["status"] == response.status
    assert sim.calls == []  # nothing garbage was accepted as a call


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("Timeout", "nan", 400),
        ("TimeLimit", "nan", 400),
        ("Timeout", "soon", 400),
        ("Timeout", "1e999", 201),  # clamped to Twilio's maximum of 600 s
        ("TimeLimit", "inf", 201),  # clamped to 24 h
        ("Timeout", "-5", 201),  # clamped to 1 s
    ],
)
async def test_odd_numbers_are_refused_or_clamped(
    sim: Simulator, rest: Rest, field: str, value: str, status: int
) -> None:
    form = {"To": A, "From": NUMBER, "Twiml": "<Response/>", field: value}
    answered, body = await rest.request("POST", "/Calls.json", data=form)
    assert answered == status, body
    if status == 201:
        assert body is not None
        leg = sim.call(body["sid"])
        assert 1 <= leg.timeout <= 600
        assert 1 <= leg.time_limit <= 86400
    else:
        assert body is not None
        # 21208 is Twilio's "Invalid Timeout"; TimeLimit has no code of its own.
        assert body["code"] == (21208 if field == "Timeout" else 20001)


async def _raw(sim: Simulator, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 exchange on a bare socket: the status and the body as sent."""
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    header, _, payload = response.partition(b"\r\n\r\n")
    return int(header.split()[1]), payload


def _chunked(data: bytes, size: int = 8192) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_a_body_over_the_limit_gets_twilios_json_error(
    sim: Simulator, *, chunked: bool
) -> None:
    """Without Content-Length aiohttp finds the body too large only while reading it."""
    form = urlencode({"To": A, "From": NUMBER, "Twiml": "x" * 100_000}).encode()
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(form)}"
    head = (
        f"POST {CALLS} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: {FORM}\r\n{length}\r\nConnection: close\r\n\r\n"
    )
    status, payload = await _raw(sim, head, _chunked(form) if chunked else form)
    assert status == 413
    assert json.loads(payload) == {
        "code": 20413,
        "message": "Request entity too large",
        "more_info": "https://www.twilio.com/docs/errors/20413",
        "status": 413,
    }
    assert sim.calls == []


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic ###",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer x",
        "Basic ÿ",
    ],
)
async def test_garbage_authorization_is_401(sim: Simulator, authorization: str) -> None:
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    request = (
        f"GET {CALLS} HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(request.encode("latin-1"))
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert status_line.split()[1] == b"401"


async def test_random_create_forms_never_give_500(sim: Simulator, rest: Rest, app: App) -> None:
    """A seeded stream of odd forms: every answer is 201 or a 4xx in Twilio's error shape."""
    rng = random.Random(20261126)
    keys = ["To", "From", "Url", "Twiml", "Method", "Timeout", "TimeLimit", "StatusCallback"]
    keys += ["StatusCallbackEvent", "StatusCallbackMethod", "MachineDetection", "Junk"]
    values = [A, NUMBER, "", "0", "-1", "nan", "1e999", "GET", "DELETE", "ÿ\u202e", "+", "+0"]
    values += [app.url("/x"), "http://", "ftp://x", "<Response/>", "x" * 5000, "initiated"]
    values += ["".join(rng.choices(string.printable, k=20)) for _ in range(5)]
    statuses = []
    for _ in range(150):
        form = [(rng.choice(keys), rng.choice(values)) for _ in range(rng.randint(0, 8))]
        status, body = await rest.request("POST", "/Calls.json", data=form, validate=False)
        assert status == 201 or 400 <= status < 500, (form, body)
        statuses.append(status)
    await sim.advance(3600)  # whatever was accepted plays out without breaking the clock
    assert sim.clock.errors == []
    assert 400 in statuses


# ----------------------------------------------------------------------------- pure parts

XML_WORDS = st.sampled_from(
    [
        "<Response>",
        "</Response>",
        "<Say>",
        "</Say>",
        "<Say loop='1e309'>",
        "<Pause length='x'/>",
        "<Pause length='-1'/>",
        "<Dial>",
        "</Dial>",
        "<Number>",
        "</Number>",
        "<Gather numDigits='\u0661'>",  # an Arabic-Indic digit one
        "</Gather>",
        "<Redirect/>",
        "<Hangup/>",
        "<Conference>",
        "</Conference>",
        "&amp;",
        "&bogus;",
        "<!DOCTYPE x>",
        "hi",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(XML_WORDS, max_size=12).map("".join)))
def test_twiml_parser_only_raises_twiml_error(source: str) -> None:
    try:
        document = parse(source)
    except TwimlError:
        return
    assert isinstance(document, Document)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
FAULT_KEYS = st.sampled_from(
    ["duplicate", "reorder", "drop", "delay", "api_errors", "slow_webhook", "seed"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(FAULT_KEYS, JSONISH, max_size=4))
def test_fault_settings_either_load_or_raise_scenario_error(data: dict[str, Any]) -> None:
    try:
        scenario = Scenario.from_mapping({"faults": data})
    except ScenarioError:
        return
    faults = scenario.faults
    for value in (faults.duplicate, faults.drop, faults.delay, faults.slow_webhook):
        assert 0 <= value < float("inf")
    assert all(400 <= status <= 599 for status in faults.api_errors.values())
    json.dumps(faults.api_errors)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["behavior", "answer_after", "hangup_after", "digits"]),
        JSONISH,
        max_size=4,
    )
)
def test_phone_settings_either_load_or_raise_scenario_error(data: dict[str, Any]) -> None:
    try:
        scenario = Scenario.from_mapping({"phones": {"default": data}})
    except ScenarioError:
        return
    phone = scenario.default_phone
    assert 0 <= phone.answer_after < float("inf")
    assert phone.hangup_after is None or 0 <= phone.hangup_after < float("inf")
