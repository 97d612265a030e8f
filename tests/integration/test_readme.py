"""What README.md tells a newcomer, tried as written: the simulator setup, when actions exist."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant import bootstrap
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from homeassistant.util import package
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator
from simulator.scenario import Scenario

from .conftest import free_port

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "simulator" / "scenarios" / "basic.yaml"
ACTIONS = {"connect", "hangup", "extend", "get_calls"}


def readme_section(title: str) -> str:
    """The text of one README section, from its heading to the next heading of any level.

    A `# comment` inside a code block is not a heading.
    """
    lines = (ROOT / "README.md").read_text("utf-8").splitlines(keepends=True)
    start = lines.index(f"{title}\n")
    fenced = False
    for end in range(start + 1, len(lines)):
        if lines[end].startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", lines[end]):
            return "".join(lines[start:end])
    return "".join(lines[start:])


def yaml_blocks(text: str) -> list[Any]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]


async def test_the_simulator_yaml_in_the_readme_places_a_call(
    hass: HomeAssistant, aiohttp_client: ClientSessionGenerator, socket_enabled: None
) -> None:
    section = readme_section("### Point Home Assistant at the simulator")
    (block,) = yaml_blocks(section)
    conf = block[DOMAIN]
    # What the README says each value is, checked against the scenario it names.
    scenario = Scenario.load(SCENARIO)
    assert conf["account_sid"] == scenario.account_sid
    assert conf["auth_token"] == scenario.auth_token
    assert conf["phone_number"] in scenario.numbers
    assert conf["api_base_url"] == "http://127.0.0.1:8765"  # `serve --port 8765`
    assert conf["webhook_base_url"] == "http://127.0.0.1:8123"  # Home Assistant's default
    assert "edge" not in conf
    party_a, party_b = re.findall(r'`party_[ab]: "([\d-]+)"`', section)

    # Exactly that block; only the two ports move to free ones, so runs never collide.
    ha_port = free_port()
    async with Simulator(SCENARIO) as sim:
        conf = {
            **conf,
            "api_base_url": conf["api_base_url"].replace(":8765", f":{sim.port}"),
            "webhook_base_url": conf["webhook_base_url"].replace(":8123", f":{ha_port}"),
        }
        assert await async_setup_component(hass, DOMAIN, {DOMAIN: conf})
        await hass.async_block_till_done()
        await aiohttp_client(hass.http.app, server_kwargs={"port": ha_port})

        placed = await hass.services.async_call(
            DOMAIN,
            "connect",
            {"party_a": party_a, "party_b": party_b},
            blocking=True,
            return_response=True,
        )
        await sim.run_until_idle(limit=3600)
        await hass.async_block_till_done()
        log = await hass.services.async_call(
            DOMAIN, "get_calls", {}, blocking=True, return_response=True
        )

    assert placed is not None
    assert log is not None
    (call,) = log["calls"]
    assert call["call_id"] == placed["call_id"]
    assert (call["outcome"], call["duration"], call["cost"]) == ("completed", 93, 64.8)
    assert f"{call['duration']} s of talk, {call['cost']} JPY" in " ".join(section.split())


async def test_an_invalid_block_leaves_no_action(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    conf = {"account_sid": "AC" + "0" * 32, "auth_token": "x", "phone_number": "x", "modee": 1}
    assert not await async_setup_component(hass, DOMAIN, {DOMAIN: conf})
    assert not any(hass.services.has_service(DOMAIN, action) for action in ACTIONS)
    assert "Invalid config for 'twilio_bridge'" in caplog.text
    assert "none of the actions exist" in " ".join(readme_section("## Services (actions)").split())


async def test_a_valid_block_whose_setup_fails_leaves_actions_that_say_so(
    hass: HomeAssistant,
) -> None:
    conf = {
        "account_sid": "AC" + "0" * 32,
        "auth_token": "x",
        "phone_number": "0570-000-000",  # Navi Dial: not a number Twilio can own
        "webhook_base_url": "https://ha.example.com",
    }
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: conf})
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert all(hass.services.has_service(DOMAIN, action) for action in ACTIONS)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "get_calls", {}, blocking=True, return_response=True)
    assert raised.value.translation_key == "not_configured"
    assert "raises `not_configured`" in " ".join(readme_section("## Services (actions)").split())


def test_the_readme_shows_the_demo_scenario_as_it_is() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", readme_section("## The simulator"), re.DOTALL)
    assert blocks == [SCENARIO.read_text("utf-8")]


def test_the_japanese_summary_shows_the_same_configuration() -> None:
    (english,) = yaml_blocks(readme_section("### Point Home Assistant at the simulator"))
    (japanese,) = yaml_blocks(readme_section("### シミュレーター"))
    assert japanese == english


async def unmet_requirements(hass: HomeAssistant, domains: Iterable[str]) -> dict[str, list[str]]:
    """The requirements not installed of `domains` and all they depend on, by integration.

    Home Assistant pip-installs these at startup, which fails offline. The packages that
    requirements_demo.txt adds (the frontend) count as installed: the README has the reader
    run scripts/demo first.
    """
    demo_pins = (ROOT / "requirements_demo.txt").read_text("utf-8").splitlines()
    demo_extras = {
        canonicalize_name(Requirement(line).name) for line in demo_pins if line[:1].isalpha()
    }
    unmet: dict[str, list[str]] = {}
    todo, seen = list(domains), set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        integration = await async_get_integration(hass, domain)
        todo.extend(integration.dependencies)
        missing = [
            requirement
            for requirement in integration.requirements
            if canonicalize_name(Requirement(requirement).name) not in demo_extras
            and not await hass.async_add_executor_job(package.is_installed, requirement)
        ]
        if missing:
            unmet[domain] = missing
    return unmet


async def test_the_readme_configuration_installs_nothing_at_startup(hass: HomeAssistant) -> None:
    (configuration,) = yaml_blocks(readme_section("### Point Home Assistant at the simulator"))
    assert "default_config" not in configuration
    # Home Assistant sets these up with any configuration.
    always = bootstrap.CORE_INTEGRATIONS | bootstrap.DEFAULT_INTEGRATIONS
    assert await unmet_requirements(hass, set(configuration) | always) == {}
    # What the README warns of: default_config: needs packages that the .venv lacks.
    assert await unmet_requirements(hass, ["default_config"])
