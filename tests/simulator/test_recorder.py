"""Record webhook exchanges to YAML and replay them at another target, re-signed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from simulator.harness import Simulator
from simulator.recorder import Recorder, load_recording, replay

from .support import ALL_EVENTS, AUTH_TOKEN, NUMBER, A, App, B, Rest

RECORDINGS = Path(__file__).resolve().parents[2] / "simulator" / "recordings"


@pytest.fixture
async def target() -> AsyncIterator[App]:
    """A second application, somewhere else, that replays are sent to."""
    server = App()
    await server.start()
    yield server
    await server.stop()


async def _v_call(sim: Simulator, rest: Rest, app: App) -> str:
    events = " ".join(ALL_EVENTS)
    app.on(
        "/hook/answer",
        f"<Response><Dial action='/hook/done?leg=a'><Number statusCallback="
        f"'{app.url('/hook/status?leg=b')}' statusCallbackEvent='{events}'>{B}</Number>"
        "</Dial></Response>",
    )
    app.on("/hook/done", "<Response><Hangup/></Response>")
    body = await rest.create(
        data=[
            ("To", A),
            ("From", NUMBER),
            ("Url", app.url("/hook/answer")),
            ("StatusCallback", app.url("/hook/status?leg=a")),
            ("StatusCallbackMethod", "GET"),
            *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
        ]
    )
    await sim.advance(3 + 4 + 93 + 1)
    return str(body["sid"])


async def test_recorder_writes_every_exchange(
    sim: Simulator, rest: Rest, app: App, tmp_path: Path
) -> None:
    path = tmp_path / "run.yaml"
    Recorder(path).attach(sim)
    await _v_call(sim, rest, app)
    entries = load_recording(path)
    assert len(entries) == len(app.hits) == 10
    assert [e["url"] for e in entries] == [hit.url for hit in app.hits]
    assert {e["kind"] for e in entries} == {"voice", "status", "action"}
    for entry, hit in zip(entries, app.hits, strict=True):
        assert "signature" not in entry  # replays are signed for their own URL
        assert entry["method"] == hit.method
        # A GET callback's URL also carries the callback's own query (leg=a).
        assert entry["params"].items() <= hit.params.items()
        assert entry["status"] in {200, 204}
    voice = next(e for e in entries if e["kind"] == "voice")
    assert voice["body"].startswith("<Response><Dial")
    assert set(yaml.safe_load(path.read_text())) == {"exchanges"}


async def test_recorder_appends_instead_of_rewriting(
    sim: Simulator, rest: Rest, app: App, tmp_path: Path
) -> None:
    path = tmp_path / "run.yaml"
    recorder = Recorder(path)
    recorder.attach(sim)
    await rest.create(
        data=[
            ("To", A),
            ("From", NUMBER),
            ("Twiml", "<Response/>"),
            ("StatusCallback", app.url("/s")),
            *[("StatusCallbackEvent", event) for event in ALL_EVENTS],
        ]
    )
    await sim.advance(0)  # initiated and ringing are written
    assert recorder.count == 2
    with path.open("a", encoding="utf-8") as file:
        file.write("# a marker that a rewrite of the file would lose\n")
    await sim.advance(10)  # answered and completed
    assert recorder.count == 4
    text = path.read_text(encoding="utf-8")
    assert "# a marker that a rewrite" in text
    assert text.index("# a marker") < text.index("CallStatus: in-progress")
    assert [e["params"]["CallStatus"] for e in load_recording(path)] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]


async def test_empty_recording_loads(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    Recorder(path)
    assert load_recording(path) == []


async def test_replay_resigns_for_the_new_target(
    sim: Simulator, rest: Rest, app: App, target: App, tmp_path: Path
) -> None:
    path = tmp_path / "run.yaml"
    Recorder(path).attach(sim)
    await _v_call(sim, rest, app)
    entries = load_recording(path)
    results = await replay(entries, target.url("/prefix"), "another-token")
    assert [r.status for r in results] == [204] * len(entries)  # the target's answers
    assert len(target.hits) == len(app.hits)
    for original, replayed in zip(app.hits, target.hits, strict=True):
        assert replayed.path == "/prefix" + original.path
        assert replayed.method == original.method
        assert replayed.params == original.params
        assert replayed.url.startswith(target.url("/prefix"))
        assert replayed.signed("another-token")
        assert not replayed.signed(AUTH_TOKEN)
    only_status = await replay(entries, target.url(""), "t", kinds={"status"})
    assert len(only_status) == 8


@pytest.mark.parametrize(
    ("name", "dial_status", "bridged", "duration"),
    [
        ("bridge_completed.yaml", "completed", "true", "93"),
        ("bridge_busy.yaml", "busy", "false", "0"),
    ],
)
async def test_bundled_recordings_load_and_replay(
    target: App, name: str, dial_status: str, bridged: str, duration: str
) -> None:
    entries = load_recording(RECORDINGS / name)
    kinds = [e["kind"] for e in entries]
    assert kinds.count("voice") == 1
    assert kinds.count("action") == 1
    [action] = [e for e in entries if e["kind"] == "action"]
    assert action["params"]["DialCallStatus"] == dial_status
    assert action["params"]["DialBridged"] == bridged
    assert action["params"]["DialCallDuration"] == duration
    a_completed = [
        e["params"]
        for e in entries
        if e["kind"] == "status"
        and "leg=a" in e["url"]
        and e["params"]["CallStatus"] == "completed"
    ]
    assert len(a_completed) == 1
    results = await replay(entries, target.url(""), AUTH_TOKEN)
    assert [r.status for r in results] == [204] * len(entries)
    assert len(target.hits) == len(entries)
    for hit, entry in zip(target.hits, entries, strict=True):
        assert hit.signed()
        assert hit.params == entry["params"]


async def test_cli_replay(target: App) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "replay",
        str(RECORDINGS / "bridge_busy.yaml"),
        "--target",
        target.url(""),
        "--auth-token",
        AUTH_TOKEN,
        "--kinds",
        "action,voice",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert "2 sent, 0 failed" in out.decode()
    assert sorted(hit.query["hook"] for hit in target.hits) == ["answer", "dial-done"]
    assert all(hit.signed() for hit in target.hits)


async def test_cli_replay_reports_failures(target: App, tmp_path: Path) -> None:
    target.on("/api/webhook/vcall", "no", status=403)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "replay",
        str(RECORDINGS / "bridge_busy.yaml"),
        "--target",
        target.url(""),
        "--auth-token",
        AUTH_TOKEN,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1
    assert "0 sent, 9 failed" in out.decode()
    missing = tmp_path / "missing.yaml"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "replay",
        str(missing),
        "--target",
        target.url(""),
        "--auth-token",
        "x",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "missing.yaml" in err.decode()
