"""Twilio's JSON shapes: Call, Call Notification, IncomingPhoneNumber, Conference and
Participant resources, list pages, and what the inspector shows beside them. Dates are
RFC 2822 in UTC."""

from __future__ import annotations

import dataclasses
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers

from .billing import twilio_price
from .clock import VirtualClock
from .conference import Conferences, Participant, Room
from .errors import MORE_INFO, InvalidParameter, Notice
from .models import Leg, Notification
from .numbers import IncomingNumber
from .twiml import Conference as ConferenceNoun

API = "/2010-04-01"


def rfc2822(clock: VirtualClock, at: float | None) -> str | None:
    return None if at is None else format_datetime(clock.wall(at))


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
        # The number that took an inbound call (the spec's "IncomingPhoneNumber that
        # received the call"); outbound legs have no OutgoingCallerId here.
        "phone_number_sid": leg.phone_number_sid,
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


def message_text(notification: Notification) -> str:
    """The notification's text, URL-encoded as Twilio writes it: a status callback's
    warning names the callback (the spec's example of 15003); a failed request names its
    URL and, when the application answered, the HTTP status (Twilio's SDK fixtures)."""
    code = notification.code
    level = "WARN" if code.log else "ERROR"
    if code is Notice.CALLBACK_ERROR_RESPONSE:
        fields = {
            "statusCallback": notification.url or "",
            "ErrorCode": str(int(code)),
            "LogLevel": level,
            "Msg": notification.message,
        }
    else:
        fields = {"Msg": notification.message, "ErrorCode": str(int(code)), "LogLevel": level}
        if notification.url:
            fields["url"] = notification.url
        if notification.status is not None:
            fields["httpResponse"] = str(notification.status)
    return urlencode(fields)


def notification_json(
    notification: Notification, account_sid: str, clock: VirtualClock
) -> dict[str, Any]:
    """A notification as the Call Notifications list shows it (the instance resource adds
    the request and response, which a list leaves out)."""
    base = f"{account_uri(account_sid)}/Calls/{notification.call_sid}/Notifications"
    callback = notification.code is Notice.CALLBACK_ERROR_RESPONSE
    at = rfc2822(clock, notification.at)
    return {
        "account_sid": account_sid,
        "api_version": "2008-08-01",  # what every example of Twilio's spec shows
        "call_sid": notification.call_sid,
        "date_created": at,
        "date_updated": at,
        "error_code": str(int(notification.code)),
        "log": str(notification.code.log),
        "message_date": at,
        "message_text": message_text(notification),
        "more_info": MORE_INFO.format(code=int(notification.code)),
        # A status callback's warning carries its URL in message_text only (the spec's
        # example); a failed webhook or document names the request that caused it.
        "request_method": None if callback else notification.method,
        "request_url": "" if callback else notification.url or "",
        "sid": notification.sid,
        "uri": f"{base}/{notification.sid}.json",
    }


def phone_number_json(
    number: IncomingNumber, account_sid: str, clock: VirtualClock
) -> dict[str, Any]:
    uri = f"{account_uri(account_sid)}/IncomingPhoneNumbers"
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "bundle_sid": None,
        "capabilities": dataclasses.asdict(number.capabilities),
        "date_created": rfc2822(clock, 0),
        "date_updated": rfc2822(clock, number.updated_at),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": formatted(number.phone_number),
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": number.phone_number,
        "sid": number.sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
        "status": "in-use",
        "status_callback": number.settings.status_callback,
        "status_callback_method": number.settings.status_callback_method,
        "trunk_sid": None,
        "uri": f"{uri}/{number.sid}.json",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": number.settings.voice_method,
        "voice_receive_mode": "voice",
        "voice_url": number.settings.voice_url,
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
        raise InvalidParameter("PageSize and Page must be integers") from err
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


def conference_json(room: Room, clock: VirtualClock) -> dict[str, Any]:
    base = f"{account_uri(room.account_sid)}/Conferences/{room.sid}"
    return {
        "account_sid": room.account_sid,
        "date_created": rfc2822(clock, room.created_at),
        "date_updated": rfc2822(clock, room.updated_at),
        "api_version": "2010-04-01",
        "friendly_name": room.friendly_name,
        "region": "jp1",
        "sid": room.sid,
        "status": room.status,
        "uri": f"{base}.json",
        "subresource_uris": {
            "participants": f"{base}/Participants.json",
            "recordings": f"{base}/Recordings.json",
        },
        "reason_conference_ended": room.reason_ended,
        "call_sid_ending_conference": room.call_sid_ending,
    }


def participant_json(room: Room, participant: Participant, clock: VirtualClock) -> dict[str, Any]:
    base = f"{account_uri(room.account_sid)}/Conferences/{room.sid}"
    return {
        "account_sid": room.account_sid,
        "call_sid": participant.call_sid,
        "label": participant.label,
        "call_sid_to_coach": None,
        "coaching": False,
        "conference_sid": room.sid,
        "date_created": rfc2822(clock, participant.joined_at),
        "date_updated": rfc2822(clock, participant.left_at or participant.joined_at),
        "end_conference_on_exit": participant.end_on_exit,
        "muted": participant.muted,
        "hold": participant.hold,
        "start_conference_on_enter": participant.start_on_enter,
        "status": participant.status,
        "queue_time": "0",
        "uri": f"{base}/Participants/{participant.call_sid}.json",
    }


def dialing_participant_json(
    leg: Leg, noun: ConferenceNoun, room: Room | None, clock: VirtualClock
) -> dict[str, Any]:
    """A participant added through the API whose leg is still being dialed; without a
    room yet (a friendly name with no active room) it has no conference_sid."""
    room_sid = room.sid if room is not None else None
    return {
        "account_sid": leg.account_sid,
        "call_sid": leg.sid,
        "label": noun.participant_label,
        "call_sid_to_coach": None,
        "coaching": False,
        "conference_sid": room_sid,
        "date_created": rfc2822(clock, leg.created_at),
        "date_updated": rfc2822(clock, leg.created_at),
        "end_conference_on_exit": noun.end_on_exit,
        "muted": noun.muted,
        "hold": False,
        "start_conference_on_enter": noun.start_on_enter,
        "status": "queued",
        "queue_time": "0",
        "uri": f"{account_uri(leg.account_sid)}/Conferences/{room_sid or noun.name}"
        f"/Participants/{leg.sid}.json",
    }


def inspect_conferences(conferences: Conferences) -> dict[str, Any]:
    """Each room as the Conference JSON plus its timeline, participants (with their time
    in the room), announcements, webhook exchanges and fee."""
    clock = conferences.clock
    now = clock.now()
    rooms = []
    for room in conferences.rooms.values():
        data = conference_json(room, clock)
        data["timeline"] = [{"at": at, "status": status} for at, status in room.timeline]
        data["participants"] = [
            {
                **participant_json(room, p, clock),
                "joined_at": p.joined_at,
                "left_at": p.left_at,
                "seconds": p.seconds(now),
            }
            for p in room.participants.values()
        ]
        data["announcements"] = list(room.announcements)
        data["exchanges"] = [e.to_dict() for e in room.exchanges]
        data["fee"] = str(conferences.fee(room))
        data["fee_unit"] = conferences.engine.scenario.rates.currency
        rooms.append(data)
    return {"conferences": rooms}
