"""The call record's state machine: any order, any repetition, the same record."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.twilio_bridge.core.calls import CallRecord, Outcome, outcome_of
from custom_components.twilio_bridge.core.numbers import RateClass
from custom_components.twilio_bridge.core.pricing import RateTable

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
A, B = "CA" + "a" * 32, "CA" + "b" * 32


def new_record() -> CallRecord:
    return CallRecord(
        call_id="c1",
        mode="bridge",
        party_a="+819011112222",
        party_b="+81311112222",
        class_a=RateClass.MOBILE,
        class_b=RateClass.LANDLINE,
        created_at=T0,
        currency="JPY",
    )


def status(leg: str, sid: str, value: str, seq: int, at: int, **extra: Any) -> tuple:
    return ("status", leg, sid, value, seq, at, extra)


def dial(value: str, bridged: bool, duration: int) -> tuple:
    return ("dial", value, bridged, duration)


COMPLETED_FLOW = [
    status("a", A, "initiated", 0, 0),
    status("a", A, "ringing", 1, 0),
    status("a", A, "in-progress", 2, 3),
    status("b", B, "initiated", 0, 5),
    status("b", B, "ringing", 1, 5),
    status("b", B, "in-progress", 2, 9),
    dial("completed", True, 93),
    status("b", B, "completed", 3, 102, call_duration=93, sip_code=200),
    status("a", A, "completed", 3, 102, call_duration=99, sip_code=200),
]

BUSY_FLOW = [
    status("a", A, "initiated", 0, 0),
    status("a", A, "ringing", 1, 0),
    status("a", A, "in-progress", 2, 3),
    status("b", B, "initiated", 0, 5),
    status("b", B, "ringing", 1, 5),
    status("b", B, "busy", 2, 6, call_duration=0, sip_code=486),
    dial("busy", False, 0),
    status("a", A, "completed", 3, 10, call_duration=7, sip_code=200),
]


def play(record: CallRecord, events: list[tuple]) -> list[str]:
    kinds: list[str] = []
    for event in events:
        if event[0] == "status":
            _, leg, sid, value, seq, at, extra = event
            changes = record.apply_status(
                leg,
                call_sid=sid,
                status=value,
                sequence=seq,
                at=T0 + timedelta(seconds=at),
                **extra,
            )
        else:
            _, value, bridged, duration = event
            changes = record.apply_dial_result(
                status=value,
                bridged=bridged,
                duration=duration,
                dial_call_sid=B,
                at=T0 + timedelta(seconds=100),
            )
        kinds.extend(change.kind for change in changes)
    return kinds


def summary(record: CallRecord) -> tuple:
    return (
        record.outcome,
        record.failed_party,
        record.duration,
        record.legs["a"].duration,
        record.legs["b"].duration,
        record.legs["a"].status,
        record.legs["b"].status,
    )


def test_completed_call_in_order() -> None:
    record = new_record()
    kinds = play(record, COMPLETED_FLOW)
    assert summary(record) == (Outcome.COMPLETED, None, 93, 99, 93, "completed", "completed")
    assert kinds.count("connected") == 1
    assert kinds.count("ended") == 1
    assert record.connected_at == T0 + timedelta(seconds=9)
    assert record.ended_at == T0 + timedelta(seconds=102)
    # Two legs, each per started minute: A 99 s mobile = 2 x 16.2, B 93 s landline = 2 x 5.4.
    assert record.estimate_cost(RateTable()) == Decimal("43.2")


@pytest.mark.parametrize("seed", range(40))
def test_any_order_with_duplicates_gives_the_same_record(seed: int) -> None:
    rng = random.Random(seed)
    events = COMPLETED_FLOW + rng.sample(COMPLETED_FLOW, k=4)  # some arrive twice
    rng.shuffle(events)
    record = new_record()
    kinds = play(record, events)
    assert summary(record) == (Outcome.COMPLETED, None, 93, 99, 93, "completed", "completed")
    assert kinds.count("ended") == 1
    assert kinds.count("connected") == 1


def test_every_order_of_the_busy_flow() -> None:
    for events in itertools.permutations(BUSY_FLOW):
        record = new_record()
        kinds = play(record, list(events))
        assert summary(record)[:3] == (Outcome.BUSY, "b", 0)
        assert kinds.count("ended") == 1
        assert "connected" not in kinds


def test_terminal_status_sticks_and_stale_progress_is_ignored() -> None:
    record = new_record()
    play(record, [status("a", A, "completed", 3, 50, call_duration=40)])
    assert record.legs["a"].status == "completed"
    assert play(record, [status("a", A, "ringing", 1, 0)]) == []
    assert record.legs["a"].status == "completed"


def test_a_callback_for_another_call_sid_is_ignored() -> None:
    record = new_record()
    play(record, [status("a", A, "ringing", 1, 0)])
    assert play(record, [status("a", "CA" + "c" * 32, "completed", 3, 9)]) == []
    assert record.legs["a"].status == "ringing"


@pytest.mark.parametrize(
    ("leg_a_status", "sip", "outcome"),
    [
        ("busy", 486, Outcome.BUSY),
        ("no-answer", 487, Outcome.NO_ANSWER),
        ("no-answer", 603, Outcome.REJECTED),
        ("failed", 404, Outcome.FAILED),
        ("canceled", 487, Outcome.CANCELED),
    ],
)
def test_party_a_not_reached(leg_a_status: str, sip: int, outcome: Outcome) -> None:
    record = new_record()
    kinds = play(
        record,
        [
            status("a", A, "ringing", 1, 0),
            status("a", A, leg_a_status, 2, 20, call_duration=0, sip_code=sip),
        ],
    )
    assert kinds[-1] == "ended"
    assert (record.outcome, record.failed_party, record.duration) == (outcome, "a", 0)
    assert record.estimate_cost(RateTable()) == 0


def test_b_answered_but_never_bridged_is_no_answer() -> None:
    record = new_record()
    play(
        record,
        [
            status("a", A, "in-progress", 2, 3),
            dial("completed", False, 2),
            status("a", A, "completed", 3, 12, call_duration=9),
        ],
    )
    assert record.active  # the <Dial action> names leg B; its own end is still to come
    play(record, [status("b", B, "completed", 3, 11, call_duration=2)])
    assert (record.outcome, record.failed_party, record.duration) == (Outcome.NO_ANSWER, "b", 0)


def test_declined_b_is_rejected_whatever_arrives_first() -> None:
    for events in itertools.permutations(
        [
            status("a", A, "in-progress", 2, 3),
            dial("no-answer", False, 0),
            status("b", B, "no-answer", 2, 8, call_duration=0, sip_code=603),
            status("a", A, "completed", 3, 12, call_duration=9),
        ]
    ):
        record = new_record()
        play(record, list(events))
        assert (record.outcome, record.failed_party) == (Outcome.REJECTED, "b")


def test_a_hangs_up_while_b_rings() -> None:
    record = new_record()
    play(
        record,
        [
            status("a", A, "in-progress", 2, 3),
            status("b", B, "ringing", 1, 5),
            status("a", A, "completed", 3, 8, call_duration=5),
        ],
    )
    assert record.active  # B's end is not known yet
    play(record, [status("b", B, "canceled", 2, 8, call_duration=0)])
    assert (record.outcome, record.failed_party) == (Outcome.CANCELED, "a")


def test_lost_answered_callback_still_connects_a_billed_b_leg() -> None:
    record = new_record()
    play(
        record,
        [
            status("a", A, "in-progress", 2, 3),
            status("b", B, "completed", 3, 100, call_duration=93),
            status("a", A, "completed", 3, 100, call_duration=99),
        ],
    )
    assert (record.outcome, record.duration) == (Outcome.COMPLETED, 93)
    assert record.connected_at is not None


def test_prices_replace_the_estimate_once_both_legs_have_one() -> None:
    record = new_record()
    play(record, COMPLETED_FLOW)
    record.cost = record.estimate_cost(RateTable())
    assert record.apply_prices({"a": Decimal("-32.4"), "b": None}) is False
    assert record.cost == Decimal("43.2")
    assert record.apply_prices({"b": Decimal("-10.8")}) is True
    assert record.cost == Decimal("43.2")
    assert record.cost_final


def test_round_trip_through_storage() -> None:
    record = new_record()
    play(record, COMPLETED_FLOW)
    record.label = "ラベル"
    copy = CallRecord.from_dict(record.to_dict())
    assert copy == record


def test_contact_names_are_stored_and_an_older_log_has_none() -> None:
    record = new_record()
    record.party_a_name, record.party_b_name = "Alice", "ボブ"
    stored = record.to_dict()
    assert CallRecord.from_dict(stored) == record
    older = {key: value for key, value in stored.items() if not key.endswith("_name")}
    restored = CallRecord.from_dict(older)
    assert (restored.party_a_name, restored.party_b_name) == (None, None)


def test_a_answered_but_b_unknown_waits_until_finished_explicitly() -> None:
    record = new_record()
    kinds = play(
        record,
        [status("a", A, "in-progress", 2, 3), status("a", A, "completed", 3, 8, call_duration=5)],
    )
    assert "ended" not in kinds  # B's callbacks or the <Dial action> may still come
    assert record.active
    assert [c.kind for c in record.finish(T0 + timedelta(seconds=60))] == ["ended"]
    assert (record.outcome, record.failed_party, record.duration) == (Outcome.CANCELED, "a", 0)
    assert record.finish(T0) == []


def test_outcome_of_unknown_status_is_failed() -> None:
    assert outcome_of("weird") is Outcome.FAILED


_STATUS = st.sampled_from(
    ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed"]
)
_EVENT = st.one_of(
    st.tuples(
        st.just("status"),
        st.sampled_from(["a", "b"]),
        st.just(None),
        _STATUS,
        st.one_of(st.none(), st.integers(0, 6)),
        st.integers(0, 200),
        st.fixed_dictionaries({"call_duration": st.one_of(st.none(), st.integers(0, 200))}),
    ),
    st.tuples(
        st.just("dial"),
        st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled"]),
        st.booleans(),
        st.integers(0, 200),
    ),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    noise=st.lists(_EVENT, max_size=12),
    final_a=st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled"]),
    final_b=st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled"]),
    order=st.randoms(use_true_random=False),
)
def test_any_sequence_of_callbacks_leaves_a_finished_record(
    noise: list[tuple], final_a: str, final_b: str, order: random.Random
) -> None:
    """Whatever arrives, in whatever order: once both legs' ends are in, the record is done."""
    events = [
        # The SID comes from the leg: a callback of another call never reaches a record.
        (e[0], e[1], A if e[1] == "a" else B, *e[3:]) if e[0] == "status" else e
        for e in noise
    ]
    events += [
        status("a", A, final_a, 9, 150, call_duration=60),
        status("b", B, final_b, 9, 150, call_duration=40),
    ]
    order.shuffle(events)
    record = new_record()
    kinds = play(record, events)
    assert not record.active
    assert kinds.count("ended") == 1
    assert record.outcome in set(Outcome)
    assert record.duration is not None
    assert record.duration >= 0
    assert record.ended_at is not None
    assert record.ended_at >= record.created_at
    assert record.estimate_cost(RateTable()) >= 0
