"""Each misconfiguration gives its named error or Repairs issue, before any entity appears."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator
from simulator.models import Leg

from .conftest import (
    PARTY_A,
    PARTY_B,
    SMS_ONLY,
    WITH_SMS_ONLY,
    Bridge,
    bridge_config,
    free_port,
    serve,
)


async def set_up(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    sim: Simulator,
    *,
    served: bool = True,
    **overrides: Any,
) -> str:
    """Set up from YAML (served on a port unless `served` is False); the public URL."""
    port = free_port()
    if served:
        await serve(hass, aiohttp_client, port)
    base_url = f"http://127.0.0.1:{port}"
    config = bridge_config(sim, base_url, **overrides)
    assert await async_setup_component(hass, DOMAIN, config)
    await hass.async_block_till_done()
    return base_url


def entry_state(hass: HomeAssistant) -> tuple[ConfigEntryState, str | None]:
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return entry.state, entry.reason


@pytest.mark.parametrize("scenario", [WITH_SMS_ONLY])
@pytest.mark.parametrize(
    ("overrides", "issue_id", "placeholders", "reason"),
    [
        (
            {"auth_token": "wrong-token"},
            "invalid_auth",
            None,
            "Twilio refused the credentials (error 20003): check account_sid and auth_token",
        ),
        (
            {"phone_number": "+815099998888"},
            "number_not_on_account",
            {"phone_number": "+81 50-****-8888"},
            "phone_number +81 50-****-8888 is not a number of this Twilio account",
        ),
        (
            {"phone_number": SMS_ONLY},
            "number_not_voice_capable",
            {"phone_number": "+81 50-****-4444"},
            "phone_number +81 50-****-4444 cannot make voice calls",
        ),
    ],
    ids=["wrong_auth_token", "number_not_on_account", "number_not_voice_capable"],
)
async def test_account_problems_fail_setup_with_a_repairs_issue(  # noqa: PLR0917
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
    overrides: dict[str, Any],
    issue_id: str,
    placeholders: dict[str, str] | None,
    reason: str,
) -> None:
    await set_up(hass, aiohttp_client, sim, **overrides)
    assert entry_state(hass) == (ConfigEntryState.SETUP_ERROR, reason)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == placeholders
    assert not hass.states.async_entity_ids("sensor")  # nothing pretends to work
    # From YAML the fix is in configuration.yaml: no reauthentication is offered.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_unreachable_twilio_retries_and_raises_an_issue_until_it_answers(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    await set_up(hass, aiohttp_client, sim, api_base_url=closed)
    state, reason = entry_state(hass)
    assert state is ConfigEntryState.SETUP_RETRY
    assert reason is not None
    assert reason.startswith("Twilio could not be reached: IncomingPhoneNumbers.list failed")
    assert issue_registry.async_get_issue(DOMAIN, "cannot_connect") is not None


async def test_issues_go_away_once_setup_passes(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_up(hass, aiohttp_client, sim, phone_number="+815099998888")
    assert issue_registry.async_get_issue(DOMAIN, "number_not_on_account") is not None
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "phone_number": "+815012345678"}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, "number_not_on_account") is None


async def test_webhook_self_test_passes_when_home_assistant_reaches_itself(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_up(hass, aiohttp_client, sim)
    assert entry_state(hass)[0] is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, "webhook_self_test_failed") is None


async def test_webhook_self_test_raises_an_issue_naming_the_url(  # noqa: PLR0917
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base_url = await set_up(hass, aiohttp_client, sim, served=False)
    assert entry_state(hass)[0] is ConfigEntryState.LOADED  # Twilio may still reach it
    issue = issue_registry.async_get_issue(DOMAIN, "webhook_self_test_failed")
    assert issue is not None
    assert issue.translation_placeholders == {"url": base_url}
    assert f"could not reach itself at webhook_base_url {base_url}" in caplog.text


async def test_webhook_self_test_cannot_be_forged(
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A server that answers 200 to everything, echoing the path, is not Home Assistant."""

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.path.rsplit("/", 1)[-1])

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    async with TestServer(app, host="127.0.0.1") as impostor:
        await serve(hass, aiohttp_client, free_port())
        config = bridge_config(sim, str(impostor.make_url("")).rstrip("/"))
        assert await async_setup_component(hass, DOMAIN, config)
        await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "webhook_self_test_failed") is not None


