"""python -m simulator: the help texts, and `serve` as a real process."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml
from twilio.rest import Client

from simulator.cli import build_parser
from simulator.recorder import load_recording
from simulator.scenario import Scenario

from .support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    NUMBER,
    SHORT,
    App,
    CheckedAsyncHttpClient,
    base_scenario,
)


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _options(command: str | None) -> set[str]:
    """Every option the parser defines for `command` (or the top level), from the parser."""
    parser = build_parser()
    if command is not None:
        subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        parser = subparsers.choices[command]  # type: ignore[attr-defined]
    found = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if not action.option_strings and action.dest not in {"help", "command"}:
            found.add(action.dest)
    return found


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {"serve", "replay", "--help"}),
        (["serve"], {"--host", "--port", "--scenario", "--speed", "--record"}),
        (["replay"], {"recording", "--target", "--auth-token", "--kinds"}),
    ],
    ids=["main", "serve", "replay"],
)
async def test_help_mentions_every_option(args: list[str], expected: set[str]) -> None:
    code, out, _ = await _run(*args, "--help")
    assert code == 0
    assert expected <= _options(args[0] if args else None) | {"serve", "replay"}
    for option in expected | _options(args[0] if args else None):
        assert option in out, option
    assert "usage: python -m simulator" in out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if process.returncode is not None:
                raise AssertionError(f"serve exited with {process.returncode}")
            try:
                async with session.get(url + "/_sim/calls") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("serve did not come up")


async def test_serve_runs_calls_and_stops_on_sigterm(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(base_scenario()), encoding="utf-8")
    recording = tmp_path / "recording.yaml"
    port = _free_port()
    app = App()
    await app.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "serve",
        "--port",
        str(port),
        "--scenario",
        str(scenario),
        "--speed",
        "100",
        "--record",
        str(recording),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_until_up(url, process)
        http = CheckedAsyncHttpClient(pool_connections=False)
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
        client.api.base_url = url
        call = await client.calls.create_async(
            to=SHORT,
            from_=NUMBER,
            twiml="<Response><Pause length='60'/></Response>",
            status_callback=app.url("/status"),
        )
        for _ in range(200):  # 11 simulated seconds at 100x
            fetched = await client.calls(call.sid).fetch_async()
            if fetched.status == "completed":
                break
            await asyncio.sleep(0.02)
        assert fetched.status == "completed"
        assert fetched.duration == "10"
        for _ in range(100):
            if app.received("/status"):
                break
            await asyncio.sleep(0.02)
        [hit] = app.received("/status")
        assert hit.signed()
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=10)
        assert process.returncode == 0, err.decode()
        assert f"Twilio simulator on {url}" in out.decode()
        [entry] = load_recording(recording)
        assert entry["params"]["CallSid"] == call.sid
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await app.stop()


async def test_serve_refuses_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("faults: {drop: lots}\n", encoding="utf-8")
    code, _, err = await _run("serve", "--port", str(_free_port()), "--scenario", str(scenario))
    assert code == 2
    assert "drop" in err


def test_the_documented_scenarios_load() -> None:
    """The README's scenario example and the bundled basic scenario are valid."""
    root = Path(__file__).resolve().parents[2] / "simulator"
    readme = (root / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    scenario = Scenario.from_mapping(yaml.safe_load(example))
    assert scenario.faults.api_errors == {"calls.create": 429}
    assert scenario.phone("+819055556666").digits == "1234#"
    assert scenario.phone("+819066667777").digits_after == 12
    assert scenario.numbers == ("+815012345678", "+815011112222", "+815033334444")
    assert scenario.settings("+815012345678").voice_url == "https://my-app.example/incoming"
    assert scenario.settings("+815011112222").voice_url is None
    assert scenario.capabilities("+815011112222").voice
    assert not scenario.capabilities("+815033334444").voice
    basic = Scenario.load(root / "scenarios" / "basic.yaml")
    assert basic.numbers == ("+815012345678",)
    people = Scenario.load(root / "scenarios" / "real_people.yaml")
    assert people.numbers == ("+815012345678",)
    assert people.phone("+819044445555").behavior == "voicemail"
    assert people.phone("+819066667777").digits_after == 20
