"""Regenerate the bundled recordings of the main V-call flows.

    python -m simulator.recordings.make_recordings [OUTPUT_DIR]

Each run starts the simulator with the basic scenario, a tiny in-process TwiML application
that behaves like the integration's webhooks (answer: <Dial> B with an action; action:
<Hangup/>, after an apology when B was not bridged), places the call with the official SDK and
records every webhook exchange:

- bridge_completed.yaml: A answers after 3 s, B after 4 s, and they talk for 93 s.
- bridge_busy.yaml: A answers, B is busy.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from simulator.harness import Simulator
from simulator.recorder import Recorder, load_recording
from simulator.scenario import Scenario

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "basic.yaml"
A = "+819011112222"  # answers after 3 s, stays on the line
B = "+819033334444"  # answers after 4 s, hangs up after 93 s of talk
B_BUSY = "+81311112222"
EPOCH = datetime(2026, 1, 5, 1, 0, 0, tzinfo=UTC)  # fixed, so re-runs differ only in SIDs
EVENTS = "initiated ringing answered completed"


class VCallApp:
    """The application side of a V-call, on 127.0.0.1 with a free port."""

    def __init__(self, number: str, b: str) -> None:
        self.number = number
        self.b = b
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, hook: str, leg: str | None = None) -> str:
        query = f"hook={hook}" + (f"&leg={leg}" if leg else "")
        return f"http://127.0.0.1:{self.port}/api/webhook/vcall?{query}"

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        response = VoiceResponse()
        match request.query.get("hook"):
            case "answer":
                response.say("おつなぎします。", language="ja-JP")
                dial = response.dial(
                    caller_id=self.number,
                    timeout=30,
                    time_limit=3600,
                    action=self.url("dial-done"),
                    answer_on_bridge=True,
                    ring_tone="jp",
                )
                dial.number(
                    self.b, status_callback=self.url("status", "b"), status_callback_event=EVENTS
                )
            case "dial-done":
                if form.get("DialBridged") != "true":
                    response.say("相手の方につながりませんでした。", language="ja-JP")
                response.hangup()
            case _:
                return web.Response(status=204)  # status callbacks
        return web.Response(text=str(response), content_type="text/xml")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/webhook/vcall", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def record(path: Path, b: str) -> int:
    """Run one V-call to `b` and record it to `path`; return the number of exchanges."""
    scenario = Scenario.load(SCENARIO)
    number = scenario.numbers[0]
    async with Simulator(scenario) as sim:
        sim.clock.epoch = EPOCH
        recorder = Recorder(path)
        recorder.attach(sim)
        app = VCallApp(number, b)
        await app.start()
        http = AsyncTwilioHttpClient(pool_connections=False)
        client = Client(scenario.account_sid, scenario.auth_token, http_client=http)
        client.api.base_url = sim.url
        try:
            await client.calls.create_async(
                to=A,
                from_=number,
                url=app.url("answer"),
                status_callback=app.url("status", "a"),
                status_callback_event=EVENTS.split(),
                timeout=30,
                time_limit=3600,
            )
            await sim.run_until_idle()
        finally:
            await app.stop()
    return len(load_recording(path))


async def main(output: Path) -> None:
    for name, b in (("bridge_completed.yaml", B), ("bridge_busy.yaml", B_BUSY)):
        count = await record(output / name, b)
        print(f"{output / name}: {count} exchanges")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
