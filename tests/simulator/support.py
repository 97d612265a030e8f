"""Shared pieces of the simulator tests: the scenario, a TwiML application, checked clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from multidict import MultiDict
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from simulator.harness import Simulator

from .openapi import check_response

ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "simulator-auth-token"
API_KEY = "SK11111111111111111111111111111111"
API_SECRET = "api-key-secret"
NUMBER = "+815012345678"  # the account's number (050, ip_phone)
OTHER_NUMBER = "+815011112222"  # a second number the account owns

# Virtual phones (all valid Japanese numbers).
A = "+819011112222"  # mobile; answers after 3 s, never hangs up by itself
B = "+819033334444"  # mobile; answers after 4 s, hangs up after 93 s of talk
BUSY = "+81311112222"  # landline, busy
NO_ANSWER = "+818011112222"
REJECT = "+817011112222"  # declines after 5 s of ringing
FAIL = "+819022223333"
VOICEMAIL = "+819044445555"  # a machine: answers after 2 s, hangs up after 30 s
DIGITS = "+819055556666"  # answers after 1 s and presses 1234#
SHORT = "+819066667777"  # answers after 1 s, hangs up after 10 s
LANDLINE = "+81312345678"  # not listed: the default phone (answers after 2 s, 60 s talk)
IP_PHONE = "+815099998888"
TOLL_FREE = "+81120123456"

RATES = {"mobile": "16.2", "landline": "5.4", "ip_phone": "10.8", "toll_free": "1.1"}
DEFAULT_ANSWER_AFTER = 2
DEFAULT_HANGUP_AFTER = 60

STANDARD_PARAMS = frozenset(
    {"AccountSid", "ApiVersion", "CallSid", "CallStatus", "Called", "Caller", "Direction"}
    | {"From", "To"}
    | {f"{p}{g}" for p in ("Called", "To", "Caller", "From") for g in ("City", "State", "Zip")}
    | {f"{p}Country" for p in ("Called", "To", "Caller", "From")}
)
PROGRESS_PARAMS = frozenset({"Timestamp", "CallbackSource", "SequenceNumber"})
COMPLETED_PARAMS = frozenset({"CallDuration", "Duration", "SipResponseCode"})
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def base_scenario() -> dict[str, Any]:
    return {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "numbers": [NUMBER, OTHER_NUMBER],
        "api_keys": {API_KEY: API_SECRET},
        "rates": {"currency": "JPY", **{k: float(v) for k, v in RATES.items()}},
        "phones": {
            A: {"answer_after": 3, "hangup_after": None},
            B: {"answer_after": 4, "hangup_after": 93},
            BUSY: {"behavior": "busy"},
            NO_ANSWER: {"behavior": "no-answer"},
            REJECT: {"behavior": "reject", "answer_after": 5},
            FAIL: {"behavior": "fail"},
            VOICEMAIL: {"behavior": "voicemail", "answer_after": 2, "hangup_after": 30},
            DIGITS: {"answer_after": 1, "hangup_after": None, "digits": "1234#"},
            SHORT: {"answer_after": 1, "hangup_after": 10},
            "default": {
                "answer_after": DEFAULT_ANSWER_AFTER,
                "hangup_after": DEFAULT_HANGUP_AFTER,
            },
        },
        "webhook_timeout": 2.0,
    }


def rfc2822_seconds(value: str) -> float:
    return parsedate_to_datetime(value).timestamp()


# ----------------------------------------------------------------------------- application


@dataclass
class Hit:
    """One webhook request the application received."""

    method: str
    path: str
    url: str  # the exact URL requested: scheme, host, port, path and raw query
    query: MultiDict[str]
    form: MultiDict[str]
    headers: dict[str, str]
    at: float | None  # simulated time when it arrived (if the app knows the clock)

    @property
    def params(self) -> dict[str, str]:
        """The request's parameters: the form for POST, the query for GET."""
        return dict(self.query if self.method == "GET" else self.form)

    @property
    def signature(self) -> str:
        return self.headers.get("X-Twilio-Signature", "")

    def signed(self, token: str = AUTH_TOKEN) -> bool:
        """Checked with the official SDK's validator, over the exact URL requested."""
        signed_params: Any = {} if self.method == "GET" else self.form
        return bool(RequestValidator(token).validate(self.url, signed_params, self.signature))


Reply = str | web.StreamResponse | None
Script = Callable[[Hit], Reply | Awaitable[Reply]]


@dataclass
class _Route:
    reply: str | Script | None
    status: int = 200
    delay: float = 0.0  # real seconds before answering (slow webhooks)


