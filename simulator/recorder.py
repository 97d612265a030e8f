"""Record webhook exchanges to YAML, and replay them at another target, re-signed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import yaml
from yarl import URL

from .harness import Simulator
from .models import Exchange
from .signing import signature


class Recorder:
    """Appends each exchange to a YAML file as soon as it is answered.

    The file is `exchanges:` followed by one block-sequence item per exchange, so each
    exchange costs one append (a rewrite per exchange made long runs quadratic) and the
    file is valid YAML after every write, even if the run is killed.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self.path.write_text("exchanges:\n", encoding="utf-8")

    def attach(self, simulator: Simulator) -> None:
        simulator.sender.listeners.append(self.record)

    def record(self, exchange: Exchange) -> None:
        entry = exchange.to_dict()
        entry.pop("signature", None)  # re-signed on replay, for the replay's URL
        item = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(item)
        self.count += 1


@dataclass
class ReplayResult:
    method: str
    url: str
    status: int | None
    body: str


def retarget(url: str, target: str) -> str:
    """Keep path and query, take scheme and host from the target (and its path prefix)."""
    original, base = urlsplit(url), urlsplit(target)
    path = base.path.rstrip("/") + original.path
    return urlunsplit((base.scheme, base.netloc, path, original.query, ""))


def load_recording(path: str | Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a recording (expected a mapping with 'exchanges')")
    return list(data.get("exchanges") or [])  # "exchanges:" alone (nothing recorded) is null


async def replay(
    exchanges: list[dict[str, Any]], target: str, auth_token: str, kinds: set[str] | None = None
) -> list[ReplayResult]:
    """Send each recorded exchange to `target`, signed for its new URL, one after another."""
    results: list[ReplayResult] = []
    async with aiohttp.ClientSession() as session:
        for entry in exchanges:
            if kinds and entry.get("kind") not in kinds:
                continue
            url = retarget(str(entry["url"]), target)
            method = str(entry.get("method", "POST")).upper()
            params = {str(k): str(v) for k, v in (entry.get("params") or {}).items()}
            signed = [] if method == "GET" else list(params.items())
            headers = {"X-Twilio-Signature": signature(auth_token, url, signed)}
            try:
                async with session.request(
                    method,
                    URL(url, encoded=True),  # as signed: no requoting of the query
                    data=None if method == "GET" else params,
                    headers=headers,
                ) as response:
                    results.append(
                        ReplayResult(method, url, response.status, await response.text())
                    )
            except aiohttp.ClientError as err:
                results.append(ReplayResult(method, url, None, str(err)))
    return results
