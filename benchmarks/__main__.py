"""python -m benchmarks: run every benchmark and print one table of figures.

    .venv/bin/python -m benchmarks [--parts 1,2,3,4,5,6] [--json FILE] [--quick]
                                   [--memory-calls N] [--no-recorder]
                                   [--throttle auto|cgroup|duty]

1 webhook requests/s and latency through real Home Assistant vs bare aiohttp baselines
2 a burst of 500 concurrent V-calls end to end (real Home Assistant + simulator)
3 hass memory growth per 10 000 logged calls (call_log_size 500)
4 the simulator alone: simulated calls per second
5 50 concurrent V-calls with Home Assistant held to a quarter of one CPU (Raspberry Pi-class)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from simulator.harness import Simulator

from . import burst, costs, memory, simulator_only, throttled_calls, webhook
from .common import (
    DRIVER_CPU,
    PINNED,
    SERVER_CPU,
    Hass,
    machine_busy_seconds,
    machine_facts,
    pin_driver,
    sim_scenario,
)
from .report import print_report


def bench_scenario() -> dict[str, Any]:
    phones = burst.phones(burst.CALLS)
    phones[webhook.RING_FOREVER] = {"behavior": "no-answer"}
    return sim_scenario(phones)


QUICK = {
    "burst": 100,
    "memory": 2_000,
    "checkpoint": 500,
    "simulator": 300,
    "recorder": 1,
    "throttled": 20,
}
FULL = {
    "burst": burst.CALLS,
    "throttled": throttled_calls.CALLS,
    "memory": memory.CALLS,
    "checkpoint": memory.CHECKPOINT,
    "simulator": simulator_only.CALLS,
    "recorder": 1,
}


async def run_ha_parts(parts: set[int], results: dict[str, Any], sizes: dict[str, int]) -> None:
    """Parts 1 and 2 share one hass (max_concurrent_calls and call_log_size 1000)."""
    async with Simulator(bench_scenario()) as sim:
        hass = Hass(sim.url, max_concurrent_calls=1000, call_log_size=1000)
        try:
            await hass.start()
            results["hass_startup_s"] = hass.startup_seconds
            if 1 in parts:
                print("[1] webhook load: bare, signed, Home Assistant ...", flush=True)
                results["webhook"] = await webhook.run(hass, sim)
            if 2 in parts:
                print(f"[2] burst of {sizes['burst']} concurrent calls ...", flush=True)
                results["burst"] = await burst.run(hass, sim, calls=sizes["burst"])
        finally:
            await hass.stop()


async def run(parts: set[int], sizes: dict[str, int], throttle: str) -> dict[str, Any]:
    # SIGTERM cancels the run like Ctrl-C does, so every `finally` stops what it started
    # (hass, servers, the throttle's cgroup) instead of leaving it behind.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    results: dict[str, Any] = {
        "machine": machine_facts(),
        "parts": sorted(parts),
        "pinning": (
            f"server under test on CPU {SERVER_CPU}; driver, simulator and load generator "
            f"on CPU {DRIVER_CPU}"
            if PINNED
            else "no CPU pinning (one CPU, or no taskset)"
        ),
    }
    busy = machine_busy_seconds()
    await asyncio.sleep(2)
    results["background_load"] = (machine_busy_seconds() - busy) / 2 / (os.cpu_count() or 1)
    started = time.monotonic()
    if 4 in parts:
        print("[4] simulator alone ...", flush=True)
        results["simulator"] = await simulator_only.run(sizes["simulator"])
    if parts & {1, 2}:
        await run_ha_parts(parts, results, sizes)
    if 3 in parts:
        print(f"[3] memory over {sizes['memory']} logged calls ...", flush=True)
        results["memory"] = await memory.run(
            sizes["memory"], sizes["checkpoint"], recorder=sizes["recorder"] != 0
        )
    if 5 in parts:
        print(
            f"[5] {sizes['throttled']} concurrent calls, hass held to "
            f"{throttled_calls.SHARE:g} of one CPU ...",
            flush=True,
        )
        results["throttled"] = await throttled_calls.run(sizes["throttled"], throttle)
    if 6 in parts:
        print("[6] what each real-world case costs, with and without the gates ...", flush=True)
        results["costs"] = await costs.measure()
    results["total_s"] = time.monotonic() - started
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--parts", default="1,2,3,4,5,6", help="comma-separated parts (default all)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run with small counts and short loads (figures not comparable)",
    )
    parser.add_argument(
        "--memory-calls",
        type=int,
        metavar="N",
        help=f"calls logged in part 3 (default {memory.CALLS}; RSS is compared at N/2 and N)",
    )
    parser.add_argument(
        "--no-recorder",
        action="store_true",
        help="part 3 without the recorder (to tell its memory from the integration's)",
    )
    parser.add_argument(
        "--throttle",
        choices=("auto", "cgroup", "duty"),
        default="auto",
        help="part 5: a cgroup v1 CPU quota, a SIGSTOP/SIGCONT duty cycle, or the first "
        "that works (default)",
    )
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",") if p.strip()}
    pin_driver()
    if args.quick:
        webhook.OPEN_SECONDS, webhook.CLOSED_SECONDS = 2.0, 2.0
    sizes = dict(QUICK if args.quick else FULL)
    if args.no_recorder:
        sizes["recorder"] = 0
    if args.memory_calls:
        sizes["memory"] = args.memory_calls
    results = asyncio.run(run(parts, sizes, args.throttle))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print_report(results)


if __name__ == "__main__":
    main()
