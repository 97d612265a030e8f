"""Twilio's webhooks: the answer, the leg status callbacks and the <Dial action>.

Twilio cannot log in, so the views are open (`requires_auth = False`) and the lock is the
X-Twilio-Signature, checked against the public URL Twilio was given (webhook_base_url),
never against request.url, which is wrong behind a proxy or Nabu Casa.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import parse_qsl

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from twilio.request_validator import RequestValidator

from .const import (
    URL_ANNOUNCE,
    URL_ANSWER,
    URL_ANSWER_LEG,
    URL_CONFERENCE,
    URL_DIAL_DONE,
    URL_DIAL_DONE_LEG,
    URL_STATUS,
)
from .core import twiml
from .core.calls import LEGS, CallRecord, LegName
from .data import DATA_KEY, TwilioBridgeData
from .manager import CallManager

_LOGGER = logging.getLogger(__name__)

MAX_BODY = 16 * 1024  # Twilio's voice parameters are a few hundred bytes
TWIML = "text/xml"


def _twiml(document: str) -> web.Response:
    return web.Response(text=document, content_type=TWIML)


class TwilioWebhookView(HomeAssistantView):
    """Common part: size limit, signature check, record lookup."""

    requires_auth = False
    name: str

    async def _signed_params(
        self, request: web.Request
    ) -> tuple[TwilioBridgeData, Mapping[str, str]] | web.Response:
        data = request.app[KEY_HASS].data[DATA_KEY]
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if request.content_type not in ("application/x-www-form-urlencoded", ""):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        try:
            body = await request.content.read(MAX_BODY + 1)
        except (ValueError, OSError):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if len(body) > MAX_BODY:
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            # Blank values are kept: Twilio signs them (ToZip= etc.).
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        url = data.config.webhook_base_url + request.path_qs
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(data.config.auth_token).validate(
            url, params, signature
        ):
            _LOGGER.warning("Rejected a %s webhook without a valid signature", self.name)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        return data, params

    async def post(self, request: web.Request, call_id: str, leg: str = "a") -> web.Response:
        """Check the lock, find the record, make sure the request is about it, answer."""
        if leg not in LEGS:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        leg_name: LegName = "a" if leg == "a" else "b"
        checked = await self._signed_params(request)
        if isinstance(checked, web.Response):
            return checked
        data, params = checked
        manager = data.manager
        record = manager.record(call_id)
        if record is not None and not self.owns(manager, record, leg_name, params):
            # Genuinely signed, but about another call: refuse it like a forgery.
            _LOGGER.warning("Rejected a %s webhook about another call", self.name)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        return self.respond(data, record, leg_name, params)

    def owns(
        self, manager: CallManager, record: CallRecord, leg: LegName, params: Mapping[str, str]
    ) -> bool:
        return manager.owns(record, leg, params)

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        """The answer to a genuine request (record is None for an unknown call id)."""
        raise NotImplementedError


class AnswerView(TwilioWebhookView):
    """A party answered: bridge mode greets A and dials B; conference mode joins the room."""

    url = URL_ANSWER
    extra_urls = [URL_ANSWER_LEG]
    name = "api:twilio_bridge:answer"

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        if record is None or not record.active:
            return _twiml(twiml.hangup())  # unknown or finished call: never dial anyone
        return _twiml(data.manager.answer(record, leg, params))


class LegStatusView(TwilioWebhookView):
    """Status callbacks of leg A and leg B."""

    url = URL_STATUS
    name = "api:twilio_bridge:status"

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        if record is not None:
            data.manager.leg_status(record, leg, params)
        return web.Response(status=HTTPStatus.NO_CONTENT)


class DialDoneView(TwilioWebhookView):
    """The <Dial action>: answer <Hangup/> so the leg stops billing."""

    url = URL_DIAL_DONE
    extra_urls = [URL_DIAL_DONE_LEG]
    name = "api:twilio_bridge:dial_done"

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        if record is None:
            return _twiml(twiml.hangup())
        return _twiml(data.manager.dial_done(record, params))


class ConferenceView(TwilioWebhookView):
    """Conference status callbacks (conference mode)."""

    url = URL_CONFERENCE
    name = "api:twilio_bridge:conference"

    def owns(
        self, manager: CallManager, record: CallRecord, leg: LegName, params: Mapping[str, str]
    ) -> bool:
        return manager.owns_conference(record, params)

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        if record is not None:
            data.manager.conference_event(record, params)
        return web.Response(status=HTTPStatus.NO_CONTENT)


class AnnounceView(TwilioWebhookView):
    """The conference AnnounceUrl: what both parties hear before the time limit."""

    url = URL_ANNOUNCE
    name = "api:twilio_bridge:announce"

    def owns(
        self, manager: CallManager, record: CallRecord, leg: LegName, params: Mapping[str, str]
    ) -> bool:
        return record.conference_sid in (None, params.get("ConferenceSid"))

    def respond(
        self,
        data: TwilioBridgeData,
        record: CallRecord | None,
        leg: LegName,
        params: Mapping[str, str],
    ) -> web.Response:
        if record is None or not record.conference:
            return _twiml(twiml.announcement(message="", language=data.config.language))
        return _twiml(data.manager.conference.announcement(record))


VIEWS = (AnswerView, LegStatusView, DialDoneView, ConferenceView, AnnounceView)
