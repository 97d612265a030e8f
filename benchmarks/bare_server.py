"""Baseline servers, each in its own process: what a webhook costs without Home Assistant.

    python -m benchmarks.bare_server --port P --mode bare     read the form, answer 204
    python -m benchmarks.bare_server --port P --mode signed   ... after checking the
                                                              X-Twilio-Signature with the
                                                              SDK's RequestValidator (403 if bad)
    python -m benchmarks.bare_server --port P --mode twiml    a minimal TwiML application for
                                                              the simulator-only benchmark

Plain aiohttp on the default asyncio loop (as Home Assistant runs), bound to 127.0.0.1,
no access log. Prints "ready" once listening; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from xml.sax.saxutils import quoteattr

from aiohttp import web
from twilio.request_validator import RequestValidator

from .common import AUTH_TOKEN

STATUS_ROUTE = "/api/twilio_bridge/status/{call_id}/{leg}"
DIAL_TO = "+818020000000"


async def bare(request: web.Request) -> web.Response:
    await request.post()
    return web.Response(status=204)


def signed_handler(base_url: str) -> web.RequestHandler:
    async def signed(request: web.Request) -> web.Response:
        params = await request.post()
        validator = RequestValidator(AUTH_TOKEN)
        signature = request.headers.get("X-Twilio-Signature", "")
        url = base_url + request.path_qs
        if not signature or not validator.validate(url, params, signature):
            return web.Response(status=403)
        return web.Response(status=204)

    return signed


def twiml_app(base_url: str) -> web.Application:
    """Answer the voice URL with a <Dial> to one number, the action with <Hangup/>."""

    async def voice(request: web.Request) -> web.Response:
        await request.post()
        action = quoteattr(f"{base_url}/action")
        status = quoteattr(f"{base_url}/status")
        document = (
            '<?xml version="1.0" encoding="UTF-8"?><Response>'
            f'<Dial action={action} timeout="20" timeLimit="600">'
            f'<Number statusCallback={status} statusCallbackEvent="initiated ringing '
            f'answered completed">{DIAL_TO}</Number></Dial></Response>'
        )
        return web.Response(text=document, content_type="text/xml")

    async def action(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(
            text='<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>',
            content_type="text/xml",
        )

    app = web.Application()
    app.router.add_post("/voice", voice)
    app.router.add_post("/action", action)
    app.router.add_post("/status", bare)
    return app


def build_app(mode: str, base_url: str) -> web.Application:
    if mode == "twiml":
        return twiml_app(base_url)
    app = web.Application()
    app.router.add_post(STATUS_ROUTE, bare if mode == "bare" else signed_handler(base_url))
    return app


async def serve(mode: str, port: int) -> None:
    base_url = f"http://127.0.0.1:{port}"
    runner = web.AppRunner(build_app(mode, base_url), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("bare", "signed", "twiml"), required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.mode, args.port))


if __name__ == "__main__":
    main()
