"""HTTP routes: Twilio's REST API (v2010) for calls, their notifications and numbers, and the
inspector under /_sim/."""

from __future__ import annotations

import json

from aiohttp import web

from .errors import CallNotFound, DialRefused, NotFound
from .http import MAX_REQUEST, STATE, SimulatorState, engine_of, inject, read_form, rest_middleware
from .inspector import render_page
from .resources import API, call_json, notification_json, page, phone_number_json
from .scenario import ScenarioError


async def create_call(request: web.Request) -> web.Response:
    inject(request, "calls.create")
    engine = engine_of(request)
    leg = engine.create_call(await read_form(request))
    return web.json_response(call_json(leg, engine.clock), status=201)


async def list_calls(request: web.Request) -> web.Response:
    inject(request, "calls.list")
    engine = engine_of(request)
    legs = engine.list_calls(await read_form(request))
    records = [call_json(leg, engine.clock) for leg in legs]
    return web.json_response(page("calls", records, request.path, dict(request.query)))


async def fetch_call(request: web.Request) -> web.Response:
    inject(request, "calls.fetch")
    engine = engine_of(request)
    return web.json_response(call_json(engine.get(request.match_info["sid"]), engine.clock))


async def update_call(request: web.Request) -> web.Response:
    inject(request, "calls.update")
    engine = engine_of(request)
    leg = await engine.update_call(request.match_info["sid"], await read_form(request))
    return web.json_response(call_json(leg, engine.clock))


async def delete_call(request: web.Request) -> web.Response:
    inject(request, "calls.delete")
    engine_of(request).delete_call(request.match_info["sid"])
    return web.Response(status=204)


async def list_notifications(request: web.Request) -> web.Response:
    inject(request, "notifications.list")
    engine = engine_of(request)
    try:
        found = engine.list_notifications(request.match_info["sid"], await read_form(request))
    except CallNotFound as err:
        raise NotFound(request.path) from err  # Twilio names the subresource's path
    records = [notification_json(n, engine.scenario.account_sid, engine.clock) for n in found]
    return web.json_response(page("notifications", records, request.path, dict(request.query)))


async def list_numbers(request: web.Request) -> web.Response:
    inject(request, "incoming_phone_numbers.list")
    engine = engine_of(request)
    numbers = engine.numbers.listed(request.query.get("PhoneNumber"))
    records = [phone_number_json(n, engine.scenario.account_sid, engine.clock) for n in numbers]
    return web.json_response(
        page("incoming_phone_numbers", records, request.path, dict(request.query))
    )


async def fetch_number(request: web.Request) -> web.Response:
    inject(request, "incoming_phone_numbers.fetch")
    engine = engine_of(request)
    number = engine.numbers.get(request.match_info["sid"])
    return web.json_response(phone_number_json(number, engine.scenario.account_sid, engine.clock))


async def update_number(request: web.Request) -> web.Response:
    inject(request, "incoming_phone_numbers.update")
    engine = engine_of(request)
    number = engine.numbers.get(request.match_info["sid"])
    engine.numbers.update(number, await read_form(request), engine.clock.now())
    return web.json_response(phone_number_json(number, engine.scenario.account_sid, engine.clock))


async def not_found(request: web.Request) -> web.Response:
    raise NotFound(request.path)


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
    return web.json_response({"now": engine_of(request).clock.now()})


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


async def sim_dial(request: web.Request) -> web.Response:
    """An inbound call: a virtual phone `from` calls the owned number `to`; `caller_id`
    (optional) is what Twilio reports as From, e.g. "anonymous" for a withheld number."""
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise DialRefused('expected {"from": ..., "to": ...}')
        caller_id = body.get("caller_id")
        leg = engine_of(request).dial_inbound(
            str(body.get("from") or ""),
            str(body.get("to") or ""),
            None if caller_id is None else str(caller_id),
        )
    except ValueError as err:  # DialRefused, JSONDecodeError, UnicodeDecodeError
        return web.json_response({"error": str(err)}, status=400)
    return web.json_response(call_json(leg, engine_of(request).clock), status=201)


async def sim_page(request: web.Request) -> web.Response:
    return web.Response(text=render_page(request.app[STATE].inspect()), content_type="text/html")


def build_app(state: SimulatorState) -> web.Application:
    app = web.Application(middlewares=[rest_middleware], client_max_size=MAX_REQUEST)
    app[STATE] = state
    account = f"{API}/Accounts/{{account}}"
    app.router.add_post(f"{account}/Calls.json", create_call)
    app.router.add_get(f"{account}/Calls.json", list_calls)
    app.router.add_get(f"{account}/Calls/{{sid}}.json", fetch_call)
    app.router.add_post(f"{account}/Calls/{{sid}}.json", update_call)
    app.router.add_delete(f"{account}/Calls/{{sid}}.json", delete_call)
    app.router.add_get(f"{account}/Calls/{{sid}}/Notifications.json", list_notifications)
    app.router.add_get(f"{account}/IncomingPhoneNumbers.json", list_numbers)
    app.router.add_get(f"{account}/IncomingPhoneNumbers/{{sid}}.json", fetch_number)
    app.router.add_post(f"{account}/IncomingPhoneNumbers/{{sid}}.json", update_number)
    for extend in state.route_extensions:  # e.g. Conferences, registered before the catch-all
        extend(app, account)
    app.router.add_route("*", f"{API}/{{tail:.*}}", not_found)
    app.router.add_get("/_sim/calls", sim_calls)
    app.router.add_post("/_sim/clock/advance", sim_advance)
    app.router.add_post("/_sim/reset", sim_reset)
    app.router.add_post("/_sim/faults", sim_faults)
    app.router.add_post("/_sim/dial", sim_dial)
    app.router.add_get("/_sim/", sim_page)
    app.router.add_get("/_sim", sim_page)
    return app
