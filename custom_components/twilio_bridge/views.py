"""Twilio's webhooks: the answer, the leg status callbacks, the <Dial action>, conferences.

Twilio cannot log in, so the views are open (`requires_auth = False`) and the lock is the
X-Twilio-Signature, checked against the public URL Twilio was given (webhook_base_url),
never against request.url, which is wrong behind a proxy or Nabu Casa. A view reads no
Twilio field: core/ parses the form into a typed event (or a refusal) and checks that it
is about the record the URL names; the manager applies it.

Whatever a request carries, the answer is never a 500: a failure while processing is
logged with its context, Twilio gets safe TwiML (or 204), and the call is reconciled from
Twilio's REST API instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from urllib.parse import parse_qsl

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from .const import (
    URL_ANNOUNCE,
    URL_ANSWER,
    URL_ANSWER_LEG,
    URL_CONFERENCE,
    URL_DIAL_DONE,
    URL_DIAL_DONE_LEG,
    URL_GATHER,
    URL_INCOMING,
    URL_STATUS,
    URL_WHISPER,
)
from .core import twiml
from .core.calls import LEGS, CallRecord, LegName
from .core.ownership import owns_announcement, owns_conference, owns_leg
from .core.webhooks import (
    CallAnswered,
    Form,
    LegStatusChanged,
    Refusal,
    parse_announcement,
    parse_answer,
    parse_conference,
    parse_dial_result,
    parse_gather,
    parse_incoming,
    parse_leg_status,
)
from .runtime import TwilioBridgeData, loaded_runtime

_LOGGER = logging.getLogger(__name__)

MAX_BODY = 16 * 1024  # Twilio's voice parameters are a few hundred bytes
TWIML = "text/xml"
NO_CONTENT = HTTPStatus.NO_CONTENT


def _twiml(document: str) -> web.Response:
    return web.Response(text=document, content_type=TWIML)


def _status(status: HTTPStatus) -> web.Response:
    return web.Response(status=status)


@dataclass(frozen=True, slots=True)
class Webhook:
    """One genuine (signed) request, with the record its URL names (None if unknown)."""

    data: TwilioBridgeData
    record: CallRecord | None
    leg: LegName
    form: Form
    received_at: datetime


class TwilioWebhookView(HomeAssistantView):
    """Common part: size limit, signature check, record lookup, ownership, no 500."""

    requires_auth = False
    name: str
    # What Twilio gets when the request carries nothing usable or processing failed.
    fallback: str | HTTPStatus = NO_CONTENT

    def _fallback(self) -> web.Response:
        if isinstance(self.fallback, str):
            return _twiml(self.fallback)
        return _status(self.fallback)

    async def _signed_form(
        self, request: web.Request, data: TwilioBridgeData
    ) -> Form | web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _status(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if request.content_type not in ("application/x-www-form-urlencoded", ""):
            return _status(HTTPStatus.BAD_REQUEST)
        try:
            body = await request.content.read(MAX_BODY + 1)
        except (ValueError, OSError):
            return _status(HTTPStatus.BAD_REQUEST)
        if len(body) > MAX_BODY:
            return _status(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            # Blank values are kept and repeated keys too: Twilio signs every value.
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            return _status(HTTPStatus.BAD_REQUEST)
        form = MultiDict(pairs)
        url = data.config.webhook_base_url + request.path_qs
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(data.config.auth_token).validate(
            url, form, signature
        ):
            data.rejections.refused(self.name, "no valid signature")
            return _status(HTTPStatus.FORBIDDEN)
        data.webhooks[self.name] += 1
        return form

    async def post(self, request: web.Request, call_id: str, leg: str = "a") -> web.Response:
        """Check the lock, find the record, make sure the request is about it, answer."""
        if leg not in LEGS:
            return _status(HTTPStatus.NOT_FOUND)
        leg_name: LegName = "a" if leg == "a" else "b"
        data = loaded_runtime(request.app[KEY_HASS])
        if data is None:
            return self._fallback()  # not set up (views outlive an unload): nothing to change
        form = await self._signed_form(request, data)
        if isinstance(form, web.Response):
            return form
        record = data.manager.record(call_id)
        try:
            return self.handle(Webhook(data, record, leg_name, form, dt_util.utcnow()))
        except Exception:
            _LOGGER.exception(
                "Could not process a %s webhook of call %s (leg %s); Twilio gets a safe "
                "answer and the call is checked with Twilio instead",
                self.name,
                call_id,
                leg_name,
            )
            if record is not None:
                data.manager.recover(record)
            return self._fallback()

    def handle(self, hook: Webhook) -> web.Response:
        """The answer to a genuine request (hook.record is None for an unknown call id)."""
        raise NotImplementedError

    def refuse_foreign(self, data: TwilioBridgeData) -> web.Response:
        # Genuinely signed, but about another call: refuse it like a forgery.
        data.rejections.refused(self.name, "about another call")
        return _status(HTTPStatus.FORBIDDEN)


def _owns(record: CallRecord, leg: LegName, event: CallAnswered | LegStatusChanged) -> bool:
    return owns_leg(record, leg, event.call_sid, event.parent_call_sid)


class AnswerView(TwilioWebhookView):
    """A party answered: bridge mode greets A and dials B; conference mode joins the room."""

    url = URL_ANSWER
    extra_urls = [URL_ANSWER_LEG]
    name = "api:twilio_bridge:answer"
    fallback = twiml.hangup()

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_answer(hook.form), hook.record
        if isinstance(event, Refusal) or record is None or not record.active:
            return self._fallback()  # unknown or finished call: never dial anyone
        if not _owns(record, hook.leg, event):
            return self.refuse_foreign(hook.data)
        return _twiml(hook.data.manager.answer(record, hook.leg, event))


class WhisperView(TwilioWebhookView):
    """B answered (bridge mode, with `announce` or B's confirmation): runs on B's leg."""

    url = URL_WHISPER
    name = "api:twilio_bridge:whisper"
    fallback = twiml.hangup()  # B is never bridged to a call we do not know

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_answer(hook.form), hook.record
        if isinstance(event, Refusal) or record is None or not record.active:
            return self._fallback()
        if not _owns(record, "b", event):
            return self.refuse_foreign(hook.data)
        return _twiml(hook.data.manager.whisper(record, event))


class GatherView(TwilioWebhookView):
    """The <Gather action>: the key a party pressed when asked to confirm."""

    url = URL_GATHER
    name = "api:twilio_bridge:gather"
    fallback = twiml.hangup()

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_gather(hook.form), hook.record
        if isinstance(event, Refusal) or record is None:
            return self._fallback()
        if not owns_leg(record, hook.leg, event.call_sid, None):
            return self.refuse_foreign(hook.data)
        return _twiml(hook.data.manager.gathered(record, hook.leg, event))


class LegStatusView(TwilioWebhookView):
    """Status callbacks of leg A and leg B."""

    url = URL_STATUS
    name = "api:twilio_bridge:status"

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_leg_status(hook.form, hook.received_at), hook.record
        if isinstance(event, Refusal) or record is None:
            return self._fallback()
        if not _owns(record, hook.leg, event):
            return self.refuse_foreign(hook.data)
        hook.data.manager.leg_status(record, hook.leg, event)
        return _status(NO_CONTENT)


class DialDoneView(TwilioWebhookView):
    """The <Dial action>: answer <Hangup/> so the leg stops billing."""

    url = URL_DIAL_DONE
    extra_urls = [URL_DIAL_DONE_LEG]
    name = "api:twilio_bridge:dial_done"
    fallback = twiml.hangup()

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_dial_result(hook.form), hook.record
        if isinstance(event, Refusal) or record is None:
            return self._fallback()
        if not owns_leg(record, hook.leg, event.call_sid, None):
            return self.refuse_foreign(hook.data)
        return _twiml(hook.data.manager.dial_done(record, event))


class ConferenceView(TwilioWebhookView):
    """Conference status callbacks (conference mode)."""

    url = URL_CONFERENCE
    name = "api:twilio_bridge:conference"

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_conference(hook.form, hook.received_at), hook.record
        if isinstance(event, Refusal) or record is None:
            return self._fallback()
        if not owns_conference(record, event):
            return self.refuse_foreign(hook.data)
        hook.data.manager.conference_event(record, event)
        return _status(NO_CONTENT)


class AnnounceView(TwilioWebhookView):
    """The conference AnnounceUrl: what both parties hear before the time limit."""

    url = URL_ANNOUNCE
    name = "api:twilio_bridge:announce"
    fallback = twiml.announcement(message="", language="en")

    def handle(self, hook: Webhook) -> web.Response:
        event, record = parse_announcement(hook.form), hook.record
        if record is None or not record.conference:
            return self._fallback()
        if not owns_announcement(record, event):
            return self.refuse_foreign(hook.data)
        return _twiml(hook.data.manager.conference.announcement(record))


class IncomingView(TwilioWebhookView):
    """The number's Voice URL: a call to the one number (call-backs)."""

    url = URL_INCOMING
    name = "api:twilio_bridge:incoming"
    fallback = twiml.reject(busy=False)  # never answered, so never billed

    async def post(self, request: web.Request, call_id: str = "", leg: str = "a") -> web.Response:
        return await super().post(request, call_id, leg)

    def handle(self, hook: Webhook) -> web.Response:
        event = parse_incoming(hook.form)
        if isinstance(event, Refusal):
            return self._fallback()
        return _twiml(hook.data.callbacks.incoming(event))


VIEWS = (
    AnswerView,
    WhisperView,
    GatherView,
    LegStatusView,
    DialDoneView,
    ConferenceView,
    AnnounceView,
    IncomingView,
)
