"""Twilio's JSON shapes: Call and IncomingPhoneNumber resources, list pages, error bodies."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

import phonenumbers

from .billing import twilio_price
from .clock import VirtualClock
from .engine import ApiError, rfc2822
from .models import Leg

API = "/2010-04-01"


def account_uri(account_sid: str) -> str:
    return f"{API}/Accounts/{account_sid}"


def formatted(number: str) -> str:
    """Twilio's display format: "(415) 867-5308" in North America, E.164 elsewhere (spec)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code != 1:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def call_json(leg: Leg, clock: VirtualClock) -> dict[str, Any]:
    base = f"{account_uri(leg.account_sid)}/Calls/{leg.sid}"
    return {
        "sid": leg.sid,
        "date_created": rfc2822(clock, leg.created_at),
        "date_updated": rfc2822(clock, max(t for t, _ in leg.timeline) if leg.timeline else None),
        "parent_call_sid": leg.parent_sid,
        "account_sid": leg.account_sid,
        "to": leg.to,
        "to_formatted": formatted(leg.to),
        "from": leg.from_,
        "from_formatted": formatted(leg.from_),
        "phone_number_sid": None,
        "status": leg.status,
        "start_time": rfc2822(clock, leg.started_at),
        "end_time": rfc2822(clock, leg.ended_at),
        # Empty for busy, failed, unanswered or ongoing calls (spec, reference §6.1).
        "duration": None if not leg.ended or leg.duration is None else str(leg.duration),
        "price": None if leg.price is None else twilio_price(leg.price),
        "price_unit": leg.price_unit,
        "direction": leg.direction,
        "answered_by": leg.answered_by,
        "api_version": "2010-04-01",
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{base}.json",
        "subresource_uris": {
            name: f"{base}/{path}.json"
            for name, path in (
                ("notifications", "Notifications"),
                ("recordings", "Recordings"),
                ("payments", "Payments"),
                ("events", "Events"),
                ("siprec", "Siprec"),
                ("streams", "Streams"),
                ("transcriptions", "Transcriptions"),
                ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
                ("user_defined_messages", "UserDefinedMessages"),
            )
        },
    }


def phone_number_json(number: str, account_sid: str, clock: VirtualClock) -> dict[str, Any]:
    uri = f"{account_uri(account_sid)}/IncomingPhoneNumbers"
    sid = "PN" + hashlib.md5(number.encode(), usedforsecurity=False).hexdigest()
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
        "date_created": rfc2822(clock, 0),
        "date_updated": rfc2822(clock, 0),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": formatted(number),
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": number,
        "sid": sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
        "status": "in-use",
        "status_callback": None,
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"{uri}/{sid}.json",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
        "type": "local",
    }


def page(
    key: str,
    records: list[dict[str, Any]],
    path: str,
    query: dict[str, str],
) -> dict[str, Any]:
    """One list page with exactly the meta keys the SDK accepts (reference §6.3)."""
    try:
        size = min(max(int(query.get("PageSize", "50")), 1), 1000)
        number = max(int(query.get("Page", "0")), 0)
    except ValueError as err:
        raise ApiError(400, 20001, "PageSize and Page must be integers") from err
    filters = {k: v for k, v in query.items() if k not in {"PageSize", "Page", "PageToken"}}

    def uri(page_number: int) -> str:
        params = {**filters, "PageSize": str(size), "Page": str(page_number)}
        if page_number:
            params["PageToken"] = f"PA{page_number}"
        return f"{path}?{urlencode(params)}"

    start = number * size
    chunk = records[start : start + size]
    has_next = start + size < len(records)
    return {
        key: chunk,
        "end": start + len(chunk) - 1 if chunk else start,
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1) if has_next else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": start,
        "uri": uri(number),
    }


def error_json(status: int, code: int, message: str) -> dict[str, Any]:
    # No "type"/"title": with them twilio-python raises TwilioServiceException instead.
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
