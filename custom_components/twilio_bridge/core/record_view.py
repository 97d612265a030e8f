"""A call record as people and automations see it: attributes, events, service responses.

Numbers pass through `mask` (masked unless the user turned masking off); nothing else of
the stored record (leg SIDs, SIP codes, the greeting) is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .calls import LEGS, CallRecord

type Mask = Callable[[str], str]


def call_status(record: CallRecord) -> str:
    """Where the call is: queued, ringing_a, dialing_b, connected or ended."""
    if record.outcome is not None:
        return "ended"
    if record.connected_at is not None:
        return "connected"
    leg_a = record.legs["a"]
    if leg_a.answered_at is not None:
        return "dialing_b"
    return "ringing_a" if leg_a.status == "ringing" else "queued"


def parties(record: CallRecord, mask: Mask) -> dict[str, Any]:
    """Both parties: the masked numbers, and beside them the contact names (or None)."""
    return {
        "party_a": mask(record.party_a),
        "party_b": mask(record.party_b),
        "party_a_name": record.party_a_name,
        "party_b_name": record.party_b_name,
    }


def record_view(record: CallRecord, mask: Mask) -> dict[str, Any]:
    """The record's public view (get_calls, the last-call sensors' attributes)."""
    return {
        "call_id": record.call_id,
        "mode": record.mode,
        "label": record.label,
        **parties(record, mask),
        "callback_of": record.callback_of,
        "started_at": record.created_at.isoformat(),
        "connected_at": record.connected_at.isoformat() if record.connected_at else None,
        "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        "duration": record.duration,
        "outcome": None if record.outcome is None else str(record.outcome),
        "failed_party": record.failed_party,
        "billed_seconds": {name: record.legs[name].duration for name in LEGS},
        "confirm": str(record.confirm),
        "confirmed_at": {
            name: at.isoformat() if (at := record.legs[name].confirmed_at) else None
            for name in LEGS
        },
        "cost": None if record.cost is None else float(record.cost),
        "cost_final": record.cost_final,
        "currency": record.currency,
        "status": call_status(record),
    }


def started_event(record: CallRecord, mask: Mask) -> dict[str, Any]:
    """Data of twilio_bridge_call_started."""
    return {
        "call_id": record.call_id,
        **parties(record, mask),
        "mode": record.mode,
        "label": record.label,
        "callback_of": record.callback_of,
        "started_at": record.created_at.isoformat(),
    }


def connected_event(record: CallRecord) -> dict[str, Any]:
    """Data of twilio_bridge_call_connected."""
    return {
        "call_id": record.call_id,
        "connected_at": record.connected_at.isoformat() if record.connected_at else None,
    }


def ended_event(record: CallRecord, mask: Mask) -> dict[str, Any]:
    """Data of twilio_bridge_call_ended."""
    return {
        "call_id": record.call_id,
        **parties(record, mask),
        "outcome": str(record.outcome),
        "failed_party": record.failed_party,
        "duration": record.duration,
        "started_at": record.created_at.isoformat(),
        "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        "cost": float(record.cost or 0),
        "currency": record.currency,
        "label": record.label,
        "mode": record.mode,
    }


def callback_event(record: CallRecord, mask: Mask) -> dict[str, Any]:
    """Data of twilio_bridge_callback: a call to the number became this call."""
    return {"call_id": record.call_id, "callback_of": record.callback_of, **parties(record, mask)}
