"""What Twilio does with calls: dialing, ringing, answering, running TwiML, bridging, billing.

Every change of state happens in a timer on the virtual clock (or in a REST request), one
at a time, so a run on the manual clock is reproducible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import urljoin

import phonenumbers

from .billing import billed_minutes, is_valid_e164, leg_price
from .clock import Timer, VirtualClock
from .errors import (
    CallNotFound,
    CallNotInProgress,
    DestinationNotAllowed,
    DialRefused,
    FromMissing,
    FromNotOwned,
    FromNotVoiceCapable,
    InvalidFrom,
    InvalidParameter,
    InvalidStatusCallbackEvent,
    InvalidTimeout,
    InvalidTo,
    InvalidUrl,
    Notice,
    ToMissing,
    ToNotValid,
    TwimlTooLong,
    WebhookError,
)
from .forms import Form
from .listing import on_days
from .models import DialState, Exchange, Leg, Notification, WebhookResponse, new_sid
from .numbers import IncomingNumbers
from .scenario import Scenario
from .twiml import (
    Dial,
    Gather,
    Hangup,
    Number,
    Pause,
    Play,
    Redirect,
    Reject,
    Say,
    TwimlError,
    parse,
)

CALL_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
SIP_CODES = {"completed": 200, "busy": 486, "no-answer": 487, "failed": 404, "canceled": 487}
MAX_TIMEOUT = 600.0
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
KEY_GAP = 0.5  # seconds between two keys a virtual phone presses


def country_of(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _seconds(form: Form, key: str, default: float, low: float, high: float) -> float:
    """A number of seconds, clamped to Twilio's range; Timeout has its own error code."""
    raw = form.get(key)
    if raw is None or raw == "":
        return default
    error = InvalidTimeout if key == "Timeout" else InvalidParameter
    try:
        value = float(raw)
    except ValueError as err:
        raise error(f"{key} must be a number, got {raw!r}") from err
    if math.isnan(value):  # NaN would sit on the clock forever and break its ordering
        raise error(f"{key} must be a number, got {raw!r}")
    return min(max(value, low), high)


def _unanswered(leg: Leg) -> str:
    """How a call ends that was never answered: canceled, or no-answer for an inbound
    call (Twilio's TwiML changelog, 2024: no longer canceled)."""
    return "no-answer" if leg.direction == "inbound" else "canceled"


def _collected(
    pressed: list[tuple[str, float]], verb: Gather, prompt: float
) -> tuple[str, str, float]:
    """What a <Gather> collects from keys pressed at the given seconds after it started:
    the digits, the finishOnKey that ended it ("" if none) and when it ends.

    Input ends at the finishOnKey (not part of Digits unless pressed alone), once
    numDigits digits are in, or `timeout` seconds after the prompt or the last key.
    """
    digits = ""
    deadline = prompt + verb.timeout
    for key, at in pressed:
        if at > deadline:
            break  # too late: the <Gather> is over
        if verb.finish_on_key and key == verb.finish_on_key:
            return digits or key, key, at
        digits += key
        if verb.num_digits and len(digits) >= verb.num_digits:
            return digits, "", at
        deadline = at + verb.timeout
    return digits, "", deadline


class Sender(Protocol):
    """Sends signed webhooks to the application (simulator/webhooks.py)."""

    def build(self, kind: str, url: str, method: str, params: dict[str, str]) -> Exchange: ...

    async def send(self, exchange: Exchange, idempotency_token: str) -> WebhookResponse: ...


class Dispatcher(Protocol):
    """Delivers status callbacks apart from the call flow (simulator/webhooks.py)."""

    def submit(self, key: str, leg_sid: str, exchange: Exchange, *, final: bool) -> None: ...

    def flush(self, key: str, leg_sid: str) -> None: ...


