"""1. Signed leg-status webhooks per second through a real Home Assistant, against baselines.

A real call is placed through `twilio_bridge.connect`; the simulator (manual clock) dials
party A, whose phone rings and never answers, and delivers leg A's `initiated` and
`ringing` callbacks. The `ringing` callback exactly as the simulator sent it (same
parameters, re-signed with simulator.signing for each target URL) is then re-sent over
and over: a duplicate that the record's state machine must absorb (no event, no change).

Targets, each a separate process, each loaded by a separate load-generator process:
  bare    plain aiohttp: read the form, answer 204
  signed  the same plus the SDK's RequestValidator (403 on a bad signature)
  ha      POST /api/twilio_bridge/status/{call_id}/a on the real `hass`
For each: a closed-loop run (max throughput; 1 s warm-up not counted), then an open-loop
run at a fixed offered rate. The server's own CPU seconds per request come from
/proc/PID/stat, which splits framework cost from the load generator's.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any
from urllib.parse import urlencode

import aiohttp

from simulator.harness import Simulator
from simulator.signing import signature

from .common import (
    AUTH_TOKEN,
    PYTHON,
    ROOT,
    Hass,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    own_cpu_seconds,
    server_command,
    stop_process,
    wait_for_quiet,
)

RING_FOREVER = "+819099990000"  # behavior no-answer: rings until the clock moves on
PARTY_B = "+818099990000"

OPEN_RATE = 200.0
OPEN_SECONDS = 10.0
CLOSED_SECONDS = 5.0
CLOSED_WARMUP = 1.0
CLOSED_CONCURRENCY = 8


async def place_ringing_call(hass: Hass, sim: Simulator) -> tuple[str, dict[str, str]]:
    """Place a real call and return its id and leg A's `ringing` callback parameters."""
    assert hass.ws is not None
    placed = await hass.ws.service(
        "connect", {"party_a": RING_FOREVER, "party_b": PARTY_B, "label": "benchmark"}
    )
    call_id = str(placed["call_id"])
    await sim.advance(1)  # dial out: initiated + ringing are delivered before this returns
    for leg in sim.calls:
        if leg.status_callback and call_id in leg.status_callback:
            for exchange in leg.exchanges:
                if exchange.kind == "status" and exchange.params.get("CallStatus") == "ringing":
                    if exchange.status != 204:
                        raise RuntimeError(f"ringing callback answered {exchange.status}")
                    return call_id, dict(exchange.params)
    raise RuntimeError("the simulator sent no ringing callback")


def start_bare(mode: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        server_command(
            [PYTHON, "-m", "benchmarks.bare_server", "--port", str(port), "--mode", mode]
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        stop_process(process)
        raise RuntimeError(f"bare server ({mode}) did not start")
    return process, f"http://127.0.0.1:{port}"


async def run_loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in its own process (on the driver CPU) and read its figures."""
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "benchmarks.loadgen",
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(json.dumps(spec).encode()), timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode})")
    return dict(json.loads(out))


async def check_once(url: str, body: str, sig: str) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


async def load_target(name: str, pid: int, url: str, params: dict[str, str]) -> dict[str, Any]:
    """Closed loop, then open loop at OPEN_RATE, with the server's CPU per request."""
    quiet = await wait_for_quiet([pid])
    body = urlencode(params)
    sig = signature(AUTH_TOKEN, url, params.items())
    status = await check_once(url, body, sig)
    if status != 204:
        raise RuntimeError(f"{name}: a correctly signed callback answered {status}")
    if await check_once(url, body, "forged" + sig[6:]) != 403 and name != "bare":
        raise RuntimeError(f"{name}: a forged callback was not refused")
    common = {"url": url, "body": body, "signature": sig}
    results: dict[str, Any] = {"quiet": quiet}
    runs = (
        (
            "closed",
            {
                "mode": "closed",
                "concurrency": CLOSED_CONCURRENCY,
                "duration": CLOSED_SECONDS,
                "warmup": CLOSED_WARMUP,
            },
        ),
        ("open", {"mode": "open", "rate": OPEN_RATE, "duration": OPEN_SECONDS}),
    )
    for label, spec in runs:
        cpu_before, busy_before, own_before = (
            cpu_seconds(pid),
            machine_busy_seconds(),
            own_cpu_seconds(),
        )
        result = await run_loadgen({**common, **spec})
        server_cpu = cpu_seconds(pid) - cpu_before
        # Whatever else ran on the machine meanwhile (other people's test runs...).
        result["other_cpu_s"] = max(
            0.0,
            machine_busy_seconds()
            - busy_before
            - server_cpu
            - result["loadgen_total_cpu_s"]
            - (own_cpu_seconds() - own_before),
        )
        # Closed loop: the warm-up's requests are not counted but their CPU is; scale it.
        wall = result["loadgen_wall_s"]
        counted = result["elapsed_s"] / wall if wall else 1.0
        requests = max(1, result["requests"])
        result["server_cpu_s"] = server_cpu
        result["server_cpu_us_per_request"] = server_cpu * counted / requests * 1e6
        results[label] = result
    return results


async def run(hass: Hass, sim: Simulator) -> dict[str, Any]:
    assert hass.ws is not None
    call_id, params = await place_ringing_call(hass, sim)
    progress: list[dict[str, Any]] = []
    await hass.ws.subscribe("twilio_bridge_call_progress", progress.append)
    path = f"/api/twilio_bridge/status/{call_id}/a"
    results: dict[str, Any] = {"call_id": call_id, "params": len(params)}
    for mode in ("bare", "signed"):
        process, base = start_bare(mode)
        try:
            results[mode] = await load_target(mode, process.pid, base + path, params)
        finally:
            stop_process(process)
    before = await hass.ws.service("get_calls", {"limit": 5})
    results["ha"] = await load_target("ha", hass.pid, hass.url + path, params)
    after = await hass.ws.service("get_calls", {"limit": 5})
    record_before = next(c for c in before["calls"] if c["call_id"] == call_id)
    record_after = next(c for c in after["calls"] if c["call_id"] == call_id)
    results["record_unchanged"] = record_before == record_after
    results["record_status"] = record_after["status"]
    results["progress_events_during_load"] = len(progress)
    return results
