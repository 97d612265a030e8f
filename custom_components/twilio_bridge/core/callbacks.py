"""Call-backs on the one number: who may call back, and whom they are put through to.

People call back the number that called them. With one number, the caller's own number is
what identifies the conversation: the newest call they were a party of, within the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .calls import CallRecord, LegName


@dataclass(frozen=True, slots=True)
class CallBack:
    """A call-back to place: the caller first (they are at the phone), then the other party."""

    callback_of: str  # the call id of the caller's most recent call
    caller: str  # E.164
    caller_leg: LegName  # which party the caller was in that call
    other: str  # E.164 of the counterpart
    caller_name: str | None = None  # contact names, carried over from that call
    other_name: str | None = None


def find_callback(
    records: Iterable[CallRecord], caller: str, now: datetime, window: timedelta
) -> CallBack | None:
    """The call-back for `caller`: their newest call that started within `window`.

    `records` come newest first; calls still active count too (the caller may have hung
    up on a call whose last callback has not arrived yet).
    """
    since = now - window
    for record in records:
        if record.created_at < since:
            return None  # newest first: every later record is older still
        if caller == record.party_a:
            return CallBack(
                record.call_id,
                caller,
                "a",
                record.party_b,
                record.party_a_name,
                record.party_b_name,
            )
        if caller == record.party_b:
            return CallBack(
                record.call_id,
                caller,
                "b",
                record.party_a,
                record.party_b_name,
                record.party_a_name,
            )
    return None
