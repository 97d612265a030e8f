"""Twilio's forms parsed into typed events: every form gives an event or a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.twilio_bridge.core.webhooks import (
    CallAnswered,
    ConferenceChanged,
    DialFinished,
    DialStatus,
    DigitsGathered,
    IncomingCall,
    LegStatus,
    LegStatusChanged,
    Refusal,
    event_time,
    parse_announcement,
    parse_answer,
    parse_conference,
    parse_dial_result,
    parse_gather,
    parse_incoming,
    parse_leg_status,
)

SID_A = "CA" + "a" * 32
SID_B = "CA" + "b" * 32
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def status_form(**extra: str) -> dict[str, str]:
    return {"CallSid": SID_A, "CallStatus": "completed", **extra}


def test_a_well_formed_status_callback() -> None:
    event = parse_leg_status(
        status_form(
            SequenceNumber="3",
            CallDuration="49",
            SipResponseCode="200",
            Timestamp="Sun, 29 Nov 2026 11:59:58 +0000",
            ParentCallSid=SID_B,
        ),
        NOW,
    )
    assert event == LegStatusChanged(
        call_sid=SID_A,
        parent_call_sid=SID_B,
        status=LegStatus.COMPLETED,
        sequence=3,
        at=NOW - timedelta(seconds=2),
        call_duration=49,
        sip_code=200,
    )


def test_a_timestamp_without_a_zone_is_utc_and_aware() -> None:
    # "-0000" is RFC 2822's "UTC, zone not stated": Python gives a naive datetime for it.
    at = event_time({"Timestamp": "Sun, 29 Nov 2026 11:59:00 -0000"}, NOW)
    assert at == NOW - timedelta(minutes=1)
    assert at.tzinfo is not None
    assert event_time({"Timestamp": "Sun, 29 Nov 2026 11:59:00"}, NOW).tzinfo is not None


def test_unusable_timestamps_fall_back_to_the_receive_time() -> None:
    for raw in (
        "Sun, 29 Nov 2026 11:59:00 +9999",  # an offset beyond a day: ValueError in Python
        "Sun, 29 Nov 2026 11:59:00 +99999999999999999999",  # OverflowError in Python
        "Sun, 29 Nov 99999999999999 11:59:00 +0000",
        "Wed, 25 Mar 2015 09:53:19 +0000",  # a replay from years ago
        "Sun, 29 Nov 2099 11:59:00 +0000",  # the future
        "not a date",
        "",
        "Sun, 99 Nov 2026 11:59:00 +0000",
    ):
        assert event_time({"Timestamp": raw}, NOW) == NOW, raw
    assert event_time({}, NOW) == NOW


def test_negative_or_huge_counts_are_unknown_not_negative() -> None:
    event = parse_leg_status(
        status_form(CallDuration="-5", SequenceNumber="99999999999999999999"), NOW
    )
    assert isinstance(event, LegStatusChanged)
    assert event.call_duration is None
    assert event.sequence is None
    assert parse_dial_result(
        {"CallSid": SID_A, "DialCallStatus": "completed", "DialCallDuration": "-50"}
    ) == DialFinished(
        call_sid=SID_A, status=DialStatus.COMPLETED, bridged=False, duration=0, dial_call_sid=None
    )


def test_unknown_statuses_and_missing_sids_are_refused() -> None:
    assert parse_leg_status(status_form(CallStatus="exploded"), NOW) == Refusal(
        "unknown CallStatus"
    )
    assert isinstance(parse_leg_status({"CallStatus": "completed"}, NOW), Refusal)
    assert isinstance(parse_leg_status(status_form(CallSid="CA123"), NOW), Refusal)
    assert isinstance(parse_answer({}), Refusal)
    assert isinstance(parse_conference({"ConferenceSid": "CF1"}, NOW), Refusal)


def test_dial_bridged_is_read_and_inferred_when_absent() -> None:
    base = {"CallSid": SID_A, "DialCallStatus": "completed", "DialCallSid": SID_B}
    assert parse_dial_result({**base, "DialBridged": "false", "DialCallDuration": "12"}) == (
        DialFinished(SID_A, DialStatus.COMPLETED, False, 12, SID_B)
    )
    # Older Twilio requests have no DialBridged: a completed dial with talk was bridged.
    assert parse_dial_result({**base, "DialCallDuration": "40"}).bridged is True  # type: ignore[union-attr]
    assert parse_dial_result({**base, "DialCallDuration": "0"}).bridged is False  # type: ignore[union-attr]
    busy = parse_dial_result({**base, "DialCallStatus": "busy", "DialCallDuration": "0"})
    assert isinstance(busy, DialFinished)
    assert (busy.status, busy.bridged) == (DialStatus.BUSY, False)
    # No or an unknown DialCallStatus: B was not reached.
    assert parse_dial_result({"CallSid": SID_A}).status is DialStatus.FAILED  # type: ignore[union-attr]


def test_other_requests() -> None:
    assert parse_answer({"CallSid": SID_B, "ParentCallSid": SID_A}) == CallAnswered(SID_B, SID_A)
    conference = parse_conference(
        {
            "ConferenceSid": "CF" + "0" * 32,
            "StatusCallbackEvent": "participant-join",
            "FriendlyName": "room",
            "CallSid": SID_A,
        },
        NOW,
    )
    assert isinstance(conference, ConferenceChanged)
    assert (conference.call_sid, conference.at) == (SID_A, NOW)
    assert parse_announcement({"ConferenceSid": "nope"}).conference_sid is None
    assert parse_gather({"CallSid": SID_A, "Digits": "1"}) == DigitsGathered(SID_A, "1")
    assert parse_gather({"CallSid": SID_A, "Digits": "<x/>"}) == DigitsGathered(SID_A, "")
    assert parse_incoming({"CallSid": SID_A, "From": "anonymous", "To": "+815012345678"}) == (
        IncomingCall(SID_A, None, "+815012345678")
    )
    assert parse_incoming({"CallSid": SID_A, "From": "+819011112222"}).caller == "+819011112222"  # type: ignore[union-attr]


FIELDS = [
    "CallSid",
    "CallStatus",
    "SequenceNumber",
    "CallDuration",
    "Timestamp",
    "SipResponseCode",
    "DialCallStatus",
    "DialCallDuration",
    "DialCallSid",
    "DialBridged",
    "ParentCallSid",
    "ConferenceSid",
    "StatusCallbackEvent",
    "FriendlyName",
    "Digits",
    "From",
    "To",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            SID_A,
            "CF" + "0" * 32,
            "completed",
            "in-progress",
            "participant-join",
            "-1",
            "1e9",
            "٣",  # a digit Python's int() accepts: not one Twilio sends
            "99999999999999999999999",
            "Sun, 29 Nov 2026 11:59:00 -0000",
            "Sun, 29 Nov 2026 11:59:00 +9999",
            "Mon, 01 Jan 0001 00:00:00 -2359",
            "Fri, 31 Dec 9999 23:59:59 +2359",
        ]
    ),
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(form=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), VALUES, max_size=10))
def test_any_form_gives_an_event_or_a_refusal(form: dict[str, str]) -> None:
    for event in (
        parse_answer(form),
        parse_leg_status(form, NOW),
        parse_dial_result(form),
        parse_conference(form, NOW),
        parse_announcement(form),
        parse_gather(form),
        parse_incoming(form),
    ):
        if isinstance(event, Refusal):
            continue
        at = getattr(event, "at", NOW)
        assert at.tzinfo is not None
        assert abs(at - NOW) <= timedelta(hours=12)
        for name in ("call_duration", "sequence", "sip_code", "duration"):
            value = getattr(event, name, None)
            assert value is None or 0 <= value <= 86_400
