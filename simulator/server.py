"""HTTP routes: Twilio's REST API (v2010) and the inspector under /_sim/."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .engine import ApiError, Engine, Form
from .inspector import render_page
from .resources import API, call_json, error_json, page, phone_number_json
from .scenario import ScenarioError

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ENGINE: web.AppKey[Engine] = web.AppKey("engine", Engine)
STATE: web.AppKey[Any] = web.AppKey("state", object)
MAX_REQUEST = 64 * 1024


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(error_json(status, code, message), status=status)


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
    engine = request.app[ENGINE]
    if not _authenticated(request, engine):
        return _error(401, 20003, "Authenticate")
    account = request.match_info.get("account")
    if account is not None and account != engine.scenario.account_sid:
        return _error(401, 20003, "Authenticate")
    if request.content_length is not None and request.content_length > MAX_REQUEST:
        return _error(413, 20413, "Request entity too large")
    try:
        return await handler(request)
    except ApiError as err:
        return _error(err.status, err.code, err.message)
    except web.HTTPException:
        raise
    except Exception:
        _LOGGER.exception("simulator error on %s %s", request.method, request.path)
        return _error(500, 20500, "Internal Server Error")


async def read_form(request: web.Request) -> Form:
    if request.method == "GET":
        return Form(list(request.query.items()))
    try:
        data = await request.post()
    except (ValueError, HttpProcessingError) as err:  # broken encodings, broken multipart
        raise ApiError(400, 20001, "Malformed request body") from err
    return Form([(key, str(value)) for key, value in data.items()])


def inject(request: web.Request, operation: str) -> None:
    """Answer with an injected API error when the scenario or a test asked for one."""
    state = request.app[STATE]
    status = state.take_api_error(operation)
    if status is None:
        return
    codes = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
    messages = {429: "Too Many Requests", 401: "Authenticate", 503: "Service Unavailable"}
    raise ApiError(status, codes.get(status, 20500), messages.get(status, "Internal Server Error"))


async def create_call(request: web.Request) -> web.Response:
    inject(request, "calls.create")
    engine = request.app[ENGINE]
    leg = engine.create_call(await read_form(request))
    return web.json_response(call_json(leg, engine.clock), status=201)


async def list_calls(request: web.Request) -> web.Response:
    inject(request, "calls.list")
    engine = request.app[ENGINE]
    legs = engine.list_calls(await read_form(request))
    records = [call_json(leg, engine.clock) for leg in legs]
    return web.json_response(page("calls", records, request.path, dict(request.query)))


async def fetch_call(request: web.Request) -> web.Response:
    inject(request, "calls.fetch")
    engine = request.app[ENGINE]
    return web.json_response(call_json(engine.get(request.match_info["sid"]), engine.clock))


async def update_call(request: web.Request) -> web.Response:
    inject(request, "calls.update")
    engine = request.app[ENGINE]
    leg = await engine.update_call(request.match_info["sid"], await read_form(request))
    return web.json_response(call_json(leg, engine.clock))


async def delete_call(request: web.Request) -> web.Response:
    inject(request, "calls.delete")
    request.app[ENGINE].delete_call(request.match_info["sid"])
    return web.Response(status=204)


async def list_numbers(request: web.Request) -> web.Response:
    inject(request, "incoming_phone_numbers.list")
    engine = request.app[ENGINE]
    wanted = request.query.get("PhoneNumber")
    numbers = [n for n in engine.scenario.numbers if not wanted or wanted in n]
    records = [phone_number_json(n, engine.scenario.account_sid, engine.clock) for n in numbers]
    return web.json_response(
        page("incoming_phone_numbers", records, request.path, dict(request.query))
    )


async def not_found(request: web.Request) -> web.Response:
    raise ApiError(404, 20404, f"The requested resource {request.path} was not found")


# ------------------------------------------------------------------------- inspector


async def sim_calls(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].inspect())


MAX_ADVANCE = 1e8  # about three years: beyond it the wall clock would overflow eventually


async def sim_advance(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        seconds = float(body.get("seconds", 0))
    except (ValueError, AttributeError, TypeError, json.JSONDecodeError):
        return web.json_response({"error": 'expected {"seconds": N}'}, status=400)
    # NaN, infinity or huge values would wreck the clock for good (datetime overflow).
    if not 0 <= seconds <= MAX_ADVANCE:
        return web.json_response(
            {"error": f"seconds must be a number from 0 to {MAX_ADVANCE:g}"}, status=400
        )
    await request.app[STATE].advance(seconds)
    return web.json_response({"now": request.app[ENGINE].clock.now()})


async def sim_reset(request: web.Request) -> web.Response:
    await request.app[STATE].reset()
    return web.json_response({"reset": True})


async def sim_faults(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ScenarioError("expected a JSON object of faults")
        request.app[STATE].set_faults(body)
    except ValueError as err:  # ScenarioError, JSONDecodeError, UnicodeDecodeError
        return web.json_response({"error": str(err)}, status=400)
    return web.json_response({"faults": True})


async def sim_page(request: web.Request) -> web.Response:
    return web.Response(text=render_page(request.app[STATE].inspect()), content_type="text/html")


def build_app(engine: Engine, state: Any) -> web.Application:
    app = web.Application(middlewares=[rest_middleware], client_max_size=MAX_REQUEST)
    app[ENGINE] = engine
    app[STATE] = state
    account = f"{API}/Accounts/{{account}}"
    app.router.add_post(f"{account}/Calls.json", create_call)
    app.router.add_get(f"{account}/Calls.json", list_calls)
    app.router.add_get(f"{account}/Calls/{{sid}}.json", fetch_call)
    app.router.add_post(f"{account}/Calls/{{sid}}.json", update_call)
    app.router.add_delete(f"{account}/Calls/{{sid}}.json", delete_call)
    app.router.add_get(f"{account}/IncomingPhoneNumbers.json", list_numbers)
    for extend in state.route_extensions:  # e.g. Conferences, registered before the catch-all
        extend(app, account)
    app.router.add_route("*", f"{API}/{{tail:.*}}", not_found)
    app.router.add_get("/_sim/calls", sim_calls)
    app.router.add_post("/_sim/clock/advance", sim_advance)
    app.router.add_post("/_sim/reset", sim_reset)
    app.router.add_post("/_sim/faults", sim_faults)
    app.router.add_get("/_sim/", sim_page)
    app.router.add_get("/_sim", sim_page)
    return app
