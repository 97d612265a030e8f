"""Twilio's REST API through the official SDK's async client, on a session we are given.

The SDK's async HTTP client normally opens its own aiohttp session; we hand it the
application's shared session instead (and never close it), point the `api` domain at a
simulator when asked, and bound every request with a timeout the SDK does not apply.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT = 20.0


class TwilioApiError(Exception):
    """A Twilio request failed; `code` is Twilio's error code when it sent one."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CallInfo:
    """The parts of a Call resource the integration uses."""

    sid: str
    status: str
    duration: int | None
    price: Decimal | None  # positive; Twilio reports charges as negative strings
    price_unit: str | None
    parent_call_sid: str | None


def _call_info(call: Any) -> CallInfo:
    duration = getattr(call, "duration", None)
    price_raw = getattr(call, "price", None)
    try:
        price = None if price_raw in (None, "") else abs(Decimal(str(price_raw)))
    except InvalidOperation:
        price = None
    return CallInfo(
        sid=str(call.sid),
        status=str(call.status),
        duration=int(duration) if duration not in (None, "") else None,
        price=price,
        price_unit=getattr(call, "price_unit", None),
        parent_call_sid=getattr(call, "parent_call_sid", None),
    )


@dataclass(frozen=True)
class NumberInfo:
    """One of the account's IncomingPhoneNumbers: the parts the integration uses."""

    sid: str
    phone_number: str
    voice: bool  # voice-capable
    voice_url: str | None  # where Twilio asks what to do with a call to the number
    voice_method: str


def _number_info(number: Any) -> NumberInfo:
    return NumberInfo(
        sid=str(number.sid),
        phone_number=str(number.phone_number),
        voice=bool((getattr(number, "capabilities", None) or {}).get("voice", False)),
        voice_url=getattr(number, "voice_url", None) or None,
        voice_method=str(getattr(number, "voice_method", None) or "POST"),
    )


@dataclass(frozen=True)
class WebhookFailure:
    """A Twilio notification that a webhook request of a call failed (11200, 11205, ...)."""

    code: int | None  # None: inferred (Twilio's notifications were not available)
    url: str | None


def _page_error(err: TwilioException) -> tuple[int | None, int | None, str]:
    """(HTTP status, Twilio code, message) of a failed list request, as far as known."""
    response = err.args[1] if len(err.args) > 1 else None
    status = getattr(response, "status_code", None)
    try:
        body = json.loads(getattr(response, "text", "") or "{}")
        code = int(body["code"])
        message = str(body.get("message", ""))
    except (ValueError, TypeError, KeyError):
        return status, None, type(err).__name__
    return status, code, message


@dataclass(frozen=True)
class NewCall:
    """What Calls.create needs for one leg."""

    to: str
    from_: str
    url: str
    status_callback: str
    status_callback_events: tuple[str, ...]
    timeout: int
    time_limit: int