async def _unanswered_call(
    hass: HomeAssistant, sim: Simulator, base_url: str, freezer: FrozenDateTimeFactory
) -> tuple[Bridge, str, Leg]:
    """Place a call whose answer webhook Twilio cannot fetch, and let it be reconciled:
    Twilio's callbacks go to the same place, so they are lost too. Returns the bridge, the
    call id and leg A as Twilio kept it."""
    bridge = Bridge(hass=hass, sim=sim, base_url=base_url)
    placed = await bridge.connect(PARTY_A, PARTY_B)
    await sim.run_until_idle()
    (leg_a,) = sim.calls  # B was never dialed
    assert leg_a.status == "completed"
    freezer.tick(timedelta(seconds=81))  # ring_timeout + 60 s: the call is reconciled
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    (call,) = await bridge.calls()
    assert (call["call_id"], call["outcome"], call["failed_party"]) == (
        placed["call_id"],
        "webhook_unreachable",
        None,
    )
    state = hass.states.get("sensor.twilio_bridge_last_call_status")
    assert state.state == "webhook_unreachable"
    return bridge, placed["call_id"], leg_a


def _answer_url(base_url: str, call_id: str) -> str:
    return f"{base_url}/api/twilio_bridge/answer/{call_id}"


def _assert_reported(
    issue_registry: ir.IssueRegistry, caplog: pytest.LogCaptureFixture, url: str, code: str
) -> None:
    """The log line and the Repairs issue name the URL Twilio could not reach, and its code."""
    assert f"Twilio could not reach the answer webhook {url} (Twilio error {code})" in caplog.text
    issue = issue_registry.async_get_issue(DOMAIN, "webhook_unreachable")
    assert issue is not None
    assert issue.translation_placeholders == {"url": url, "code": code}


async def test_a_call_twilio_cannot_announce_ends_as_webhook_unreachable(  # noqa: PLR0917
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    base_url = await set_up(hass, aiohttp_client, sim, served=False)
    bridge, call_id, leg_a = await _unanswered_call(hass, sim, base_url, freezer)
    # What Twilio logged on the call, and serves as its Notifications: one 11205 naming the
    # answer URL (nothing answered there, so no status callback could be answered either).
    (reported,) = leg_a.errors
    answer_url = _answer_url(base_url, call_id)
    assert (reported.code, reported.url) == (11205, answer_url)
    _assert_reported(issue_registry, caplog, answer_url, "11205")

    # Once the URL answers, the next call goes through and the issue is gone.
    await serve(hass, aiohttp_client, int(base_url.rsplit(":", 1)[1]))
    await bridge.connect(PARTY_A, PARTY_B)
    await bridge.play_out()
    assert issue_registry.async_get_issue(DOMAIN, "webhook_unreachable") is None
    assert [call["outcome"] for call in await bridge.calls()] == [
        "completed",
        "webhook_unreachable",
    ]


async def test_an_answer_webhook_answering_an_error_is_reported_as_11200(  # noqa: PLR0917
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """webhook_base_url reaches a server that is not Home Assistant and answers 500."""

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal Server Error")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", broken)
    async with TestServer(app, host="127.0.0.1") as server:
        await serve(hass, aiohttp_client, free_port())
        base_url = str(server.make_url("")).rstrip("/")
        assert await async_setup_component(hass, DOMAIN, bridge_config(sim, base_url))
        await hass.async_block_till_done()
        _, call_id, leg_a = await _unanswered_call(hass, sim, base_url, freezer)
    # Twilio's notifications on leg A: the answer webhook's 11200, and a warning (15003) for
    # each status callback answered 500, which the integration must pass over.
    codes = [notification.code for notification in leg_a.errors]
    assert codes.count(11200) == 1
    assert set(codes) == {11200, 15003}
    _assert_reported(issue_registry, caplog, _answer_url(base_url, call_id), "11200")


async def test_the_url_named_is_the_one_twilio_reported(  # noqa: PLR0917
    hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    socket_enabled: None,
    sim: Simulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """webhook_base_url is fixed while the call is still open: the log and the issue name
    the URL Twilio failed on (its notification's request_url), not today's answer URL."""
    old_base = await set_up(hass, aiohttp_client, sim, served=False)
    placed = await Bridge(hass=hass, sim=sim, base_url=old_base).connect(PARTY_A, PARTY_B)
    await sim.run_until_idle()
    port = free_port()
    await serve(hass, aiohttp_client, port)
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    new_base = f"http://127.0.0.1:{port}"
    hass.config_entries.async_update_entry(entry, data={**entry.data, "webhook_base_url": new_base})
    assert await hass.config_entries.async_reload(entry.entry_id)  # reconciles the open call
    await hass.async_block_till_done()

    _assert_reported(issue_registry, caplog, _answer_url(old_base, placed["call_id"]), "11205")
    assert _answer_url(new_base, placed["call_id"]) not in caplog.text