class Engine:
    """The simulated account: its call legs and everything that happens to them."""

    def __init__(
        self,
        scenario: Scenario,
        clock: VirtualClock,
        sender: Sender,
        dispatcher: Dispatcher,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.sender = sender
        self.dispatcher = dispatcher
        self.legs: dict[str, Leg] = {}
        self.numbers = IncomingNumbers(scenario)
        self.notifications: list[Notification] = []  # the account's, oldest first
        # Modules that handle some <Dial> nouns themselves (e.g. <Conference>): each returns
        # True when it took the <Dial>. Leg listeners hear of every leg that ends, and of
        # a running <Dial> stopped by a REST redirect.
        self.extensions: list[Callable[[Leg, Dial], Awaitable[bool]]] = []
        self.end_listeners: list[Callable[[Leg], Awaitable[None]]] = []
        # Legs that join a conference as soon as they answer, instead of running TwiML.
        self.joiners: dict[str, Callable[[], Awaitable[object]]] = {}
        self.stop_listeners: list[Callable[[Leg], Awaitable[None]]] = []

    # ---------------------------------------------------------------- REST operations

    def create_call(self, form: Form) -> Leg:
        to = (form.get("To") or "").strip()
        from_ = (form.get("From") or "").strip()
        url = form.get("Url")
        twiml = form.get("Twiml")
        if not to:
            raise ToMissing
        if not from_:
            raise FromMissing
        if not is_valid_e164(from_):
            raise InvalidFrom(from_)
        if from_ not in self.scenario.numbers:
            raise FromNotOwned(from_)
        if not self.scenario.capabilities(from_).voice:
            raise FromNotVoiceCapable(from_)
        if not E164.fullmatch(to):
            raise InvalidTo(to)
        if not is_valid_e164(to):
            raise ToNotValid(to)
        allowed = self.scenario.allowed_destinations
        if allowed and not any(to.startswith(prefix) for prefix in allowed):
            raise DestinationNotAllowed(to)
        if not url and not twiml:
            raise InvalidUrl("Url or Twiml is required")
        if url and not url.startswith(("http://", "https://")):
            raise InvalidUrl(f"Url is not a valid URL: {url}")
        if twiml and not url and len(twiml) > 4000:
            raise TwimlTooLong
        events = self._events(form.getall("StatusCallbackEvent"))
        leg = Leg(
            sid=new_sid("CA"),
            account_sid=self.scenario.account_sid,
            to=to,
            from_=from_,
            direction="outbound-api",
            phone=self.scenario.phone(to),
            created_at=self.clock.now(),
            url=url,
            method=(form.get("Method") or "POST").upper(),
            twiml=None if url else twiml,  # with both, Twilio ignores Twiml on create
            status_callback=form.get("StatusCallback") or None,
            status_callback_method=(form.get("StatusCallbackMethod") or "POST").upper(),
            status_callback_events=events,
            timeout=_seconds(form, "Timeout", 60.0, 1.0, MAX_TIMEOUT),
            time_limit=_seconds(form, "TimeLimit", 14400.0, 1.0, 86400.0),
            machine_detection=form.get("MachineDetection") or None,
            price_unit=self.scenario.rates.currency,
        )
        self.legs[leg.sid] = leg
        self._record(leg, "queued")
        self.after(leg, 0, lambda: self._dial_out(leg))
        return leg

    def _events(self, raw: list[str]) -> frozenset[str]:
        events: set[str] = set()
        for item in raw:
            for event in item.replace(",", " ").split():
                if event not in CALL_EVENTS:
                    raise InvalidStatusCallbackEvent(event)
                events.add(event)
        return frozenset(events)

    def dial_inbound(self, caller: str, to: str, caller_id: str | None = None) -> Leg:
        """A virtual phone (`caller`, whose scenario script it follows) calls the owned
        number `to`. Twilio reports `caller_id` as From when given: a withheld number
        arrives as "anonymous" or "+266696687"."""
        number = self.numbers.owner_of(to)
        if number is None:
            raise DialRefused(f"{to!r} is not one of the account's numbers")
        if not number.capabilities.voice:
            raise DialRefused(f"{to!r} is not voice-capable: it takes no calls")
        if not caller:
            raise DialRefused("a call needs the calling phone's number (from)")
        leg = Leg(
            sid=new_sid("CA"),
            account_sid=self.scenario.account_sid,
            to=to,
            from_=caller_id if caller_id is not None else caller,
            direction="inbound",
            phone=self.scenario.phone(caller),
            created_at=self.clock.now(),
            status="ringing",
            url=number.settings.voice_url,
            method=number.settings.voice_method,
            # The number's StatusCallback hears of the call's end (Twilio's default event).
            status_callback=number.settings.status_callback,
            status_callback_method=number.settings.status_callback_method,
            price_unit=self.scenario.rates.currency,
            phone_number_sid=number.sid,
        )
        self.legs[leg.sid] = leg
        leg.started_at = leg.created_at
        self._progress(leg, "ringing")
        self.after(leg, 0, lambda: self._ring_in(leg))
        return leg

    async def _ring_in(self, leg: Leg) -> None:
        """Ask the number's Voice URL what to do with the ringing call."""
        if leg.ended:
            return
        if not leg.url:
            # No Voice URL: the number is out of service for calls. Nothing is requested
            # and nothing billed (reference §10).
            await self._end(leg, "no-answer")
            return
        await self._fetch_and_run(leg, leg.url, leg.method, "voice")

    def get(self, sid: str) -> Leg:
        leg = self.legs.get(sid)
        if leg is None:
            raise CallNotFound(sid)
        return leg

    async def update_call(self, sid: str, form: Form) -> Leg:
        leg = self.get(sid)
        status = form.get("Status")
        url = form.get("Url")
        twiml = form.get("Twiml")
        if url and twiml:
            raise InvalidUrl("Url and Twiml are mutually exclusive")
        if "TimeLimit" in form:
            leg.time_limit = _seconds(form, "TimeLimit", leg.time_limit, 1.0, 86400.0)
            await self._reschedule_limit(leg)
        if status:
            if status not in {"completed", "canceled"}:
                raise InvalidParameter(f"Invalid Status: {status}")
            if leg.ended:
                return leg  # Twilio answers with the call unchanged
            if status == "canceled" and leg.status == "in-progress":
                return leg  # canceled only affects queued or ringing calls
            await self._end(leg, "completed" if leg.status == "in-progress" else _unanswered(leg))
            return leg
        if url or twiml:
            if leg.status != "in-progress":
                raise CallNotInProgress
            await self._stop_dial(leg)
            leg.generation += 1  # the running document's pending verbs must not fire
            if url:
                leg.method = (form.get("Method") or "POST").upper()
                await self._fetch_and_run(leg, url, leg.method, "voice")
            else:
                await self._load_and_run(leg, twiml or "", leg.document_url)
        return leg

    async def _reschedule_limit(self, leg: Leg) -> None:
        """Apply a new TimeLimit to an answered call: it counts from the answer."""
        if leg.ended or leg.answered_at is None or leg.direction == "outbound-dial":
            return  # not running yet (the limit starts at the answer) or a <Dial> child
        if leg.limit_timer is not None:
            leg.limit_timer.cancel()
        remaining = leg.answered_at + leg.time_limit - self.clock.now()
        if remaining <= 0:
            await self._end(leg, "completed")
            return
        leg.limit_timer = self.after(leg, remaining, lambda: self._end(leg, "completed"))

    def delete_call(self, sid: str) -> None:
        leg = self.get(sid)
        if not leg.ended:
            raise CallNotInProgress("Cannot delete a call that is in progress")
        del self.legs[sid]

    def list_calls(self, form: Form) -> list[Leg]:
        legs = list(reversed(self.legs.values()))  # newest first, as Twilio lists them
        exact: dict[str, Callable[[Leg], str | None]] = {
            "To": lambda leg: leg.to,
            "From": lambda leg: leg.from_,
            "Status": lambda leg: leg.status,
            "ParentCallSid": lambda leg: leg.parent_sid,
        }
        for key, field_of in exact.items():
            if value := form.get(key):
                legs = [leg for leg in legs if field_of(leg) == value]
        legs = on_days(legs, form, "StartTime", lambda leg: leg.started_at, self._day)
        return on_days(legs, form, "EndTime", lambda leg: leg.ended_at, self._day)

    def list_notifications(self, call_sid: str, form: Form) -> list[Notification]:
        """A call's notifications, newest first; filters `Log` (0 errors, 1 warnings) and
        `MessageDate` (also `MessageDate<`, `MessageDate>`)."""
        found = list(reversed(self.get(call_sid).errors))
        if raw := form.get("Log"):
            try:
                level = int(raw)
            except ValueError as err:
                raise InvalidParameter(f"Log must be 0 or 1, got {raw!r}") from err
            found = [n for n in found if n.code.log == level]
        return on_days(found, form, "MessageDate", lambda n: n.at, self._day)

    def _day(self, at: float) -> str:
        return self.clock.wall(at).strftime("%Y-%m-%d")

    # ---------------------------------------------------------------- timers

    def after(self, leg: Leg, delay: float, action: Callable[[], Awaitable[None]]) -> Timer:
        """Run `action` on the clock after `delay`; the timer dies with the leg."""

        async def fire() -> None:
            await action()

        timer = self.clock.call_later(delay, fire)
        leg.timers.append(timer)
        return timer

    def _after_verb(self, leg: Leg, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        """Like _after, for a verb of the running document: void once another replaces it."""
        generation = leg.generation

        async def fire() -> None:
            if leg.generation == generation:
                await action()

        self.after(leg, delay, fire)

    # ---------------------------------------------------------------- call flow

    async def _dial_out(self, leg: Leg) -> None:
        if leg.ended:
            return
        leg.started_at = self.clock.now()
        self._progress(leg, "initiated")
        phone = leg.phone
        if phone.behavior == "fail":
            await self._end(leg, "failed", sip=404)
            return
        leg.status = "ringing"
        self._progress(leg, "ringing")
        match phone.behavior:
            case "busy":
                self.after(leg, 1, lambda: self._end(leg, "busy", sip=486))
            case "reject":
                # A declined call is reported as no-answer with SIP 603 Decline.
                delay = min(phone.answer_after, leg.timeout)
                self.after(leg, delay, lambda: self._end(leg, "no-answer", sip=603))
            case "no-answer":
                self.after(leg, leg.timeout, lambda: self._end(leg, "no-answer", sip=487))
            case _:
                if phone.answer_after >= leg.timeout:
                    self.after(leg, leg.timeout, lambda: self._end(leg, "no-answer", sip=487))
                else:
                    self.after(leg, phone.answer_after, lambda: self._answer(leg))

    async def _answer(self, leg: Leg) -> None:
        """The called phone picks up."""
        if leg.ended:
            return
        leg.cancel_timers()
        if leg.machine_detection:
            leg.answered_by = "human"
            if leg.phone.behavior == "voicemail":
                # DetectMessageEnd waits for the greeting to end (the beep) before answering.
                end = leg.machine_detection == "DetectMessageEnd"
                leg.answered_by = "machine_end_beep" if end else "machine_start"
        self._pick_up(leg)
        if leg.direction == "outbound-api":
            joiner = self.joiners.pop(leg.sid, None)
            if joiner is not None:
                await joiner()  # a conference participant added through the REST API
            elif leg.url:
                await self._fetch_and_run(leg, leg.url, leg.method, "voice")
            else:
                await self._load_and_run(leg, leg.twiml or "", None)
        else:
            await self._child_answered(leg)

    def _pick_up(self, leg: Leg) -> None:
        """The call is answered: billed from now; the phone hangs up when its script says."""
        leg.status = "in-progress"
        leg.answered_at = self.clock.now()
        self._progress(leg, "answered")
        if leg.phone.hangup_after is not None:
            self.after(leg, leg.phone.hangup_after, lambda: self._end(leg, "completed"))
        if leg.direction != "outbound-dial":  # a <Dial> child has the <Dial>'s timeLimit
            leg.limit_timer = self.after(leg, leg.time_limit, lambda: self._end(leg, "completed"))

    def params(self, leg: Leg, status: str | None = None) -> dict[str, str]:
        """The standard parameters of every voice request (reference §1.2)."""
        to_country, from_country = country_of(leg.to), country_of(leg.from_)
        params = {
            "AccountSid": leg.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": leg.sid,
            "CallStatus": status or leg.status,
            "Called": leg.to,
            "Caller": leg.from_,
            "Direction": leg.direction,
            "From": leg.from_,
            "To": leg.to,
        }
        for prefix, country in (
            ("Called", to_country),
            ("To", to_country),
            ("Caller", from_country),
            ("From", from_country),
        ):
            # Empty geo keys are sent (and signed) as Twilio sends them.
            params.update(
                {
                    f"{prefix}City": "",
                    f"{prefix}State": "",
                    f"{prefix}Zip": "",
                    f"{prefix}Country": country,
                }
            )
        if leg.parent_sid:
            params["ParentCallSid"] = leg.parent_sid
        if leg.answered_by:
            params["AnsweredBy"] = leg.answered_by
        return params

    def _record(self, leg: Leg, status: str) -> None:
        leg.timeline.append((self.clock.now(), status))

    def _progress(self, leg: Leg, event: str) -> None:
        """Fire a call-progress event; send it if the leg subscribed to it."""
        status = {"answered": "in-progress", "completed": leg.status}.get(event, event)
        self._record(leg, status)
        sequence = leg.sequence
        leg.sequence += 1  # counts every fired event, subscribed or not
        if not leg.status_callback:
            return
        events = leg.status_callback_events or frozenset({"completed"})
        if event not in events:
            if event == "completed":
                self.dispatcher.flush(self._root(leg), leg.sid)
            return
        params = self.params(leg, status)
        params.update(
            {
                "Timestamp": format_datetime(self.clock.wall()),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(sequence),
            }
        )
        if event == "completed":
            duration = leg.duration or 0
            params["CallDuration"] = str(duration)
            params["Duration"] = str(billed_minutes(duration))
            if leg.sip_response_code is not None:
                params["SipResponseCode"] = str(leg.sip_response_code)
        exchange = self.sender.build(
            "status", leg.status_callback, leg.status_callback_method, params
        )
        leg.exchanges.append(exchange)
        self.dispatcher.submit(self._root(leg), leg.sid, exchange, final=event == "completed")

    def _root(self, leg: Leg) -> str:
        return leg.parent_sid or leg.sid

    def _error(
        self,
        leg: Leg,
        code: Notice,
        message: str,
        *,
        url: str | None = None,
        method: str | None = None,
        status: int | None = None,
    ) -> None:
        """Log a notification on the call, as Twilio's debugger does; `url` and `method` name
        the request that caused it, `status` what the application answered."""
        notification = Notification(
            sid=new_sid("NO"),
            call_sid=leg.sid,
            code=code,
            message=message,
            at=self.clock.now(),
            url=url,
            method=method,
            status=status,
        )
        leg.errors.append(notification)
        self.notifications.append(notification)

    def callback_failed(self, leg_sid: str, exchange: Exchange, error: WebhookError) -> None:
        """A status callback answered 4xx/5xx: Twilio logs warning 15003 on the call. (A
        callback that could not be delivered at all is logged by no code Twilio documents.)"""
        leg = self.legs.get(leg_sid)
        if leg is not None and error.status is not None:
            self._error(
                leg,
                Notice.CALLBACK_ERROR_RESPONSE,
                f"Got HTTP {error.status} response to {exchange.url}",
                url=exchange.url,
                method=exchange.method,
                status=error.status,
            )

    async def _request(
        self, leg: Leg, kind: str, url: str, method: str, params: Mapping[str, str]
    ) -> str | None:
        """POST (or GET) a signed webhook and return its body; None after an error."""
        exchange = self.sender.build(kind, url, method, dict(params))
        leg.exchanges.append(exchange)
        try:
            response = await self.sender.send(exchange, f"{leg.sid}-{kind}-{len(leg.exchanges)}")
        except WebhookError as err:
            self._error(
                leg, err.code, str(err), url=exchange.url, method=exchange.method, status=err.status
            )
            return None
        return response.body

    async def _fetch_and_run(
        self,
        leg: Leg,
        url: str,
        method: str,
        kind: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        url = urljoin(leg.document_url or "", url)
        params = self.params(leg)
        params.update(extra or {})
        body = await self._request(leg, kind, url, method, params)
        if leg.ended:
            return  # e.g. the caller hung up while the application was answering
        if body is None:
            await self._end(leg, "completed" if leg.answered_at is not None else "failed")
            return
        await self._load_and_run(leg, body, url, method)

    async def _load_and_run(
        self, leg: Leg, body: str, url: str | None, method: str | None = None
    ) -> None:
        """Run a TwiML document: fetched from `url` with `method`, or given over REST."""
        try:
            document = parse(body)
        except TwimlError as err:
            message = f"Document parse failure: {err}"
            self._error(leg, Notice.DOCUMENT_PARSE_FAILURE, message, url=url, method=method)
            await self._end(leg, "completed" if leg.answered_at is not None else "failed")
            return
        leg.generation += 1
        leg.program = document.verbs
        leg.pc = 0
        leg.document_url = url
        await self._run(leg)

    async def _run(self, leg: Leg) -> None:
        """Run verbs until one of them has to wait on the clock."""
        while not leg.ended and leg.pc < len(leg.program):
            verb = leg.program[leg.pc]
            if leg.answered_at is None and not isinstance(verb, Pause | Redirect):
                # Only an inbound call runs TwiML while it rings: <Reject> (or <Hangup>)
                # first refuses it unanswered and unbilled; any other verb but <Pause> and
                # <Redirect> answers it.
                if isinstance(verb, Reject | Hangup):
                    await self._refuse(leg, verb)
                    return
                self._pick_up(leg)
            leg.pc += 1
            match verb:
                case Say() | Play():
                    self._after_verb(leg, verb.seconds(), lambda: self._run(leg))
                    return
                case Pause():
                    self._after_verb(leg, verb.length, lambda: self._run(leg))
                    return
                case Hangup() | Reject():
                    await self._end(leg, "completed")
                    return
                case Redirect():
                    await self._fetch_and_run(leg, verb.url, verb.method, "redirect")
                    return
                case Gather():
                    self._gather(leg, verb)
                    return
                case Dial():
                    if leg.whisper:
                        self._error(
                            leg,
                            Notice.DOCUMENT_PARSE_FAILURE,
                            "<Dial> is not allowed in a whisper",
                            url=leg.document_url,
                        )
                        await self._end(leg, "completed")
                        return
                    await self._start_dial(leg, verb)
                    return
        if leg.ended:
            return
        if leg.whisper:
            await self._bridge(leg)  # a whisper that runs out of verbs connects the call
        else:
            await self._end(leg, "completed" if leg.answered_at is not None else "no-answer")

    async def _refuse(self, leg: Leg, verb: Reject | Hangup) -> None:
        """End a ringing inbound call without answering it: busy (a busy tone) for
        reason="busy", else no-answer (SIP 603 Decline, as a declined call)."""
        if isinstance(verb, Reject) and verb.reason == "busy":
            await self._end(leg, "busy", sip=486)
        else:
            await self._end(leg, "no-answer", sip=603)

    def _gather(self, leg: Leg, verb: Gather) -> None:
        """Listen for the phone's keys; request the action with them, or go on without.

        Twilio listens from the start of the prompt (a key cuts it short) and waits
        `timeout` seconds after the prompt, then `timeout` after each key, for the next.
        """
        prompt = sum(p.seconds() if isinstance(p, Say | Play) else p.length for p in verb.prompts)
        keys = "" if leg.phone.behavior == "voicemail" else leg.phone.digits
        first = prompt if leg.phone.digits_after is None else leg.phone.digits_after
        pressed = [(key, first + KEY_GAP * i) for i, key in enumerate(keys)]
        digits, finished_on, done = _collected(pressed, verb, prompt)
        if not digits and not verb.action_on_empty_result:
            # No input: Twilio falls through to the next verb after the timeout.
            self._after_verb(leg, done, lambda: self._run(leg))
            return
        action = verb.action or leg.document_url or ""
        extra = {"Digits": digits, "FinishedOnKey": finished_on}

        async def submit() -> None:
            await self._fetch_and_run(leg, action, verb.method, "gather", extra)

        self._after_verb(leg, done, submit)

    # ---------------------------------------------------------------- <Dial>

    async def _start_dial(self, parent: Leg, verb: Dial) -> None:
        for extension in self.extensions:
            if await extension(parent, verb):
                return  # e.g. <Conference>, handled by its own module
        state = DialState(verb=verb)
        parent.dial = state
        children: list[Leg] = []
        for number in verb.numbers:
            if not is_valid_e164(number.number):
                self._error(
                    parent,
                    Notice.DIAL_INVALID_NUMBER,
                    f"Dial: invalid phone number {number.number}",
                    url=parent.document_url,
                )
                continue
            child = Leg(
                sid=new_sid("CA"),
                account_sid=parent.account_sid,
                to=number.number,
                from_=verb.caller_id or parent.from_,
                direction="outbound-dial",
                phone=self.scenario.phone(number.number),
                created_at=self.clock.now(),
                parent_sid=parent.sid,
                status_callback=number.status_callback,
                status_callback_method=number.status_callback_method,
                status_callback_events=frozenset(number.status_callback_events),
                timeout=min(max(verb.timeout, 1.0), MAX_TIMEOUT),
                price_unit=self.scenario.rates.currency,
                # Relative whisper URLs resolve against the parent's document.
                document_url=parent.document_url,
            )
            self.legs[child.sid] = child
            state.children.append(child.sid)
            state.whispers[child.sid] = number
            self._record(child, "queued")
            children.append(child)
        # Dial only once every leg exists: a leg failing at once must not look like the
        # last one and finish the <Dial> while the others are still to be dialed.
        for child in children:
            await self._dial_out(child)
        if not state.children:
            await self._dial_finished(parent, None)

    async def _child_answered(self, child: Leg) -> None:
        parent = self.legs[child.parent_sid or ""]
        state = parent.dial
        if state is None or state.done or state.bridged_child or parent.ended:
            await self._end(child, "completed")
            return
        number: Number | None = state.whispers.get(child.sid)
        if number is not None and number.url:
            child.whisper = True
            self._record(child, "whisper")  # the caller hears ringing meanwhile
            await self._fetch_and_run(child, number.url, number.method, "whisper")
        else:
            await self._bridge(child)

    async def _bridge(self, child: Leg) -> None:
        child.whisper = False
        parent = self.legs[child.parent_sid or ""]
        state = parent.dial
        if state is None or state.done or parent.ended:
            await self._end(child, "completed")
            return
        state.bridged_child = child.sid
        state.bridged_at = self.clock.now()
        parent.bridged_to, child.bridged_to = child.sid, parent.sid
        self._record(child, "bridged")
        for other in state.children:
            if other != child.sid:
                await self._end(self.legs[other], "canceled")
        state.timers.append(
            self.clock.call_later(state.verb.time_limit, lambda: self._end(child, "completed"))
        )

    async def _stop_dial(self, parent: Leg) -> None:
        """End a running <Dial> without requesting its action (REST redirect)."""
        for listener in self.stop_listeners:
            await listener(parent)
        state = parent.dial
        if state is None:
            return
        state.done = True
        for timer in state.timers:
            timer.cancel()
        parent.dial = None
        for sid in state.children:
            child = self.legs[sid]
            await self._end(child, "completed" if child.answered_at is not None else "canceled")

    async def _dial_finished(self, parent: Leg, child: Leg | None) -> None:
        state = parent.dial
        if state is None or state.done:
            return
        state.done = True
        for timer in state.timers:
            timer.cancel()
        for sid in state.children:
            other = self.legs[sid]
            if not other.ended:
                await self._end(other, "canceled")
        parent.dial = None
        parent.bridged_to = None
        bridged = child is not None and state.bridged_child == child.sid
        if child is None:
            dial_status, duration = "failed", 0
        else:
            dial_status = "completed" if child.answered_at is not None else child.status
            duration = child.duration or 0
        extra = {"DialCallStatus": dial_status, "DialBridged": "true" if bridged else "false"}
        if child is not None:
            extra["DialCallSid"] = child.sid
            extra["DialCallDuration"] = str(duration)
        await self.complete_dial(parent, state.verb, extra)

    async def complete_dial(self, parent: Leg, verb: Dial, extra: dict[str, str]) -> None:
        """A <Dial> is over: request its action (or go on with the next verb)."""
        if verb.action:
            if parent.ended:
                # The caller hung up: the action is still requested; its TwiML is ignored.
                params = self.params(parent)
                params.update(extra)
                await self._request(
                    parent,
                    "action",
                    urljoin(parent.document_url or "", verb.action),
                    verb.method,
                    params,
                )
            else:
                await self._fetch_and_run(parent, verb.action, verb.method, "action", extra)
        elif not parent.ended:
            await self._run(parent)

    # ---------------------------------------------------------------- the end of a leg

    async def _end(self, leg: Leg, status: str, sip: int | None = None) -> None:
        if leg.ended:
            return
        leg.cancel_timers()
        # A participant added through the API that never answered will never join.
        self.joiners.pop(leg.sid, None)
        leg.status = status
        leg.ended_at = self.clock.now()
        leg.sip_response_code = sip if sip is not None else SIP_CODES.get(status)
        leg.whisper = False
        price = self.price(leg, leg.duration or 0)
        if self.scenario.price_delay:
            # Twilio settles prices some time after the call; until then price is null.
            async def settle() -> None:
                leg.price = price

            self.clock.call_later(self.scenario.price_delay, settle)
        else:
            leg.price = price
        self._progress(leg, "completed")
        for listener in self.end_listeners:
            await listener(leg)
        if leg.dial is not None:
            # The parent hung up: the dialed legs end with it.
            for sid in list(leg.dial.children):
                child = self.legs[sid]
                await self._end(child, "completed" if child.answered_at is not None else "canceled")
        if leg.parent_sid:
            parent = self.legs.get(leg.parent_sid)
            if parent is not None and parent.dial is not None and not parent.dial.done:
                state = parent.dial
                if state.bridged_child == leg.sid or all(
                    self.legs[sid].ended for sid in state.children
                ):
                    await self._dial_finished(parent, leg)

    async def hang_up(self, leg: Leg) -> None:
        """End a leg as if its TwiML said <Hangup/>."""
        await self._end(leg, "completed" if leg.answered_at is not None else _unanswered(leg))

    def price(self, leg: Leg, duration: int) -> Decimal:
        if leg.answered_at is None:
            return Decimal(0)
        if leg.direction == "inbound":
            return billed_minutes(duration) * self.scenario.rates.rate("inbound")
        return leg_price(duration, leg.to, self.scenario.rates)
