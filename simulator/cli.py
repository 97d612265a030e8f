"""python -m simulator: serve an offline Twilio, or replay a recording at a target."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

import yaml

from .harness import Simulator
from .scenario import Scenario, ScenarioError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="An offline Twilio Programmable Voice: REST API (v2010), TwiML engine, "
        "virtual phones, signed webhooks, a virtual clock and an inspector at /_sim/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  python -m simulator serve --port 8765 --scenario simulator/scenarios/basic.yaml --speed 60
  python -m simulator replay simulator/recordings/bridge_completed.yaml \\
      --target http://127.0.0.1:8123 --auth-token simulator-auth-token

inspector (while serving): GET /_sim/ (timelines), GET /_sim/calls (JSON),
POST /_sim/clock/advance {"seconds": N}, POST /_sim/faults {...}, POST /_sim/reset,
POST /_sim/dial {"from": "+81...", "to": "<owned number>"} (an inbound call)""",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the REST API and run calls",
        description="Serve Twilio's REST API on a local port. Point the twilio SDK at it with "
        "client.api.base_url = 'http://127.0.0.1:PORT'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port to bind (default 8765)")
    serve.add_argument("--scenario", help="scenario YAML: account, numbers, rates, phones, faults")
    serve.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1; 0 = manual clock, advanced "
        "with POST /_sim/clock/advance)",
    )
    serve.add_argument("--record", metavar="FILE", help="write every webhook exchange to YAML")
    replay = commands.add_parser(
        "replay",
        help="re-send a recording's webhooks to a target, re-signed",
        description="Re-send each webhook of a recording to TARGET (same paths and "
        "parameters), signed with AUTH_TOKEN for the target URL.",
    )
    replay.add_argument("recording", help="a YAML file written by serve --record")
    replay.add_argument(
        "--target", required=True, help="base URL to send to, e.g. http://host:8123"
    )
    replay.add_argument("--auth-token", required=True, help="auth token to sign with")
    replay.add_argument(
        "--kinds",
        default="",
        help="comma-separated exchange kinds to send: voice, status, action, gather, "
        "whisper, redirect (default all)",
    )
    return parser


async def serve(args: argparse.Namespace) -> int:
    scenario = Scenario.load(args.scenario) if args.scenario else Scenario()
    simulator = Simulator(scenario, speed=args.speed or None, host=args.host, port=args.port)
    if args.record:
        from .recorder import Recorder  # noqa: PLC0415 - optional feature

        Recorder(args.record).attach(simulator)
    await simulator.start()
    print(f"Twilio simulator on {simulator.url} (inspector: {simulator.url}/_sim/)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await simulator.stop()
    return 0


async def replay_command(args: argparse.Namespace) -> int:
    from .recorder import load_recording, replay  # noqa: PLC0415 - optional feature

    kinds = {k for k in args.kinds.split(",") if k}
    exchanges = load_recording(args.recording)
    results = await replay(exchanges, args.target, args.auth_token, kinds or None)
    failed = 0
    for result in results:
        print(f"{result.status or 'ERR'} {result.method} {result.url}")
        failed += result.status is None or result.status >= 400
    print(f"{len(results) - failed} sent, {failed} failed")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return asyncio.run(serve(args))
        return asyncio.run(replay_command(args))
    except (ScenarioError, ValueError, OSError, yaml.YAMLError) as err:
        # A bad scenario or recording, a port in use: say so, no traceback.
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
