"""Whether a genuinely signed request is about the record its URL names.

The signature proves Twilio sent a request, not that it belongs to this call: a request
of another call (or another leg) replayed at this call's URL is signed too.
"""

from __future__ import annotations

from .calls import CallRecord, LegName
from .webhooks import AnnouncementRequested, ConferenceChanged


def owns_leg(record: CallRecord, leg: LegName, call_sid: str, parent_call_sid: str | None) -> bool:
    """A request about `leg` of this record: its own SID (once known) and, for B, A's."""
    if leg == "b":
        leg_a = record.legs["a"].sid
        if parent_call_sid and leg_a and parent_call_sid != leg_a:
            return False
    known = record.legs[leg].sid
    return known is None or known == call_sid


def owns_conference(record: CallRecord, event: ConferenceChanged) -> bool:
    """A conference callback about this record's room and one of its legs."""
    if event.friendly_name != record.room:
        return False
    if record.conference_sid and event.conference_sid != record.conference_sid:
        return False
    return event.call_sid is None or record.leg_of(event.call_sid) is not None


def owns_announcement(record: CallRecord, event: AnnouncementRequested) -> bool:
    return record.conference_sid in (None, event.conference_sid)
