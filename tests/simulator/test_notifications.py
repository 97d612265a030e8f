"""Call Notifications (GET Calls/{CallSid}/Notifications.json): what Twilio logs on a call
when a webhook fails, read through both official SDK clients, every page checked against the
spec by the fixtures."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from simulator.harness import Simulator

from .support import ACCOUNT_SID, CHECKED, NUMBER, A, App, Rest

HOLD = "<Response><Pause length='3600'/></Response>"
EVENTS = ["initiated", "ringing", "answered", "completed"]


def _closed_url(path: str) -> str:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _text(notification: Any) -> dict[str, str]:
    """message_text, decoded: Twilio URL-encodes it as a form."""
    return {key: values[0] for key, values in parse_qs(notification.message_text).items()}


async def test_an_unreachable_answer_webhook_is_notification_11205(
    sim: Simulator, aclient: Client, client: Client
) -> None:
    url = _closed_url("/answer")
    call = await aclient.calls.create_async(to=A, from_=NUMBER, url=url)
    await sim.advance(4)
    assert sim.call(call.sid).status == "completed"  # Twilio ends the answered call

    (found,) = await aclient.calls(call.sid).notifications.list_async()
    (again,) = await asyncio.to_thread(client.calls(call.sid).notifications.list)
    assert again.sid == found.sid
    assert re.fullmatch(r"NO[0-9a-f]{32}", found.sid)
    assert (found.account_sid, found.call_sid) == (ACCOUNT_SID, call.sid)
    assert (found.error_code, found.log) == ("11205", "0")  # an error
    assert (found.request_url, found.request_method) == (url, "POST")
    assert found.more_info == "https://www.twilio.com/docs/errors/11205"
    text = _text(found)
    assert (text["ErrorCode"], text["LogLevel"], text["url"]) == ("11205", "ERROR", url)
    assert text["Msg"].startswith("HTTP connection failure (")
    assert "httpResponse" not in text  # nothing answered
    logged_at = sim.clock.wall(sim.call(call.sid).errors[0].at)
    assert found.message_date == found.date_created == logged_at.replace(microsecond=0)
    assert found.uri == (
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call.sid}/Notifications/{found.sid}.json"
    )


async def test_an_answer_webhook_answering_500_is_notification_11200(
    sim: Simulator, aclient: Client, app: App
) -> None:
    url = app.on("/answer", "oops", status=500)
    call = await aclient.calls.create_async(to=A, from_=NUMBER, url=url, method="GET")
    await sim.advance(4)
    (found,) = await aclient.calls(call.sid).notifications.list_async()
    assert (found.error_code, found.log) == ("11200", "0")
    assert found.request_method == "GET"
    (hit,) = app.received("/answer")
    assert found.request_url == hit.url  # a GET's parameters are part of the URL requested
    assert _text(found)["httpResponse"] == "500"


async def test_status_callbacks_answering_an_error_are_warnings_15003(
    sim: Simulator, aclient: Client, client: Client, app: App
) -> None:
    """A leg with one error (its answer webhook) and a warning for each failed callback."""
    status_url = app.on("/status", None, status=404)
    call = await aclient.calls.create_async(
        to=A,
        from_=NUMBER,
        url=app.on("/answer", "oops", status=503),
        status_callback=status_url,
        status_callback_event=EVENTS,
    )
    await sim.advance(4)
    await sim.dispatcher.settle()

    everything = await aclient.calls(call.sid).notifications.list_async()
    assert sorted(n.error_code for n in everything) == ["11200"] + ["15003"] * len(EVENTS)
    dates = [n.message_date for n in everything]
    assert dates == sorted(dates, reverse=True)  # newest first
    warnings = await asyncio.to_thread(client.calls(call.sid).notifications.list, log=1)
    assert [n.sid for n in warnings] == [n.sid for n in everything if n.error_code == "15003"]
    (error,) = await aclient.calls(call.sid).notifications.list_async(log=0)
    assert (error.error_code, error.log) == ("11200", "0")

    # As in the spec's example of 15003: the callback's URL is in the text only.
    warning = warnings[0]
    assert (warning.log, warning.request_url, warning.request_method) == ("1", "", None)
    assert _text(warning) == {
        "statusCallback": status_url,
        "ErrorCode": "15003",
        "LogLevel": "WARN",
        "Msg": f"Got HTTP 404 response to {status_url}",
    }


async def test_a_call_without_trouble_has_no_notifications(
    sim: Simulator, aclient: Client, client: Client, app: App
) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, url=app.on("/answer", HOLD))
    await sim.advance(4)
    assert await aclient.calls(call.sid).notifications.list_async() == []
    assert await asyncio.to_thread(client.calls(call.sid).notifications.list) == []


def _page_error(caught: pytest.ExceptionInfo[TwilioException]) -> tuple[int, int, str]:
    """(HTTP status, Twilio code, message) of a list page the SDK refused: it raises a bare
    TwilioException("Unable to fetch page", response), not a TwilioRestException."""
    response = caught.value.args[1]
    body = json.loads(response.text)
    return response.status_code, body["code"], body["message"]


async def test_an_unknown_call_is_20404(aclient: Client, client: Client, rest: Rest) -> None:
    missing = "CA" + "0" * 32
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{missing}/Notifications.json"
    with pytest.raises(TwilioException) as async_error:
        await aclient.calls(missing).notifications.list_async()
    with pytest.raises(TwilioException) as sync_error:
        await asyncio.to_thread(client.calls(missing).notifications.list)
    for caught in (async_error, sync_error):
        assert _page_error(caught) == (404, 20404, f"The requested resource {path} was not found")
    status, body = await rest.request("GET", path)
    assert (status, body and body["code"]) == (404, 20404)


async def test_message_date_filters(sim: Simulator, aclient: Client, client: Client) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, url=_closed_url("/a"))
    await sim.advance(4)
    notifications = aclient.calls(call.sid).notifications
    today = sim.clock.wall().date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert len(await notifications.list_async(message_date=today)) == 1
    assert await notifications.list_async(message_date=tomorrow) == []
    assert len(await notifications.list_async(message_date_after=today)) == 1
    assert await notifications.list_async(message_date_after=tomorrow) == []
    assert len(await notifications.list_async(message_date_before=today)) == 1
    listed = client.calls(call.sid).notifications.list
    assert await asyncio.to_thread(listed, message_date_before=yesterday) == []


async def test_pages_follow_next_page_uri(sim: Simulator, aclient: Client, app: App) -> None:
    call = await aclient.calls.create_async(
        to=A,
        from_=NUMBER,
        twiml=HOLD,
        status_callback=app.on("/status", None, status=500),
        status_callback_event=EVENTS,
    )
    await sim.advance(4)
    await aclient.calls(call.sid).update_async(status="completed")
    await sim.advance(0)
    await sim.dispatcher.settle()
    before = len(CHECKED)
    found = await aclient.calls(call.sid).notifications.list_async(page_size=2)
    assert len({n.sid for n in found}) == 4  # one warning for each callback
    pages = [c for c in CHECKED[before:] if c.path.endswith("/Notifications.json")]
    assert len(pages) == 2


async def test_bad_log_filter_is_20001(sim: Simulator, rest: Rest, aclient: Client) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)
    status, body = await rest.request(
        "GET", f"/Calls/{call.sid}/Notifications.json", params={"Log": "error"}
    )
    assert (status, body and body["code"]) == (400, 20001)


async def test_injected_error(sim: Simulator, aclient: Client) -> None:
    call = await aclient.calls.create_async(to=A, from_=NUMBER, twiml=HOLD)
    sim.inject_api_error("notifications.list", 503)
    with pytest.raises(TwilioException) as caught:
        await aclient.calls(call.sid).notifications.list_async()
    assert _page_error(caught)[:2] == (503, 20503)
    assert await aclient.calls(call.sid).notifications.list_async() == []
