"""The webhook self-test: does `webhook_base_url` reach this Home Assistant?

Home Assistant requests its own public URL plus a one-time path and expects a one-time
answer back. Both are random and live only in this process's memory, so nothing else (a
proxy answering 200 to everything, an echo server, another Home Assistant) can pass.
The request is a GET of a path that changes nothing, so it is harmless wherever it lands.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from http import HTTPStatus

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .checks import ISSUE_WEBHOOK_SELF_TEST, clear, report
from .const import DOMAIN, URL_BASE

_LOGGER = logging.getLogger(__name__)

URL_SELF_TEST = URL_BASE + "/self_test/{nonce}"
SELF_TEST_TIMEOUT = 15.0  # Twilio's own budget for a webhook's whole response
PENDING: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_self_test")


class SelfTestView(HomeAssistantView):
    """Answers a pending self-test's nonce with its secret answer; anything else is 404."""

    url = URL_SELF_TEST
    name = "api:twilio_bridge:self_test"
    requires_auth = False

    async def get(self, request: web.Request, nonce: str) -> web.Response:
        answer = request.app[KEY_HASS].data.get(PENDING, {}).get(nonce)
        if answer is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(text=answer, content_type="text/plain")


async def async_reaches_us(hass: HomeAssistant, base_url: str) -> bool:
    """Whether a request to `base_url` arrives at this Home Assistant's self-test view."""
    nonce, answer = secrets.token_hex(16), secrets.token_hex(16)
    pending = hass.data.setdefault(PENDING, {})
    pending[nonce] = answer
    try:
        session = async_get_clientsession(hass)
        async with asyncio.timeout(SELF_TEST_TIMEOUT):
            url = base_url + URL_SELF_TEST.format(nonce=nonce)
            async with session.get(url, allow_redirects=False) as response:
                body = await response.text()
                return response.status == HTTPStatus.OK and body == answer
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as err:
        _LOGGER.debug("Webhook self-test request failed: %s", err)
        return False
    finally:
        pending.pop(nonce, None)


async def async_self_test(hass: HomeAssistant, base_url: str) -> bool:
    """Run the self-test; raise a Repairs issue naming the URL when it fails."""
    if await async_reaches_us(hass, base_url):
        clear(hass, ISSUE_WEBHOOK_SELF_TEST)
        return True
    _LOGGER.warning(
        "Home Assistant could not reach itself at webhook_base_url %s: Twilio will not be "
        "able to report calls there either (unless only this network cannot reach its own "
        "public address). Check webhook_base_url, the port forwarding and the proxy",
        base_url,
    )
    report(hass, ISSUE_WEBHOOK_SELF_TEST, url=base_url)
    return False
