"""Signed webhook requests to the application, and status-callback delivery with faults."""

from __future__ import annotations

import asyncio
import contextlib
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from yarl import URL

from .clock import TimerCallback, VirtualClock
from .errors import Notice, WebhookError
from .models import Exchange, WebhookResponse
from .scenario import Faults
from .signing import signature

USER_AGENT = "TwilioProxy/1.1"
MAX_BODY = 64 * 1024


class WebhookSender:
    """Sends one signed request and records the exchange."""

    def __init__(
        self,
        session_factory: Callable[[], aiohttp.ClientSession],
        clock: VirtualClock,
        auth_token: Callable[[], str],
        faults: Callable[[], Faults],
        timeout: Callable[[], float],
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._auth_token = auth_token
        self._faults = faults
        self._timeout = timeout
        self.listeners: list[Callable[[Exchange], None]] = []

    def build(self, kind: str, url: str, method: str, params: dict[str, str]) -> Exchange:
        """The exchange as it will be sent: GET parameters become part of the signed URL."""
        method = method.upper() if method.upper() in {"GET", "POST"} else "POST"
        target = url
        if method == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        signed_params = [] if method == "GET" else list(params.items())
        sig = signature(self._auth_token(), target, signed_params)
        return Exchange(
            at=self._clock.now(),
            kind=kind,
            url=target,
            method=method,
            params=dict(params),
            signature=sig,
        )

    async def send(self, exchange: Exchange, idempotency_token: str) -> WebhookResponse:
        """Send an exchange; raise WebhookError the way Twilio would log one."""
        headers = {
            "X-Twilio-Signature": exchange.signature,
            "I-Twilio-Idempotency-Token": idempotency_token,
            "User-Agent": USER_AGENT,
        }
        data = None if exchange.method == "GET" else exchange.params
        try:
            async with asyncio.timeout(self._timeout()):
                slow = self._faults().slow_webhook
                if slow:
                    await asyncio.sleep(slow)
                session = self._session_factory()
                # encoded=True: send the URL byte for byte as signed; yarl would otherwise
                # requote the query (%2C -> ",", %3A -> ":") and break the signature.
                async with session.request(
                    exchange.method, URL(exchange.url, encoded=True), data=data, headers=headers
                ) as response:
                    body = (await response.content.read(MAX_BODY)).decode("utf-8", "replace")
                    exchange.status = response.status
                    exchange.body = body
                    result = WebhookResponse(
                        response.status, body, response.headers.get("Content-Type", "")
                    )
        except TimeoutError as err:
            raise _failed(exchange, Notice.HTTP_CONNECTION_FAILURE, "timed out") from err
        except (aiohttp.ClientConnectionError, OSError) as err:
            # Refused, reset or unreachable: Twilio logs an HTTP connection failure.
            raise _failed(exchange, Notice.HTTP_CONNECTION_FAILURE, type(err).__name__) from err
        except (aiohttp.ClientError, ValueError) as err:
            raise _failed(exchange, Notice.HTTP_RETRIEVAL_FAILURE, type(err).__name__) from err
        finally:
            for listener in self.listeners:
                listener(exchange)
        if response.status >= 400:
            status = response.status
            raise _failed(exchange, Notice.HTTP_RETRIEVAL_FAILURE, f"status {status}", status)
        return result


FAILURES = {
    Notice.HTTP_CONNECTION_FAILURE: "HTTP connection failure",
    Notice.HTTP_RETRIEVAL_FAILURE: "HTTP retrieval failure",
}


def _failed(
    exchange: Exchange, code: Notice, detail: str, status: int | None = None
) -> WebhookError:
    """The error of a failed webhook, noted on its exchange with the code as Twilio logs it
    (the notification's text names the code apart, so the error's own text does not)."""
    error = WebhookError(code, f"{FAILURES[code]} ({detail})", status)
    exchange.error = f"{int(code)}: {error}"
    return error


@dataclass
class _Pending:
    leg_sid: str
    exchange: Exchange
    token: str


# Told of a status callback the application did not take: (leg SID, exchange, error).
FailureListener = Callable[[str, Exchange, WebhookError], None]


class CallbackDispatcher:
    """Delivers status callbacks apart from the call flow, as Twilio does.

    Callbacks of one call go through one queue, so without faults they arrive in the order
    they fired; calls are spread over several queues so many calls do not wait on each other.
    Faults: duplicate, drop, delay (simulated seconds) and reorder (a leg's callbacks are held
    until it ends, then sent shuffled).
    """

    QUEUES = 8

    def __init__(
        self, sender: WebhookSender, clock: VirtualClock, faults: Callable[[], Faults]
    ) -> None:
        self._sender = sender
        self._clock = clock
        self._faults = faults
        self._queues: list[asyncio.Queue[_Pending]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._held: dict[str, list[_Pending]] = {}
        self._random = random.Random(faults().seed)
        self.dropped = 0
        self.failure_listeners: list[FailureListener] = []

    def reseed(self) -> None:
        self._random = random.Random(self._faults().seed)

    def reset(self) -> None:
        """Forget held (reorder) callbacks and the drop count; start the seed over."""
        self._held.clear()
        self.dropped = 0
        self.reseed()

    def _start(self) -> None:
        if self._workers:
            return
        for _ in range(self.QUEUES):
            queue: asyncio.Queue[_Pending] = asyncio.Queue()
            self._queues.append(queue)
            self._workers.append(asyncio.create_task(self._work(queue)))

    async def _work(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            pending = await queue.get()
            try:
                await self._sender.send(pending.exchange, pending.token)
            except WebhookError as err:
                # Twilio logs a notification; status callbacks have no fallback.
                for listener in self.failure_listeners:
                    listener(pending.leg_sid, pending.exchange, err)
            finally:
                queue.task_done()

    def _enqueue(self, key: str, pending: _Pending) -> None:
        self._start()
        self._queues[zlib.crc32(key.encode()) % self.QUEUES].put_nowait(pending)

    def submit(self, key: str, leg_sid: str, exchange: Exchange, *, final: bool) -> None:
        """Queue one callback; `key` groups a call's legs, `final` marks a leg's last one."""
        faults = self._faults()
        token = f"{leg_sid}-{exchange.params.get('SequenceNumber', '0')}"
        if faults.drop and self._random.random() < faults.drop:
            self.dropped += 1
            return
        copies = 2 if faults.duplicate and self._random.random() < faults.duplicate else 1
        pendings = [_Pending(leg_sid, exchange, token) for _ in range(copies)]
        if faults.reorder:
            self._held.setdefault(leg_sid, []).extend(pendings)
            if final:
                self.flush(key, leg_sid)
            return
        self._send(key, pendings)

    def flush(self, key: str, leg_sid: str) -> None:
        """Release a leg's held callbacks (reorder fault) in a shuffled order."""
        held = self._held.pop(leg_sid, [])
        self._random.shuffle(held)
        self._send(key, held)

    def _send(self, key: str, pendings: list[_Pending]) -> None:
        faults = self._faults()
        for pending in pendings:
            if faults.delay:
                self._clock.call_later(faults.delay, self._later(key, pending))
            else:
                self._enqueue(key, pending)

    def _later(self, key: str, pending: _Pending) -> TimerCallback:
        async def fire() -> None:
            self._enqueue(key, pending)

        return fire

    async def settle(self) -> None:
        """Wait until every queued callback has been answered."""
        for queue in list(self._queues):
            await queue.join()

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers.clear()
        self._queues.clear()
        self._held.clear()