@dataclass
class App:
    """A tiny application server that records every webhook and answers from a script.

    Unscripted paths get 204 with no body (what a status-callback handler answers).
    """

    host: str = "127.0.0.1"
    port: int = 0
    hits: list[Hit] = field(default_factory=list)
    routes: dict[str, _Route] = field(default_factory=dict)
    clock_now: Callable[[], float] | None = None
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def on(
        self,
        path: str,
        reply: str | Script | None = None,
        *,
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        """Answer requests to `path` with TwiML (or a function of the request); return its URL."""
        self.routes[path] = _Route(reply, status, delay)
        return self.url(path)

    def received(self, path: str | None = None) -> list[Hit]:
        return [hit for hit in self.hits if path is None or hit.path == path]

    def callbacks(self, path: str, sid: str | None = None) -> list[dict[str, str]]:
        """The parameters of each request to `path` (optionally for one CallSid)."""
        return [
            hit.params
            for hit in self.received(path)
            if sid is None or hit.params.get("CallSid") == sid
        ]

    def statuses(self, path: str, sid: str | None = None) -> list[str]:
        return [params["CallStatus"] for params in self.callbacks(path, sid)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        form: MultiDict[str] = MultiDict()
        if request.method == "POST":
            posted = await request.post()
            form = MultiDict((key, str(value)) for key, value in posted.items())
        hit = Hit(
            method=request.method,
            path=request.path,
            url=f"{request.scheme}://{request.host}{request.raw_path}",
            query=MultiDict(request.query),
            form=form,
            headers=dict(request.headers),
            at=self.clock_now() if self.clock_now else None,
        )
        self.hits.append(hit)
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=204)
        if route.delay:
            await asyncio.sleep(route.delay)
        reply: Any = route.reply
        if callable(reply):
            reply = reply(hit)
            if asyncio.iscoroutine(reply):
                reply = await reply
        if isinstance(reply, web.StreamResponse):
            return reply
        if reply is None:
            return web.Response(status=204 if route.status == 200 else route.status)
        return web.Response(status=route.status, text=str(reply), content_type="text/xml")

    async def start(self) -> None:
        server = web.Application()
        server.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# ----------------------------------------------------------------------------- SDK clients


@dataclass
class Checked:
    """A REST response seen by a test, after validation against the spec."""

    method: str
    path: str
    status: int
    body: dict[str, Any] | None


CHECKED: list[Checked] = []


def check(method: str, url: str, status: int, text: str) -> dict[str, Any] | None:
    path = urlsplit(url).path
    body = check_response(method, path, status, text)
    CHECKED.append(Checked(method.upper(), path, status, body))
    return body


class CheckedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's sync HTTP client, validating every response against the spec."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        check(method, url, response.status_code, response.text)
        return response


class CheckedAsyncHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async HTTP client, validating every response against the spec."""

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = await super().request(method, url, *args, **kwargs)
        check(method, url, response.status_code, response.text)
        return response


# ----------------------------------------------------------------------------- raw REST


class Rest:
    """Raw REST requests (no SDK), each JSON response validated against the spec."""

    def __init__(self, sim: Simulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.base = f"/2010-04-01/Accounts/{sim.scenario.account_sid}"

    async def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        params: Any = None,
        auth: tuple[str, str] | None = (ACCOUNT_SID, AUTH_TOKEN),
        *,
        validate: bool = True,
    ) -> tuple[int, dict[str, Any] | None]:
        """`path` is relative to the account unless it starts with /2010-04-01 or /_sim."""
        if not path.startswith(("/2010-04-01", "/_sim")):
            path = self.base + path
        basic = aiohttp.BasicAuth(*auth) if auth else None
        async with self.session.request(
            method, self.sim.url + path, data=data, params=params, auth=basic
        ) as response:
            text = await response.text()
            if validate:
                return response.status, check(method, path.split("?")[0], response.status, text)
            return response.status, json.loads(text) if text else None

    async def create(self, data: Any = None, **fields: Any) -> dict[str, Any]:
        status, body = await self.request("POST", "/Calls.json", data=data or fields)
        assert status == 201, body
        assert body is not None
        return body

    async def fetch(self, sid: str) -> dict[str, Any]:
        status, body = await self.request("GET", f"/Calls/{sid}.json")
        assert status == 200, body
        assert body is not None
        return body

    async def update(self, sid: str, **fields: Any) -> tuple[int, dict[str, Any] | None]:
        return await self.request("POST", f"/Calls/{sid}.json", data=fields)
