"""What every benchmark needs: a real `hass` process, its APIs, /proc figures, percentiles.

`hass` is started the way demo/run.py starts it: `python -m homeassistant -c CONFIG
--skip-pip` on a throwaway config directory (onboarding marked done, one user added with
`--script auth`), and driven through its REST and websocket APIs with a token obtained
through the login flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from demo import hass_instance

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "simulator-auth-token"
TWILIO_NUMBER = "+815012345678"


def sim_scenario(phones: dict[str, Any] | None = None) -> dict[str, Any]:
    """The simulator's account for every part: the one number, JPY rates, these phones."""
    return {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "numbers": [TWILIO_NUMBER],
        "rates": {"currency": "JPY", "mobile": 16.2, "landline": 5.4},
        "phones": phones or {},
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# On a machine with two or more CPUs the server under test (hass, a baseline server, the
# TwiML app) runs on CPU 0 and everything else (this driver, the in-process simulator, the
# load generator) on CPU 1. Without pinning, Linux tends to wake the client and the server
# of a loopback ping-pong on the same CPU and figures swing by a factor of two run to run.
SERVER_CPU, DRIVER_CPU = 0, 1
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pin_driver() -> None:
    """Pin this process (and the children that do not pin themselves) to DRIVER_CPU."""
    if PINNED:
        os.sched_setaffinity(0, {DRIVER_CPU})


def server_command(command: list[str]) -> list[str]:
    """`command`, run on SERVER_CPU with all its threads."""
    return ["taskset", "-c", str(SERVER_CPU), *command] if PINNED else command


def machine_busy_seconds() -> float:
    """CPU seconds every CPU of the machine has spent busy (not idle/iowait) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU seconds used by this process (driver and in-process simulator)."""
    return time.process_time()


# A real configuration, as a user would write it: recorder (pulled in by logbook), frontend,
# API and websocket API; twilio_bridge against the simulator. Log level warning so that the
# integration's per-call INFO lines do not turn the run into a logging benchmark.
# bench_probe (benchmarks/bench_probe) only adds a read-only websocket command for part 3.
CONFIG_TEMPLATE = """\
homeassistant:
  name: twilio_bridge benchmark
  time_zone: Asia/Tokyo
  country: JP
  currency: JPY
  unit_system: metric
  latitude: 35.68
  longitude: 139.77
  elevation: 40

http:
  server_host: 127.0.0.1
  server_port: {ha_port}

frontend:
api:
websocket_api:
{logbook}

logger:
  default: warning

bench_probe:

twilio_bridge:
  account_sid: {account_sid}
  auth_token: {auth_token}
  phone_number: "050-1234-5678"
  api_base_url: {sim_url}
  webhook_base_url: {ha_url}
  ring_timeout: 20
  time_limit: 600
  max_concurrent_calls: {max_concurrent_calls}
{extra}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and its parts (RssAnon, RssFile, RssShmem) of a process in MiB, from
    /proc/PID/status."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            found[key] = int(value.split()[0]) / 1024
    if "VmRSS" not in found:
        raise RuntimeError(f"no VmRSS for {pid}")
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of a process, in MB (MiB), from /proc/PID/status."""
    return memory_mb(pid)["VmRSS"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far, from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def machine_facts() -> dict[str, str]:
    import homeassistant.const  # noqa: PLC0415 - only for its version
    import twilio  # noqa: PLC0415

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "homeassistant": homeassistant.const.__version__,
        "aiohttp": aiohttp.__version__,
        "twilio": twilio.__version__,
    }


async def wait_for_quiet(
    own_pids: Sequence[int] = (), limit: float = 30.0, threshold: float = 0.2
) -> dict[str, float]:
    """Wait (at most `limit` s) until other processes use < `threshold` of one CPU.

    The machine may be shared (other people's test runs): each part starts when it is
    quiet if it becomes so within `limit`, and reports what the others used meanwhile.
    """
    started = time.monotonic()
    while True:
        busy, own = machine_busy_seconds(), own_cpu_seconds()
        theirs = [cpu_seconds(pid) for pid in own_pids]
        await asyncio.sleep(1.0)
        ours = own_cpu_seconds() - own
        ours += sum(cpu_seconds(pid) - before for pid, before in zip(own_pids, theirs, strict=True))
        load = max(0.0, machine_busy_seconds() - busy - ours)
        waited = time.monotonic() - started
        if load < threshold or waited >= limit:
            return {"waited_s": waited, "other_load": load}


class WsClient:
    """Home Assistant's websocket API: commands with results, and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._subscribers: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, base: str, token: str) -> WsClient:
        ws = await session.ws_connect(f"{base}/api/websocket", max_msg_size=0, heartbeat=None)
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise RuntimeError(f"unexpected websocket greeting {hello}")
        await ws.send_json({"type": "auth", "access_token": token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"websocket auth failed: {answer}")
        return cls(ws)

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            for item in data if isinstance(data, list) else [data]:
                self._dispatch(item)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        if item.get("type") == "event":
            subscriber = self._subscribers.get(item["id"])
            if subscriber is not None:
                subscriber(item["event"])
            return
        future = self._pending.pop(item.get("id", -1), None)
        if future is None or future.done():
            return
        if item.get("success", False):
            future.set_result(item.get("result"))
        else:
            future.set_exception(RuntimeError(str(item.get("error"))))

    async def command(self, message: dict[str, Any]) -> Any:
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._ws.send_json({**message, "id": message_id})
        return await future

    async def subscribe(self, event_type: str, handler: Callable[[dict[str, Any]], None]) -> None:
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        self._subscribers[message_id] = handler
        await self._ws.send_json(
            {"id": message_id, "type": "subscribe_events", "event_type": event_type}
        )
        await future

    async def service(self, service: str, data: dict[str, Any]) -> dict[str, Any]:
        result = await self.command(
            {
                "type": "call_service",
                "domain": "twilio_bridge",
                "service": service,
                "service_data": data,
                "return_response": True,
            }
        )
        return dict(result["response"])

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Hass:
    """A real `hass` process on a throwaway config directory, configured against `sim_url`."""

    def __init__(
        self,
        sim_url: str,
        *,
        max_concurrent_calls: int,
        call_log_size: int | None,
        recorder: bool = True,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sim_url = sim_url
        self.max_concurrent_calls = max_concurrent_calls
        self.call_log_size = call_log_size
        self.recorder = recorder
        self.config = Path(tempfile.mkdtemp(prefix="twilio_bridge_bench_"))
        self.process: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.token = ""
        self.ws: WsClient | None = None
        self.startup_seconds = math.nan

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _write_config(self) -> None:
        extra = "" if self.call_log_size is None else f"  call_log_size: {self.call_log_size}\n"
        (self.config / "configuration.yaml").write_text(
            CONFIG_TEMPLATE.format(
                ha_port=self.port,
                ha_url=self.url,
                sim_url=self.sim_url,
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                max_concurrent_calls=self.max_concurrent_calls,
                extra=extra,
                # logbook depends on recorder: without it, nothing loads the recorder.
                logbook="logbook:" if self.recorder else "# no logbook, so no recorder",
            )
        )
        components = self.config / "custom_components"
        components.mkdir()
        (components / "twilio_bridge").symlink_to(ROOT / "custom_components" / "twilio_bridge")
        (components / "bench_probe").symlink_to(Path(__file__).resolve().parent / "bench_probe")
        hass_instance.prepare(self.config, PYTHON)

    def _spawn(self) -> None:
        with (self.config / "hass.out").open("wb") as log:
            self.process = subprocess.Popen(
                server_command(
                    [PYTHON, "-m", "homeassistant", "-c", str(self.config), "--skip-pip"]
                ),
                # Not ROOT: from there `custom_components` would be the repository's own
                # package rather than the config directory's (where bench_probe is).
                cwd=self.config,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        self._write_config()
        started = time.monotonic()
        self._spawn()
        self.session = aiohttp.ClientSession()
        await self._wait_api(240)
        self.token = await self._login()
        self.ws = await WsClient.connect(self.session, self.url, self.token)
        deadline = time.monotonic() + 120
        while True:  # wait for the end of startup (state RUNNING), not just the API
            config = await self.ws.command({"type": "get_config"})
            if config.get("state") == "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError("hass did not finish starting")
            await asyncio.sleep(0.25)
        await hass_instance.wait_until_loaded(self.session, self.url, self.token, "twilio_bridge")
        self.startup_seconds = time.monotonic() - started

    async def _wait_api(self, seconds: float) -> None:
        assert self.session is not None
        await hass_instance.wait_until_up(
            self.session, f"{self.url}/api/", seconds, process=self.process
        )

    async def _login(self) -> str:
        assert self.session is not None
        return await hass_instance.login(self.session, self.url)

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.process is not None:
            await asyncio.to_thread(stop_process, self.process, 60)
        shutil.rmtree(self.config, ignore_errors=True)


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM one process we started, then SIGKILL it if it does not go."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
