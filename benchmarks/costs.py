"""6. What each real-world case costs, with and without the confirmation gates (issue 11).

Real Home Assistant and the simulator, one call at a time: a voicemail answers for A, a
voicemail answers for B, B hears who calls and does not want the call, both are people who
talk. Each case is placed twice, with `confirm: none` and with `confirm: both` (and an
announcement to B), and the table shows what Twilio billed for each leg (the simulator's
price, per started minute) and the record's talk time and outcome.

    .venv/bin/python -m benchmarks --parts 6
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulator.harness import Simulator

from .common import Hass, sim_scenario

SPEED = 50.0  # simulated seconds per real second
TIMEOUT = 120.0  # real seconds one call may take, prices included

A_PERSON = "+819010001001"  # answers, presses 1 when asked, stays on the line
A_VOICEMAIL = "+819010001002"
B_PERSON = "+819020002001"  # answers, presses 1 when asked, talks 93 s
B_VOICEMAIL = "+819020002002"
B_DECLINES = "+819020002003"  # answers, hears who calls, hangs up after 10 s

PHONES: dict[str, Any] = {
    A_PERSON: {"answer_after": 3, "hangup_after": None, "digits": "1"},
    # A voicemail answers after ringing a while, records up to a minute, presses nothing.
    A_VOICEMAIL: {"behavior": "voicemail", "answer_after": 15, "hangup_after": 60},
    B_PERSON: {"answer_after": 4, "hangup_after": 93, "digits": "1"},
    B_VOICEMAIL: {"behavior": "voicemail", "answer_after": 15, "hangup_after": 60},
    B_DECLINES: {"answer_after": 4, "hangup_after": 10},
}

CASES = (
    ("A's voicemail answers", A_VOICEMAIL, B_PERSON),
    ("B's voicemail answers", A_PERSON, B_VOICEMAIL),
    ("B does not want the call", A_PERSON, B_DECLINES),
    ("both are there and talk", A_PERSON, B_PERSON),
)
GATES = {
    "none": {"confirm": "none"},
    "both": {"confirm": "both", "announce": "A call from the Tanaka household."},
}


@dataclass
class CaseCost:
    case: str
    gates: str
    outcome: str
    talk_s: int
    leg_a_s: int
    leg_b_s: int | None
    cost: Decimal


async def _one_call(
    hass: Hass, sim: Simulator, party_a: str, party_b: str, extra: dict[str, Any]
) -> dict[str, Any]:
    assert hass.ws is not None
    placed = await hass.ws.service("connect", {"party_a": party_a, "party_b": party_b, **extra})
    call_id = placed["call_id"]
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        calls = (await hass.ws.service("get_calls", {"limit": 5}))["calls"]
        record = next(c for c in calls if c["call_id"] == call_id)
        if record["outcome"] is not None and record["cost_final"]:
            return dict(record)
        await asyncio.sleep(0.2)
    raise TimeoutError(f"call {call_id} did not end with its prices in {TIMEOUT} s")


async def run(hass: Hass, sim: Simulator) -> dict[str, Any]:
    """Place every case with and without the gates; what Twilio billed for each."""
    ticker = asyncio.create_task(sim.clock.run_realtime(SPEED))
    rows: list[CaseCost] = []
    try:
        for case, party_a, party_b in CASES:
            for gates, extra in GATES.items():
                record = await _one_call(hass, sim, party_a, party_b, extra)
                billed = record["billed_seconds"]
                rows.append(
                    CaseCost(
                        case=case,
                        gates=gates,
                        outcome=str(record["outcome"]),
                        talk_s=int(record["duration"] or 0),
                        leg_a_s=int(billed["a"] or 0),
                        leg_b_s=billed["b"],
                        cost=Decimal(str(record["cost"])),
                    )
                )
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    return {
        "speed": SPEED,
        "rows": [{**row.__dict__, "cost": float(row.cost)} for row in rows],
    }


def report(result: dict[str, Any], currency: str = "JPY") -> list[str]:
    """The table: each case without and with the gates, side by side."""
    rows = {(r["case"], r["gates"]): r for r in result["rows"]}
    lines = [
        "6. What each real-world case costs (mobile legs, per started minute; Twilio's prices)",
        f"   {'case':26} | {'confirm: none':^34} | {'confirm: both':^34} | saved",
        f"   {'':26} | {'outcome':14} {'A s':>4} {'B s':>4} {'cost':>9} |"
        f" {'outcome':14} {'A s':>4} {'B s':>4} {'cost':>9} |",
    ]
    for case, _, _ in CASES:
        cells = []
        for gates in GATES:
            row = rows[(case, gates)]
            leg_b = "-" if row["leg_b_s"] is None else str(row["leg_b_s"])
            cells.append(f"{row['outcome']:14} {row['leg_a_s']:>4} {leg_b:>4} {row['cost']:>9.1f}")
        saved = rows[(case, "none")]["cost"] - rows[(case, "both")]["cost"]
        lines.append(f"   {case:26} | {cells[0]} | {cells[1]} | {saved:.1f} {currency}")
    return lines


async def measure() -> dict[str, Any]:
    """Part 6 on its own hass and simulator (the cases need their own phones)."""
    async with Simulator(sim_scenario(PHONES)) as sim:
        hass = Hass(sim.url, max_concurrent_calls=5, call_log_size=100)
        try:
            await hass.start()
            return await run(hass, sim)
        finally:
            await hass.stop()


if __name__ == "__main__":
    print("\n".join(report(asyncio.run(measure()))))
