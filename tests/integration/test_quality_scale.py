"""quality_scale.yaml: every rule of the scale, and no claim the code contradicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from awesomeversion import AwesomeVersion
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.twilio_bridge.const import DOMAIN
from simulator.harness import Simulator

from .conftest import bridge_config

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "twilio_bridge"

# Home Assistant's Integration Quality Scale, all tiers: hassfest's rule list since the
# 2026-07 scale (docs-conditions and docs-triggers joined bronze then). Refresh it from
# script/hassfest/quality_scale.py when the scale gains a rule.
RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip

# The first release that shows a custom integration's own brand/ images.
LOCAL_BRAND_IMAGES = AwesomeVersion("2026.3.0")


def rules() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text("utf-8"))
    return {
        name: entry if isinstance(entry, dict) else {"status": entry}
        for name, entry in data["rules"].items()
    }


def test_every_rule_is_listed_once_with_a_reason_unless_done() -> None:
    listed = rules()
    assert len(listed) == len(RULES) == 54
    assert set(listed) == RULES
    for name, entry in listed.items():
        assert entry["status"] in {"done", "todo", "exempt"}, name
        if entry["status"] != "done":
            assert entry.get("comment"), f"{name} needs a comment saying why"


def test_brands_is_done_only_where_the_oldest_release_shows_the_icon() -> None:
    oldest = AwesomeVersion(json.loads((ROOT / "hacs.json").read_text("utf-8"))["homeassistant"])
    assert (PACKAGE / "brand" / "icon.png").is_file()
    expected = "done" if oldest >= LOCAL_BRAND_IMAGES else "todo"
    assert rules()["brands"]["status"] == expected


async def test_test_before_setup_is_done_only_if_setup_checks_the_credentials(
    hass: HomeAssistant, socket_enabled: None, sim: Simulator
) -> None:
    """With a wrong auth token (the simulator answers 401 to it), does setup notice?"""
    config = bridge_config(sim, "http://127.0.0.1:8123", auth_token="not-the-token")
    assert await async_setup_component(hass, DOMAIN, config)
    await hass.async_block_till_done()
    # The YAML is imported into a config entry: did its setup go through?
    set_up = any(
        entry.state is ConfigEntryState.LOADED
        for entry in hass.config_entries.async_entries(DOMAIN)
    )
    assert rules()["test-before-setup"]["status"] == ("todo" if set_up else "done")


def test_conditions_and_triggers_are_exempt_only_without_such_platforms() -> None:
    for platform in ("condition", "trigger", "device_condition", "device_trigger"):
        assert not (PACKAGE / f"{platform}.py").exists()
    assert rules()["docs-conditions"]["status"] == "exempt"
    assert rules()["docs-triggers"]["status"] == "exempt"
