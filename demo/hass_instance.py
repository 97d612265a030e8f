"""Drive a real `hass` process through its API: shared by scripts/demo and the benchmarks.

A throwaway config folder gets the onboarding marked done and one user, so a script can log
in through the same login flow as the frontend and call services over REST or websocket.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

USER, PASSWORD = "demo", "demo-password"
ONBOARDING_DONE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}


def prepare(config: Path, python: str = sys.executable) -> None:
    """Skip the onboarding wizard and add the user the scripts log in with."""
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "onboarding").write_text(json.dumps(ONBOARDING_DONE))
    subprocess.run(
        [
            python,
            "-m",
            "homeassistant",
            "--script",
            "auth",
            "-c",
            str(config),
            "add",
            USER,
            PASSWORD,
        ],
        check=True,
        capture_output=True,
    )


async def wait_until_up(
    session: aiohttp.ClientSession,
    url: str,
    seconds: float,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll `url` until it answers (anything but a 5xx), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited early")
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.25)
    raise TimeoutError(f"{url} did not come up within {seconds:.0f} s")


# A config entry in one of these states stays there: waiting longer cannot load it.
FAILED_STATES = {"setup_error", "migration_error", "failed_unload"}


async def wait_until_loaded(
    session: aiohttp.ClientSession,
    base: str,
    token: str,
    domain: str,
    seconds: float = 120,
    *,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll until `domain`'s config entry is loaded, or fail with its state and reason.

    An integration's actions can exist (registered in async_setup) before its config entry,
    imported from YAML, has finished setting up; until then they refuse every call.
    """
    deadline = time.monotonic() + seconds
    seen = "no config entry yet"
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Home Assistant exited before {domain} loaded ({seen})")
        async with session.get(
            f"{base}/api/config/config_entries/entry",
            params={"domain": domain},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            # 404 until the `config` integration, which serves this, has loaded.
            entries = await response.json() if response.status == 200 else []
        if entries:
            state, reason = entries[0]["state"], entries[0].get("reason")
            if state == "loaded":
                return
            seen = f"state {state}" + (f": {reason}" if reason else "")
            if state in FAILED_STATES:
                raise RuntimeError(f"{domain} did not load ({seen})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{domain} did not load within {seconds:.0f} s ({seen})")
        await asyncio.sleep(0.25)


async def login(session: aiohttp.ClientSession, base: str) -> str:
    """An access token through Home Assistant's login flow."""
    client_id = f"{base}/"
    async with session.post(
        f"{base}/auth/login_flow",
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{base}/auth/login_flow/{flow['flow_id']}",
        json={"client_id": client_id, "username": USER, "password": PASSWORD},
    ) as response:
        code = (await response.json())["result"]
    async with session.post(
        f"{base}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as response:
        return str((await response.json())["access_token"])
