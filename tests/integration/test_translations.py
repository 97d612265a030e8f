"""Every service, field, entity and error is translated in English and Japanese."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from custom_components.twilio_bridge.sensor import SENSORS

PACKAGE = Path(__file__).parents[2] / "custom_components" / "twilio_bridge"
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))


def load(language: str) -> dict[str, Any]:
    return json.loads((PACKAGE / "translations" / f"{language}.json").read_text("utf-8"))


def keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        found |= keys(value, path) if isinstance(value, dict) else {path}
    return found


def test_english_and_japanese_have_the_same_keys() -> None:
    assert keys(load("en")) == keys(load("ja"))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_service_and_field_is_translated(language: str) -> None:
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text("utf-8"))
    strings = load(language)["services"]
    for service, spec in services.items():
        assert strings[service]["name"]
        assert strings[service]["description"]
        for field in spec.get("fields", {}):
            assert strings[service]["fields"][field]["name"], (service, field)
            assert strings[service]["fields"][field]["description"], (service, field)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_raised_error_is_translated_with_its_placeholders(language: str) -> None:
    exceptions = load(language)["exceptions"]
    raised = set(re.findall(r'(?:_invalid|CallRefusedError)\(\s*"(\w+)"', SOURCE))
    raised.add("twilio_error")
    assert {"unknown_contact", "own_number"} <= raised  # the core's refusals are found too
    assert raised <= set(exceptions)
    english = load("en")["exceptions"]
    for key, value in exceptions.items():
        placeholders = set(re.findall(r"\{(\w+)\}", value["message"]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", english[key]["message"])), key


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_entity_is_named(language: str) -> None:
    entity = load(language)["entity"]
    for description in SENSORS:
        assert entity["sensor"][description.key]["name"]
    assert entity["binary_sensor"]["call_in_progress"]["name"]
    icons = json.loads((PACKAGE / "icons.json").read_text("utf-8"))
    assert set(icons["entity"]["sensor"]) == {d.key for d in SENSORS}


def test_no_text_holds_a_tag_the_frontend_would_read_as_markup() -> None:
    """The frontend formats texts as ICU messages: "<Say>" shows "Translation error"."""
    for language in ("en", "ja"):
        text = (PACKAGE / "translations" / f"{language}.json").read_text(encoding="utf-8")
        assert not re.search(r"<[A-Za-z/][^>]*>", text), language
