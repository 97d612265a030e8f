"""The HTTP layer every route shares: app keys, the simulator's typed state, reading a
request's form, injected faults, and Twilio's JSON errors for everything under /2010-04-01.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .engine import Engine
from .errors import (
    ApiError,
    AuthenticationFailed,
    InternalServerError,
    InvalidParameter,
    RequestTooLarge,
    injected,
)
from .forms import Form
from .resources import API

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_REQUEST = 64 * 1024


class SimulatorState(Protocol):
    """What the routes need of the running simulator (simulator/harness.py)."""

    engine: Engine
    route_extensions: list[Callable[[web.Application, str], None]]

    def take_api_error(self, operation: str) -> int | None: ...

    def inspect(self) -> dict[str, Any]: ...

    def set_faults(self, data: dict[str, Any]) -> None: ...

    async def advance(self, seconds: float) -> None: ...

    async def reset(self) -> None: ...


STATE: web.AppKey[SimulatorState] = web.AppKey("state")


def engine_of(request: web.Request) -> Engine:
    return request.app[STATE].engine


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.status)


def _authenticated(request: web.Request, engine: Engine) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII header text
        return False
    scenario = engine.scenario
    if user == scenario.account_sid:
        return secret == scenario.auth_token
    return user in scenario.api_keys and scenario.api_keys[user] == secret


@web.middleware
async def rest_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate REST requests and turn every failure into Twilio's error JSON."""
    if not request.path.startswith(API):
        return await handler(request)
    engine = engine_of(request)
    account = request.match_info.get("account")
    if not _authenticated(request, engine) or account not in (None, engine.scenario.account_sid):
        return error_response(AuthenticationFailed())
    if request.content_length is not None and request.content_length > MAX_REQUEST:
        return error_response(RequestTooLarge())
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err)
    except web.HTTPException:
        raise
    except Exception:
        _LOGGER.exception("simulator error on %s %s", request.method, request.path)
        return error_response(InternalServerError())


async def read_form(request: web.Request) -> Form:
    """The request's parameters: the query of a GET, the form body otherwise."""
    if request.method == "GET":
        return Form(list(request.query.items()))
    try:
        data = await request.post()
    except web.HTTPRequestEntityTooLarge as err:
        # A chunked body has no Content-Length for the middleware to check: aiohttp finds
        # it too large only while reading, and would answer in plain text.
        raise RequestTooLarge from err
    except (ValueError, HttpProcessingError) as err:  # broken encodings, broken multipart
        raise InvalidParameter("Malformed request body") from err
    return Form([(key, str(value)) for key, value in data.items()])


def inject(request: web.Request, operation: str) -> None:
    """Answer with an injected API error when the scenario or a test asked for one."""
    status = request.app[STATE].take_api_error(operation)
    if status is not None:
        raise injected(status)
