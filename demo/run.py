"""scripts/demo: one V-call through a real Home Assistant and the offline Twilio simulator.

Starts the simulator (fast clock) and `hass` on a throwaway copy of demo/config, places a
call A→B with twilio_bridge.connect, waits for it to end, prints the record as Home
Assistant stored it and as the simulator billed it, and stops both. Exit status 0 only if
the call completed with 93 s of talk time on both sides.

`--confirm` places the call with `confirm: both` and an announcement: A presses 1 before B
is dialed, B hears who calls and presses 1 before the two are connected. The talk time is
Twilio's DialCallDuration, B's time on the line, which includes the few seconds of whisper.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from demo import hass_instance

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "simulator" / "scenarios" / "basic.yaml"
PARTY_A, PARTY_B = "090-1111-2222", "090-3333-4444"
EXPECTED_TALK = 93
SPEED = 20  # simulated seconds per real second
LOG_TAIL = 40  # lines of Home Assistant's output shown when the demo fails


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_config(config: Path) -> None:
    shutil.copytree(ROOT / "demo" / "config", config, dirs_exist_ok=True)
    (config / "custom_components").mkdir()
    (config / "custom_components" / "twilio_bridge").symlink_to(
        ROOT / "custom_components" / "twilio_bridge"
    )
    hass_instance.prepare(config)


async def call_service(
    session: aiohttp.ClientSession, base: str, token: str, service: str, data: dict[str, Any]
) -> dict[str, Any]:
    async with session.post(
        f"{base}/api/services/twilio_bridge/{service}?return_response",
        json=data,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        # Home Assistant 2025.4 answers an action's error as plain text (a 500), not JSON.
        text = await response.text()
        if response.status != 200:
            raise RuntimeError(f"{service} failed (HTTP {response.status}): {text.strip()}")
        return dict(json.loads(text)["service_response"])


CONFIRMED_CALL = {
    "confirm": "both",
    "announce": "A call from the Tanaka household about tomorrow's delivery.",
}


async def drive(
    ha_url: str, sim_url: str, hass: subprocess.Popen[bytes], extra: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with aiohttp.ClientSession() as session:
        await hass_instance.wait_until_up(session, f"{sim_url}/_sim/calls", 30)
        await hass_instance.wait_until_up(session, f"{ha_url}/api/", 180, process=hass)
        token = await hass_instance.login(session, ha_url)
        await hass_instance.wait_until_loaded(session, ha_url, token, "twilio_bridge", process=hass)
        placed = await call_service(
            session,
            ha_url,
            token,
            "connect",
            {"party_a": PARTY_A, "party_b": PARTY_B, "label": "scripts/demo", **extra},
        )
        print(f"connect → {placed}")
        deadline = time.monotonic() + 120
        while True:
            calls = (await call_service(session, ha_url, token, "get_calls", {}))["calls"]
            record = next(c for c in calls if c["call_id"] == placed["call_id"])
            if record["outcome"] is not None and record["cost_final"]:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the call did not end with Twilio's price within 120 s")
            await asyncio.sleep(0.5)
        async with session.get(f"{sim_url}/_sim/calls") as response:
            legs = (await response.json())["calls"]
        return record, legs


def print_record(title: str, record: dict[str, Any]) -> None:
    print(f"\n{title}")
    for key in (
        "call_id",
        "label",
        "party_a",
        "party_b",
        "started_at",
        "connected_at",
        "ended_at",
        "duration",
        "billed_seconds",
        "outcome",
        "failed_party",
        "confirm",
        "confirmed_at",
        "cost",
        "cost_final",
        "currency",
    ):
        if key in record:
            print(f"  {key:15} {record[key]}")


def print_legs(legs: list[dict[str, Any]]) -> None:
    print("\nAs the simulator (Twilio) billed it:")
    for leg in legs:
        name = "B" if leg["parent_call_sid"] else "A"
        print(
            f"  leg {name} {leg['sid']}  to {leg['to']}  {leg['status']}  "
            f"{leg['start_time']} → {leg['end_time']}  duration {leg['duration']} s  "
            f"price {leg['price']} {leg['price_unit']}"
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def place_call(config: Path, output: Path, confirm: bool) -> bool:
    """Start the simulator and hass on `config`, place the call, print it; True if it is right."""
    prepare_config(config)
    sim_port, ha_port = free_port(), free_port()
    sim_url, ha_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{ha_port}"
    env = {
        **os.environ,
        "TWILIO_BRIDGE_DEMO_HA_PORT": str(ha_port),
        "TWILIO_BRIDGE_DEMO_HA_URL": ha_url,
        "TWILIO_BRIDGE_DEMO_SIM_URL": sim_url,
        "PYTHONPATH": str(ROOT),
    }
    print(f"Simulator on {sim_url} (inspector {sim_url}/_sim/), Home Assistant on {ha_url}")
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--port",
            str(sim_port),
            "--scenario",
            str(SCENARIO),
            "--speed",
            str(SPEED),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        with output.open("wb") as log:
            hass = subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            record, legs = asyncio.run(
                drive(ha_url, sim_url, hass, CONFIRMED_CALL if confirm else {})
            )
        finally:
            stop(hass)
    finally:
        stop(simulator)
    stored = json.loads((config / ".storage" / "twilio_bridge.calls").read_text())
    stored_record = next(c for c in stored["data"]["calls"] if c["call_id"] == record["call_id"])
    print_record("As Home Assistant reported it (twilio_bridge.get_calls):", record)
    print("\nAs Home Assistant stored it (.storage/twilio_bridge.calls):")
    print(json.dumps(stored_record, indent=2, ensure_ascii=False))
    print_legs(legs)
    leg_b = next((leg for leg in legs if leg["parent_call_sid"]), None)
    confirmed = all(record["confirmed_at"].values()) if confirm else True
    ok = (
        record["outcome"] == "completed"
        and confirmed
        and record["duration"] == EXPECTED_TALK
        and stored_record["duration"] == EXPECTED_TALK
        and leg_b is not None
        and leg_b["duration"] == str(EXPECTED_TALK)
    )
    verdict = "OK: the call completed with" if ok else "FAILED: the call did not complete with"
    both = ", both parties having pressed 1" if confirm else ""
    print(f"\n{verdict} {EXPECTED_TALK} s of talk time on both sides{both}.")
    return ok


def print_tail(output: Path) -> None:
    lines = output.read_text("utf-8", errors="replace").splitlines() if output.exists() else []
    print(f"\nThe last {min(len(lines), LOG_TAIL)} lines of Home Assistant's output:")
    print("\n".join(f"  {line}" for line in lines[-LOG_TAIL:]))


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--confirm", action="store_true", help="both parties press 1 first; B hears who calls"
    )
    args = parser.parse_args()
    config = Path(tempfile.mkdtemp(prefix="twilio_bridge_demo_"))
    output = config / "hass-output.log"  # hass's stdout and stderr, shown if the demo fails
    ok = False
    try:
        ok = place_call(config, output, args.confirm)
    except (RuntimeError, TimeoutError, aiohttp.ClientError, subprocess.CalledProcessError) as err:
        print(f"\nFAILED: {err}")
    finally:
        if not ok:
            print_tail(output)
        shutil.rmtree(config, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