class TwilioApi:
    """The few REST operations twilio_bridge needs."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        session: aiohttp.ClientSession,
        *,
        api_base_url: str | None = None,
        edge: str | None = None,
    ) -> None:
        http = AsyncTwilioHttpClient(pool_connections=False)
        http.session = session  # shared session: the SDK must never close it
        self._client = Client(account_sid, auth_token, http_client=http)
        # Set edge and region ourselves: the SDK falls back to TWILIO_EDGE/TWILIO_REGION from
        # the environment, and any edge or region mangles a simulator URL.
        self._client.edge = None if api_base_url else edge
        self._client.region = "jp1" if edge == "tokyo" and not api_base_url else None
        if api_base_url:
            self._client.api.base_url = api_base_url.rstrip("/")

    async def _run(self, operation: str, call: Any) -> Any:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                return await call
        except TwilioRestException as err:
            raise TwilioApiError(
                f"{operation} failed: {err.msg}", code=err.code, status=err.status
            ) from err
        except TimeoutError as err:
            raise TwilioApiError(f"{operation} timed out") from err
        except TwilioException as err:
            # A list page that is not 200 comes as TwilioException(message, response).
            status, code, message = _page_error(err)
            raise TwilioApiError(
                f"{operation} failed: {message}", code=code, status=status
            ) from err
        except (aiohttp.ClientError, OSError) as err:
            raise TwilioApiError(f"{operation} failed: {type(err).__name__}") from err
        except Exception as err:
            # Anything else from the transport (e.g. a DNS library raising TypeError) is a
            # failed request too, not a 500 or an "unknown error"; the traceback says where.
            _LOGGER.debug("%s failed", operation, exc_info=True)
            raise TwilioApiError(f"{operation} failed: {type(err).__name__}") from err

    async def create_call(self, call: NewCall) -> CallInfo:
        """Place one call. Never retried: a retry can place two paid calls."""
        created = await self._run(
            "Calls.create",
            self._client.calls.create_async(
                to=call.to,
                from_=call.from_,
                url=call.url,
                method="POST",
                status_callback=call.status_callback,
                status_callback_event=list(call.status_callback_events),
                status_callback_method="POST",
                timeout=call.timeout,
                time_limit=call.time_limit,
            ),
        )
        return _call_info(created)

    async def fetch_call(self, sid: str) -> CallInfo:
        return _call_info(await self._run("Calls.fetch", self._client.calls(sid).fetch_async()))

    async def list_children(self, parent_sid: str) -> list[CallInfo]:
        """The <Dial> legs of a call (e.g. when their callbacks were lost)."""
        calls = await self._run(
            "Calls.list", self._client.calls.list_async(parent_call_sid=parent_sid, limit=20)
        )
        return [_call_info(call) for call in calls]

    async def incoming_numbers(self, phone_number: str) -> list[NumberInfo]:
        """The account's numbers equal to `phone_number` (proves the credentials too)."""
        numbers = await self._run(
            "IncomingPhoneNumbers.list",
            self._client.incoming_phone_numbers.list_async(phone_number=phone_number, limit=20),
        )
        return [_number_info(number) for number in numbers if number.phone_number == phone_number]

    async def webhook_failures(self, sid: str) -> list[WebhookFailure]:
        """The notifications Twilio logged for a call (e.g. its Url could not be fetched)."""
        notifications = await self._run(
            "Notifications.list", self._client.calls(sid).notifications.list_async(log=0, limit=20)
        )
        failures = []
        for notification in notifications:
            try:
                code = int(notification.error_code or 0)
            except ValueError:
                continue
            failures.append(WebhookFailure(code=code, url=notification.request_url))
        return failures

    async def redirect(self, sid: str, twiml: str) -> CallInfo:
        """Replace what an in-progress call is doing (e.g. say a message, then hang up)."""
        updated = await self._run("Calls.update", self._client.calls(sid).update_async(twiml=twiml))
        return _call_info(updated)

    async def set_time_limit(self, sid: str, seconds: int) -> CallInfo:
        """Move a call's safety cap (TimeLimit), e.g. after an extension."""
        updated = await self._run(
            "Calls.update", self._client.calls(sid).update_async(time_limit=seconds)
        )
        return _call_info(updated)

    async def announce(self, conference_sid: str, url: str) -> None:
        """Play the TwiML at `url` to everyone in a conference."""
        await self._run(
            "Conferences.update",
            self._client.conferences(conference_sid).update_async(
                announce_url=url, announce_method="POST"
            ),
        )

    async def end_conference(self, conference_sid: str) -> None:
        """Close a conference: every participant leaves it at once."""
        await self._run(
            "Conferences.update",
            self._client.conferences(conference_sid).update_async(status="completed"),
        )

    async def hangup(self, sid: str, *, ringing: bool = False) -> CallInfo:
        """End a call: `canceled` while it rings, `completed` once it is in progress."""
        status = "canceled" if ringing else "completed"
        updated = await self._run(
            "Calls.update", self._client.calls(sid).update_async(status=status)
        )
        return _call_info(updated)

    async def find_number(self, e164: str) -> NumberInfo | None:
        """The account's IncomingPhoneNumber for `e164` (None: not on this account)."""
        numbers = await self.incoming_numbers(e164)
        return numbers[0] if numbers else None

    async def set_voice_url(self, sid: str, url: str | None, method: str = "POST") -> NumberInfo:
        """Point the number's incoming calls at `url` (None or "" clears it)."""
        updated = await self._run(
            "IncomingPhoneNumbers.update",
            self._client.incoming_phone_numbers(sid).update_async(
                voice_url=url or "", voice_method=method
            ),
        )
        return _number_info(updated)
